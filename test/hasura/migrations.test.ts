import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Client } from "pg";
import { hasuraProjectDir, readMigrations, readSeeds } from "../../infra/hasura/project";
import { startPostgres, type TestDatabase } from "../support/postgres";

const migrations = readMigrations(hasuraProjectDir);
const seeds = readSeeds(hasuraProjectDir);

/** Runs SQL the way the deploy does: one transaction per file. */
async function runFile(client: Client, sql: string): Promise<void> {
  await client.query("begin");
  try {
    await client.query(sql);
    await client.query("commit");
  } catch (error) {
    await client.query("rollback");
    throw error;
  }
}

/**
 * Everything the migrations create in schema public, by name and definition (never by OID), so two
 * databases built the same way compare equal and any leftover or missing object shows up.
 */
async function schemaSnapshot(client: Client): Promise<Record<string, string[]>> {
  const lines = async (sql: string) => (await client.query<{ line: string }>(sql)).rows.map((row) => row.line);
  return {
    relations: await lines(`
      select c.relname || ' ' || c.relkind::text as line from pg_class c
      join pg_namespace n on n.oid = c.relnamespace where n.nspname = 'public' order by 1`),
    columns: await lines(`
      select table_name || '.' || column_name || ' ' || data_type || ' ' || is_nullable || ' ' ||
             coalesce(column_default, '') || ' ' || is_identity as line
      from information_schema.columns where table_schema = 'public' order by table_name, ordinal_position`),
    constraints: await lines(`
      select c.conrelid::regclass::text || ' ' || c.conname || ' ' || pg_get_constraintdef(c.oid) as line
      from pg_constraint c join pg_namespace n on n.oid = c.connamespace where n.nspname = 'public' order by 1`),
    indexes: await lines(`select indexdef as line from pg_indexes where schemaname = 'public' order by 1`),
    triggers: await lines(`
      select pg_get_triggerdef(t.oid) as line from pg_trigger t
      join pg_class c on c.oid = t.tgrelid join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = 'public' and not t.tgisinternal order by 1`),
    routines: await lines(`
      select pg_get_functiondef(p.oid) as line from pg_proc p
      join pg_namespace n on n.oid = p.pronamespace where n.nspname = 'public' order by 1`),
    views: await lines(`select viewname || ': ' || definition as line from pg_views where schemaname = 'public' order by 1`),
    comments: await lines(`
      select c.relname || coalesce('.' || a.attname, '') || ': ' || d.description as line
      from pg_description d join pg_class c on c.oid = d.objoid
      join pg_namespace n on n.oid = c.relnamespace
      left join pg_attribute a on a.attrelid = c.oid and a.attnum = d.objsubid and d.objsubid > 0
      where n.nspname = 'public' and d.classoid = 'pg_class'::regclass order by 1`),
  };
}

/** The JSON of session variables Hasura puts in the transaction-local setting hasura.user. */
function hasuraSession(userId: string, role = "user"): string {
  return JSON.stringify({ "x-hasura-role": role, "x-hasura-user-id": userId });
}

/** Runs statements in one transaction, as Hasura does for a mutation made by `userId` (or with no session). */
async function asHasuraUser<T>(client: Client, userId: string | null, work: () => Promise<T>): Promise<T> {
  await client.query("begin");
  try {
    if (userId !== null) await client.query("select set_config('hasura.user', $1, true)", [hasuraSession(userId)]);
    const result = await work();
    await client.query("commit");
    return result;
  } catch (error) {
    await client.query("rollback");
    throw error;
  }
}

