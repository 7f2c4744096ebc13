// The permission translator (test/support/hasura-permissions.ts) against a real Postgres, with a small schema and
// metadata written here: Hasura cannot run on this machine, so the translator stands in for it and these tests pin it
// to Hasura's contract. They do not read hasura/metadata, which changes on its own.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { Client } from "pg";
import { startPostgres, type TestDatabase } from "../support/postgres";
import { loadPermissions, PermissionDenied, type BoolExp, type Permissions, type Session } from "../support/hasura-permissions";

const alice = "00000000-0000-0000-0000-00000000000a";
const bob = "00000000-0000-0000-0000-00000000000b";
const asAlice: Session = { "x-hasura-role": "user", "x-hasura-user-id": alice, "x-hasura-org-id": "1" };
const asBob: Session = { "x-hasura-role": "user", "x-hasura-user-id": bob, "x-hasura-org-id": "2" };
const asAdmin: Session = { "x-hasura-role": "admin" };

const schemaSql = `
  create table orgs (id int primary key, name text not null, plan text not null);
  create table users (id uuid primary key, name text not null, org_id int not null references orgs(id));
  create table files (
    id serial primary key,
    owner_id uuid not null references users(id),
    name text not null unique,
    size int not null default 0,
    note text,
    visibility text not null default 'private',
    org_id int not null references orgs(id),
    created_by text
  );
  -- As this project's triggers do: who acted, from the session Hasura sets for a mutation. Outside one the setting is
  -- unset or, once a transaction has set it locally, ''.
  create function files_created_by() returns trigger language plpgsql as $$
  begin
    new.created_by := nullif(current_setting('hasura.user', true), '')::json ->> 'x-hasura-user-id';
    return new;
  end $$;
  create trigger files_created_by before insert on files for each row execute function files_created_by();
  create table shares (file_id int not null references files(id) on delete cascade, user_id uuid not null references users(id), primary key (file_id, user_id));
  create table tags (id serial primary key, file_name text not null, label text not null);
  create table settings (key text primary key, value text not null);
  create table quotas (user_id uuid primary key references users(id), max_size int not null);
  create table samples (id int primary key, label text not null, n int not null, maybe text, other int not null, doc json);
  create schema archive;
  create table archive.notes (id int primary key, body text not null, owner_id uuid not null);
`;

const dataSql = `
  truncate orgs, users, files, shares, tags, settings, quotas, samples, archive.notes restart identity cascade;
  insert into orgs values (1, 'acme', 'pro'), (2, 'globex', 'free');
  insert into users values ('${alice}', 'alice', 1), ('${bob}', 'bob', 2);
  insert into files (owner_id, name, size, visibility, org_id) values
    ('${alice}', 'a-report', 10, 'private', 1),
    ('${alice}', 'a-public', 200, 'public', 1),
    ('${bob}', 'b-secret', 50, 'private', 2),
    ('${bob}', 'b-shared', 300, 'private', 2),
    ('${bob}', 'b-other', 5, 'private', 2);
  insert into shares values (4, '${alice}');
  insert into tags (file_name, label) values ('a-public', 'public'), ('b-shared', 'public'), ('b-secret', 'internal');
  insert into quotas values ('${alice}', 100);
  insert into samples values
    (1, 'alpha', 1, null, 1, null),
    (2, 'Beta', 2, 'x', 3, null),
    (3, 'gamma', 3, 'y', 2, null),
    (4, 'beta_2', 4, null, 4, null);
  insert into archive.notes values (1, 'mine', '${alice}'), (2, 'theirs', '${bob}');
`;

type PermissionKind = "select_permissions" | "insert_permissions" | "update_permissions" | "delete_permissions";
type TableMetadata = Record<string, unknown> & { table: { schema: string; name: string } };

