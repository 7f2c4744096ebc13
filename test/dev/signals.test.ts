/**
 * `npm run dev` stopped the way IDEs and process managers stop it: one signal to npm's pid alone, not Ctrl-C to the
 * terminal's process group. npm passes SIGINT and SIGTERM only to its shell, which (dash) dies of SIGTERM and swallows
 * SIGINT, and npm dies of SIGHUP without passing it on (scripts/lib/dev/lifeline.ts): whatever the signal, every
 * process of the tree must go and every port it listened on must be free. Each case is a full start (Postgres, the
 * emulators, the services): the cases share nothing else, and each stops its run for good.
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
  portsStillListening,
  processesWithMarker,
  processTree,
  runMarkerVariable,
  startDev,
  stillRunning,
  type DevRun,
} from "./support/dev-process";

const readyDeadlineMs = 240_000;
const stopDeadlineMs = 120_000;

describe("npm run dev, signalled through npm", () => {
  let run: DevRun | undefined;
  let dataDir: string | undefined;

  afterEach(async () => {
    killEverything(run);
    run = undefined;
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  }, 60_000);

  // SIGTERM: what IDEs and process managers send. SIGHUP: a closed terminal or session. SIGINT: a "stop" button.
  it.each(["SIGTERM", "SIGHUP", "SIGINT"] as const)(
    "stops every process of the tree and frees every port on %s to the npm process alone",
    async (signal) => {
      dataDir = await mkdtemp(path.join(os.tmpdir(), "pulsura-dev-signal-"));
      // Postgres runs as the postgres user when we are root.
      fs.chmodSync(dataDir, 0o755);
      const marker = randomUUID();
      run = startDev(["--data-dir", dataDir, "--ports", "auto", "--no-hasura"], { [runMarkerVariable]: marker }, { via: "npm" });
      await run.waitFor(/\[dev\] processes \{.*\}\n/, { timeoutMs: readyDeadlineMs });

      const npmPid = run.child.pid!;
      const tree = processTree(npmPid);
      const commands = tree.map((stat) => stat.command);
      // npm, its shell, tsx, the dev runner and its guardian, Postgres, the Firebase CLI, the core service.
      // (/proc's command names are cut at 15 characters.)
      expect(commands[0]).toMatch(/^npm run dev/);
      expect(commands).toContain("postgres");
      expect(tree.length).toBeGreaterThanOrEqual(7);
      const ports = listeningPorts(tree.map((stat) => stat.pid));
      // Postgres, the auth hook, core, and the emulators (Auth, Functions, hub, logging).
      expect(ports.length).toBeGreaterThanOrEqual(5);

      process.kill(npmPid, signal);
      const timer = setTimeout(() => killEverything(run), stopDeadlineMs);
      await run.closed;
      clearTimeout(timer);

      expect(run.output()).toMatch(/\[dev\] .*: stopping everything/);
      expect(run.output()).toMatch(/\[dev\] everything is stopped\n$/);
      expect(stillRunning(tree.map((stat) => stat.pid))).toEqual([]);
      expect(processesWithMarker(marker)).toEqual([]);
      expect(portsStillListening(ports)).toEqual([]);
    },
    readyDeadlineMs + stopDeadlineMs + 30_000,
  );
});