describe("hasura/migrations", () => {
  it("has at least one migration, each with an up.sql and a down.sql", () => {
    expect(migrations.length).toBeGreaterThan(0);
    for (const migration of migrations) {
      expect(migration.up.trim(), `${migration.version}_${migration.name}/up.sql`).not.toBe("");
      expect(migration.down.trim(), `${migration.version}_${migration.name}/down.sql`).not.toBe("");
    }
  });

  describe("on an empty database", () => {
    let database: TestDatabase;
    let client: Client;

    beforeAll(async () => {
      database = await startPostgres({ migrate: false });
      client = new Client({ connectionString: database.url });
      await client.connect();
    });
    afterAll(async () => {
      await client?.end();
      await database?.stop();
    });

    it("goes up, down in reverse order back to an empty schema, and up again to the same schema", async () => {
      const before: Array<Record<string, string[]>> = [];
      for (const migration of migrations) {
        before.push(await schemaSnapshot(client));
        await runFile(client, migration.up);
      }
      const afterFirstUp = await schemaSnapshot(client);
      expect(afterFirstUp.relations).toContain("users r");

      // Each down.sql must restore exactly the schema its up.sql started from.
      for (let index = migrations.length - 1; index >= 0; index--) {
        await runFile(client, migrations[index].down);
        expect(await schemaSnapshot(client), `after ${migrations[index].version}_${migrations[index].name}/down.sql`).toEqual(
          before[index],
        );
      }
      expect(Object.values(await schemaSnapshot(client)).flat()).toEqual([]);

      for (const migration of migrations) await runFile(client, migration.up);
      expect(await schemaSnapshot(client)).toEqual(afterFirstUp);
    });
  });

  describe("on a migrated database", () => {
    let database: TestDatabase;
    let client: Client;

    beforeAll(async () => {
      database = await startPostgres();
      client = new Client({ connectionString: database.url });
      await client.connect();
    });
    afterAll(async () => {
      await client?.end();
      await database?.stop();
    });

    async function auditRows(table: string, rowKey: Record<string, unknown>) {
      const { rows } = await client.query<{
        operation: string;
        actor_id: string | null;
        actor_role: string | null;
        old_data: Record<string, unknown> | null;
        new_data: Record<string, unknown> | null;
      }>(
        `select operation, actor_id, actor_role, old_data, new_data from audit_log
         where table_name = $1 and row_key = $2::jsonb order by id`,
        [table, JSON.stringify(rowKey)],
      );
      return rows;
    }

    it("records an insert, an update and a delete in audit_log with the Hasura session user as actor", async () => {
      await asHasuraUser(client, "firebase-creator", () =>
        client.query("insert into users (id, email, display_name) values ('audited', 'a@example.com', 'Before')"),
      );
      await asHasuraUser(client, "firebase-editor", () =>
        client.query("update users set display_name = 'After' where id = 'audited'"),
      );
      const [inserted, updated] = await auditRows("users", { id: "audited" });
      expect(inserted.old_data).toBeNull();
      expect(inserted.new_data).toMatchObject({ id: "audited", email: "a@example.com", display_name: "Before" });
      expect(updated.old_data).toMatchObject({ display_name: "Before" });
      expect(updated.new_data).toMatchObject({ display_name: "After" });

      await asHasuraUser(client, "firebase-remover", () => client.query("delete from users where id = 'audited'"));
      const rows = await auditRows("users", { id: "audited" });
      expect(rows.map((row) => [row.operation, row.actor_id, row.actor_role])).toEqual([
        ["INSERT", "firebase-creator", "user"],
        ["UPDATE", "firebase-editor", "user"],
        ["DELETE", "firebase-remover", "user"],
      ]);
      const deleted = rows[2];
      expect(deleted.old_data).toMatchObject({ id: "audited", role: "user" });
      expect(deleted.new_data).toBeNull();
    });

    describe("erasure", () => {
      const personal = { phone: "+15550111", email: "erase@example.com", display_name: "Erase Me" };

      async function createAndEdit(id: string): Promise<void> {
        await asHasuraUser(client, id, () =>
          client.query("insert into users (id, phone, email, display_name) values ($1, $2, $3, $4)", [id, personal.phone, personal.email, personal.display_name]),
        );
        await asHasuraUser(client, id, () => client.query("update users set display_name = 'Renamed' where id = $1", [id]));
      }

      async function auditText(id: string): Promise<string> {
        const { rows } = await client.query<{ text: string }>(
          "select coalesce(string_agg(coalesce(old_data::text, '') || coalesce(new_data::text, ''), ' '), '') as text from audit_log where table_name = 'users' and row_key = $1::jsonb",
          [JSON.stringify({ id })],
        );
        return rows[0]!.text;
      }

      async function erasureFlags(id: string): Promise<Array<[string, boolean]>> {
        const { rows } = await client.query<{ operation: string; erasure: boolean }>(
          "select operation, erasure from audit_log where table_name = 'users' and row_key = $1::jsonb order by id",
          [JSON.stringify({ id })],
        );
        return rows.map((row) => [row.operation, row.erasure]);
      }

      it("scrubs a deleted user's phone, email and display name from every audit row about them, in the deleting transaction", async () => {
        await createAndEdit("erased-by-delete");
        expect(await auditText("erased-by-delete")).toContain(personal.email);

        await client.query("begin");
        await client.query("delete from users where id = 'erased-by-delete'");
        // Same transaction: nothing personal is left even before the delete commits.
        const inside = await client.query<{ n: number }>(
          "select count(*)::int as n from audit_log where row_key = '{\"id\": \"erased-by-delete\"}' and (old_data ->> 'email' is not null or new_data ->> 'email' is not null)",
        );
        expect(inside.rows[0]!.n).toBe(0);
        await client.query("commit");

        const text = await auditText("erased-by-delete");
        for (const value of [...Object.values(personal), "Renamed"]) expect(text).not.toContain(value);
        // The rows stay (who did what, when), and the last one says an erasure happened.
        expect(await erasureFlags("erased-by-delete")).toEqual([
          ["INSERT", false],
          ["UPDATE", false],
          ["DELETE", true],
        ]);
      });

      it("scrubs an anonymized user (deleted_at set, as the user-sync function's anonymize mode does) the same way", async () => {
        await createAndEdit("erased-by-anonymize");
        await asHasuraUser(client, "admin", () =>
          client.query("update users set phone = null, email = null, display_name = null, deleted_at = now() where id = 'erased-by-anonymize'"),
        );
        const text = await auditText("erased-by-anonymize");
        for (const value of [...Object.values(personal), "Renamed"]) expect(text).not.toContain(value);
        expect(await erasureFlags("erased-by-anonymize")).toEqual([
          ["INSERT", false],
          ["UPDATE", false],
          ["UPDATE", true],
        ]);
      });

      it("leaves other users' audit rows and ordinary updates alone", async () => {
        await createAndEdit("kept-user");
        await createAndEdit("erased-neighbour");
        await client.query("delete from users where id = 'erased-neighbour'");
        expect(await auditText("kept-user")).toContain(personal.email);
        expect((await erasureFlags("kept-user")).every(([, erasure]) => !erasure)).toBe(true);
      });
    });

    it("records no actor for writes without Hasura session variables, even right after a Hasura transaction", async () => {
      await asHasuraUser(client, "someone", () => client.query("insert into users (id) values ('session-scope')"));
      // set_config(..., true) is transaction-local: the next transaction sees '' and must not inherit the actor.
      await asHasuraUser(client, null, () => client.query("update users set phone = '+15550100' where id = 'session-scope'"));
      const rows = await auditRows("users", { id: "session-scope" });
      expect(rows.map((row) => [row.operation, row.actor_id])).toEqual([
        ["INSERT", "someone"],
        ["UPDATE", null],
      ]);
    });

    it("keys audit rows of composite-key tables by every primary-key column", async () => {
      await client.query("insert into users (id) values ('key-owner')");
      const { rows } = await client.query<{ id: string }>("insert into organizations (name) values ('Keys') returning id");
      const organizationId = rows[0].id;
      await asHasuraUser(client, "key-owner", () =>
        client.query("insert into memberships (organization_id, user_id, role) values ($1, 'key-owner', 'owner')", [
          organizationId,
        ]),
      );
      const audit = await auditRows("memberships", { organization_id: organizationId, user_id: "key-owner" });
      expect(audit.map((row) => [row.operation, row.actor_id])).toEqual([["INSERT", "key-owner"]]);
    });

    it("moves updated_at to the updating transaction's time and leaves created_at alone", async () => {
      await client.query(
        `insert into users (id, created_at, updated_at) values ('timestamps', '2001-01-01T00:00:00Z', '2001-01-01T00:00:00Z')`,
      );
      const { updatedAt, transactionTime } = await asHasuraUser(client, null, async () => {
        const updated = await client.query<{ updated_at: Date }>(
          "update users set display_name = 'Changed' where id = 'timestamps' returning updated_at",
        );
        const now = await client.query<{ now: Date }>("select now()");
        return { updatedAt: updated.rows[0].updated_at, transactionTime: now.rows[0].now };
      });
      expect(updatedAt.getTime()).toBe(transactionTime.getTime());
      const { rows } = await client.query<{ created_at: Date }>("select created_at from users where id = 'timestamps'");
      expect(rows[0].created_at.toISOString()).toBe("2001-01-01T00:00:00.000Z");
    });

    it("maintains updated_at on every table that has one", async () => {
      const { rows } = await client.query<{ table_name: string; has_trigger: boolean }>(`
        select c.table_name,
               exists (select 1 from information_schema.triggers t
                       where t.event_object_schema = 'public' and t.event_object_table = c.table_name
                         and t.trigger_name = 'set_updated_at' and t.action_timing = 'BEFORE'
                         and t.event_manipulation = 'UPDATE') as has_trigger
        from information_schema.columns c
        join information_schema.tables tb on tb.table_schema = c.table_schema and tb.table_name = c.table_name
        where c.table_schema = 'public' and c.column_name = 'updated_at' and tb.table_type = 'BASE TABLE'`);
      expect(rows.length).toBeGreaterThan(0);
      expect(rows.filter((row) => !row.has_trigger).map((row) => row.table_name)).toEqual([]);
    });

    describe("effective permissions", () => {
      let organizationId: string;

      async function effective(userId: string): Promise<string[]> {
        const { rows } = await client.query<{ permission: string }>(
          `select permission from membership_effective_permissions
           where organization_id = $1 and user_id = $2 order by permission`,
          [organizationId, userId],
        );
        return rows.map((row) => row.permission);
      }
      async function rolePermissions(role: string): Promise<string[]> {
        const { rows } = await client.query<{ permission: string }>(
          "select permission from organization_role_permissions where role = $1 order by permission",
          [role],
        );
        return rows.map((row) => row.permission);
      }
      async function hasPermission(userId: string, permission: string): Promise<boolean> {
        const { rows } = await client.query<{ allowed: boolean }>(
          "select has_organization_permission($1, $2, $3) as allowed",
          [organizationId, userId, permission],
        );
        return rows[0].allowed;
      }

      beforeAll(async () => {
        await client.query("insert into users (id) values ('perm-owner'), ('perm-member'), ('perm-outsider')");
        const { rows } = await client.query<{ id: string }>("insert into organizations (name) values ('Perms') returning id");
        organizationId = rows[0].id;
        await client.query(
          `insert into memberships (organization_id, user_id, role) values ($1, 'perm-owner', 'owner'), ($1, 'perm-member', 'member')`,
          [organizationId],
        );
      });

      it("gives owners every permission, admins all but deleting the organization, and members a read/write subset", async () => {
        const all = (await client.query<{ name: string }>("select name from permissions order by name")).rows.map((r) => r.name);
        expect(await rolePermissions("owner")).toEqual(all);
        expect(await rolePermissions("admin")).toEqual(all.filter((name) => name !== "organization.delete"));
        expect(await rolePermissions("member")).toEqual(
          ["files.read", "files.write", "flags.read", "members.read", "organization.read"].sort(),
        );
        expect(await effective("perm-owner")).toEqual(all);
      });

      it("is the role's permissions without patches", async () => {
        expect(await effective("perm-member")).toEqual(await rolePermissions("member"));
        expect(await effective("perm-outsider")).toEqual([]);
        expect(await hasPermission("perm-outsider", "organization.read")).toBe(false);
      });

      it("drops a permission revoked by a patch and adds one granted by a patch", async () => {
        await client.query(
          `insert into membership_permission_patches (organization_id, user_id, permission, effect)
           values ($1, 'perm-member', 'files.write', 'revoke'), ($1, 'perm-member', 'members.manage', 'grant'),
                  ($1, 'perm-member', 'files.read', 'grant')`,
          [organizationId],
        );
        const expected = [...(await rolePermissions("member")).filter((name) => name !== "files.write"), "members.manage"].sort();
        // Granting a permission the role already has does not list it twice.
        expect(await effective("perm-member")).toEqual(expected);
        expect(await hasPermission("perm-member", "files.write")).toBe(false);
        expect(await hasPermission("perm-member", "members.manage")).toBe(true);
        expect(await hasPermission("perm-member", "files.read")).toBe(true);
      });

      it("applies patches on top of the current role when the role changes", async () => {
        await client.query("update memberships set role = 'admin' where organization_id = $1 and user_id = 'perm-member'", [
          organizationId,
        ]);
        const expected = (await rolePermissions("admin")).filter((name) => name !== "files.write");
        expect(await effective("perm-member")).toEqual(expected);
      });

      it("rejects patches for non-members and unknown permissions, and removes patches with the membership", async () => {
        await expect(
          client.query(
            `insert into membership_permission_patches (organization_id, user_id, permission, effect)
             values ($1, 'perm-outsider', 'files.read', 'grant')`,
            [organizationId],
          ),
        ).rejects.toThrow(/foreign key/);
        await expect(
          client.query(
            `insert into membership_permission_patches (organization_id, user_id, permission, effect)
             values ($1, 'perm-member', 'files.teleport', 'grant')`,
            [organizationId],
          ),
        ).rejects.toThrow(/foreign key/);
        await expect(
          client.query(
            `insert into membership_permission_patches (organization_id, user_id, permission, effect)
             values ($1, 'perm-member', 'flags.manage', 'maybe')`,
            [organizationId],
          ),
        ).rejects.toThrow(/check constraint/);

        await client.query("delete from memberships where organization_id = $1 and user_id = 'perm-member'", [organizationId]);
        const { rows } = await client.query(
          "select 1 from membership_permission_patches where organization_id = $1 and user_id = 'perm-member'",
          [organizationId],
        );
        expect(rows).toEqual([]);
        expect(await effective("perm-member")).toEqual([]);
      });
    });

    it("was migrated as Cloud SQL runs it: by hasura, no superuser, which owns the schema and every table", async () => {
      const self = await client.query("select current_user as name, rolsuper from pg_roles where rolname = current_user");
      expect(self.rows).toEqual([{ name: "hasura", rolsuper: false }]);
      const owners = await client.query<{ owner: string }>(
        `select distinct pg_get_userbyid(c.relowner) as owner from pg_class c join pg_namespace n on n.oid = c.relnamespace
         where n.nspname = 'public' and c.relkind in ('r', 'v', 'S')`,
      );
      expect(owners.rows).toEqual([{ owner: "hasura" }]);
      const schema = await client.query("select pg_get_userbyid(nspowner) as owner from pg_namespace where nspname = 'public'");
      expect(schema.rows).toEqual([{ owner: "hasura" }]);
      // Handed over from cloudsqlsuperuser, whose members are every Cloud SQL API user, services included.
      const database = await client.query("select pg_get_userbyid(datdba) as owner from pg_database where datname = current_database()");
      expect(database.rows).toEqual([{ owner: "hasura" }]);
    });

    describe("pgaudit", () => {
      const pgaudit = migrations.find((migration) => migration.name === "pgaudit")!;

      it("skips the extension where the server does not offer it (the embedded cluster)", async () => {
        const available = await client.query("select 1 from pg_available_extensions where name = 'pgaudit'");
        expect(available.rowCount).toBe(0);
        // Applied by startPostgres already; applying it again is harmless too.
        await runFile(client, pgaudit.up);
        expect((await client.query("select 1 from pg_extension where extname = 'pgaudit'")).rowCount).toBe(0);
      });

      it("creates the extension where the server offers it (shown with pg_trgm, which this server offers, in its place)", async () => {
        // The same DO block with another extension name: the branch Cloud SQL takes, where pgaudit is available.
        const standIn = (sql: string) => sql.replace(/pgaudit/g, "pg_trgm");
        expect(pgaudit.up).toContain("pg_available_extensions where name = 'pgaudit'");
        await runFile(client, standIn(pgaudit.up));
        expect((await client.query("select 1 from pg_extension where extname = 'pg_trgm'")).rowCount).toBe(1);
        await runFile(client, standIn(pgaudit.down));
        expect((await client.query("select 1 from pg_extension where extname = 'pg_trgm'")).rowCount).toBe(0);
      });
    });

    it("keeps the contract's constraints: users_pkey, global role values, delivery kinds, membership role catalogue", async () => {
      const { rows } = await client.query<{ conname: string }>(
        "select conname from pg_constraint where conrelid = 'public.users'::regclass and contype = 'p'",
      );
      expect(rows.map((row) => row.conname)).toEqual(["users_pkey"]);
      await expect(client.query("insert into users (id, role) values ('bad-role', 'root')")).rejects.toThrow(/check constraint/);
      await expect(
        client.query("insert into processed_deliveries (delivery_id, kind, name) values ('d1', 'webhook', 'x')"),
      ).rejects.toThrow(/check constraint/);
      await client.query("insert into users (id) values ('catalogue-user')");
      const org = await client.query<{ id: string }>("insert into organizations (name) values ('Catalogue') returning id");
      await expect(
        client.query("insert into memberships (organization_id, user_id, role) values ($1, 'catalogue-user', 'overlord')", [
          org.rows[0].id,
        ]),
      ).rejects.toThrow(/foreign key/);
    });

    it("turns admin users into operators and back (1735689600800_operator_role), keeping every row", async () => {
      const operatorRole = migrations.find((migration) => migration.name === "operator_role")!;
      const roles = async () =>
        (await client.query<{ id: string; role: string }>("select id, role from users where id like 'role-%' order by id")).rows;
      await runFile(client, operatorRole.down);
      try {
        await client.query("insert into users (id, role) values ('role-app-admin', 'admin'), ('role-plain', 'user')");
        await expect(client.query("insert into users (id, role) values ('role-too-early', 'operator')")).rejects.toThrow(/check constraint/);
      } finally {
        await runFile(client, operatorRole.up);
      }
      expect(await roles()).toEqual([{ id: "role-app-admin", role: "operator" }, { id: "role-plain", role: "user" }]);
      // Hasura's built-in admin role is nobody's global role any more.
      await expect(client.query("insert into users (id, role) values ('role-new-admin', 'admin')")).rejects.toThrow(/check constraint/);

      await runFile(client, operatorRole.down);
      expect(await roles()).toEqual([{ id: "role-app-admin", role: "admin" }, { id: "role-plain", role: "user" }]);
      await runFile(client, operatorRole.up);
      expect(await roles()).toEqual([{ id: "role-app-admin", role: "operator" }, { id: "role-plain", role: "user" }]);
    });

    describe("seeds", () => {
      async function contents(): Promise<Record<string, unknown[]>> {
        const tables = (
          await client.query<{ table_name: string }>(
            "select table_name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE' order by 1",
          )
        ).rows.map((row) => row.table_name);
        const snapshot: Record<string, unknown[]> = {};
        for (const table of tables) {
          const { rows } = await client.query(`select * from ${client.escapeIdentifier(table)} t order by t::text`);
          snapshot[table] = rows;
        }
        return snapshot;
      }

      it("has a catalogue seed that agrees with the catalogue the migrations insert", async () => {
        const catalogueSeed = seeds.find((seed) => /catalogue/.test(seed.file));
        expect(catalogueSeed, "seeds/default/*catalogue*.sql").toBeDefined();
        const before = await contents();
        await runFile(client, catalogueSeed!.sql);
        expect(await contents()).toEqual(before);
      });

      it("are idempotent: applying every seed file twice gives the same data as applying it once", async () => {
        expect(seeds.map((seed) => seed.file)).toEqual([...seeds.map((seed) => seed.file)].sort());
        for (const seed of seeds) await runFile(client, seed.sql);
        const once = await contents();
        expect(once.organizations.length).toBeGreaterThan(0);
        for (const seed of seeds) await runFile(client, seed.sql);
        expect(await contents()).toEqual(once);
      });
    });
  });
});