/** The metadata these tests start from: role `user` owns its files and sees files shared with it. */
function baseMetadata() {
  const table = (name: string, rest: Record<string, unknown> = {}, schema = "public"): TableMetadata => ({ table: { schema, name }, ...rest });
  return {
    version: 3,
    sources: [
      {
        name: "default",
        kind: "postgres",
        tables: [
          table("orgs", { select_permissions: [{ role: "user", permission: { columns: "*", filter: {} } }] }),
          table("users", {
            object_relationships: [{ name: "org", using: { foreign_key_constraint_on: "org_id" } }],
            array_relationships: [{ name: "files", using: { foreign_key_constraint_on: { column: "owner_id", table: { schema: "public", name: "files" } } } }],
            select_permissions: [{ role: "user", permission: { columns: ["id", "name", "org_id"], filter: { org_id: { _eq: "X-Hasura-Org-Id" } } } }],
          }),
          table("files", {
            object_relationships: [{ name: "owner", using: { foreign_key_constraint_on: "owner_id" } }],
            array_relationships: [
              { name: "shares", using: { foreign_key_constraint_on: { column: "file_id", table: { schema: "public", name: "shares" } } } },
              { name: "tags", using: { manual_configuration: { remote_table: { schema: "public", name: "tags" }, column_mapping: { name: "file_name" } } } },
            ],
            select_permissions: [
              {
                role: "user",
                permission: {
                  columns: ["id", "owner_id", "name", "size", "visibility", "org_id"],
                  filter: { _or: [{ owner_id: { _eq: "X-Hasura-User-Id" } }, { shares: { user_id: { _eq: "X-Hasura-User-Id" } } }] },
                  limit: 3,
                },
              },
            ],
            insert_permissions: [
              {
                role: "user",
                // The file's org must be its owner's org: `$` is the inserted row, inside the relationship.
                permission: { columns: ["name", "size", "visibility", "org_id"], set: { owner_id: "X-Hasura-User-Id" }, check: { owner: { org_id: { _ceq: ["$", "org_id"] } } } },
              },
            ],
            update_permissions: [
              { role: "user", permission: { columns: ["name", "size", "visibility"], filter: { owner_id: { _eq: "X-Hasura-User-Id" } }, check: { size: { _lte: 1000 } } } },
            ],
            delete_permissions: [{ role: "user", permission: { filter: { owner_id: { _eq: "X-Hasura-User-Id" }, visibility: { _neq: "public" } } } }],
          }),
          table("shares", { select_permissions: [{ role: "user", permission: { columns: "*", filter: { user_id: { _eq: "X-Hasura-User-Id" } } } }] }),
          table("tags", { select_permissions: [{ role: "user", permission: { columns: "*", filter: { label: { _eq: "public" } } } }] }),
          table("settings"),
          table("quotas", {
            insert_permissions: [{ role: "user", permission: { columns: ["user_id", "max_size"], check: {} } }],
            update_permissions: [{ role: "user", permission: { columns: ["max_size"], filter: { user_id: { _eq: "X-Hasura-User-Id" } }, check: null } }],
          }),
          table("samples"),
          table("notes", { select_permissions: [{ role: "user", permission: { columns: "*", filter: { owner_id: { _eq: "X-Hasura-User-Id" } } } }] }, "archive"),
        ],
      },
    ],
  };
}

/** Base metadata plus one permission of `role` on `table` (replacing any it had of that kind). */
function withPermission(table: string, kind: PermissionKind, role: string, permission: Record<string, unknown>) {
  const metadata = baseMetadata();
  const entry = metadata.sources[0]!.tables.find((candidate) => candidate.table.name === table)!;
  const existing = ((entry[kind] as Array<{ role: string }> | undefined) ?? []).filter((item) => item.role !== role);
  entry[kind] = [...existing, { role, permission }];
  return metadata;
}

