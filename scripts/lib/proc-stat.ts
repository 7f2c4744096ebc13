/**
 * One process's line of /proc/<pid>/stat (Linux), for the tools that watch process trees: `npm run dev` (its parts'
 * groups, its launchers) and the test helpers' cleanup.
 */
import * as fs from "node:fs";

export interface ProcStat {
  pid: number;
  /** The command name (at most 15 characters). */
  command: string;
  /** R, S, … Z for a zombie (exited, not yet reaped). */
  state: string;
  ppid: number;
  pgid: number;
  /** Clock ticks since boot: tells a process from a later one with the same pid. */
  startTime: string;
}

/** The process's stat, or undefined when it is gone (or there is no /proc). */
export function readProcStat(pid: number): ProcStat | undefined {
  let text: string;
  try {
    text = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return undefined;
  }
  // The command name (field 2) is in parentheses and may contain spaces and parentheses: the fields after it follow the last ")".
  const close = text.lastIndexOf(")");
  const fields = text.slice(close + 2).split(" ");
  return { pid, command: text.slice(text.indexOf("(") + 1, close), state: fields[0]!, ppid: Number(fields[1]), pgid: Number(fields[2]), startTime: fields[19]! };
}
