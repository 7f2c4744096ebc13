/**
 * The HasuraMetadata provider against a CONTRACT STUB of Hasura's documented metadata API
 * (test/support/hasura-api-stub.ts) whose consistency check looks at a real Postgres; and the normalization
 * that makes its diff report a change exactly when Hasura would see one.
 */
import { describe, expect, it } from "vitest";
import { metadataProvider, type HasuraMetadataInputs, type HasuraMetadataOutputs } from "../../../infra/dynamic/metadata";
import { metadataEquivalent } from "../../../infra/dynamic/metadata-normalize";
import { unknownInputValue } from "../../../infra/dynamic/provider-inputs";
import {
  fixtureMetadata,
  quickHealthCheck,
  rejectionOf,
  type StubbedHasura,
  useStubbedHasura,
} from "./harness";

let hasura: StubbedHasura;
useStubbedHasura((stubbed) => (hasura = stubbed), { migrated: true });


function inputs(metadata = fixtureMetadata()): HasuraMetadataInputs {
  return { endpoint: hasura.stub.url, adminSecret: hasura.adminSecret, metadata, healthCheck: quickHealthCheck };
}

async function create(metadata = fixtureMetadata()): Promise<HasuraMetadataOutputs> {
  const result = await metadataProvider.create(inputs(metadata));
  expect(result.id).toBe("metadata");
  return result.outs as HasuraMetadataOutputs;
}

type Json = Record<string, unknown>;

/** The fixture's `public.authors` table entry. */
function authorsTable(metadata: Json): Json {
  const [source] = metadata.sources as Json[];
  return (source.tables as Json[]).find((table) => (table.table as Json).name === "authors") as Json;
}

/** Rebuilds every object with its keys in reverse order (same content, different key order). */
function reverseKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(reverseKeys);
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).reverse().map(([key, item]) => [key, reverseKeys(item)]));
  }
  return value;
}

describe("HasuraMetadata provider", () => {
  it("replaces the engine's metadata on create with replace_metadata v2 and remembers the resource version", async () => {
    const outs = await create();

    expect(hasura.stub.metadata()).toEqual(fixtureMetadata());
    expect(outs.metadata).toEqual(fixtureMetadata());
    expect(outs.resourceVersion).toBe(2);
    expect(JSON.stringify(outs)).not.toContain(hasura.adminSecret);
    const replace = hasura.stub.logLines.map((line) => JSON.parse(line) as Json).find((line) => {
      const query = ((line.detail as Json).operation as Json).query;
      return typeof query === "string" && query.includes('"replace_metadata"');
    });
    const sent = JSON.parse(((replace?.detail as Json).operation as Json).query as string) as Json;
    expect(sent.version).toBe(2);
    expect((sent.args as Json).allow_inconsistent_metadata).toBe(false);
  });

  it("fails with Hasura's inconsistent objects and keeps the engine's metadata when a table does not exist", async () => {
    await create();
    const broken = fixtureMetadata();
    const [source] = broken.sources as Json[];
    (source.tables as Json[]).push({ table: { name: "ghosts", schema: "public" } });

    const error = await rejectionOf(metadataProvider.update!("metadata", { ...inputs(), resourceVersion: 2 }, inputs(broken)));

    expect(error.message).toContain("Hasura replace_metadata failed: cannot continue due to inconsistent metadata");
    expect(error.message).toContain('table ghosts in source default: Inconsistent object: no such table/view exists in source: "ghosts"');
    expect(error.message).toContain("HTTP 400, unexpected, at $.args");
    expect(error.message).not.toContain(hasura.adminSecret);
    expect(hasura.stub.metadata()).toEqual(fixtureMetadata());
  });

  it("reports no change for reordered keys, reordered sets and spelled-out defaults", async () => {
    const outs = await create();
    const same = reverseKeys(fixtureMetadata()) as Json;
    const [source] = same.sources as Json[];
    (source.tables as Json[]).reverse();
    const authors = authorsTable(same);
    const permissions = authors.select_permissions as Json[];
    permissions.reverse();
    ((permissions.find((permission) => permission.role === "user")?.permission as Json).columns as string[]).reverse();
    authors.is_enum = false;
    authors.event_triggers = [];
    authors.object_relationships = null;
    authors.table = { name: "authors" };

    expect(await metadataProvider.diff!("metadata", outs, inputs(same))).toEqual({ changes: false });
  });

  it("reports a change, and applies it, when a permission changes", async () => {
    const outs = await create();
    const changed = fixtureMetadata();
    const user = (authorsTable(changed).select_permissions as Json[]).find((permission) => permission.role === "user") as Json;
    (user.permission as Json).limit = 50;

    expect(await metadataProvider.diff!("metadata", outs, inputs(changed))).toEqual({ changes: true });
    const updated = await metadataProvider.update!("metadata", outs, inputs(changed));

    expect(hasura.stub.metadata()).toEqual(changed);
    expect(updated.outs?.resourceVersion).toBe(3);
  });

  it("reports a change when the engine is a different one, or not known yet in preview", async () => {
    const outs = await create();
    const requestsBefore = hasura.stub.requests.length;

    expect(await metadataProvider.diff!("metadata", outs, { ...inputs(), endpoint: unknownInputValue })).toEqual({ changes: true });
    expect(await metadataProvider.diff!("metadata", outs, { ...inputs(), endpoint: "https://other.example.com" })).toEqual({ changes: true });
    expect(hasura.stub.requests).toHaveLength(requestsBefore);
  });

  it("fails with Hasura's access-denied answer, without the secret, when the admin secret is wrong", async () => {
    const error = await rejectionOf(metadataProvider.create({ ...inputs(), adminSecret: "not-the-secret" }));

    expect(error.message).toContain("Hasura replace_metadata failed: invalid x-hasura-admin-secret/x-hasura-access-key");
    expect(error.message).toContain("HTTP 401, access-denied");
    expect(error.message).not.toContain(hasura.adminSecret);
    expect(hasura.stub.metadata()).toEqual({ version: 3, sources: [] });
  });

  it("checks that the metadata is a v3 metadata object", async () => {
    const checked = await metadataProvider.check!({} as HasuraMetadataInputs, { ...inputs(), metadata: { version: 2, sources: {} } });
    expect(checked.failures?.map((failure) => failure.reason)).toEqual([
      "metadata version 2: expected 3 (Hasura CLI config v3)",
      "metadata.sources must be a list",
    ]);
  });
});