describe("Hasura permission translator", () => {
  let database: TestDatabase;
  let client: Client;
  let permissions: Permissions;

  beforeAll(async () => {
    database = await startPostgres({ migrate: false });
    client = new Client({ connectionString: database.url });
    await client.connect();
    await client.query(schemaSql);
    permissions = await loadPermissions(client, baseMetadata());
  });
  afterAll(async () => {
    await client?.end();
    await database?.stop();
  });
  beforeEach(async () => {
    await client.query(dataSql);
  });

  const ids = (rows: Record<string, unknown>[]) => rows.map((row) => Number(row.id)).sort((a, b) => a - b);
  const fileNames = async () => (await client.query<{ name: string }>("select name from files order by id")).rows.map((row) => row.name);
  const rejection = async (action: Promise<unknown>) => {
    const error = await action.then(
      () => undefined,
      (reason: unknown) => reason,
    );
    expect(error, "expected the request to be refused").toBeInstanceOf(PermissionDenied);
    const denied = error as PermissionDenied;
    return { code: denied.code, message: denied.message };
  };
  /** The ids of `samples` a role sees when its select permission's filter is `filter`. */
  const samplesMatching = async (filter: BoolExp) => {
    const loaded = await loadPermissions(client, withPermission("samples", "select_permissions", "probe", { columns: ["id", "label", "n", "maybe", "other"], filter }));
    return ids(await loaded.as(client, { "x-hasura-role": "probe" }).select("samples"));
  };

  describe("operators", () => {
    it.each<[string, BoolExp, number[]]>([
      ["_eq", { n: { _eq: 2 } }, [2]],
      ["a bare value as _eq", { n: 2 }, [2]],
      ["_eq null on a nullable column, null-aware as Hasura builds it", { maybe: { _eq: null } }, [1, 4]],
      ["_neq", { n: { _neq: 2 } }, [1, 3, 4]],
      ["_neq on a nullable column, which leaves nulls out", { maybe: { _neq: "x" } }, [3]],
      ["_gt", { n: { _gt: 2 } }, [3, 4]],
      ["_lt", { n: { _lt: 2 } }, [1]],
      ["_gte", { n: { _gte: 3 } }, [3, 4]],
      ["_lte", { n: { _lte: 2 } }, [1, 2]],
      ["_in", { n: { _in: [1, 3] } }, [1, 3]],
      ["_nin", { n: { _nin: [1, 3] } }, [2, 4]],
      ["_is_null true", { maybe: { _is_null: true } }, [1, 4]],
      ["_is_null false", { maybe: { _is_null: false } }, [2, 3]],
      ["_like", { label: { _like: "beta%" } }, [4]],
      ["_nlike", { label: { _nlike: "beta%" } }, [1, 2, 3]],
      ["_ilike", { label: { _ilike: "beta%" } }, [2, 4]],
      ["_nilike", { label: { _nilike: "beta%" } }, [1, 3]],
      ["_similar", { label: { _similar: "(alpha|gamma)" } }, [1, 3]],
      ["_nsimilar", { label: { _nsimilar: "(alpha|gamma)" } }, [2, 4]],
      ["_regex", { label: { _regex: "^b" } }, [4]],
      ["_nregex", { label: { _nregex: "^b" } }, [1, 2, 3]],
      ["_iregex", { label: { _iregex: "^b" } }, [2, 4]],
      ["_niregex", { label: { _niregex: "^b" } }, [1, 3]],
      ["_ceq with a column name", { n: { _ceq: "other" } }, [1, 4]],
      ["_ceq with a path of the current table", { n: { _ceq: ["other"] } }, [1, 4]],
      ["_cneq", { n: { _cneq: "other" } }, [2, 3]],
      ["_cgt", { n: { _cgt: "other" } }, [3]],
      ["_clt", { n: { _clt: "other" } }, [2]],
      ["_cgte", { n: { _cgte: "other" } }, [1, 3, 4]],
      ["_clte", { n: { _clte: "other" } }, [1, 2, 4]],
      ["several operators on one column, ANDed", { n: { _gt: 1, _lt: 4 } }, [2, 3]],
    ])("filters rows with %s", async (_name, filter, expected) => {
      expect(await samplesMatching(filter)).toEqual(expected);
    });

    it("refuses text operators on a non-text column and column comparisons of different types", async () => {
      await expect(samplesMatching({ n: { _like: "1%" } })).rejects.toThrow(/operator _like works only on text columns/);
      await expect(samplesMatching({ n: { _ceq: "label" } })).rejects.toThrow(/incompatible column types/);
      await expect(samplesMatching({ doc: { _is_null: true } })).rejects.toThrow(/JSON column can not be part of boolean expression/);
    });
  });

  describe("boolean operators", () => {
    it.each<[string, BoolExp, number[]]>([
      ["{} as true", {}, [1, 2, 3, 4]],
      ["an empty _and as true", { _and: [] }, [1, 2, 3, 4]],
      ["an empty _or as false", { _or: [] }, []],
      ["_not of an empty _or as true", { _not: { _or: [] } }, [1, 2, 3, 4]],
      ["_not", { _not: { n: { _gt: 2 } } }, [1, 2]],
      ["_and", { _and: [{ n: { _gt: 1 } }, { label: { _ilike: "b%" } }] }, [2, 4]],
      ["_or", { _or: [{ n: 1 }, { n: 4 }] }, [1, 4]],
      ["several keys of one object, ANDed", { n: { _gt: 1 }, label: { _ilike: "b%" } }, [2, 4]],
    ])("reads %s", async (_name, filter, expected) => {
      expect(await samplesMatching(filter)).toEqual(expected);
    });
  });

  describe("relationships and _exists", () => {
    it("turns an object relationship through this table's foreign key into EXISTS over the remote table", async () => {
      const loaded = await loadPermissions(client, withPermission("users", "select_permissions", "probe", { columns: ["id", "name"], filter: { org: { plan: { _eq: "pro" } } } }));
      const session = { "x-hasura-role": "probe" };
      expect((await loaded.as(client, session).select("users")).map((row) => row.name)).toEqual(["alice"]);
      expect(loaded.selectSql(session, "users").text).toContain(`EXISTS (SELECT 1 FROM "public"."orgs" AS "_be_0_public_orgs" WHERE (("_be_0_public_orgs"."id" = "_root"."org_id")`);
    });

    it("turns an array relationship through the remote table's foreign key into EXISTS over the remote rows", async () => {
      const loaded = await loadPermissions(client, withPermission("users", "select_permissions", "probe", { columns: ["id", "name"], filter: { files: { size: { _gt: 250 } } } }));
      expect((await loaded.as(client, { "x-hasura-role": "probe" }).select("users")).map((row) => row.name)).toEqual(["bob"]);
    });

    it("joins a manual_configuration relationship on its column mapping", async () => {
      const loaded = await loadPermissions(client, withPermission("files", "select_permissions", "probe", { columns: ["id", "name"], filter: { tags: { label: { _eq: "public" } } } }));
      expect((await loaded.as(client, { "x-hasura-role": "probe" }).select("files")).map((row) => row.name).sort()).toEqual(["a-public", "b-shared"]);
    });

    it("shows a user its own files and the files shared with it, through the shares relationship", async () => {
      expect(ids(await permissions.as(client, asAlice).select("files"))).toEqual([1, 2, 4]);
      expect(ids(await permissions.as(client, asBob).select("files"))).toEqual([3, 4, 5]);
    });

    it("evaluates _exists over an unrelated table without correlation", async () => {
      const loaded = await loadPermissions(
        client,
        withPermission("samples", "select_permissions", "auditor", { columns: ["id"], filter: { _exists: { _table: { schema: "public", name: "settings" }, _where: { key: { _eq: "audit" }, value: { _eq: "on" } } } } }),
      );
      const auditor = loaded.as(client, { "x-hasura-role": "auditor" });
      expect(await auditor.select("samples")).toEqual([]);
      await client.query("insert into settings values ('audit', 'on')");
      expect(ids(await auditor.select("samples"))).toEqual([1, 2, 3, 4]);
    });

    it("reads $ inside _exists as the permission's table", async () => {
      // A quota per user: the inserted file's size ($.size) must fit the user's max_size.
      const loaded = await loadPermissions(
        client,
        withPermission("files", "insert_permissions", "user", {
          columns: ["name", "size", "org_id"],
          set: { owner_id: "X-Hasura-User-Id" },
          check: { _exists: { _table: { schema: "public", name: "quotas" }, _where: { user_id: { _eq: "X-Hasura-User-Id" }, max_size: { _cgte: ["$", "size"] } } } },
        }),
      );
      const alicesView = loaded.as(client, asAlice);
      expect((await alicesView.insert("files", { name: "fits", size: 100, org_id: 1 })).map((row) => row.name)).toEqual(["fits"]);
      expect(await rejection(alicesView.insert("files", { name: "too-big", size: 101, org_id: 1 }))).toEqual({
        code: "permission-error",
        message: "check constraint of an insert permission has failed",
      });
      expect(await fileNames()).not.toContain("too-big");
    });

    it("reads $ inside a relationship as the permission's table (the file's org must be its owner's org)", async () => {
      const alicesView = permissions.as(client, asAlice);
      expect((await alicesView.insert("files", { name: "a-new", org_id: 1 }))[0]).toMatchObject({ name: "a-new", owner_id: alice, org_id: 1 });
      expect((await rejection(alicesView.insert("files", { name: "a-elsewhere", org_id: 2 }))).code).toBe("permission-error");
      expect(await fileNames()).not.toContain("a-elsewhere");
    });

    it("applies the remote table's select filter to a relationship in a client where", async () => {
      // Bob may filter his files by tags, but only over tags he can select (label = 'public'): b-secret's 'internal' tag is invisible.
      const bobsView = permissions.as(client, asBob);
      expect(ids(await bobsView.select("files", { where: { tags: { label: { _eq: "internal" } } } }))).toEqual([]);
      expect(ids(await bobsView.select("files", { where: { tags: {} } }))).toEqual([4]);
    });
  });

  describe("session variables", () => {
    it("reads session variables case-insensitively, from the permission and from the session", async () => {
      const loaded = await loadPermissions(client, withPermission("files", "select_permissions", "user", { columns: ["id"], filter: { owner_id: { _eq: "x-HASURA-user-ID" } } }));
      expect(ids(await loaded.as(client, { "X-Hasura-Role": "user", "X-HASURA-USER-ID": alice } as unknown as Session).select("files"))).toEqual([1, 2]);
    });

    it("casts a session variable to the column's type (uuid, integer)", async () => {
      const { text } = permissions.selectSql(asAlice, "users");
      expect(text).toContain(`(($1::json ->> 'x-hasura-org-id'))::integer`);
      expect((await permissions.as(client, asAlice).select("users")).map((row) => row.name)).toEqual(["alice"]);
      expect(await rejection(permissions.as(client, { ...asAlice, "x-hasura-user-id": "not-a-uuid" }).select("files"))).toMatchObject({
        code: "data-exception",
        message: expect.stringContaining('invalid input syntax for type uuid: "not-a-uuid"'),
      });
    });

    it("refuses a request that lacks a session variable its permission reads", async () => {
      expect(await rejection(permissions.as(client, { "x-hasura-role": "user" }).select("files"))).toEqual({
        code: "not-found",
        message: 'missing session variable: "x-hasura-user-id"',
      });
    });

    it("treats a session variable name in a client where as a literal", async () => {
      await client.query(`insert into files (owner_id, name, org_id) values ('${alice}', 'X-Hasura-User-Id', 1)`);
      expect((await permissions.as(client, asAlice).select("files", { where: { name: { _eq: "X-Hasura-User-Id" } } })).map((row) => row.name)).toEqual(["X-Hasura-User-Id"]);
    });

    it("sets hasura.user for the database's triggers during a mutation", async () => {
      const [row] = await permissions.as(client, asAlice).insert("files", { name: "traced", org_id: 1 });
      expect(row!.created_by).toBe(alice);
    });
  });

  describe("select", () => {
    it("returns only the permitted columns and refuses others", async () => {
      const [row] = await permissions.as(client, asAlice).select("files", { where: { id: { _eq: 1 } } });
      expect(Object.keys(row!).sort()).toEqual(["id", "name", "org_id", "owner_id", "size", "visibility"]);
      expect(await rejection(permissions.as(client, asAlice).select("files", { columns: ["id", "note"] }))).toEqual({
        code: "validation-failed",
        message: "field 'note' not found in type: 'files'",
      });
    });

    it("refuses a client where on a column the role cannot select", async () => {
      expect((await rejection(permissions.as(client, asAlice).select("files", { where: { note: { _is_null: true } } }))).message).toBe("field 'note' not found in type: 'files_bool_exp'");
    });

    it("refuses a table the role has no select permission on", async () => {
      expect(await rejection(permissions.as(client, asAlice).select("settings"))).toEqual({ code: "validation-failed", message: "field 'settings' not found in type: 'query_root'" });
    });

    it("limits rows to the smaller of the permission's and the client's limit", async () => {
      const asBobWithEverything = await loadPermissions(client, withPermission("shares", "select_permissions", "user", { columns: "*", filter: {} }));
      await client.query(`insert into shares values (1, '${bob}'), (2, '${bob}')`);
      const view = asBobWithEverything.as(client, asBob);
      expect(await view.select("files")).toHaveLength(3);
      expect(await view.select("files", { limit: 2 })).toHaveLength(2);
      expect(await view.select("files", { limit: 10 })).toHaveLength(3);
    });

    it("gives the admin role every row and column", async () => {
      const rows = await permissions.as(client, asAdmin).select("files");
      expect(ids(rows)).toEqual([1, 2, 3, 4, 5]);
      expect(Object.keys(rows[0]!)).toContain("note");
    });

    it("reads a schema.table name", async () => {
      expect((await permissions.as(client, asAlice).select("archive.notes")).map((row) => row.body)).toEqual(["mine"]);
    });

    it("explains the select it would run", async () => {
      const plan = (await permissions.as(client, asAlice).explainSelect("files", { limit: 1 })) as Array<{ Plan: { "Node Type": string } }>;
      expect(plan[0]!.Plan["Node Type"]).toBe("Limit");
    });
  });

  describe("insert", () => {
    it("refuses a column outside the permission's columns and a preset column", async () => {
      const alicesView = permissions.as(client, asAlice);
      expect(await rejection(alicesView.insert("files", { name: "x", org_id: 1, note: "n" }))).toEqual({ code: "validation-failed", message: "field 'note' not found in type: 'files_insert_input'" });
      expect((await rejection(alicesView.insert("files", { name: "x", org_id: 1, owner_id: bob }))).message).toBe("field 'owner_id' not found in type: 'files_insert_input'");
      expect(await fileNames()).not.toContain("x");
    });

    it("refuses an insert for a role without an insert permission", async () => {
      expect((await rejection(permissions.as(client, asAlice).insert("tags", { file_name: "a-report", label: "x" }))).message).toBe("field 'insert_tags' not found in type: 'mutation_root'");
    });

    it("fills presets from the session", async () => {
      const rows = await permissions.as(client, asBob).insert("files", [{ name: "b-1", org_id: 2 }, { name: "b-2", org_id: 2, size: 7 }]);
      expect(rows.map((row) => [row.name, row.owner_id, row.size])).toEqual([
        ["b-1", bob, 0],
        ["b-2", bob, 7],
      ]);
    });

    it("keeps nothing when the check fails for one of several rows", async () => {
      const before = await fileNames();
      const result = await rejection(permissions.as(client, asAlice).insert("files", [{ name: "ok-row", org_id: 1 }, { name: "bad-row", org_id: 2 }]));
      expect(result.code).toBe("permission-error");
      expect(await fileNames()).toEqual(before);
    });

    it("reports a unique violation as Hasura's constraint-violation", async () => {
      expect(await rejection(permissions.as(client, asAlice).insert("files", { name: "a-report", org_id: 1 }))).toMatchObject({
        code: "constraint-violation",
        message: expect.stringMatching(/^Uniqueness violation\. duplicate key value violates unique constraint "files_name_key"/),
      });
    });

    it("upserts only the rows the update permission's filter allows", async () => {
      const alicesView = permissions.as(client, asAlice);
      const onConflict = { constraint: "quotas_pkey", update_columns: ["max_size"] };
      expect(await alicesView.insert("quotas", { user_id: alice, max_size: 500 }, { onConflict })).toEqual([{ user_id: alice, max_size: 500 }]);
      await client.query(`insert into quotas values ('${bob}', 10)`);
      expect(await alicesView.insert("quotas", { user_id: bob, max_size: 9999 }, { onConflict })).toEqual([]);
      expect((await client.query("select max_size from quotas where user_id = $1", [bob])).rows).toEqual([{ max_size: 10 }]);
      expect((await rejection(alicesView.insert("quotas", { user_id: alice, max_size: 1 }, { onConflict: { constraint: "quotas_pkey", update_columns: ["user_id"] } }))).message).toBe(
        "unexpected value 'user_id' for enum: 'quotas_update_column'",
      );
    });

    it("checks an upserted row against the update check when it conflicted and the insert check when it is new", async () => {
      const alicesView = permissions.as(client, asAlice);
      const onConflict = { constraint: "files_name_key", update_columns: ["size"] };
      // The update check (size <= 1000) applies to the row that conflicted, not to a new one.
      expect((await rejection(alicesView.insert("files", { name: "a-report", size: 2000, org_id: 1 }, { onConflict }))).code).toBe("permission-error");
      expect((await client.query("select size from files where name = 'a-report'")).rows).toEqual([{ size: 10 }]);
      expect((await alicesView.insert("files", { name: "a-report", size: 20, org_id: 1 }, { onConflict })).map((row) => [row.id, row.size])).toEqual([[1, 20]]);
      expect((await alicesView.insert("files", { name: "a-big", size: 2000, org_id: 1 }, { onConflict })).map((row) => row.size)).toEqual([2000]);
    });

    it("refuses on_conflict to a role without an update permission", async () => {
      const loaded = await loadPermissions(client, withPermission("tags", "insert_permissions", "tagger", { columns: "*", check: {} }));
      expect((await rejection(loaded.as(client, { "x-hasura-role": "tagger" }).insert("tags", { file_name: "f", label: "l" }, { onConflict: { constraint: "tags_pkey", update_columns: ["label"] } }))).message).toBe(
        "'insert_tags' has no argument named 'on_conflict'",
      );
    });
  });

  describe("update", () => {
    it("updates only rows the filter allows", async () => {
      const rows = await permissions.as(client, asAlice).update("files", {}, { visibility: "public" });
      expect(ids(rows)).toEqual([1, 2]);
      expect((await client.query("select id from files where visibility = 'public' order by id")).rows.map((row) => row.id)).toEqual([1, 2]);
    });

    it("fails and keeps the old row when the post-update check fails", async () => {
      expect(await rejection(permissions.as(client, asAlice).update("files", { id: { _eq: 1 } }, { size: 5000 }))).toEqual({
        code: "permission-error",
        message: "check constraint of an update permission has failed",
      });
      expect((await client.query("select size from files where id = 1")).rows).toEqual([{ size: 10 }]);
    });

    it("refuses to set a column outside the permission's columns", async () => {
      expect((await rejection(permissions.as(client, asAlice).update("files", { id: { _eq: 1 } }, { owner_id: bob }))).message).toBe("field 'owner_id' not found in type: 'files_set_input'");
    });
  });

  describe("delete", () => {
    it("deletes only rows the filter allows", async () => {
      const rows = await permissions.as(client, asAlice).delete("files", {});
      expect(ids(rows)).toEqual([1]);
      expect(await fileNames()).toEqual(["a-public", "b-secret", "b-shared", "b-other"]);
    });

    it("refuses a delete for a role without a delete permission", async () => {
      expect((await rejection(permissions.as(client, asAlice).delete("orgs", {}))).message).toBe("field 'delete_orgs' not found in type: 'mutation_root'");
    });
  });

  it("refuses metadata whose permission names a column that does not exist", async () => {
    await expect(loadPermissions(client, withPermission("files", "select_permissions", "broken", { columns: ["id"], filter: { nope: { _eq: 1 } } }))).rejects.toThrow(
      /public\.files: select filter of role broken: no column or relationship "nope"/,
    );
  });
});
