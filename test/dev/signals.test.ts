/**
 * `npm run dev` stopped the way IDEs and process managers stop it: one signal to npm's pid alone, not Ctrl-C to the
 * terminal's process group. npm passes SIGINT and SIGTERM only to its shell, which (dash) dies of SIGTERM and swallows
 * SIGINT, and npm dies of SIGHUP without passing it on (scripts/lib/dev/lifeline.ts): whatever the signal, every
 * process of the tree must go and every port it listened on must be free. Each case is a full start (Postgres, the
 * emulators, the services): the cases share nothing else, and each stops its run for good. The last case kills the
 * dev runner itself, which no handler can catch: its guardian must stop what it started.
 */
import { randomUUID } from "node:crypto";
import * as fs from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import {
  killEverything,
  listeningPorts,
  parseProcessReport,
  portsStillListening,
  processesWithMarker,
  processTree,
  runMarkerVariable,
  startDev,
  stillRunning,
  type DevRun,
} from "./support/dev-process";

const readyDeadlineMs = 240_000;

function commandLine(pid: number): string {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, "utf8");
  } catch {
    return "";
  }
}

/**
 * The processes of `pids` still running after at most 5 s. They are not our children, so no exit event reaches us:
 * /proc is read every 20 ms.
 */
async function untilExited(pids: number[]): Promise<ReturnType<typeof stillRunning>> {
  const deadline = performance.now() + 5_000;
  let running = stillRunning(pids);
  while (running.length > 0 && performance.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    running = stillRunning(pids);
  }
  return running;
}
const stopDeadlineMs = 120_000;

describe("npm run dev, signalled through npm", () => {
  let run: DevRun | undefined;
  let dataDir: string | undefined;

  afterEach(async () => {
    killEverything(run);
    run = undefined;
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  }, 60_000);

  /** Starts `npm run dev` through npm and returns what it runs once it is ready. */
  async function startThroughNpm() {
    dataDir = await mkdtemp(path.join(os.tmpdir(), "pulsura-dev-signal-"));
    // Postgres runs as the postgres user when we are root.
    fs.chmodSync(dataDir, 0o755);
    const marker = randomUUID();
    const started = startDev(["--data-dir", dataDir, "--ports", "auto", "--no-hasura"], { [runMarkerVariable]: marker }, { via: "npm" });
    run = started;
    await started.waitFor(/\[dev\] processes \{.*\}\n/, { timeoutMs: readyDeadlineMs });
    const tree = processTree(started.child.pid!);
    // npm, its shell, tsx, the dev runner and its guardian, Postgres, the Firebase CLI, the core service
    // (/proc's command names are cut at 15 characters).
    expect(tree[0]!.command).toMatch(/^npm run dev/);
    expect(tree.map((stat) => stat.command)).toContain("postgres");
    expect(tree.length).toBeGreaterThanOrEqual(7);
    const ports = listeningPorts(tree.map((stat) => stat.pid));
    // Postgres, the auth hook, core, and the emulators (Auth, Functions, hub, logging).
    expect(ports.length).toBeGreaterThanOrEqual(5);
    return { run: started, marker, tree, ports };
  }

  /** Waits until every process holding npm's output is gone, then checks that nothing of the tree is left. */
  async function expectAllGone(started: Awaited<ReturnType<typeof startThroughNpm>>) {
    const timer = setTimeout(() => killEverything(started.run), stopDeadlineMs);
    await started.run.closed;
    await started.run.exited;
    clearTimeout(timer);
    // The processes that hold npm's output (npm's job: npm, its shell, tsx, the dev runner; and the guardian) close
    // it as they exit, a moment before the kernel marks them exited; the parts must be gone already.
    const holders = started.tree.filter((stat) => stat.pgid === started.run.child.pid || commandLine(stat.pid).includes("guardian.cjs"));
    const parts = started.tree.filter((stat) => !holders.includes(stat));
    expect(stillRunning(parts.map((stat) => stat.pid))).toEqual([]);
    expect(await untilExited(holders.map((stat) => stat.pid))).toEqual([]);
    expect(processesWithMarker(started.marker)).toEqual([]);
    expect(portsStillListening(started.ports)).toEqual([]);
  }

  // SIGTERM: what IDEs and process managers send. SIGHUP: a closed terminal or session. SIGINT: a "stop" button.
  it.each(["SIGTERM", "SIGHUP", "SIGINT"] as const)(
    "stops every process of the tree and frees every port on %s to the npm process alone",
    async (signal) => {
      const started = await startThroughNpm();
      process.kill(started.run.child.pid!, signal);
      await expectAllGone(started);
      const [stopping] = /\[dev\] .*: stopping everything.*/.exec(started.run.output()) ?? [];
      expect(stopping).toBeDefined();
      console.log(`[signals test] ${signal} to npm: ${stopping}`);
      expect(started.run.output()).toMatch(/\[dev\] everything is stopped\n$/);
    },
    readyDeadlineMs + stopDeadlineMs + 30_000,
  );

  it(
    "stops everything through the guardian when the dev runner itself is killed (SIGKILL: no handler runs)",
    async () => {
      const started = await startThroughNpm();
      process.kill(parseProcessReport(started.run.output()).dev, "SIGKILL");
      await expectAllGone(started);
      expect(started.run.output()).toMatch(/\[dev guardian\] the dev runner ended without stopping \d+ process group\(s\)/);
      expect(started.run.output()).not.toContain("[dev] everything is stopped");
    },
    readyDeadlineMs + stopDeadlineMs + 30_000,
  );
});
