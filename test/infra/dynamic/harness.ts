/**
 * Shared setup of the dynamic provider tests: one real Postgres per test file, a fresh database and a fresh
 * Hasura contract stub (test/support/hasura-api-stub.ts) per test, and the fixture Hasura CLI project.
 */
import { randomBytes } from "node:crypto";
import * as path from "node:path";
import { Client } from "pg";
import { readMetadata, readMigrations, readSeeds } from "../../../infra/hasura/project";
import type { HealthCheckOptions } from "../../../infra/dynamic/hasura-api";
import type { MigrationInput } from "../../../infra/dynamic/migrations";
import { sha256 } from "../../../infra/dynamic/checksum";
import type { SeedInput } from "../../../infra/dynamic/seeds";
import { afterAll, afterEach, beforeAll, beforeEach, expect } from "vitest";
import { migrationsProvider } from "../../../infra/dynamic/migrations";
import { startHasuraApiStub, type HasuraApiStub } from "../../support/hasura-api-stub";
import { startPostgres, type TestDatabase } from "../../support/postgres";

/** A Hasura CLI project (config v3) with two migrations, two seeds and metadata tracking both tables. */
export const fixtureProjectDir = path.join(__dirname, "fixtures", "project");

/** Polls quickly: the stub answers at once, and tests that wait for health await the stub's events. */
export const quickHealthCheck: HealthCheckOptions = { timeoutMs: 20_000, initialDelayMs: 5, maxDelayMs: 50 };

/** A distinctive admin secret per test, so a leak is easy to find in any text. */
export function newAdminSecret(): string {
  return `admin-secret-${randomBytes(12).toString("hex")}`;
}

/** Creates an empty database on the test server and returns its URL. */
export async function createDatabase(serverUrl: string): Promise<string> {
  const name = `t_${randomBytes(6).toString("hex")}`;
  const admin = new Client({ connectionString: serverUrl });
  await admin.connect();
  try {
    await admin.query(`create database ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

export interface StubbedHasura {
  stub: HasuraApiStub;
  databaseUrl: string;
  adminSecret: string;
  /** Runs one query on the stub's database (not through the stub). */
  query<T = Record<string, unknown>>(sql: string, values?: unknown[]): Promise<T[]>;
  close(): Promise<void>;
}

/** A fresh database and a Hasura contract stub on it. */
export async function startStubbedHasura(serverUrl: string, options: { healthy?: boolean } = {}): Promise<StubbedHasura> {
  const databaseUrl = await createDatabase(serverUrl);
  const adminSecret = newAdminSecret();
  const stub = await startHasuraApiStub({ databaseUrl, adminSecret, healthy: options.healthy });
  return {
    stub,
    databaseUrl,
    adminSecret,
    async query<T>(sql: string, values: unknown[] = []) {
      const client = new Client({ connectionString: databaseUrl });
      await client.connect();
      try {
        return (await client.query(sql, values)).rows as T[];
      } finally {
        await client.end();
      }
    },
    close: () => stub.close(),
  };
}

/**
 * Registers a provider test file's hooks: one Postgres for the file, a fresh database and stub per test (handed to
 * `use`), the fixture migrations applied first when `migrated` (as the deploy does: seeds and metadata depend on
 * migrations), and after each test the check that the admin secret never reached a request line or body.
 */
export function useStubbedHasura(use: (hasura: StubbedHasura) => void, options: { migrated?: boolean } = {}): void {
  let database: TestDatabase;
  let hasura: StubbedHasura;
  beforeAll(async () => {
    database = await startPostgres({ migrate: false });
  });
  afterAll(async () => {
    await database?.stop();
  });
  beforeEach(async () => {
    hasura = await startStubbedHasura(database.url);
    if (options.migrated) {
      await migrationsProvider.create({
        endpoint: hasura.stub.url,
        adminSecret: hasura.adminSecret,
        source: "default",
        migrations: fixtureMigrations(),
        healthCheck: quickHealthCheck,
      });
    }
    use(hasura);
  });
  afterEach(async () => {
    expect(hasura.stub.logLines.join("\n")).not.toContain(hasura.adminSecret);
    await hasura.close();
  });
}

/** The fixture migrations as the provider receives them (the resource class adds the checksums). */
export function fixtureMigrations(): MigrationInput[] {
  return readMigrations(fixtureProjectDir).map(({ version, name, up }) => migrationInput(version, name, up));
}

export function migrationInput(version: string, name: string, up: string): MigrationInput {
  return { version, name, up, checksum: sha256(up) };
}

export function fixtureSeeds(): SeedInput[] {
  return readSeeds(fixtureProjectDir).map(({ file, sql }) => seedInput(file, sql));
}

export function seedInput(file: string, sql: string): SeedInput {
  return { file, sql, checksum: sha256(sql) };
}

export function fixtureMetadata(): Record<string, unknown> {
  return readMetadata(fixtureProjectDir);
}

/** The rejection of a promise that must fail (fails the test when it resolves). */
export async function rejectionOf(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof Error) return error;
    throw new Error(`rejected with a non-Error: ${String(error)}`);
  }
  throw new Error("expected the promise to reject, but it resolved");
}

/** The run_sql texts the stub received, in order. */
export function sqlRequests(stub: HasuraApiStub): string[] {
  return stub.requests.filter((request) => request.operation === "run_sql").map((request) => request.sql ?? "");
}
