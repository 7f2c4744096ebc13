/**
 * Vitest global setup: one temp root per test run, handed to every test file as TMPDIR (so each `os.tmpdir()` and
 * `mkdtemp` lands inside it), and a pid folder where test/support/cleanup.ts lists the processes helpers start. At
 * the end of the run, or when the run is interrupted, every listed process still alive is killed and the root is
 * removed: a run leaves nothing behind in the temp folder or the process table, whatever failed. What had to be
 * swept is printed, since it means a helper did not stop what it started.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { readProcStat } from "./cleanup";

interface Listed {
  pid: number;
  group: boolean;
  label: string;
  startedAt?: string;
}

function alive(entry: Listed): boolean {
  try {
    process.kill(entry.pid, 0);
  } catch {
    return false;
  }
  // A zombie has exited (it only awaits reaping by a parent that may never come); the same pid with another start
  // time is another process: leave both alone.
  const stat = readProcStat(entry.pid);
  if (!stat || stat.state === "Z") return false;
  return entry.startedAt === undefined || stat.startTime === entry.startedAt;
}

function sweep(root: string, report: (line: string) => void): void {
  const pidDir = path.join(root, "pids");
  const listed: Listed[] = [];
  for (const file of fs.existsSync(pidDir) ? fs.readdirSync(pidDir) : []) {
    try {
      listed.push(JSON.parse(fs.readFileSync(path.join(pidDir, file), "utf8")) as Listed);
    } catch {
      // A file being written when the run was interrupted: nothing to act on.
    }
  }
  const leftover = listed.filter(alive);
  for (const entry of leftover) {
    report(`test run: stopping ${entry.label} (pid ${entry.pid}), which a test file left running`);
    try {
      process.kill(entry.group ? -entry.pid : entry.pid, "SIGKILL");
    } catch {
      // Gone meanwhile.
    }
  }
  // Killed processes release their files within moments: rmSync retries the removal briefly.
  try {
    fs.rmSync(root, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
  } catch (error) {
    report(`test run: could not remove ${root}: ${(error as Error).message}`);
  }
}

/**
 * Makes a run root (with pids/ and tmp/) and points TMPDIR and PULSURA_TEST_RUN_DIR at it; `sweep(report)` kills what
 * is still listed and removes the root.
 */
export function createRunRoot(): { root: string; sweep: (report: (line: string) => void) => void } {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "pulsura-test-run-"));
  // Postgres runs as the postgres user when tests run as root: it must be able to enter the root.
  fs.chmodSync(root, 0o755);
  fs.mkdirSync(path.join(root, "pids"));
  const tmp = path.join(root, "tmp");
  fs.mkdirSync(tmp, { mode: 0o755 });
  fs.chmodSync(tmp, 0o1777);
  process.env.TMPDIR = tmp;
  process.env.PULSURA_TEST_RUN_DIR = root;
  return { root, sweep: (report) => sweep(root, report) };
}

export default function setup(): () => void {
  const run = createRunRoot();
  let swept = false;
  const teardown = () => {
    if (swept) return;
    swept = true;
    run.sweep((line) => process.stderr.write(`${line}\n`));
  };
  // Vitest handles Ctrl-C itself (and ends with "exit"); for a signal nobody else handles, sweep and end as the
  // signal would have.
  const onSignal = (signal: NodeJS.Signals) => {
    teardown();
    if (process.listenerCount(signal) <= 1) process.exit(128 + (signal === "SIGINT" ? 2 : signal === "SIGHUP" ? 1 : 15));
  };
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.on(signal, onSignal);
  process.once("exit", teardown);
  return teardown;
}
