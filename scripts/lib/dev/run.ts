/**
 * `npm run dev`: the whole stack on this machine, in one process tree.
 *
 * Order: at once, Postgres (migrated, seeded), the functions build and the Firebase emulators, and the Storage
 * emulator with its front (when the files service runs); once Postgres is up, every service and Hasura where Docker
 * answers → the URLs, with the time to ready. A signal stops everything in reverse (services and
 * Hasura, then the emulators, then Postgres) and exits 0; a port conflict or a part that fails to start stops
 * what started and exits 1, as does Postgres, the emulators or Hasura exiting later. A second signal kills
 * everything at once and exits 1. A service that crashes after start-up only waits for the next change to its code.
 *
 * "A signal" is any of SIGINT, SIGTERM, SIGHUP to this process, or the loss of a launcher (npm, its shell, tsx),
 * and should this process die anyway, the guardian stops what it started: see lifeline.ts.
 */
import { generateKeyPairSync, randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { startAuthHook, authHookPath, type AuthHookServer } from "./auth-hook";
import { buildFunctions, startEmulators, type FirebaseEmulators } from "./firebase";
import { detectDocker, hasuraEnvironment, pinnedHasuraVersion, startHasura, type DockerStatus, type RunningHasura } from "./hasura";
import { FILES_SERVICE, jobsInvokerWorkload, serviceWorkload, STORAGE_PUSH_WORKLOAD } from "../../../infra/workloads";
import { jobQueueId, serviceHasJobs } from "../../../infra/config/jobs";
import { serviceUrlEnvName } from "../../../services/kit/src/drift/metadata";
import { OBJECT_FINALIZED_PATH, PENDING_UPLOAD_PREFIX, signingEnvironment, STORAGE_DEFAULTS } from "../../../infra/config/storage";
import { devFilesBucket, devHasuraAdminSecret, devProjectId, repoRoot, type DevOptions } from "./options";
import { resolvePorts, type ResolvedPorts } from "./ports";
import { databaseName, hasuraMetadataDatabaseName, startDevPostgres, type DevPostgres } from "./postgres";
import { startGuardian, stopGuardian, watchLaunchers, type LauncherWatch } from "./lifeline";
import { printLine, signalGroup, startedProcesses, type ManagedProcess } from "./processes";
import { discoverServices, startService, type RunningService } from "./services";
import { createDevSigner, pushCertificatesPath, startDevStorage, type DevStorage } from "./storage";

/** Signals this soon after the first are relays of it (see onSignal), not a request to kill at once. */
const repeatedSignalWindowMs = 2_000;

/** Thrown into start-up when a signal asks to stop. */
class StopRequested extends Error {
  constructor(readonly signal: NodeJS.Signals) {
    super(`stopped by ${signal}`);
    this.name = "StopRequested";
  }
}

interface Running {
  postgres?: DevPostgres;
  authHook?: AuthHookServer;
  firebase?: FirebaseEmulators;
  storage?: DevStorage;
  hasura?: RunningHasura;
  services: RunningService[];
}

/** Runs the local stack until a signal or a failure; resolves with the exit code. */
export async function runDev(options: DevOptions): Promise<number> {
  // Times are from this process's start (performance.now()'s origin), its module loading included: the wait someone
  // starting `npm run dev` sees, but for npm's and tsx's own start.
  const startedAt = 0;
  const startup = new AbortController();
  let stopSignal: NodeJS.Signals | undefined;
  let forced = false;
  let onStopRequested: () => void = () => undefined;
  const stopRequested = new Promise<void>((resolve) => (onStopRequested = resolve));
  let firstSignalAt = 0;
  const onSignal = (signal: NodeJS.Signals, reason = signal as string) => {
    if (stopSignal) {
      // A terminal's Ctrl-C reaches npm, tsx and us at once, and npm and tsx may relay it once more within
      // milliseconds: only a signal well after the first one means "kill now".
      if (performance.now() - firstSignalAt < repeatedSignalWindowMs) return;
      forced = true;
      printLine("dev", `${signal} again: killing every process now`);
      for (const child of startedProcesses) signalGroup(child.pid, "SIGKILL");
      return;
    }
    stopSignal = signal;
    firstSignalAt = performance.now();
    printLine("dev", `${reason}: stopping everything (${reason === signal ? signal : "a signal"} again to kill at once)`);
    startup.abort(new StopRequested(signal));
    onStopRequested();
  };
  const signals: NodeJS.Signals[] = ["SIGINT", "SIGTERM", "SIGHUP"];
  const onProcessSignal = (signal: NodeJS.Signals) => onSignal(signal);
  for (const signal of signals) process.on(signal, onProcessSignal);
  // Once npm or the terminal is gone, nobody may read our output: a closed pipe must not crash the shutdown.
  for (const stream of [process.stdout, process.stderr]) stream.on("error", () => undefined);
  startGuardian();
  // npm does not pass every signal on (lifeline.ts): losing a launcher counts as a hang-up.
  const launcherWatch: LauncherWatch = watchLaunchers((reason) => onSignal("SIGHUP", `${reason}`));

  const running: Running = { services: [] };
  let failure: unknown;
  try {
    await runUntilStopped(options, running, startup, stopRequested, startedAt, (reason) => onSignal("SIGTERM", reason));
  } catch (error) {
    if (!(error instanceof StopRequested) && !stopSignal) failure = error;
  } finally {
    await stopAll(running);
    launcherWatch.close();
    await stopGuardian();
    for (const signal of signals) process.off(signal, onProcessSignal);
  }
  if (failure) {
    const message = failure instanceof Error ? failure.message : String(failure);
    process.stderr.write(`\nnpm run dev failed: ${message}\n`);
  }
  printLine("dev", forced ? "everything is stopped (killed, not shut down cleanly)" : "everything is stopped");
  return failure || forced ? 1 : 0;
}

async function runUntilStopped(
  options: DevOptions,
  running: Running,
  startup: AbortController,
  stopRequested: Promise<void>,
  startedAt: number,
  onStoppedFromOutside: (reason: string) => void,
): Promise<void> {
  const signal = startup.signal;
  const services = discoverServices();
  const docker: DockerStatus = options.hasura ? await detectDocker() : { available: false, reason: "--no-hasura" };
  signal.throwIfAborted();
  if (!docker.available && options.hasura) printLine("hasura", `not starting: ${docker.reason}. Everything else runs without it.`);
  const ports = await resolvePorts(options.ports, services.map((service) => service.name), docker.available ? [] : ["hasura"]);

  if (options.reset) resetDataDir(options.dataDir);
  fs.mkdirSync(options.dataDir, { recursive: true });

  // The first part that fails aborts the others' start-up; its error is the one reported.
  const abortOthersOnFailure = (task: Promise<void>) =>
    task.catch((error: unknown) => {
      if (!signal.aborted) startup.abort(error);
      throw error;
    });
  const hasuraGraphqlUrl = `http://127.0.0.1:${ports.hasura}/v1/graphql`;
  const files = services.some((service) => service.name === FILES_SERVICE) ? filesServiceSetup(options, ports) : undefined;
  // What does not need the database starts beside Postgres: the emulators take longest.
  const independentTasks: Array<Promise<void>> = [
    (async () => {
      await buildFunctions(signal, { unlessUnchanged: true });
      running.firebase = await startEmulators(
        {
          dir: path.join(options.dataDir, "firebase"),
          ports,
          // The functions run on this machine, as the services do.
          hasuraGraphqlUrl,
          hasuraAdminSecret: devHasuraAdminSecret,
        },
        signal,
      );
    })(),
  ];
  if (files) {
    independentTasks.push(
      (async () => {
        running.storage = await startDevStorage(files.storage, signal);
      })(),
    );
  }
  const independent = independentTasks.map(abortOthersOnFailure);
  // Their failures are reported below, after Postgres: not unhandled meanwhile.
  for (const task of independent) task.catch(() => undefined);
  try {
    running.postgres = await startDevPostgres(
      { dir: path.join(options.dataDir, "postgres"), port: ports.postgres, listenEverywhere: docker.available, verbose: options.verbose, services: services.map((service) => service.name) },
      signal,
    );
  } catch (error) {
    if (!signal.aborted) startup.abort(error);
    await Promise.allSettled(independent);
    throw error;
  }
  printLine("postgres", `ready after ${((performance.now() - startedAt) / 1000).toFixed(1)} s`);
  reportMigrations(running.postgres);
  running.authHook = await startAuthHook({
    port: ports.authHook,
    // Hasura in Docker reaches it through the host gateway; otherwise only this machine needs it.
    host: docker.available ? "0.0.0.0" : "127.0.0.1",
    projectId: devProjectId,
  });
  signal.throwIfAborted();

  // Generated per run and printed once: what Hasura sends in X-Pulsura-Event-Secret.
  const eventSecret = randomBytes(24).toString("base64url");
  const serviceEnv: Record<string, string> = {
    DATABASE_POOL_MAX: "5",
    PULSURA_EVENT_SECRET: eventSecret,
    HASURA_GRAPHQL_URL: hasuraGraphqlUrl,
    HASURA_GRAPHQL_ADMIN_SECRET: devHasuraAdminSecret,
    GOOGLE_CLOUD_PROJECT: devProjectId,
    FIREBASE_AUTH_EMULATOR_HOST: `127.0.0.1:${ports.auth}`,
    LOG_LEVEL: process.env.LOG_LEVEL ?? "info",
  };

  const postgres = running.postgres;
  const jobsAndCalls = jobsAndCallsSetup(options, ports, services.map((service) => service.name));
  const tasks: Array<Promise<void>> = [
    ...services.map(async (service) => {
      // Each service as its own svc_<name>, with only the roles the deploy grants it.
      const env = {
        ...serviceEnv,
        ...jobsAndCalls.env(service.name),
        ...(service.name === FILES_SERVICE ? files?.env : {}),
        DATABASE_URL: postgres.serviceUrls[service.name]!,
      };
      const started = await startService(
        {
          service,
          port: ports.byService[service.name]!,
          env,
          // A service stopped by someone else (a signal to the whole tree, a process manager) stops everything.
          onStoppedFromOutside: (how) => onStoppedFromOutside(`service ${service.name} ${how}`),
        },
        signal,
      );
      running.services.push(started);
    }),
  ];
  if (docker.available) {
    tasks.push(
      (async () => {
        const version = await pinnedHasuraVersion();
        running.hasura = await startHasura(
          {
            dataDir: options.dataDir,
            port: ports.hasura,
            version,
            adminSecret: devHasuraAdminSecret,
            environment: hasuraEnvironment({
              postgresPort: postgres.port,
              postgresPassword: postgres.password,
              database: databaseName,
              metadataDatabase: hasuraMetadataDatabaseName,
              adminSecret: devHasuraAdminSecret,
              eventSecret,
              authHookPort: ports.authHook,
              authHookPath,
              servicePorts: ports.byService,
            }),
          },
          signal,
        );
      })(),
    );
  }
  const results = await Promise.allSettled([...independent, ...tasks.map(abortOthersOnFailure)]);
  if (signal.aborted) throw signal.reason;
  const rejected = results.find((result): result is PromiseRejectedResult => result.status === "rejected");
  if (rejected) throw rejected.reason;

  printBanner(running, docker, eventSecret, (performance.now() - startedAt) / 1000, options);

  const critical: ManagedProcess[] = [
    postgres.process,
    running.firebase!.process,
    ...(running.storage ? [running.storage.process] : []),
    ...(running.hasura ? [running.hasura.process] : []),
  ];
  const exited = Promise.race(
    critical.map((child) =>
      child.exited.then((exit) => {
        const how = exit.signal ? `was killed by ${exit.signal}` : `exited with code ${exit.code}`;
        const tail = child.recentOutput();
        throw new Error(`${child.name} ${how} unexpectedly${tail ? `; its last output:\n${tail}` : ""}`);
      }),
    ),
  );
  await Promise.race([stopRequested, exited]);
  exited.catch(() => undefined);
}

/** Stops in reverse dependency order; every part is stopped even when another fails to stop. */
async function stopAll(running: Running): Promise<void> {
  const attempt = async (name: string, stop: (() => Promise<void>) | undefined) => {
    if (!stop) return;
    try {
      await stop();
    } catch (error) {
      printLine("dev", `stopping ${name} failed: ${(error as Error).message}`);
    }
  };
  await Promise.all([
    ...running.services.map((service) => attempt(service.name, () => service.stop())),
    attempt("hasura", running.hasura?.stop),
  ]);
  await Promise.all([attempt("firebase", running.firebase?.stop), attempt("storage", running.storage?.stop)]);
  await attempt("auth hook", running.authHook?.close);
  await attempt("postgres", running.postgres?.stop);
  // Whatever start-up left behind (e.g. a part aborted half-way) goes too.
  await Promise.all(startedProcesses.map((child) => child.stop({ signal: "SIGTERM", graceMs: 10_000 })));
}

/**
 * The files service's part of the local stack: the Storage emulator's settings, and the service's environment as the
 * deploy sets it (infra/index.ts filesEnv), with the dev stand-ins: the emulator for Cloud Storage, a per-run key file
 * for the service account's signBlob, and the storage front's key for Pub/Sub's push tokens.
 */
function filesServiceSetup(options: DevOptions, ports: ResolvedPorts) {
  const dir = path.join(options.dataDir, "storage");
  const accountEmail = (workload: string) => `${workload}@${devProjectId}.iam.gserviceaccount.com`;
  const signer = createDevSigner(dir, accountEmail(serviceWorkload(FILES_SERVICE)));
  const serviceUrl = `http://127.0.0.1:${ports.byService[FILES_SERVICE]!}`;
  const storageUrl = `http://127.0.0.1:${ports.storage}`;
  const pushServiceAccount = accountEmail(STORAGE_PUSH_WORKLOAD);
  const storage = {
    dir,
    port: ports.storage,
    emulatorPort: ports.storageEmulator,
    projectId: devProjectId,
    signer,
    notification: {
      bucket: devFilesBucket,
      prefix: PENDING_UPLOAD_PREFIX,
      pushUrl: `${serviceUrl}${OBJECT_FINALIZED_PATH}`,
      audience: serviceUrl,
      serviceAccount: pushServiceAccount,
      subscription: `projects/${devProjectId}/subscriptions/${devFilesBucket}-uploaded`,
    },
  };
  const env: Record<string, string> = {
    PULSURA_FILES_BUCKET: devFilesBucket,
    // The dev environment's defaults of pulsura:storage (infra/config/storage.ts).
    ...signingEnvironment(STORAGE_DEFAULTS.dev),
    PULSURA_PUSH_SERVICE_ACCOUNT: pushServiceAccount,
    PULSURA_PUSH_AUDIENCE: serviceUrl,
    STORAGE_EMULATOR_HOST: storageUrl,
    GOOGLE_APPLICATION_CREDENTIALS: signer.keyFile,
    PULSURA_DEV_PUSH_CERTIFICATES_URL: `${storageUrl}${pushCertificatesPath}`,
  };
  return { storage, env };
}

function reportMigrations(postgres: DevPostgres): void {
  const { applied, seeded, changed, unknown } = postgres.report;
  printLine(
    "postgres",
    applied.length + seeded.length === 0
      ? "database up to date with hasura/migrations and hasura/seeds"
      : `applied ${applied.length} migration(s)${applied.length ? ` (${applied.join(", ")})` : ""} and ${seeded.length} seed file(s)${seeded.length ? ` (${seeded.join(", ")})` : ""}`,
  );
  if (changed.length > 0) {
    printLine("postgres", `WARNING: already applied, but changed since: ${changed.join(", ")}. They are not re-run; \`npm run dev -- --reset\` rebuilds the database.`);
  }
  if (unknown.length > 0) {
    printLine("postgres", `WARNING: applied here but no longer in hasura/migrations: ${unknown.join(", ")}. \`npm run dev -- --reset\` rebuilds the database.`);
  }
}

/** Deletes the data directory, refusing paths that could hold anything else (the repo, a root, a home). */
/**
 * Jobs and service-to-service calls without Google: a per-run RSA key (0600 under the data dir) stands for Google's
 * signing keys. Each service verifies job and internal tokens against it, signs its services.call tokens with it as its
 * own account, and runs its jobs from an in-process queue with Cloud Tasks' semantics (services/kit/src/local-jobs.ts).
 * Accounts and the queue are named as on Google Cloud (infra/workloads.ts, infra/config/jobs.ts), in the dev project.
 */
function jobsAndCallsSetup(options: DevOptions, ports: ResolvedPorts, services: readonly string[]): { env: (service: string) => Record<string, string> } {
  const keyFile = path.join(options.dataDir, "id-token-key.pem");
  const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  fs.writeFileSync(keyFile, privateKey.export({ type: "pkcs8", format: "pem" }), { mode: 0o600 });
  const account = (workload: string) => `${devTenant}-${workload}@${devProjectId}.iam.gserviceaccount.com`;
  const url = (service: string) => `http://127.0.0.1:${ports.byService[service]}`;
  const accounts = Object.fromEntries(services.map((service) => [service, account(serviceWorkload(service))]));
  return {
    env: (service) => ({
      PULSURA_DEV_ID_TOKEN_KEY_FILE: keyFile,
      PULSURA_DEV_SERVICE_ACCOUNT: accounts[service]!,
      PULSURA_SERVICE_URL: url(service),
      PULSURA_SERVICE_ACCOUNTS: JSON.stringify(accounts),
      ...Object.fromEntries(services.filter((other) => other !== service).map((other) => [serviceUrlEnvName(other), url(other)])),
      ...(serviceHasJobs(service)
        ? {
            PULSURA_JOBS_QUEUE: `projects/${devProjectId}/locations/local/queues/${jobQueueId(devTenant, service)}`,
            PULSURA_JOBS_INVOKER: account(jobsInvokerWorkload(service)),
          }
        : {}),
    }),
  };
}

/** The tenant part of dev account and queue names. */
const devTenant = "dev";

function resetDataDir(dataDir: string): void {
  const resolved = path.resolve(dataDir);
  const unsafe =
    resolved === path.parse(resolved).root ||
    resolved === repoRoot ||
    repoRoot.startsWith(`${resolved}${path.sep}`) ||
    resolved === path.resolve(process.env.HOME ?? "/");
  if (unsafe) throw new Error(`--reset refuses to delete ${resolved}: pick a dedicated --data-dir`);
  printLine("dev", `--reset: deleting ${resolved}`);
  fs.rmSync(resolved, { recursive: true, force: true });
}

function printBanner(running: Running, docker: DockerStatus, eventSecret: string, seconds: number, options: DevOptions): void {
  const rows: Array<[string, string]> = [["Postgres", running.postgres!.url]];
  if (running.hasura) {
    rows.push(["Hasura GraphQL", `${running.hasura.endpoint}/v1/graphql`]);
    rows.push(["Hasura console", `${running.hasura.endpoint}/console`]);
  } else {
    rows.push(["Hasura", `not started: ${docker.available ? "disabled" : docker.reason}. Everything else runs without it.`]);
  }
  rows.push(["Auth emulator", running.firebase!.authUrl]);
  if (running.storage) rows.push(["Storage emulator", `${running.storage.url} (bucket ${devFilesBucket}; signed URLs checked, uploads confirmed by push)`]);
  rows.push(["Functions emulator", running.firebase!.functionsUrl]);
  rows.push(["Hasura auth hook", running.authHook!.url]);
  for (const service of [...running.services].sort((a, b) => a.name.localeCompare(b.name))) {
    rows.push([`service ${service.name}`, service.url]);
  }
  const values: Array<[string, string]> = [
    ["PULSURA_EVENT_SECRET", eventSecret],
    ["HASURA_GRAPHQL_ADMIN_SECRET", devHasuraAdminSecret],
    ["Firebase project", devProjectId],
  ];
  const width = Math.max(...[...rows, ...values].map(([label]) => label.length)) + 2;
  const lines = [
    "",
    `pulsura dev is ready (${seconds.toFixed(1)} s). Data: ${path.relative(process.cwd(), options.dataDir) || options.dataDir}`,
    ...rows.map(([label, value]) => `  ${label.padEnd(width)}${value}`),
    "",
    "  Dev values (this run):",
    ...values.map(([label, value]) => `  ${label.padEnd(width)}${value}`),
    "",
    running.hasura
      ? "  Clients: sign in through the Auth emulator and send its ID token to Hasura as Authorization: Bearer <token>."
      : "  Without Hasura, user-sync functions and Hasura calls from services fail to connect (HASURA_GRAPHQL_URL).",
    "  Services reload when their code, the kit or hasura/metadata changes. Ctrl-C stops everything.",
    "",
  ];
  process.stdout.write(`${lines.join("\n")}\n`);
  const processes = startedProcesses
    .filter((child) => !child.exit)
    .map((child) => ({ name: child.name, pid: child.pid, pgid: child.pid }));
  printLine("dev", `processes ${JSON.stringify({ dev: process.pid, children: processes })}`);
}
