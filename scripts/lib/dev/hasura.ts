/**
 * Hasura for `npm run dev`, where a Docker engine answers: the pinned image from dev/compose.yaml, wired to the
 * local Postgres, the services and the Auth-emulator webhook, with hasura/metadata applied (and re-applied when
 * it changes).
 */
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { promisify } from "node:util";
import { readMetadata, hasuraProjectDir } from "../../../infra/hasura/project";
import { replaceMetadata, waitForHealthy, type HasuraConnection } from "../../../infra/dynamic/hasura-api";
import { serviceUrlEnvName } from "../../../services/kit/src/drift/metadata";
import { repoRoot } from "./options";
import { exitedEarly, printLine, startProcess, type ManagedProcess } from "./processes";
import { watchTrees } from "./watch";

const execFileAsync = promisify(execFile);

/** The compose file, relative to the repository root. */
export const composeFile = path.join(repoRoot, "dev", "compose.yaml");
/** Host name under which the container reaches this machine (see extra_hosts in dev/compose.yaml). */
export const dockerHost = "host.docker.internal";

export type DockerStatus = { available: true; serverVersion: string } | { available: false; reason: string };

/** Whether `docker info` answers (an engine runs) and `docker compose` exists. */
export async function detectDocker(): Promise<DockerStatus> {
  try {
    const { stdout } = await execFileAsync("docker", ["info", "--format", "{{.ServerVersion}}"], { timeout: 30_000 });
    const serverVersion = stdout.trim();
    try {
      await execFileAsync("docker", ["compose", "version"], { timeout: 30_000 });
    } catch {
      return { available: false, reason: `Docker engine ${serverVersion} answers, but the Compose plugin (docker compose) is missing` };
    }
    return { available: true, serverVersion };
  } catch (error) {
    const failure = error as NodeJS.ErrnoException & { stderr?: string; stdout?: string };
    if (failure.code === "ENOENT") return { available: false, reason: "the docker command is not installed" };
    // `docker info` prints the client part and then the daemon error, e.g. "Cannot connect to the Docker daemon".
    const detail = `${failure.stderr ?? ""}\n${failure.stdout ?? ""}`
      .split("\n")
      .map((line) => line.trim())
      .find((line) => /cannot connect|error|denied|not running/i.test(line));
    return { available: false, reason: `no Docker engine answers \`docker info\`${detail ? ` (${detail})` : ""}` };
  }
}

/** The pinned Hasura version of dev stacks (read lazily: infra/config.ts loads @pulumi/pulumi). */
export async function pinnedHasuraVersion(): Promise<string> {
  const { ENVIRONMENT_DEFAULTS } = await import("../../../infra/config.js");
  return ENVIRONMENT_DEFAULTS.dev.hasura.version;
}

export interface HasuraEnvironmentInputs {
  /** Postgres port on this machine. */
  postgresPort: number;
  postgresPassword: string;
  database: string;
  metadataDatabase: string;
  adminSecret: string;
  eventSecret: string;
  /** Port of the auth webhook on this machine. */
  authHookPort: number;
  authHookPath: string;
  /** Port of each service on this machine, by service name. */
  servicePorts: Record<string, number>;
}

/** The variables of the env file dev/compose.yaml loads: everything is addressed from inside the container. */
export function hasuraEnvironment(inputs: HasuraEnvironmentInputs): Record<string, string> {
  const database = (name: string) =>
    // As Hasura's own user, no superuser, as on Cloud SQL (scripts/lib/dev/postgres.ts sets the cluster up that way).
    `postgres://hasura:${encodeURIComponent(inputs.postgresPassword)}@${dockerHost}:${inputs.postgresPort}/${name}`;
  return {
    HASURA_GRAPHQL_DATABASE_URL: database(inputs.database),
    HASURA_GRAPHQL_METADATA_DATABASE_URL: database(inputs.metadataDatabase),
    HASURA_GRAPHQL_ADMIN_SECRET: inputs.adminSecret,
    HASURA_GRAPHQL_AUTH_HOOK: `http://${dockerHost}:${inputs.authHookPort}${inputs.authHookPath}`,
    PULSURA_EVENT_SECRET: inputs.eventSecret,
    ...Object.fromEntries(
      Object.entries(inputs.servicePorts).map(([service, port]) => [serviceUrlEnvName(service), `http://${dockerHost}:${port}`]),
    ),
  };
}

