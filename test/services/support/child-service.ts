/**
 * A service bundle run as a child process (`node dist/index.js`), with its JSON log lines parsed as they come,
 * so tests can await a log line instead of sleeping.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { EventEmitter, once } from "node:events";
import { createInterface } from "node:readline";
import { onCleanup, trackProcess } from "../../support/cleanup";

export interface ChildService {
  child: ChildProcess;
  /** Parsed JSON log lines from stdout, oldest first. */
  logs: Record<string, unknown>[];
  stderr(): string;
  /** Resolves with the first log line matching `predicate`, already written or yet to come. */
  waitForLog(predicate: (line: Record<string, unknown>) => boolean, description: string): Promise<Record<string, unknown>>;
  /** Resolves with the exit code (null when killed by a signal). */
  exited: Promise<number | null>;
  /** Base URL once the "listening" line arrived. */
  url(): Promise<string>;
  kill(): Promise<void>;
}

export function spawnService(bundle: string, env: Record<string, string>): ChildService {
  const child = spawn(process.execPath, [bundle], {
    env: { PATH: process.env.PATH ?? "", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  trackProcess(child, `service ${bundle}`);
  const logs: Record<string, unknown>[] = [];
  const events = new EventEmitter();
  let stderr = "";
  child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  createInterface({ input: child.stdout! }).on("line", (line) => {
    try {
      logs.push(JSON.parse(line) as Record<string, unknown>);
      events.emit("line");
    } catch {
      stderr += `${line}\n`;
    }
  });
  const exited = once(child, "exit").then(([code]) => code as number | null);
  const cleanupDone = onCleanup(`service ${bundle}`, () => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  });
  void exited.then(() => {
    cleanupDone();
    events.emit("exit");
  });

  const waitForLog: ChildService["waitForLog"] = (predicate, description) =>
    new Promise((resolve, reject) => {
      const check = () => {
        const found = logs.find(predicate);
        if (!found) return false;
        cleanup();
        resolve(found);
        return true;
      };
      const onExit = () => {
        if (!check()) {
          cleanup();
          reject(new Error(`service exited before logging ${description}\nstderr: ${stderr}\nlogs: ${JSON.stringify(logs)}`));
        }
      };
      const onLine = () => void check();
      const cleanup = () => {
        events.off("line", onLine);
        events.off("exit", onExit);
      };
      events.on("line", onLine);
      events.on("exit", onExit);
      if (check()) return;
      if (child.exitCode !== null || child.signalCode !== null) onExit();
    });

  return {
    child,
    logs,
    stderr: () => stderr,
    waitForLog,
    exited,
    async url() {
      const listening = await waitForLog((line) => line.message === "listening", '"listening"');
      return `http://127.0.0.1:${listening.port as number}`;
    },
    async kill() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGKILL");
        await exited;
      }
    },
  };
}
