/**
 * Applies the hasura/ migrations and seeds that a local database has not seen yet.
 *
 * Deployed stacks record migrations in Hasura's catalog state (the Hasura CLI's format), which needs a running
 * Hasura. Locally Hasura is optional, so the record lives in the database itself: `pulsura_dev.applied_migrations`
 * and `pulsura_dev.applied_seeds`, one row per file with the SHA-256 of what was applied.
 */
import { createHash } from "node:crypto";
import type { Client } from "pg";
import type { Migration, Seed } from "../../../infra/hasura/project";

export interface MigrationReport {
  /** `<version>_<name>` of each migration applied now, in order. */
  applied: string[];
  /** Seed files applied now (new, or changed since they were last applied). */
  seeded: string[];
  /** Migrations applied earlier whose up.sql has changed since: they are not re-run (see `--reset`). */
  changed: string[];
  /** Migrations recorded as applied that no longer exist in hasura/migrations. */
  unknown: string[];
}

const recordSchema = `
create schema if not exists pulsura_dev;
create table if not exists pulsura_dev.applied_migrations (
  version numeric primary key,
  name text not null,
  checksum text not null,
  applied_at timestamptz not null default now()
);
create table if not exists pulsura_dev.applied_seeds (
  file text primary key,
  checksum text not null,
  applied_at timestamptz not null default now()
);
comment on schema pulsura_dev is 'Bookkeeping of npm run dev: which hasura/ migrations and seeds this local database has.';
`;

/** SHA-256 hex of a file's text, as recorded. */
export function checksum(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

/**
 * Applies, in order, each migration not yet recorded (each in its own transaction together with its record),
 * then each seed file that is new or has changed (seeds are idempotent by convention, see hasura/README.md).
 *
 * @throws Error naming the migration or seed whose SQL failed; earlier ones stay applied
 */
export async function applyPending(client: Client, migrations: Migration[], seeds: Seed[]): Promise<MigrationReport> {
  await client.query(recordSchema);
  const report: MigrationReport = { applied: [], seeded: [], changed: [], unknown: [] };

  const recorded = await client.query<{ version: string; name: string; checksum: string }>(
    "select version::text as version, name, checksum from pulsura_dev.applied_migrations",
  );
  // Versions compare as numbers, as the Hasura CLI compares them (01 and 1 are the same version).
  const byVersion = new Map(recorded.rows.map((row) => [BigInt(row.version).toString(), row]));
  const known = new Set<string>();
  for (const migration of migrations) {
    const version = BigInt(migration.version).toString();
    known.add(version);
    const label = `${migration.version}_${migration.name}`;
    const previous = byVersion.get(version);
    if (previous) {
      if (previous.checksum !== checksum(migration.up)) report.changed.push(label);
      continue;
    }
    await inTransaction(client, `migration ${label}/up.sql`, async () => {
      // No parameters: the simple query protocol runs a multi-statement file in one round trip.
      await client.query(migration.up);
      await client.query("insert into pulsura_dev.applied_migrations (version, name, checksum) values ($1, $2, $3)", [
        version,
        migration.name,
        checksum(migration.up),
      ]);
    });
    report.applied.push(label);
  }
  for (const [version, row] of byVersion) {
    if (!known.has(version)) report.unknown.push(`${version}_${row.name}`);
  }

  const seeded = await client.query<{ file: string; checksum: string }>("select file, checksum from pulsura_dev.applied_seeds");
  const seedChecksums = new Map(seeded.rows.map((row) => [row.file, row.checksum]));
  for (const seed of seeds) {
    const sum = checksum(seed.sql);
    if (seedChecksums.get(seed.file) === sum) continue;
    await inTransaction(client, `seed ${seed.file}`, async () => {
      await client.query(seed.sql);
      await client.query(
        `insert into pulsura_dev.applied_seeds (file, checksum) values ($1, $2)
         on conflict (file) do update set checksum = excluded.checksum, applied_at = now()`,
        [seed.file, sum],
      );
    });
    report.seeded.push(seed.file);
  }
  return report;
}

async function inTransaction(client: Client, label: string, work: () => Promise<void>): Promise<void> {
  await client.query("begin");
  try {
    await work();
    await client.query("commit");
  } catch (error) {
    await client.query("rollback").catch(() => undefined);
    throw new Error(`${label} failed: ${(error as Error).message}`, { cause: error });
  }
}
