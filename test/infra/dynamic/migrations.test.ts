/**
 * The HasuraMigrations provider's check / diff / create / update / delete against a CONTRACT STUB of Hasura's
 * documented API (test/support/hasura-api-stub.ts) that runs the SQL on a real Postgres.
 */
import { describe, expect, it } from "vitest";
import { migrationsProvider, type HasuraMigrationsInputs, type HasuraMigrationsOutputs } from "../../../infra/dynamic/migrations";
import { setCatalogState } from "../../../infra/dynamic/hasura-api";
import { unknownInputValue } from "../../../infra/dynamic/provider-inputs";
import {
  fixtureMigrations,
  migrationInput,
  quickHealthCheck,
  rejectionOf,
  sqlRequests,
  type StubbedHasura,
  useStubbedHasura,
} from "./harness";

let hasura: StubbedHasura;
useStubbedHasura((stubbed) => (hasura = stubbed));


function inputs(migrations = fixtureMigrations()): HasuraMigrationsInputs {
  return { endpoint: hasura.stub.url, adminSecret: hasura.adminSecret, source: "default", migrations, healthCheck: quickHealthCheck };
}

async function create(migrations = fixtureMigrations()): Promise<HasuraMigrationsOutputs> {
  const result = await migrationsProvider.create(inputs(migrations));
  expect(result.id).toBe("migrations/default");
  return result.outs as HasuraMigrationsOutputs;
}

async function tableExists(name: string): Promise<boolean> {
  const rows = await hasura.query<{ present: boolean }>("select to_regclass($1) is not null as present", [`public.${name}`]);
  return rows[0].present;
}

const addIsbn = migrationInput("1700000000200", "add_isbn", "alter table public.books add column isbn text;");