describe("metadata normalization", () => {
  const base = (): Json => ({
    version: 3,
    actions: [
      {
        name: "createOrganization",
        definition: {
          kind: "synchronous",
          handler: "{{PULSURA_SERVICE_CORE_URL}}/actions/createOrganization",
          arguments: [
            { name: "name", type: "String!" },
            { name: "slug", type: "String" },
          ],
          headers: [
            { name: "X-A", value: "1" },
            { name: "X-B", value_from_env: "B" },
          ],
        },
        permissions: [{ role: "user" }, { role: "admin" }],
      },
    ],
    sources: [
      {
        name: "default",
        tables: [
          {
            table: "users",
            select_permissions: [
              { role: "user", permission: { columns: ["id", "email"], filter: { _and: [{ a: { _eq: 1 } }, { b: { _eq: 2 } }] } } },
            ],
          },
        ],
      },
    ],
  });

  it("treats role, header and column lists as sets and a bare table name as public.<name>", () => {
    const other = base();
    const [action] = other.actions as Json[];
    (action.permissions as Json[]).reverse();
    ((action.definition as Json).headers as Json[]).reverse();
    delete (action.definition as Json).kind;
    const [table] = ((other.sources as Json[])[0].tables as Json[]);
    table.table = { schema: "public", name: "users" };
    (((table.select_permissions as Json[])[0].permission as Json).columns as string[]).reverse();

    expect(metadataEquivalent(base(), other)).toBe(true);
  });

  it("keeps the order of action arguments and of _and, which Hasura does not treat as sets", () => {
    const reorderedArguments = base();
    (((reorderedArguments.actions as Json[])[0].definition as Json).arguments as Json[]).reverse();
    const reorderedAnd = base();
    const [table] = ((reorderedAnd.sources as Json[])[0].tables as Json[]);
    (((table.select_permissions as Json[])[0].permission as Json).filter as { _and: Json[] })._and.reverse();

    expect(metadataEquivalent(base(), reorderedArguments)).toBe(false);
    expect(metadataEquivalent(base(), reorderedAnd)).toBe(false);
  });

  it("sees a changed value, an added role and a different schema as changes", () => {
    const changedHandler = base();
    ((changedHandler.actions as Json[])[0].definition as Json).handler = "{{PULSURA_SERVICE_CORE_URL}}/actions/other";
    const addedRole = base();
    ((addedRole.actions as Json[])[0].permissions as Json[]).push({ role: "anonymous" });
    const otherSchema = base();
    ((otherSchema.sources as Json[])[0].tables as Json[])[0].table = { schema: "audit", name: "users" };

    for (const changed of [changedHandler, addedRole, otherSchema]) {
      expect(metadataEquivalent(base(), changed)).toBe(false);
    }
  });
});
