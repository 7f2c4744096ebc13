import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Client } from "pg";
import { hasuraProjectDir, readMetadata } from "../../infra/hasura/project";
import { loadPermissions, type Permissions, type Session } from "../support/hasura-permissions";
import { startPostgres, type TestDatabase } from "../support/postgres";

// Every permission rule must be an index lookup for the caller: a user with no data must not cost a scan of every
// tenant, on every request and every subscription tick. Hasura cannot run here, so this reads the EXPLAIN of the SQL
// Hasura generates for each select permission (test/support/hasura-permissions.ts) on a database seeded with many
// tenants and analyzed, as Postgres plans it for a real stack.

const organizations = 2000;
const membersPerOrganization = 10;
const filesPerOrganization = 100;
/** Tables that grow with tenants: a sequential scan of any of them is a scan of every tenant. */
const tenantTables = new Set([
  "users",
  "organizations",
  "memberships",
  "membership_effective_permissions",
  "membership_permission_patches",
  "organization_feature_flags",
  "files",
]);

interface PlanNode {
  "Node Type": string;
  "Relation Name"?: string;
  Plans?: PlanNode[];
}

function seqScans(node: PlanNode): string[] {
  const own = node["Node Type"] === "Seq Scan" && node["Relation Name"] ? [node["Relation Name"]] : [];
  return [...own, ...(node.Plans ?? []).flatMap(seqScans)];
}

describe("permission rules on a database with many tenants", () => {
  let database: TestDatabase;
  let client: Client;
  let permissions: Permissions;
  const user = (id: string): Session => ({ "x-hasura-role": "user", "x-hasura-user-id": id });

  async function scansOf(perms: Permissions, session: Session, table: string): Promise<string[]> {
    const [explained] = (await perms.as(client, session).explainSelect(table)) as Array<{ Plan: PlanNode }>;
    // Figures, not assertions: PULSURA_SHOW_PLANS=1 prints each plan as executed, with its time.
    if (process.env.PULSURA_SHOW_PLANS) {
      const { text, values } = perms.selectSql(session, table);
      const { rows } = await client.query<{ "QUERY PLAN": string }>(`explain (analyze, costs off) ${text}`, values);
      console.log(`${table} as ${session["x-hasura-user-id"]}:\n${rows.map((row) => row["QUERY PLAN"]).join("\n")}`);
    }
    return seqScans(explained.Plan).filter((relation) => tenantTables.has(relation));
  }

  beforeAll(async () => {
    database = await startPostgres();
    // Bulk seed as the cluster superuser with triggers off (session_replication_role), which nothing on Cloud SQL may do:
    // only to make the many tenants fast. The effective permissions are then computed by the migration's own function.
    const seeder = new Client({ connectionString: database.superuserUrl });
    await seeder.connect();
    try {
      await seeder.query("set session_replication_role = replica");
      await seeder.query(`insert into users (id) select 'u' || i from generate_series(1, ${organizations * membersPerOrganization}) i`);
      await seeder.query("insert into users (id) values ('stranger')");
      await seeder.query(`insert into organizations (id, name, created_by)
        select ('00000000-0000-4000-8000-' || lpad(to_hex(o), 12, '0'))::uuid, 'Org ' || o, 'u' || ((o - 1) * ${membersPerOrganization} + 1)
        from generate_series(1, ${organizations}) o`);
      await seeder.query(`insert into memberships (organization_id, user_id, role)
        select ('00000000-0000-4000-8000-' || lpad(to_hex(o), 12, '0'))::uuid, 'u' || ((o - 1) * ${membersPerOrganization} + m),
               case m when 1 then 'owner' when 2 then 'admin' else 'member' end
        from generate_series(1, ${organizations}) o, generate_series(1, ${membersPerOrganization}) m`);
      await seeder.query(`insert into membership_permission_patches (organization_id, user_id, permission, effect)
        select ('00000000-0000-4000-8000-' || lpad(to_hex(o), 12, '0'))::uuid, 'u' || ((o - 1) * ${membersPerOrganization} + 3), 'flags.manage', 'grant'
        from generate_series(1, ${organizations}) o`);
      await seeder.query(`insert into organization_feature_flags (organization_id, key, enabled)
        select ('00000000-0000-4000-8000-' || lpad(to_hex(o), 12, '0'))::uuid, 'flag' || f, true
        from generate_series(1, ${organizations}) o, generate_series(1, 5) f`);
      await seeder.query(`insert into files (owner_id, organization_id, name, object_path, content_type, size_bytes, status)
        select 'u' || ((o - 1) * ${membersPerOrganization} + 1 + f % ${membersPerOrganization}), ('00000000-0000-4000-8000-' || lpad(to_hex(o), 12, '0'))::uuid,
               'f' || f, 'organizations/' || o || '/' || f, 'text/plain', 1, 'uploaded'
        from generate_series(1, ${organizations}) o, generate_series(1, ${filesPerOrganization}) f`);
      await seeder.query(`insert into files (owner_id, name, object_path, content_type, size_bytes, status)
        select 'u' || i, 'mine', 'users/u' || i || '/1', 'text/plain', 1, 'uploaded' from generate_series(1, ${organizations * membersPerOrganization}) i`);
    } finally {
      await seeder.end();
    }
    client = new Client({ connectionString: database.url });
    await client.connect();
    await client.query("select refresh_effective_permissions(null, null, null)");
    await client.query("analyze");
    permissions = await loadPermissions(client, readMetadata(hasuraProjectDir));
  }, 180_000);
  afterAll(async () => {
    await client?.end();
    await database?.stop();
  });

  it("is seeded with many tenants", async () => {
    const { rows } = await client.query<{ files: string; effective: string }>(
      "select (select count(*) from files) as files, (select count(*) from membership_effective_permissions) as effective",
    );
    expect(Number(rows[0].files)).toBe(organizations * (filesPerOrganization + membersPerOrganization));
    expect(Number(rows[0].effective)).toBeGreaterThan(organizations * membersPerOrganization * 5);
  });

  const selectable = ["organizations", "memberships", "membership_effective_permissions", "membership_permission_patches", "organization_feature_flags", "files", "users"];
  for (const [who, id] of [["a user with no data", "stranger"], ["a member of one organization", "u3"], ["an owner", "u1"]] as const) {
    it(`plans every select of ${who} as index lookups, never a scan of every tenant`, async () => {
      for (const table of selectable) expect(await scansOf(permissions, user(id), table), `${table} as ${id}`).toEqual([]);
    });
  }

  it("would catch a rule that scans every tenant: the former own-row-or-organization filter on files", async () => {
    const metadata = readMetadata(hasuraProjectDir) as { sources: Array<{ tables: Array<{ table: { name: string }; select_permissions?: Array<{ role: string; permission: { filter: unknown } }> }> }> };
    const files = metadata.sources[0].tables.find((t) => t.table.name === "files")!;
    files.select_permissions!.find((p) => p.role === "user")!.permission.filter = {
      _or: [
        { owner_id: { _eq: "X-Hasura-User-Id" } },
        {
          _exists: {
            _table: { schema: "public", name: "membership_effective_permissions" },
            _where: { _and: [{ organization_id: { _ceq: ["$", "organization_id"] } }, { user_id: { _eq: "X-Hasura-User-Id" } }, { permission: { _eq: "files.read" } }] },
          },
        },
      ],
    };
    expect(await scansOf(await loadPermissions(client, metadata), user("stranger"), "files")).toContain("files");
  });
});
