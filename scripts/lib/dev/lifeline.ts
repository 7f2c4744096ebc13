/**
 * How `npm run dev` learns that it must stop when the signal never reaches it, and how its parts stop when it dies.
 *
 * `npm run dev` is a chain: npm → `sh -c "tsx scripts/dev.ts"` → tsx → the dev runner (this process) → the parts,
 * each in a process group of its own (processes.ts). A terminal's Ctrl-C reaches the whole chain (its foreground
 * process group), but IDEs and process managers signal npm's pid alone, and then:
 * - npm forwards SIGINT and SIGTERM to its child only, which is the shell. dash (Debian's and Ubuntu's /bin/sh)
 *   does not exec the command: it dies of SIGTERM, leaving tsx and us behind, and it catches SIGINT and waits for its
 *   child, so the signal never goes further;
 * - npm dies of SIGHUP without forwarding it;
 * - tsx relays SIGINT and SIGTERM to us but SIGKILLs us when we do not acknowledge within 30 ms (a busy event loop).
 *
 * So, besides its own signal handlers, the dev runner:
 * 1. watches its launchers, the ancestors in its own process group (npm, the shell, tsx: the job the terminal or
 *    the IDE started), every 250 ms in /proc: one that exits or is re-parented means the job is going away, and a
 *    shell among them that wakes up while its child still runs has received a signal (a shell blocked in wait()
 *    runs for nothing else), e.g. npm's forwarded SIGINT; either stops everything as a signal would;
 * 2. starts a guardian (guardian.cjs) in a session of its own, holding a pipe from this process: whichever way
 *    this process ends, even SIGKILL, the kernel closes the pipe and the guardian stops every group still listed.
 *
 * The /proc watch is Linux-only (elsewhere only the parent pid is watched); the guardian works everywhere.
 */
