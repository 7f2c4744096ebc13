/**
 * The test helpers' cleanup layers (test/support/cleanup.ts, global-run.ts): what a test file starts does not outlive
 * it, whether the file ends normally, is terminated, or a start finishes after its hook gave up.
 */
import { spawn } from "node:child_process";
import { once } from "node:events";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { createInterface } from "node:readline";
import { describe, expect, it } from "vitest";
import { repoRoot } from "../../scripts/lib/stack-files";
import { readProcStat } from "./cleanup";
import { startPostgres } from "./postgres";
import { createRunRoot } from "./global-run";

const worker = path.join(__dirname, "fixtures", "cleanup-worker.ts");

/** Running, that is: present and not a zombie (an exited process not yet reaped). */
function isAlive(pid: number): boolean {
  const state = readProcStat(pid)?.state;
  return state !== undefined && state !== "Z";
}

async function waitUntil(condition: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function startWorker(mode: string, env: NodeJS.ProcessEnv = process.env) {
  // tsx as a loader of this very process (not tsx's CLI, which would run the worker in a child and relay signals):
  // the signal reaches the worker itself, as it reaches a vitest worker.
  const child = spawn(process.execPath, ["--import", "tsx", worker, mode], { cwd: repoRoot, stdio: ["ignore", "pipe", "inherit"], env });
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  const next = async () => JSON.parse(((await lines.next()).value as string | undefined) ?? "null") as Record<string, number | boolean>;
  return { child, next };
}

describe("the test run's temp root", () => {
  it("is every test file's TMPDIR, inside the run's folder", () => {
    const runDir = process.env.PULSURA_TEST_RUN_DIR;
    expect(runDir).toBeTruthy();
    expect(os.tmpdir().startsWith(`${runDir}${path.sep}`)).toBe(true);
  });

  it("kills listed processes that are still alive and removes the root at the end of a run", async () => {
    const saved = { TMPDIR: process.env.TMPDIR, PULSURA_TEST_RUN_DIR: process.env.PULSURA_TEST_RUN_DIR };
    const sleeper = spawn("sleep", ["600"], { stdio: "ignore" });
    try {
      const { root, sweep } = createRunRoot();
      fs.writeFileSync(path.join(root, "pids", String(sleeper.pid)), JSON.stringify({ pid: sleeper.pid, group: false, label: "sleep 600" }));
      fs.writeFileSync(path.join(process.env.TMPDIR!, "left-behind"), "x");
      const exited = once(sleeper, "exit");
      const report: string[] = [];
      sweep((line) => report.push(line));
      await exited;
      expect(report).toEqual([`test run: stopping sleep 600 (pid ${sleeper.pid}), which a test file left running`]);
      expect(fs.existsSync(root)).toBe(false);
    } finally {
      sleeper.kill("SIGKILL");
      Object.assign(process.env, saved);
    }
  });
});

describe("a test file's processes", () => {
  it("are killed, with their process group, when the file's process is terminated", async () => {
    const { child, next } = startWorker("hang");
    const { pid } = (await next()) as { pid: number };
    expect(isAlive(pid)).toBe(true);
    child.kill("SIGTERM");
    await once(child, "exit");
    await waitUntil(() => !isAlive(pid), `sleep ${pid} to be killed`);
  });

  it("are stopped at once when they register after the file's cleanup already ran", async () => {
    const { child, next } = startWorker("late-cleanup");
    const first = (await next()) as { pid: number };
    const late = (await next()) as { late: number; cleaned: boolean };
    await once(child, "exit");
    expect(late.cleaned).toBe(true);
    await waitUntil(() => !isAlive(late.late), "the late sleep to be killed");
    // The first one was killed by the worker's exit handler.
    await waitUntil(() => !isAlive(first.pid), "the tracked sleep to be killed");
  });
});

describe("startPostgres on a machine that cannot run it", () => {
  it.runIf(process.getuid?.() === 0)("fails at once, naming the directory the postgres user cannot enter", async () => {
    const closed = fs.mkdtempSync(path.join(os.tmpdir(), "closed-"));
    fs.chmodSync(closed, 0o700);
    const saved = process.env.TMPDIR;
    process.env.TMPDIR = path.join(closed, "tmp");
    fs.mkdirSync(process.env.TMPDIR, { mode: 0o777 });
    try {
      // Before this check, initdb never started and the caller's hook waited out its 120 s.
      await expect(startPostgres()).rejects.toThrow(new RegExp(`cannot enter ${closed.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")} \\(mode 700\\)`));
    } finally {
      process.env.TMPDIR = saved;
      fs.rmSync(closed, { recursive: true, force: true });
    }
  });
});