/** The variables dev/compose.yaml interpolates. */
export function composeVariables(options: { version: string; port: number; envFile: string }): Record<string, string> {
  return {
    PULSURA_HASURA_VERSION: options.version,
    PULSURA_HASURA_PORT: String(options.port),
    PULSURA_HASURA_ENV_FILE: options.envFile,
  };
}

export interface RunningHasura {
  /** Base URL on this machine. */
  endpoint: string;
  process: ManagedProcess;
  stop(): Promise<void>;
}

export interface StartHasuraOptions {
  /** The data directory (the env file goes there). */
  dataDir: string;
  port: number;
  version: string;
  environment: Record<string, string>;
  adminSecret: string;
}

/**
 * `docker compose up` of dev/compose.yaml (the image is pulled on first use), then waits for /healthz and
 * applies hasura/metadata with replace_metadata.
 */
export async function startHasura(options: StartHasuraOptions, signal?: AbortSignal): Promise<RunningHasura> {
  const envFile = path.join(options.dataDir, "hasura.env");
  fs.writeFileSync(
    envFile,
    Object.entries(options.environment)
      .map(([key, value]) => `${key}=${value}\n`)
      .join(""),
    { mode: 0o600 },
  );
  // One compose project per data directory, so two checkouts can each run their own.
  const project = `pulsura-dev-${createHash("sha256").update(options.dataDir).digest("hex").slice(0, 8)}`;
  const composeEnv = { ...process.env, ...composeVariables({ version: options.version, port: options.port, envFile }) };
  const compose = (args: string[], name: string) =>
    startProcess({ name, command: "docker", args: ["compose", "-f", composeFile, "-p", project, ...args], cwd: repoRoot, env: composeEnv });

  const up = compose(["up", "--no-color", "--pull", "missing", "--abort-on-container-exit"], "hasura");
  const endpoint = `http://127.0.0.1:${options.port}`;
  const connection: HasuraConnection = { endpoint, adminSecret: options.adminSecret };
  const stopCompose = async () => {
    // compose up stops the container on SIGINT; down then removes it and the project network.
    await up.stop({ signal: "SIGINT", graceMs: 30_000 });
    const down = compose(["down", "--remove-orphans"], "hasura down");
    await down.exited;
  };
  try {
    // The first start pulls the image: allow for a slow network.
    const upExited = up.exited.then((exit) => Promise.reject(exitedEarly("docker compose up", exit, up.recentOutput().split("\n"))));
    // Handled by the race below; an exit after start-up is the caller's to watch.
    upExited.catch(() => undefined);
    const aborted = new Promise<never>((_resolve, reject) => {
      if (signal?.aborted) reject(signal.reason);
      signal?.addEventListener("abort", () => reject(signal.reason), { once: true });
    });
    aborted.catch(() => undefined);
    await Promise.race([waitForHealthy(endpoint, { timeoutMs: 15 * 60_000, maxDelayMs: 2_000 }), upExited, aborted]);
    await replaceMetadata(connection, readMetadata(hasuraProjectDir));
    printLine("hasura", "metadata applied (hasura/metadata)");
  } catch (error) {
    await stopCompose();
    throw error;
  }
  const metadataWatcher = watchTrees([path.join(hasuraProjectDir, "metadata")], () => {
    // A half-saved YAML file throws in readMetadata: report it like a rejected replace_metadata.
    Promise.resolve()
      .then(() => replaceMetadata(connection, readMetadata(hasuraProjectDir)))
      .then(
        () => printLine("hasura", "metadata re-applied after a change in hasura/metadata"),
        (error: unknown) => printLine("hasura", `metadata not applied: ${(error as Error).message}`),
      );
  });
  const stop = async () => {
    metadataWatcher.close();
    await stopCompose();
  };
  return { endpoint, process: up, stop };
}
