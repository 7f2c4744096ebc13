/**
 * The Firebase Auth + Functions emulators of `npm run dev` (firebase-tools, demo project: offline, no credentials).
 *
 * The emulators read secrets from `.secret.local` and params from `.env` next to the functions code, so they run
 * from a generated project under the data directory whose `functions/` holds a symlink to the build output
 * (functions/lib/index.js), the secrets and params of this run, and a symlink to the repository's node_modules
 * (the emulator must load the very firebase-functions copy the code uses). A change under functions/src rebuilds
 * the bundle, which the emulator's own file watcher then reloads.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { bundleFunctions } from "../../../functions/scripts/build";
import { FUNCTION_RUNTIMES } from "../../../infra/runtimes";
import { devProjectId, repoRoot } from "./options";
import type { ResolvedPorts } from "./ports";
import { printLine, startProcess, type ManagedProcess } from "./processes";
import { watchTrees } from "./watch";

const firebaseCli = path.join(repoRoot, "node_modules", "firebase-tools", "lib", "bin", "firebase.js");
const functionsPackageDir = path.join(repoRoot, "functions");
const lazyAuthValidation = path.join(__dirname, "auth-emulator-lazy-validation.cjs");

export interface FirebaseEmulators {
  process: ManagedProcess;
  /** Base URL of the Auth emulator (REST: /identitytoolkit.googleapis.com/v1/..., /emulator/v1/...). */
  authUrl: string;
  /** Base URL of the Functions emulator. */
  functionsUrl: string;
  /** `host:port` for FIREBASE_AUTH_EMULATOR_HOST. */
  authHost: string;
  stop(): Promise<void>;
}

export interface StartEmulatorsOptions {
  /** `<data dir>/firebase`. */
  dir: string;
  ports: ResolvedPorts;
  /** Where the functions send user-sync GraphQL: the local Hasura's /v1/graphql. */
  hasuraGraphqlUrl: string;
  hasuraAdminSecret: string;
}

/**
 * Builds the functions (`npm run build -w functions`), the way the Firebase CLI expects them.
 * @throws Error with the build output when it fails
 */
/**
 * Writes functions/lib/index.js, in this process (the bundle takes esbuild a fraction of a second; an `npm run build -w
 * functions` process took longer than that to start). At start-up (`unlessUnchanged`) an identical lib/index.js is
 * left as it is; after a change to functions/src it is always written, which is what makes the emulator reload.
 */
export async function buildFunctions(signal?: AbortSignal, { unlessUnchanged = false } = {}): Promise<void> {
  let code: string;
  try {
    ({ code } = await bundleFunctions());
  } catch (error) {
    throw new Error(`the functions build (npm run build -w functions) failed: ${(error as Error).message}`);
  }
  signal?.throwIfAborted();
  const outfile = path.join(functionsPackageDir, "lib", "index.js");
  const bytes = Buffer.byteLength(code);
  if (unlessUnchanged && fs.existsSync(outfile) && fs.readFileSync(outfile, "utf8") === code) {
    printLine("functions build", `lib/index.js is up to date (${bytes} bytes)`);
    return;
  }
  fs.mkdirSync(path.dirname(outfile), { recursive: true });
  fs.writeFileSync(outfile, code);
  printLine("functions build", `wrote lib/index.js (${bytes} bytes)`);
}

export async function startEmulators(options: StartEmulatorsOptions, signal?: AbortSignal): Promise<FirebaseEmulators> {
  const exportDir = writeProject(options);
  const canImport = fs.existsSync(path.join(exportDir, "firebase-export-metadata.json"));
  const child = startProcess({
    name: "firebase",
    command: process.execPath,
    args: [
      // The Auth emulator's request validators compiled on first use rather than all before it listens.
      "--require",
      lazyAuthValidation,
      firebaseCli,
      "emulators:start",
      "--only",
      "auth,functions",
      "--project",
      devProjectId,
      // Auth users survive restarts, as the users table in the local Postgres does.
      ...(canImport ? ["--import", exportDir] : []),
      "--export-on-exit",
      exportDir,
    ],
    cwd: options.dir,
    env: {
      ...process.env,
      // The CLI's config store stays in the data directory, and it skips its update check.
      XDG_CONFIG_HOME: path.join(options.dir, ".config"),
      NO_UPDATE_NOTIFIER: "1",
      FORCE_COLOR: "0",
    },
    formatLine: (line) => (line.trim() === "" ? undefined : line),
    stopSignal: "SIGINT",
  });
  let rebuilding: Promise<void> | undefined;
  let rebuildAgain = false;
  const rebuild = async (): Promise<void> => {
    if (rebuilding) {
      rebuildAgain = true;
      return;
    }
    rebuilding = buildFunctions().catch((error: unknown) =>
      printLine("functions build", `failed; the emulator keeps the previous build: ${(error as Error).message}`),
    );
    await rebuilding;
    rebuilding = undefined;
    if (rebuildAgain) {
      rebuildAgain = false;
      await rebuild();
    }
  };
  const sourceWatcher = watchTrees([path.join(functionsPackageDir, "src")], () => void rebuild());
  const stop = async () => {
    sourceWatcher.close();
    await rebuilding;
    // SIGINT is the CLI's clean shutdown: export Auth users, stop the function workers, exit.
    await child.stop({ signal: "SIGINT", graceMs: 30_000 });
  };
  const authHost = `127.0.0.1:${options.ports.auth}`;
  try {
    await child.waitForLine(/All emulators ready/, { signal });
    const config = await fetch(`http://${authHost}/emulator/v1/projects/${devProjectId}/config`, { signal });
    if (!config.ok) throw new Error(`the Auth emulator answered HTTP ${config.status} to its config endpoint`);
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    process: child,
    authUrl: `http://${authHost}`,
    functionsUrl: `http://127.0.0.1:${options.ports.functions}`,
    authHost,
    stop,
  };
}

