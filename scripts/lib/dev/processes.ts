/**
 * Child processes of `npm run dev`: each runs in its own process group (so stopping it also stops whatever it
 * started, like the emulators' function workers), its output is prefixed with its name, and readiness is awaited
 * from its output lines, never by sleeping.
 */
import { readProcStat } from "../proc-stat";
import { spawn, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import { createInterface } from "node:readline";
import { stripVTControlCharacters } from "node:util";
import { adoptGroup, releaseGroup } from "./lifeline";

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** Writes `npm run dev` output, each line prefixed with the part it comes from. */
export function printLine(source: string, text: string): void {
  process.stdout.write(text.split("\n").map((line) => `[${source}] ${line}\n`).join(""));
}

export interface StartProcessOptions {
  /** Short name used as the output prefix and in messages. */
  name: string;
  command: string;
  args: string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Run as this user and group (Postgres refuses to run as root). */
  user?: { uid: number; gid: number };
  /** The signal that stops it cleanly (Postgres: SIGINT, its fast shutdown). @default SIGTERM */
  stopSignal?: NodeJS.Signals;
  /**
   * Rewrites or hides (undefined) an output line before it is printed. Lines are matched by
   * {@link ManagedProcess.waitForLine} before this runs, without terminal colour codes.
   */
  formatLine?: (line: string) => string | undefined;
}

export interface ManagedProcess {
  readonly name: string;
  /** Pid of the process, which is also its process group id. */
  readonly pid: number;
  /** Resolves when the process has exited (never rejects). */
  readonly exited: Promise<ExitInfo>;
  /** The exit, once it happened. */
  readonly exit: ExitInfo | undefined;
  /** Resolves with the first output line (from now on) matching `pattern`; rejects if the process exits first. */
  waitForLine(pattern: RegExp, options?: { signal?: AbortSignal }): Promise<string>;
  /**
   * Stops the process and its group: `signal` to the process, SIGKILL to the group after `graceMs`, then
   * SIGKILL to whatever of the group outlives it. Resolves once the process has exited and the group is empty.
   */
  stop(options?: { signal?: NodeJS.Signals; graceMs?: number }): Promise<ExitInfo>;
  /** The last output lines, for error messages. */
  recentOutput(): string;
}

/** Output kept per process for error messages: a failed start prints all of it (a stack, a drift report). */
const recentLineCount = 200;

/** Every process started here, in start order (for the pid report and a forced stop). */
export const startedProcesses: ManagedProcess[] = [];

/** Starts a command in its own process group, with its output prefixed and watched. */
export function startProcess(options: StartProcessOptions): ManagedProcess {
  const child: ChildProcess = spawn(options.command, options.args, {
    cwd: options.cwd,
    env: options.env,
    // Own process group: the terminal's Ctrl-C does not reach it (we stop it in order), and killing the group
    // also kills its own children.
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
    ...(options.user ? { uid: options.user.uid, gid: options.user.gid } : {}),
  });
  const recent: string[] = [];
  const lineWaiters = new Set<(line: string) => void>();
  let exit: ExitInfo | undefined;

  const exited = new Promise<ExitInfo>((resolve) => {
    child.once("exit", (code, signal) => {
      exit = { code, signal };
      resolve(exit);
    });
    child.once("error", (error) => {
      printLine(options.name, `could not start ${options.command}: ${error.message}`);
      exit = { code: 127, signal: null };
      resolve(exit);
    });
  });

  const onLine = (raw: string) => {
    const line = stripVTControlCharacters(raw);
    recent.push(line);
    if (recent.length > recentLineCount) recent.shift();
    for (const waiter of [...lineWaiters]) waiter(line);
    const shown = options.formatLine ? options.formatLine(line) : line;
    if (shown !== undefined) printLine(options.name, shown);
  };
  for (const stream of [child.stdout, child.stderr]) {
    if (stream) createInterface({ input: stream, crlfDelay: Infinity }).on("line", onLine);
  }

  const pid = child.pid ?? -1;
  // Should this process die before stopping it, the guardian stops the group (lifeline.ts).
  adoptGroup(pid, options.stopSignal ?? "SIGTERM");
  const managed: ManagedProcess = {
    name: options.name,
    pid,
    exited,
    get exit() {
      return exit;
    },
    waitForLine(pattern, { signal } = {}) {
      return new Promise<string>((resolve, reject) => {
        if (exit) {
          reject(exitedEarly(options.name, exit, recent));
          return;
        }
        const settle = () => {
          lineWaiters.delete(onMatch);
          signal?.removeEventListener("abort", onAbort);
        };
        const onMatch = (line: string) => {
          if (!pattern.test(line)) return;
          settle();
          resolve(line);
        };
        const onAbort = () => {
          settle();
          reject(signal?.reason ?? new Error("aborted"));
        };
        lineWaiters.add(onMatch);
        signal?.addEventListener("abort", onAbort, { once: true });
        void exited.then((info) => {
          if (!lineWaiters.has(onMatch)) return;
          settle();
          reject(exitedEarly(options.name, info, recent));
        });
      });
    },
    async stop({ signal = options.stopSignal ?? "SIGTERM", graceMs = 10_000 } = {}) {
      if (pid > 0 && !exit) {
        signalProcess(pid, signal);
        const deadline = setTimeout(() => {
          printLine(options.name, `did not stop within ${graceMs / 1000} s of ${signal}: killing it`);
          signalGroup(pid, "SIGKILL");
        }, graceMs);
        await exited;
        clearTimeout(deadline);
      }
      const info = await exited;
      if (pid > 0) {
        await emptyGroup(pid);
        releaseGroup(pid);
      }
      return info;
    },
    recentOutput: () => recent.join("\n"),
  };
  startedProcesses.push(managed);
  return managed;
}

/** Error for a process that exited while something waited for it. */
export function exitedEarly(name: string, info: ExitInfo, recent: string[]): Error {
  const how = info.signal ? `was killed by ${info.signal}` : `exited with code ${info.code}`;
  const tail = recent.join("\n");
  return new Error(`${name} ${how}${tail ? `; its last output:\n${tail}` : ""}`);
}

function signalProcess(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ESRCH") throw error;
  }
}

/** Signals every process of group `pgid`; a group that is already gone is fine. */
export function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ESRCH") throw error;
  }
}

/**
 * Kills what is left of a process group once its leader has exited (e.g. a worker that ignored the shutdown)
 * and waits until none of it runs. Processes of a group are not our children, so there is no exit event to
 * await: the process table is checked every 50 ms, for at most 5 s.
 */
async function emptyGroup(pgid: number): Promise<void> {
  if (livingGroupMembers(pgid).length === 0) return;
  signalGroup(pgid, "SIGKILL");
  for (let waited = 0; waited < 5_000; waited += 50) {
    if (livingGroupMembers(pgid).length === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  printLine("dev", `processes of group ${pgid} survived SIGKILL: ${livingGroupMembers(pgid).join(", ")}`);
}

/**
 * Pids of the processes of group `pgid` that still run. Zombies (exited, not yet reaped by their new parent)
 * do not count. On systems without /proc, the answer is [pgid] while the group has any member.
 */
export function livingGroupMembers(pgid: number): number[] {
  if (!fs.existsSync("/proc/self/stat")) {
    try {
      process.kill(-pgid, 0);
      return [pgid];
    } catch {
      return [];
    }
  }
  const members: number[] = [];
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readProcStat(Number(entry));
    if (stat && stat.pgid === pgid && stat.state !== "Z") members.push(Number(entry));
  }
  return members;
}