import { spawn, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import { randomUUID } from "node:crypto";
import * as path from "node:path";
import { readProcStat, type ProcStat } from "../proc-stat";

const guardianScript = path.join(__dirname, "guardian.cjs");

let guardian: ChildProcess | undefined;

/**
 * Marks every process of this run: the parts inherit it from this process's environment, and so do the processes
 * they start in groups of their own (the Functions emulator's runtimes), which the guardian finds by it.
 */
export const devRunVariable = "PULSURA_DEV_RUN_ID";

/** Starts the guardian once; groups adopted before it started are not covered. */
export function startGuardian(): void {
  if (guardian) return;
  process.env[devRunVariable] = randomUUID();
  guardian = spawn(process.execPath, [guardianScript, process.env[devRunVariable]!], {
    // Its own session: a terminal's Ctrl-C and hang-up do not reach it, and it outlives this process.
    detached: true,
    stdio: ["pipe", "ignore", "inherit"],
  });
  guardian.on("error", () => undefined);
  guardian.stdin?.on("error", () => undefined);
  // It must not keep this process alive, nor be waited for.
  guardian.unref();
  (guardian.stdin as unknown as { unref?: () => void } | null)?.unref?.();
}

function tellGuardian(line: string): void {
  if (!guardian?.stdin?.writable) return;
  guardian.stdin.write(`${line}\n`);
}

/** Lists a process group for the guardian, with the signal that stops it cleanly. */
export function adoptGroup(pgid: number, stopSignal: NodeJS.Signals): void {
  if (pgid > 1) tellGuardian(`adopt ${pgid} ${stopSignal}`);
}

/** Takes a group off the guardian's list once it was stopped. */
export function releaseGroup(pgid: number): void {
  if (pgid > 1) tellGuardian(`release ${pgid}`);
}

/**
 * Ends the guardian after everything was stopped the ordinary way (it then finds nothing to stop) and waits for it
 * to exit, so that nothing of `npm run dev` outlives it; after 5 s it is killed.
 */
export async function stopGuardian(): Promise<void> {
  const child = guardian;
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.ref();
  child.stdin?.end();
  const deadline = setTimeout(() => child.kill("SIGKILL"), 5_000);
  await exited;
  clearTimeout(deadline);
}

interface Launcher {
  pid: number;
  ppid: number;
  /** The next process down the chain (its child towards us). */
  child: number;
  shell: boolean;
  /** Its command line, for messages (it cannot be read once the process is gone). */
  label: string;
  /** Times it went to sleep on its own: a shell blocked in wait() adds one only when something woke it. */
  wakeUps: number;
}

const shellNames = new Set(["sh", "dash", "bash", "zsh", "ksh", "mksh", "ash", "busybox"]);

function readWakeUps(pid: number): number | undefined {
  try {
    const match = /^voluntary_ctxt_switches:\s+(\d+)$/m.exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"));
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** The ancestors of this process in its own process group, nearest first (empty without /proc). */
export function findLaunchers(): Launcher[] {
  const own = readProcStat(process.pid);
  if (!own) return [];
  const launchers: Launcher[] = [];
  let child = process.pid;
  let stat: ProcStat | undefined = own;
  while (stat && stat.ppid > 1) {
    const parent = stat.ppid;
    const parentStat = readProcStat(parent);
    if (!parentStat || parentStat.pgid !== own.pgid) break;
    launchers.push({
      pid: parent,
      ppid: parentStat.ppid,
      child,
      shell: shellNames.has(parentStat.command),
      label: commandLine(parent),
      wakeUps: readWakeUps(parent) ?? 0,
    });
    child = parent;
    stat = parentStat;
  }
  return launchers;
}

export interface LauncherWatch {
  /** The launchers found at start, for the process report. */
  readonly launchers: ReadonlyArray<{ pid: number; shell: boolean }>;
  close(): void;
}

/**
 * Calls `onLost(reason)` once when a launcher exits, is re-parented, or (a shell) is woken by a signal. A process
 * stopped and continued (Ctrl-Z, then `fg`) stops its shell too: a SIGCONT here takes new counts instead.
 */
export function watchLaunchers(onLost: (reason: string) => void, intervalMs = 250): LauncherWatch {
  const launchers = findLaunchers();
  const initialParent = process.ppid;
  let continuedAt = 0;
  const onContinue = () => {
    continuedAt = performance.now();
  };
  process.on("SIGCONT", onContinue);
  let done = false;
  const lost = (reason: string) => {
    if (done) return;
    done = true;
    close();
    onLost(reason);
  };
  const check = () => {
    if (launchers.length === 0) {
      if (process.ppid !== initialParent) lost(`its parent (pid ${initialParent}) went away`);
      return;
    }
    for (const launcher of launchers) {
      const stat = readProcStat(launcher.pid);
      if (!stat || stat.state === "Z" || stat.state === "X") return lost(`${describe(launcher)} exited`);
      if (stat.ppid !== launcher.ppid) return lost(`${describe(launcher)} lost its parent (pid ${launcher.ppid})`);
    }
    const woken = launchers.find((launcher) => launcher.shell && (readWakeUps(launcher.pid) ?? launcher.wakeUps) > launcher.wakeUps);
    if (!woken) return;
    // A SIGCONT reaches us in the same moment as the shell, but its handler may run after this timer: look again
    // once it had the time to run.
    const seenAt = performance.now();
    setTimeout(() => {
      if (done) return;
      if (continuedAt > 0 && seenAt - continuedAt < 2_000 + intervalMs) {
        for (const launcher of launchers) launcher.wakeUps = readWakeUps(launcher.pid) ?? launcher.wakeUps;
        return;
      }
      lost(`${describe(woken)} received a signal`);
    }, 50);
  };
  const timer = setInterval(check, intervalMs);
  timer.unref();
  function close() {
    clearInterval(timer);
    process.off("SIGCONT", onContinue);
  }
  return {
    launchers: launchers.map(({ pid, shell }) => ({ pid, shell })),
    close() {
      done = true;
      close();
    },
  };
}

function commandLine(pid: number): string {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").filter(Boolean).slice(0, 4).join(" ");
  } catch {
    return "";
  }
}

function describe(launcher: Launcher): string {
  return `pid ${launcher.pid}${launcher.label ? ` (${launcher.label})` : ""}`;
}