/** Ports of the Auth + Functions emulators and of the emulator services they start with them. */
export interface EmulatorPorts {
  auth: number;
  functions: number;
  hub: number;
  logging: number;
  eventarc: number;
  tasks: number;
}

/** firebase.json for the Auth + Functions emulators on 127.0.0.1, with functions/ as the default codebase. */
export function emulatorFirebaseJson(ports: EmulatorPorts): object {
  const host = "127.0.0.1";
  return {
    // The emulator runs every function on the local Node; the runtime only satisfies the CLI, which needs one
    // (the deploy package.json has no "engines", see functions/scripts/build.ts).
    functions: [{ source: "functions", codebase: "default", runtime: FUNCTION_RUNTIMES.gen2 }],
    emulators: {
      singleProjectMode: true,
      // The Emulator UI is downloaded on first use: not offline, and not needed.
      ui: { enabled: false },
      auth: { host, port: ports.auth },
      functions: { host, port: ports.functions },
      hub: { host, port: ports.hub },
      logging: { host, port: ports.logging },
      eventarc: { host, port: ports.eventarc },
      tasks: { host, port: ports.tasks },
    },
  };
}

/** Writes firebase.json, .firebaserc and functions/ for this run; returns the export directory. */
function writeProject(options: StartEmulatorsOptions): string {
  const { dir, ports } = options;
  const functionsDir = path.join(dir, "functions");
  fs.mkdirSync(functionsDir, { recursive: true });
  fs.writeFileSync(path.join(dir, "firebase.json"), `${JSON.stringify(emulatorFirebaseJson(ports), null, 2)}\n`);
  fs.writeFileSync(path.join(dir, ".firebaserc"), `${JSON.stringify({ projects: { default: devProjectId } }, null, 2)}\n`);

  const source = JSON.parse(fs.readFileSync(path.join(functionsPackageDir, "package.json"), "utf8")) as {
    name?: string;
    dependencies?: Record<string, string>;
  };
  const packageJson = {
    name: source.name ?? "functions",
    private: true,
    main: "index.js",
    dependencies: source.dependencies ?? {},
  };
  fs.writeFileSync(path.join(functionsDir, "package.json"), `${JSON.stringify(packageJson, null, 2)}\n`);
  replaceSymlink(path.join(functionsPackageDir, "lib", "index.js"), path.join(functionsDir, "index.js"), "file");
  replaceSymlink(path.join(repoRoot, "node_modules"), path.join(functionsDir, "node_modules"), "dir");
  // The emulator reads defineSecret values from .secret.local, and defineString params from .env.
  fs.writeFileSync(
    path.join(functionsDir, ".secret.local"),
    `HASURA_GRAPHQL_URL=${options.hasuraGraphqlUrl}\nHASURA_GRAPHQL_ADMIN_SECRET=${options.hasuraAdminSecret}\n`,
    { mode: 0o600 },
  );
  const onUserDeleted = process.env.PULSURA_ON_USER_DELETED ?? "delete";
  fs.writeFileSync(path.join(functionsDir, ".env"), `PULSURA_ON_USER_DELETED=${onUserDeleted}\n`);
  return path.join(dir, "export");
}

function replaceSymlink(target: string, linkPath: string, type: "file" | "dir"): void {
  fs.rmSync(linkPath, { force: true, recursive: false });
  fs.symlinkSync(target, linkPath, type === "dir" ? "junction" : "file");
}
