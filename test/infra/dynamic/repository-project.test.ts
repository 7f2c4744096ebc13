/**
 * The repository's own Hasura project (hasura/) goes through the three providers as `pulumi up` sends it: against
 * a CONTRACT STUB of Hasura's documented API (test/support/hasura-api-stub.ts) on a real Postgres. The stub's
 * metadata check covers tracked tables only; test/hasura checks columns, relationships and permissions.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sha256 } from "../../../infra/dynamic/checksum";
import { metadataProvider } from "../../../infra/dynamic/metadata";
import { migrationsProvider, type HasuraMigrationsOutputs } from "../../../infra/dynamic/migrations";
import { seedsProvider, type HasuraSeedsOutputs } from "../../../infra/dynamic/seeds";
import { hasuraProjectDir, readMetadata, readMigrations, readSeeds } from "../../../infra/hasura/project";
import { startPostgres, type TestDatabase } from "../../support/postgres";
import { quickHealthCheck, sqlRequests, startStubbedHasura, type StubbedHasura } from "./harness";

let database: TestDatabase;
let hasura: StubbedHasura;

beforeAll(async () => {
  database = await startPostgres({ migrate: false });
  hasura = await startStubbedHasura(database.url);
});
afterAll(async () => {
  await hasura?.close();
  await database?.stop();
});

describe("the repository's hasura/ project", () => {
  it("applies migrations, seeds and metadata, then finds nothing left to do", async () => {
    const connection = { endpoint: hasura.stub.url, adminSecret: hasura.adminSecret, healthCheck: quickHealthCheck };
    const migrations = readMigrations(hasuraProjectDir).map(({ version, name, up }) => ({ version, name, up, checksum: sha256(up) }));
    const seeds = readSeeds(hasuraProjectDir).map(({ file, sql }) => ({ file, sql, checksum: sha256(sql) }));
    const metadata = readMetadata(hasuraProjectDir);
    const migrationsInputs = { ...connection, source: "default", migrations };
    const seedsInputs = { ...connection, source: "default", seeds };
    const metadataInputs = { ...connection, metadata };

    expect((await migrationsProvider.check!(migrationsInputs, migrationsInputs)).failures).toEqual([]);
    expect((await seedsProvider.check!(seedsInputs, seedsInputs)).failures).toEqual([]);
    expect((await metadataProvider.check!(metadataInputs, metadataInputs)).failures).toEqual([]);

    const migrated = (await migrationsProvider.create(migrationsInputs)).outs as HasuraMigrationsOutputs;
    const seeded = (await seedsProvider.create(seedsInputs)).outs as HasuraSeedsOutputs;
    const described = (await metadataProvider.create(metadataInputs)).outs;

    const versions = migrations.map((migration) => migration.version);
    expect(migrated.lastAppliedVersions).toEqual(versions);
    expect(hasura.stub.catalogState().cli_state).toEqual({
      migrations: { default: Object.fromEntries(versions.map((version) => [version, false])) },
    });
    expect(seeded.lastAppliedFiles).toEqual(seeds.map((seed) => seed.file));
    expect(hasura.stub.metadata()).toEqual(metadata);

    const requestsBefore = sqlRequests(hasura.stub).length;
    expect(await migrationsProvider.diff!("migrations/default", migrated, migrationsInputs)).toEqual({ changes: false });
    expect(await seedsProvider.diff!("seeds/default", seeded, seedsInputs)).toEqual({ changes: false });
    expect(await metadataProvider.diff!("metadata", described!, metadataInputs)).toEqual({ changes: false });
    expect((await migrationsProvider.update!("migrations/default", migrated, migrationsInputs)).outs?.lastAppliedVersions).toEqual([]);
    expect(sqlRequests(hasura.stub)).toHaveLength(requestsBefore);
    expect(hasura.stub.logLines.join("\n")).not.toContain(hasura.adminSecret);
  });
});
