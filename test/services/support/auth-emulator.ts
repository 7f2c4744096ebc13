/**
 * The Firebase Auth emulator from firebase-tools, started offline for a demo project on free ports (its hub and
 * logging ports too, so parallel test files never collide).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { onCleanup, trackProcess } from "../../support/cleanup";
import { freePort } from "../../support/ports";

const firebaseCli = path.resolve(__dirname, "../../../node_modules/firebase-tools/lib/bin/firebase.js");

export interface AuthEmulator {
  /** host:port, the value for FIREBASE_AUTH_EMULATOR_HOST. */
  host: string;
  projectId: string;
  stop(): Promise<void>;
}

/** Output of an emulator that lost one of its ports to another process between our probe and its bind. */
const portTaken = /port taken|EADDRINUSE/i;

/**
 * Starts the Auth emulator and resolves once it reports ready; rejects with its output if it exits or stalls. A start
 * that loses a port to another process (free when probed, taken before the emulator bound it) is tried again on other
 * ports, up to three times.
 */
export async function startAuthEmulator(projectId = "demo-pulsura-services"): Promise<AuthEmulator> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(projectId);
    } catch (error) {
      if (attempt >= 3 || !portTaken.test((error as Error).message)) throw error;
    }
  }
}

async function startOnce(projectId: string): Promise<AuthEmulator> {
  const workDir = await mkdtemp(path.join(os.tmpdir(), "pulsura-auth-emulator-"));
  const [auth, hub, logging] = [await freePort(), await freePort(), await freePort()];
  await writeFile(
    path.join(workDir, "firebase.json"),
    JSON.stringify({
      emulators: {
        auth: { host: "127.0.0.1", port: auth },
        hub: { host: "127.0.0.1", port: hub },
        logging: { host: "127.0.0.1", port: logging },
        ui: { enabled: false },
      },
    }),
  );

  // Its own process group, so whatever the CLI starts is stopped with it.
  const child: ChildProcess = spawn(process.execPath, [firebaseCli, "emulators:start", "--only", "auth", "--project", projectId], {
    cwd: workDir,
    detached: true,
    // The CLI's config store goes into the work dir, not the user's home.
    env: { ...process.env, CI: "true", FIREBASE_CLI_DISABLE_UPDATE_CHECK: "true", XDG_CONFIG_HOME: path.join(workDir, ".config") },
    stdio: ["ignore", "pipe", "pipe"],
  });
  trackProcess(child, `Firebase Auth emulator (${projectId})`, { group: true });
  let output = "";
  const stopChild = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = once(child, "exit");
      child.kill("SIGINT");
      // The CLI shuts down gracefully on SIGINT; one that hangs is killed with its group.
      const timer = setTimeout(() => {
        try {
          process.kill(-child.pid!, "SIGKILL");
        } catch {
          // Exited meanwhile.
        }
      }, 10_000);
      await exited;
      clearTimeout(timer);
    }
    await rm(workDir, { recursive: true, force: true });
    cleanupDone();
  };
  const cleanupDone = onCleanup(`Firebase Auth emulator (${projectId})`, stopChild);

  try {
    await new Promise<void>((resolve, reject) => {
      // A deadline for a broken emulator, not a sleep: readiness is the "All emulators ready" line.
      const timer = setTimeout(() => reject(new Error(`Auth emulator not ready within 90 s:\n${output}`)), 90_000);
      const onData = (chunk: Buffer) => {
        output += chunk.toString();
        if (/All emulators ready/.test(output)) {
          clearTimeout(timer);
          resolve();
        }
      };
      child.stdout!.on("data", onData);
      child.stderr!.on("data", onData);
      child.once("exit", (code) => {
        clearTimeout(timer);
        reject(new Error(`Auth emulator exited with ${code}:\n${output}`));
      });
    });
  } catch (error) {
    await stopChild();
    throw error;
  }

  return { host: `127.0.0.1:${auth}`, projectId, stop: stopChild };
}
