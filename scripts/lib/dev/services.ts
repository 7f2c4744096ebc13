/**
 * The microservices of `npm run dev`: every folder under services/ with handler files (the kit itself has none),
 * each run from its TypeScript sources through its own dev entry (the one its package.json `dev` script runs,
 * `scripts/dev.ts`: the kit's runServiceFromSource with the start-up drift check), on its own port, and restarted
 * when its code, the kit or the Hasura metadata changes.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { findHandlerFiles } from "../../../services/kit/src/route-files";
import { repoRoot } from "./options";
import { printLine, startProcess, type ManagedProcess } from "./processes";
import { watchTrees, type TreeWatcher } from "./watch";

export interface ServiceDefinition {
  /** Folder name under services/, which is also the service name. */
  name: string;
  dir: string;
  /** The TypeScript entry its `dev` script runs. */
  entry: string;
}

/**
 * Lists the services to run: folders under `<root>/services` with at least one handler file, in name order.
 * @throws Error when such a service has no dev entry
 */
export function discoverServices(root = repoRoot): ServiceDefinition[] {
  const servicesDir = path.join(root, "services");
  if (!fs.existsSync(servicesDir)) return [];
  const services: ServiceDefinition[] = [];
  for (const entry of fs.readdirSync(servicesDir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    if (!entry.isDirectory() || entry.name === "kit") continue;
    const dir = path.join(servicesDir, entry.name);
    if (!fs.existsSync(path.join(dir, "src")) || findHandlerFiles(dir).length === 0) continue;
    services.push({ name: entry.name, dir, entry: devEntry(dir) });
  }
  return services;
}

/** The script the service's `npm run dev` runs (`tsx <file>`), or scripts/dev.ts. */
function devEntry(serviceDir: string): string {
  const packageFile = path.join(serviceDir, "package.json");
  const scripts = fs.existsSync(packageFile)
    ? ((JSON.parse(fs.readFileSync(packageFile, "utf8")) as { scripts?: Record<string, string> }).scripts ?? {})
    : {};
  const match = /^tsx\s+(\S+\.ts)$/.exec(scripts.dev?.trim() ?? "");
  const entry = path.join(serviceDir, match?.[1] ?? path.join("scripts", "dev.ts"));
  if (!fs.existsSync(entry)) {
    throw new Error(
      `${path.relative(repoRoot, serviceDir)} has handlers but no dev entry (${path.relative(repoRoot, entry)}); ` +
        "services scaffolded with `npm run new -- service <name>` have one",
    );
  }
  return entry;
}

export interface RunningService {
  name: string;
  url: string;
  /** The service's current process (it changes on every reload). */
  current(): ManagedProcess;
  stop(): Promise<void>;
}

export interface StartServiceOptions {
  service: ServiceDefinition;
  port: number;
  /** Environment of the service besides PORT (see the kit's config.ts). */
  env: Record<string, string>;
  /**
   * Called when the service exits 0 or is killed by SIGINT, SIGTERM or SIGHUP without being asked to here: someone
   * stopped it (the kit exits 0 after a SIGTERM), unlike a crash, which only waits for the next change.
   */
  onStoppedFromOutside?: (how: string) => void;
}

const stopSignals = new Set<NodeJS.Signals>(["SIGINT", "SIGTERM", "SIGHUP"]);

/** Starts a service and resolves once it listens and answers GET /healthz; it then restarts on changes. */
export async function startService(options: StartServiceOptions, signal?: AbortSignal): Promise<RunningService> {
  const { service, port } = options;
  const url = `http://127.0.0.1:${port}`;
  const spawnService = () =>
    startProcess({
      name: service.name,
      command: process.execPath,
      args: ["--import", "tsx", service.entry],
      cwd: service.dir,
      env: { ...process.env, ...options.env, PORT: String(port) },
      formatLine: formatServiceLog,
    });

  let current = spawnService();
  let stopping = false;
  let restarting: Promise<void> | undefined;
  let again = false;
  const watchCrash = (child: ManagedProcess) => {
    void child.exited.then((exit) => {
      if (stopping || child !== current || restarting) return;
      const how = exit.signal ? `was killed by ${exit.signal}` : `exited with code ${exit.code}`;
      if (exit.code === 0 || (exit.signal && stopSignals.has(exit.signal))) {
        options.onStoppedFromOutside?.(`${how}, not stopped by npm run dev`);
        return;
      }
      printLine(service.name, `${how}; it restarts on the next change to its code`);
    });
  };
  await waitUntilServing(current, url, signal);
  watchCrash(current);

  const restart = async (changed: string[]) => {
    if (stopping) return;
    if (restarting) {
      again = true;
      return;
    }
    const shown = changed.slice(0, 3).map((file) => path.relative(repoRoot, file));
    printLine(service.name, `restarting: ${shown.join(", ")}${changed.length > 3 ? ` and ${changed.length - 3} more` : ""} changed`);
    restarting = (async () => {
      await current.stop();
      if (stopping) return;
      current = spawnService();
      try {
        await waitUntilServing(current, url);
        printLine(service.name, `reloaded (pid ${current.pid})`);
        watchCrash(current);
      } catch (error) {
        // The whole message: a failed start's cause is in the output it carries (a stack, a drift report).
        printLine(service.name, `${(error as Error).message}\nIt restarts on the next change to its code.`);
      }
    })();
    await restarting;
    restarting = undefined;
    if (again && !stopping) {
      again = false;
      await restart(["(further changes)"]);
    }
  };
  const watcher: TreeWatcher = watchTrees(
    [service.dir, path.join(repoRoot, "services", "kit", "src"), path.join(repoRoot, "hasura", "metadata")],
    (changed) => void restart(changed),
  );

  return {
    name: service.name,
    url,
    current: () => current,
    async stop() {
      stopping = true;
      watcher.close();
      await restarting;
      await current.stop({ signal: "SIGTERM", graceMs: 15_000 });
    },
  };
}

/** Waits for the kit's "listening" log line, then checks GET /healthz once. */
async function waitUntilServing(child: ManagedProcess, url: string, signal?: AbortSignal): Promise<void> {
  try {
    await child.waitForLine(/"message":"listening"/, { signal });
    const health = await fetch(`${url}/healthz`, { signal });
    if (health.status !== 200) throw new Error(`${child.name}: GET ${url}/healthz answered HTTP ${health.status}`);
  } catch (error) {
    await child.stop();
    throw error;
  }
}

/** Kit log lines (Cloud Logging JSON) as `SEVERITY message {other fields}`; other lines as they are. */
export function formatServiceLog(line: string): string {
  if (!line.startsWith("{")) return line;
  try {
    const { severity, message, time: _time, ...rest } = JSON.parse(line) as Record<string, unknown>;
    if (typeof message !== "string") return line;
    const fields = Object.keys(rest).length > 0 ? ` ${JSON.stringify(rest)}` : "";
    return `${String(severity ?? "DEFAULT").padEnd(7)} ${message}${fields}`;
  } catch {
    return line;
  }
}
