/**
 * The HasuraSeeds provider against a CONTRACT STUB of Hasura's documented run_sql API
 * (test/support/hasura-api-stub.ts) on a real Postgres.
 */
import { describe, expect, it } from "vitest";
import { seedsProvider, type HasuraSeedsInputs, type HasuraSeedsOutputs, type SeedInput } from "../../../infra/dynamic/seeds";
import {
  fixtureSeeds,
  quickHealthCheck,
  rejectionOf,
  seedInput,
  sqlRequests,
  type StubbedHasura,
  useStubbedHasura,
} from "./harness";

let hasura: StubbedHasura;
useStubbedHasura((stubbed) => (hasura = stubbed), { migrated: true });


function inputs(seeds: SeedInput[] = fixtureSeeds()): HasuraSeedsInputs {
  return { endpoint: hasura.stub.url, adminSecret: hasura.adminSecret, source: "default", seeds, healthCheck: quickHealthCheck };
}

async function create(seeds: SeedInput[] = fixtureSeeds()): Promise<HasuraSeedsOutputs> {
  const result = await seedsProvider.create(inputs(seeds));
  expect(result.id).toBe("seeds/default");
  return result.outs as HasuraSeedsOutputs;
}

const authorNames = async () => (await hasura.query<{ name: string }>("select name from public.authors order by id")).map((row) => row.name);

describe("HasuraSeeds provider", () => {
  it("runs every seed in file order on create", async () => {
    const migrationRequests = sqlRequests(hasura.stub).length;

    const outs = await create();

    expect(sqlRequests(hasura.stub).slice(migrationRequests)).toEqual(fixtureSeeds().map((seed) => seed.sql));
    expect(await authorNames()).toEqual(["Ada", "Grace"]);
    expect(outs.lastAppliedFiles).toEqual(["1_authors.sql", "2_books.sql"]);
    expect(JSON.stringify(outs)).not.toContain(hasura.adminSecret);
  });

  it("reports no change and runs nothing again when no seed changed", async () => {
    const outs = await create();
    const requestsBefore = sqlRequests(hasura.stub).length;

    expect(await seedsProvider.diff!("seeds/default", outs, inputs())).toEqual({ changes: false });
    const updated = await seedsProvider.update!("seeds/default", outs, inputs());

    expect(sqlRequests(hasura.stub)).toHaveLength(requestsBefore);
    expect(updated.outs?.lastAppliedFiles).toEqual([]);
  });

  it("runs a seed again when its content changes, and a new seed when it appears", async () => {
    const outs = await create();
    const [authors, books] = fixtureSeeds();
    const renamed = seedInput(
      authors.file,
      "insert into public.authors (id, name) values (1, 'Ada Lovelace'), (2, 'Grace Hopper')\non conflict (id) do update set name = excluded.name;",
    );
    const extra = seedInput("3_more_authors.sql", "insert into public.authors (id, name) values (3, 'Edsger') on conflict (id) do nothing;");
    const news = inputs([renamed, books, extra]);
    const requestsBefore = sqlRequests(hasura.stub).length;

    expect(await seedsProvider.diff!("seeds/default", outs, news)).toEqual({ changes: true });
    const updated = await seedsProvider.update!("seeds/default", outs, news);

    expect(sqlRequests(hasura.stub).slice(requestsBefore)).toEqual([renamed.sql, extra.sql]);
    expect(updated.outs?.lastAppliedFiles).toEqual(["1_authors.sql", "3_more_authors.sql"]);
    expect(await authorNames()).toEqual(["Ada Lovelace", "Grace Hopper", "Edsger"]);
  });

  it("runs every seed again on a different engine", async () => {
    const outs = await create();
    const movedFrom = { ...outs, endpoint: "https://old-engine.example.com" };

    expect(await seedsProvider.diff!("seeds/default", movedFrom, inputs())).toEqual({ changes: true });
    const updated = await seedsProvider.update!("seeds/default", movedFrom, inputs());

    expect(updated.outs?.lastAppliedFiles).toEqual(["1_authors.sql", "2_books.sql"]);
  });

  it("fails a broken seed with Hasura's SQL error and the file name, rolling the file back", async () => {
    const [authors] = fixtureSeeds();
    const broken = seedInput("2_broken.sql", "insert into public.authors (id, name) values (9, 'Nine');\ninsert into public.books (id, author_id, title) values (9, 404, 'Orphan');");

    const error = await rejectionOf(seedsProvider.create(inputs([authors, broken])));

    expect(error.message).toContain("Seed seeds/default/2_broken.sql failed and was rolled back. Ran before it in this run: 1_authors.sql.");
    expect(error.message).toContain('violates foreign key constraint "books_author_id_fkey"');
    expect(error.message).toContain("SQLSTATE 23503");
    expect(error.message).toContain("DETAIL: Key (author_id)=(404) is not present in table \"authors\".");
    expect(error.message).not.toContain(hasura.adminSecret);
    expect(await authorNames()).toEqual(["Ada", "Grace"]);
  });
});