describe("HasuraMigrations provider", () => {
  it("applies every migration on create, in version order, and records them where the Hasura CLI reads them", async () => {
    // Given out of order: the provider sorts by version like the CLI does.
    const outs = await create([...fixtureMigrations()].reverse());

    expect(await tableExists("authors")).toBe(true);
    expect(await tableExists("books")).toBe(true);
    const applied = sqlRequests(hasura.stub);
    expect(applied).toHaveLength(2);
    expect(applied[0]).toContain("create table public.authors");
    expect(applied[1]).toContain("create table public.books");
    // `hasura migrate status` reads cli_state.migrations[<database>]["<version>"] = dirty (false when applied).
    expect(hasura.stub.catalogState().cli_state).toEqual({
      migrations: { default: { "1700000000000": false, "1700000000100": false } },
    });
    expect(outs.appliedVersions).toEqual(["1700000000000", "1700000000100"]);
    expect(outs.lastAppliedVersions).toEqual(["1700000000000", "1700000000100"]);
    expect(outs.migrations.map((migration) => migration.version)).toEqual(["1700000000000", "1700000000100"]);
    expect(JSON.stringify(outs)).not.toContain(hasura.adminSecret);
    expect(JSON.stringify(outs)).not.toContain("create table");
  });

  it("reports no change and applies nothing when every migration is applied", async () => {
    const outs = await create();
    const requestsBefore = sqlRequests(hasura.stub).length;

    expect(await migrationsProvider.diff!("migrations/default", outs, inputs())).toEqual({ changes: false });
    const updated = await migrationsProvider.update!("migrations/default", outs, inputs());

    expect(sqlRequests(hasura.stub)).toHaveLength(requestsBefore);
    expect(updated.outs?.lastAppliedVersions).toEqual([]);
    expect(updated.outs?.appliedVersions).toEqual(["1700000000000", "1700000000100"]);
  });

  it("never re-applies a version the server already records, even one Pulumi did not apply", async () => {
    // Someone ran `hasura migrate apply` for the first migration by hand.
    await hasura.query(fixtureMigrations()[0].up);
    await setCatalogState({ endpoint: hasura.stub.url, adminSecret: hasura.adminSecret }, "cli", {
      migrations: { default: { "1700000000000": false } },
    });

    const outs = await create();

    expect(sqlRequests(hasura.stub)).toEqual([fixtureMigrations()[1].up]);
    expect(outs.lastAppliedVersions).toEqual(["1700000000100"]);
  });

  it("records a version the way the CLI prints it, and knows it as applied under either spelling", async () => {
    const padded = migrationInput("01700000000200", "padded", "create table public.padded (id int);");
    const outs = await create([...fixtureMigrations(), padded]);

    expect(hasura.stub.catalogState().cli_state).toEqual({
      migrations: { default: { "1700000000000": false, "1700000000100": false, "1700000000200": false } },
    });
    const unpadded = { ...padded, version: "1700000000200" };
    expect(await migrationsProvider.diff!("migrations/default", outs, inputs([...fixtureMigrations(), unpadded]))).toEqual({ changes: false });
    const updated = await migrationsProvider.update!("migrations/default", outs, inputs([...fixtureMigrations(), unpadded]));
    expect(updated.outs?.lastAppliedVersions).toEqual([]);
  });

  it("applies only a new migration on update", async () => {
    const outs = await create();
    const news = inputs([...fixtureMigrations(), addIsbn]);

    expect(await migrationsProvider.diff!("migrations/default", outs, news)).toEqual({ changes: true });
    const requestsBefore = sqlRequests(hasura.stub).length;
    const updated = await migrationsProvider.update!("migrations/default", outs, news);

    expect(sqlRequests(hasura.stub).slice(requestsBefore)).toEqual([addIsbn.up]);
    expect(updated.outs?.lastAppliedVersions).toEqual(["1700000000200"]);
    expect(hasura.stub.catalogState().cli_state).toEqual({
      migrations: { default: { "1700000000000": false, "1700000000100": false, "1700000000200": false } },
    });
    const columns = await hasura.query<{ column_name: string }>(
      "select column_name from information_schema.columns where table_name = 'books' and column_name = 'isbn'",
    );
    expect(columns).toHaveLength(1);
  });

  it("fails on a broken migration with Hasura's SQL error and the file name, keeping the earlier ones", async () => {
    // The first statement succeeds, the second fails: the whole migration must roll back.
    const broken = migrationInput(
      "1700000000200",
      "broken",
      "create table public.half_done (id int);\ninsert into public.missing_table values (1);",
    );
    const later = migrationInput("1700000000300", "later", "create table public.later (id int);");

    const error = await rejectionOf(migrationsProvider.create(inputs([...fixtureMigrations(), broken, later])));

    expect(error.message).toContain("migrations/default/1700000000200_broken/up.sql");
    expect(error.message).toContain('relation "public.missing_table" does not exist');
    expect(error.message).toContain("SQLSTATE 42P01");
    expect(error.message).toContain("Applied before it in this run: 1700000000000, 1700000000100.");
    expect(error.message).not.toContain(hasura.adminSecret);
    expect(await tableExists("half_done")).toBe(false);
    expect(await tableExists("later")).toBe(false);
    // The failed version is not recorded (its dirty mark was removed again), the earlier ones are.
    expect(hasura.stub.catalogState().cli_state).toEqual({
      migrations: { default: { "1700000000000": false, "1700000000100": false } },
    });
  });

  it("refuses to continue past a version an interrupted deploy left dirty", async () => {
    await setCatalogState({ endpoint: hasura.stub.url, adminSecret: hasura.adminSecret }, "cli", {
      migrations: { default: { "1700000000000": true } },
    });

    const error = await rejectionOf(migrationsProvider.create(inputs()));

    expect(error.message).toContain("1700000000000");
    expect(error.message).toContain("dirty");
    expect(error.message).toContain("hasura migrate apply --skip-execution");
    expect(sqlRequests(hasura.stub)).toEqual([]);
  });

  it("keeps the rest of the CLI's state (settings, other sources, state copy flag) as it is", async () => {
    await setCatalogState({ endpoint: hasura.stub.url, adminSecret: hasura.adminSecret }, "cli", {
      settings: { migration_mode: "true" },
      isStateCopyCompleted: true,
      migrations: { analytics: { "42": false } },
    });

    await create();

    expect(hasura.stub.catalogState().cli_state).toEqual({
      settings: { migration_mode: "true" },
      isStateCopyCompleted: true,
      migrations: { analytics: { "42": false }, default: { "1700000000000": false, "1700000000100": false } },
    });
  });

  it("reports an edited applied migration as an error in preview and in update", async () => {
    const outs = await create();
    const [authors, books] = fixtureMigrations();
    const edited = migrationInput(books.version, books.name, `${books.up}\ncreate index on public.books (title);`);

    const inPreview = await rejectionOf(migrationsProvider.diff!("migrations/default", outs, inputs([authors, edited])));
    const inUpdate = await rejectionOf(migrationsProvider.update!("migrations/default", outs, inputs([authors, edited])));

    for (const error of [inPreview, inUpdate]) {
      expect(error.message).toContain("Applied migrations were edited: migrations/default/1700000000100_create_books/up.sql");
      expect(error.message).toContain("add a new migration");
    }
    expect(sqlRequests(hasura.stub)).toHaveLength(2);
  });

  it("reports a change without contacting Hasura when preview does not know the endpoint yet", async () => {
    const outs = await create();
    const requestsBefore = hasura.stub.requests.length;

    const diff = await migrationsProvider.diff!("migrations/default", outs, { ...inputs(), endpoint: unknownInputValue });

    expect(diff).toEqual({ changes: true });
    expect(hasura.stub.requests).toHaveLength(requestsBefore);
  });

  it("treats removing an applied migration from the project as a change that applies nothing", async () => {
    const outs = await create();
    const news = inputs([fixtureMigrations()[1]]);

    expect(await migrationsProvider.diff!("migrations/default", outs, news)).toEqual({ changes: true });
    const updated = await migrationsProvider.update!("migrations/default", outs, news);

    expect(updated.outs?.lastAppliedVersions).toEqual([]);
    expect(updated.outs?.appliedVersions).toEqual(["1700000000000", "1700000000100"]);
  });

  it("fails with Hasura's access-denied answer, without the secret, when the admin secret is wrong", async () => {
    const error = await rejectionOf(migrationsProvider.create({ ...inputs(), adminSecret: `${hasura.adminSecret}-old` }));

    expect(error.message).toContain("invalid x-hasura-admin-secret/x-hasura-access-key");
    expect(error.message).toContain("HTTP 401");
    expect(error.message).not.toContain(hasura.adminSecret);
    expect(await tableExists("authors")).toBe(false);
  });

  it("checks inputs: transaction control is refused, function bodies and unknown preview values are not", async () => {
    const fixture = fixtureMigrations();
    const clean = await migrationsProvider.check!({} as HasuraMigrationsInputs, { ...inputs(fixture), endpoint: unknownInputValue });
    expect(clean.failures).toEqual([]);

    const withCommit = migrationInput("1700000000200", "commits", "create table public.x (id int);\ncommit;\ncreate table public.y (id int);");
    const checked = await migrationsProvider.check!({} as HasuraMigrationsInputs, {
      ...inputs([...fixture, withCommit, { ...withCommit, name: "again" }]),
      endpoint: "https://hasura.example.com/v1/graphql",
    });
    const reasons = (checked.failures ?? []).map((failure) => `${failure.property}: ${failure.reason}`);
    expect(reasons).toContainEqual(expect.stringContaining("migrations[2]: migrations/default/1700000000200_commits/up.sql line 2: COMMIT is not allowed"));
    expect(reasons).toContainEqual("migrations[3]: version 1700000000200 appears twice");
    expect(reasons).toContainEqual(expect.stringContaining("endpoint: Hasura endpoint \"https://hasura.example.com/v1/graphql\" is the GraphQL URL"));
  });

  it("deletes nothing when the resource is deleted", async () => {
    const outs = await create();
    const requestsBefore = hasura.stub.requests.length;

    await migrationsProvider.delete!("migrations/default", outs);

    expect(hasura.stub.requests).toHaveLength(requestsBefore);
    expect(await tableExists("authors")).toBe(true);
    expect(hasura.stub.catalogState().cli_state).toEqual({
      migrations: { default: { "1700000000000": false, "1700000000100": false } },
    });
  });
});
