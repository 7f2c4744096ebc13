/**
 * What a test file starts, it stops: one registry per test-file process for the processes and directories that test
 * helpers create, so nothing outlives the file even when a hook fails or times out, the file is interrupted, or a
 * start finishes after the file gave up on it.
 *
 * Three layers, each catching what the one before missed:
 * 1. `onCleanup()`: helpers register how to stop what they started the moment they start it (not once it is ready),
 *    and test/support/cleanup-setup.ts runs every registered cleanup in an `afterAll` of each file. A cleanup
 *    registered after that (a start that outlived its timed-out hook) runs at once.
 * 2. `trackProcess()`: the process (its whole group when spawned `detached`) is killed synchronously when this
 *    process exits or receives SIGINT, SIGTERM or SIGHUP.
 * 3. test/support/global-run.ts gives every run one temp root (TMPDIR) and a pid folder in it, and at the end of the
 *    run kills any process still listed there and removes the root, with a warning naming what leaked.
 */
import type { ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { readProcStat, type ProcStat } from "../../scripts/lib/proc-stat";

type Cleanup = () => Promise<void> | void;

const cleanups = new Map<number, { label: string; run: Cleanup }>();
let nextId = 1;
let closed = false;

/** The run's pid folder (global-run.ts), where tracked processes are listed for the end-of-run sweep. */
const pidDir = process.env.PULSURA_TEST_RUN_DIR ? path.join(process.env.PULSURA_TEST_RUN_DIR, "pids") : undefined;

/**
 * Registers how to stop something just started. Returns `done()`, to call once it was stopped the ordinary way.
 * After the file's cleanup ran, the cleanup runs at once instead.
 */
export function onCleanup(label: string, run: Cleanup): () => void {
  if (closed) {
    void Promise.resolve()
      .then(run)
      .catch((error: unknown) => console.error(`cleanup of ${label} (started after its test file ended) failed:`, error));
    return () => undefined;
  }
  const id = nextId++;
  cleanups.set(id, { label, run });
  return () => void cleanups.delete(id);
}

/** Runs every registered cleanup (latest first, each at most once); failures are collected and thrown together. */
export async function runCleanups(): Promise<void> {
  closed = true;
  const pending = [...cleanups.entries()].reverse();
  cleanups.clear();
  const failures: string[] = [];
  for (const [, { label, run }] of pending) {
    try {
      await run();
    } catch (error) {
      failures.push(`${label}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  if (failures.length > 0) throw new Error(`cleanup failed for ${failures.length} item(s):\n${failures.join("\n")}`);
}

interface Tracked {
  pid: number;
  group: boolean;
  label: string;
}

const tracked = new Map<number, Tracked>();

function pidFile(pid: number): string | undefined {
  return pidDir ? path.join(pidDir, String(pid)) : undefined;
}

/**
 * Kills `child` (its process group when it was spawned `detached`) if this process ends first, and lists it for the
 * run's end-of-run sweep. The entry goes away when the child exits.
 */
export function trackProcess(child: ChildProcess, label: string, options: { group?: boolean } = {}): void {
  if (child.pid === undefined) return;
  trackPid(child.pid, label, options);
  child.once("exit", () => untrackPid(child.pid!));
}

/** As `trackProcess`, for a process known by pid only (a server a library started, e.g. Postgres). */
export function trackPid(pid: number, label: string, options: { group?: boolean } = {}): void {
  installExitHandlers();
  const entry = { pid, group: options.group ?? false, label };
  tracked.set(pid, entry);
  const file = pidFile(pid);
  if (file) {
    try {
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, JSON.stringify({ ...entry, owner: process.pid, startedAt: readProcStat(pid)?.startTime }));
    } catch {
      // The sweep is a safety net; the exit handlers still cover this process.
    }
  }
}

export function untrackPid(pid: number): void {
  tracked.delete(pid);
  const file = pidFile(pid);
  if (file) fs.rmSync(file, { force: true });
}

/** A process's entry in /proc/<pid>/stat, or undefined when it is gone. */
export { readProcStat, type ProcStat };

function killNow(entry: Tracked, signal: NodeJS.Signals): void {
  try {
    process.kill(entry.group ? -entry.pid : entry.pid, signal);
  } catch {
    // Already gone.
  }
}

let handlersInstalled = false;

function installExitHandlers(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  process.once("exit", () => {
    for (const entry of tracked.values()) killNow(entry, "SIGKILL");
  });
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    process.once(signal, () => {
      for (const entry of tracked.values()) killNow(entry, "SIGKILL");
      process.exit(128 + ({ SIGHUP: 1, SIGINT: 2, SIGTERM: 15 } as const)[signal]);
    });
  }
}
