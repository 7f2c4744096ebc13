import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Client } from "pg";
import { Kind, parse, type DefinitionNode, type TypeNode } from "graphql";
import * as YAML from "yaml";
import { hasuraProjectDir, readMetadata } from "../../infra/hasura/project";
import { startPostgres, type TestDatabase } from "../support/postgres";

// Shapes of the metadata parts these tests read (Hasura metadata v3, as replace_metadata takes it).
interface QualifiedTable {
  name: string;
  schema: string;
}
type ForeignKeyUsing = string | string[] | { column?: string; columns?: string[]; table: QualifiedTable };
interface Relationship {
  name: string;
  using: {
    foreign_key_constraint_on?: ForeignKeyUsing;
    manual_configuration?: { remote_table: QualifiedTable; column_mapping: Record<string, string> };
  };
}
interface Permission {
  columns?: string[] | "*";
  filter?: BoolExp;
  check?: BoolExp | null;
  set?: Record<string, unknown>;
  limit?: number;
}
interface RolePermission {
  role: string;
  permission: Permission;
}
interface Header {
  name: string;
  value?: string;
  value_from_env?: string;
}
interface EventTrigger {
  name: string;
  definition: Record<string, unknown>;
  retry_conf: { num_retries: number; interval_sec: number; timeout_sec: number };
  webhook?: string;
  webhook_from_env?: string;
  headers?: Header[];
}
interface TableMetadata {
  table: QualifiedTable;
  object_relationships?: Relationship[];
  array_relationships?: Relationship[];
  insert_permissions?: RolePermission[];
  select_permissions?: RolePermission[];
  update_permissions?: RolePermission[];
  delete_permissions?: RolePermission[];
  event_triggers?: EventTrigger[];
}
interface Action {
  name: string;
  definition: {
    kind?: string;
    type: string;
    handler: string;
    headers?: Header[];
    forward_client_headers?: boolean;
    arguments: Array<{ name: string; type: string }>;
    output_type: string;
  };
  permissions?: Array<{ role: string }>;
}
interface CronTrigger {
  name: string;
  webhook: string;
  schedule: string;
  payload?: unknown;
  include_in_metadata: boolean;
  retry_conf?: { num_retries?: number };
  headers?: Header[];
}
type BoolExp = { [key: string]: unknown };

const metadata = readMetadata(hasuraProjectDir) as {
  version: number;
  sources: Array<{
    name: string;
    kind: string;
    configuration: { connection_info: { database_url: unknown } };
    tables: TableMetadata[];
  }>;
  actions?: Action[];
  cron_triggers?: CronTrigger[];
};
const source = metadata.sources.find((candidate) => candidate.name === "default")!;
const tables = source?.tables ?? [];
const metadataDir = path.join(hasuraProjectDir, "metadata");

/** Hasura's own full-access role; it needs (and may have) no permission entries. */
const builtInAdminRole = "admin";
const permissionRoles = ["anonymous", "operator", "user"];
/** What every operator permission requires: the caller's users row says operator now, whatever an older token says. */
const operatorGate = {
  _exists: {
    _table: { name: "users", schema: "public" },
    _where: { _and: [{ id: { _eq: "X-Hasura-User-Id" } }, { role: { _eq: "operator" } }, { deleted_at: { _is_null: true } }] },
  },
};
const permissionKinds = ["insert_permissions", "select_permissions", "update_permissions", "delete_permissions"] as const;
const serviceUrlTemplate = /^\{\{PULSURA_SERVICE_([A-Z0-9]+(?:_[A-Z0-9]+)*)_URL\}\}\/\S+$/;
const eventSecretHeader = { name: "X-Pulsura-Event-Secret", value_from_env: "PULSURA_EVENT_SECRET" };

interface ForeignKey {
  table: string;
  columns: string[];
  refTable: string;
  refColumns: string[];
}

describe("hasura/metadata", () => {
  let database: TestDatabase;
  /** table or view name -> its columns, for schema public of a fully migrated database */
  const columnsOf = new Map<string, Set<string>>();
  const foreignKeys: ForeignKey[] = [];
  const postgresTypes = new Set<string>();

  beforeAll(async () => {
    database = await startPostgres();
    const client = new Client({ connectionString: database.url });
    await client.connect();
    try {
      const columns = await client.query<{ table_name: string; column_name: string }>(
        "select table_name, column_name from information_schema.columns where table_schema = 'public'",
      );
      for (const row of columns.rows) {
        if (!columnsOf.has(row.table_name)) columnsOf.set(row.table_name, new Set());
        columnsOf.get(row.table_name)!.add(row.column_name);
      }
      const keys = await client.query<ForeignKey>(`
        select t.relname::text as "table", r.relname::text as "refTable",
          array(select a.attname::text from unnest(c.conkey) with ordinality k(num, pos)
                join pg_attribute a on a.attrelid = c.conrelid and a.attnum = k.num order by k.pos) as columns,
          array(select a.attname::text from unnest(c.confkey) with ordinality k(num, pos)
                join pg_attribute a on a.attrelid = c.confrelid and a.attnum = k.num order by k.pos) as "refColumns"
        from pg_constraint c
        join pg_class t on t.oid = c.conrelid
        join pg_class r on r.oid = c.confrelid
        where c.contype = 'f' and c.connamespace = 'public'::regnamespace`);
      foreignKeys.push(...keys.rows);
      const types = await client.query<{ typname: string }>("select typname::text from pg_type where typtype = 'b'");
      for (const row of types.rows) postgresTypes.add(row.typname);
    } finally {
      await client.end();
    }
  });
  afterAll(async () => {
    await database?.stop();
  });

  function tableColumns(table: QualifiedTable, where: string): Set<string> {
    expect(table.schema, `${where}: schema`).toBe("public");
    const columns = columnsOf.get(table.name);
    expect(columns, `${where}: table public.${table.name} exists in the migrated schema`).toBeDefined();
    return columns!;
  }

  function findTable(name: string): TableMetadata | undefined {
    return tables.find((entry) => entry.table.name === name);
  }

  /** The table a relationship points at, after checking that the schema backs it (FK or columns). */
  function resolveRelationship(owner: TableMetadata, relationship: Relationship, kind: "object" | "array"): string {
    const where = `${owner.table.name}.${relationship.name}`;
    const { foreign_key_constraint_on: fk, manual_configuration: manual } = relationship.using;
    if (manual) {
      const ownColumns = tableColumns(owner.table, where);
      const remoteColumns = tableColumns(manual.remote_table, where);
      const mapping = Object.entries(manual.column_mapping);
      expect(mapping.length, `${where}: column_mapping`).toBeGreaterThan(0);
      for (const [from, to] of mapping) {
        expect(ownColumns.has(from), `${where}: column ${owner.table.name}.${from}`).toBe(true);
        expect(remoteColumns.has(to), `${where}: column ${manual.remote_table.name}.${to}`).toBe(true);
      }
      return manual.remote_table.name;
    }
    expect(fk, `${where}: uses foreign_key_constraint_on or manual_configuration`).toBeDefined();
    if (typeof fk === "string" || Array.isArray(fk)) {
      // An object relationship over a foreign key of this table.
      expect(kind, `${where}: a column-only foreign key relationship is an object relationship`).toBe("object");
      const columns = typeof fk === "string" ? [fk] : fk;
      const key = foreignKeys.find(
        (candidate) => candidate.table === owner.table.name && sameColumns(candidate.columns, columns),
      );
      expect(key, `${where}: foreign key on ${owner.table.name}(${columns.join(", ")})`).toBeDefined();
      return key!.refTable;
    }
    // The remote table has a foreign key to this table.
    const columns = fk!.columns ?? [fk!.column!];
    tableColumns(fk!.table, where);
    const key = foreignKeys.find(
      (candidate) =>
        candidate.table === fk!.table.name &&
        candidate.refTable === owner.table.name &&
        sameColumns(candidate.columns, columns),
    );
    expect(key, `${where}: foreign key ${fk!.table.name}(${columns.join(", ")}) -> ${owner.table.name}`).toBeDefined();
    return fk!.table.name;
  }

  function relationshipsOf(owner: TableMetadata): Map<string, string> {
    const byName = new Map<string, string>();
    for (const relationship of owner.object_relationships ?? []) {
      byName.set(relationship.name, resolveRelationship(owner, relationship, "object"));
    }
    for (const relationship of owner.array_relationships ?? []) {
      byName.set(relationship.name, resolveRelationship(owner, relationship, "array"));
    }
    return byName;
  }

  /**
   * Walks a Hasura boolean expression: every column and relationship it names must exist, and every column comparison
   * (`_ceq: ["$", column]` to the row being checked, `_ceq: column` to the current table) names a column of its table.
   */
  function checkBoolExp(tableName: string, expression: unknown, where: string, rootTable: string = tableName): void {
    if (expression === null || expression === undefined) return;
    expect(typeof expression, `${where}: boolean expression is an object`).toBe("object");
    const owner = findTable(tableName);
    expect(owner, `${where}: table ${tableName} is tracked`).toBeDefined();
    const columns = columnsOf.get(tableName)!;
    const relationships = relationshipsOf(owner!);
    for (const [key, value] of Object.entries(expression as BoolExp)) {
      if (key === "_and" || key === "_or") {
        expect(Array.isArray(value), `${where}.${key} is a list`).toBe(true);
        (value as unknown[]).forEach((item, index) => checkBoolExp(tableName, item, `${where}.${key}[${index}]`, rootTable));
      } else if (key === "_not") {
        checkBoolExp(tableName, value, `${where}._not`, rootTable);
      } else if (key === "_exists") {
        const exists = value as { _table: QualifiedTable; _where: unknown };
        tableColumns(exists._table, `${where}._exists`);
        checkBoolExp(exists._table.name, exists._where, `${where}._exists._where`, rootTable);
      } else if (columns.has(key)) {
        for (const [operator, operand] of Object.entries(value as object)) {
          expect(operator, `${where}.${key}: operator`).toMatch(/^_[a-z_]+$/);
          if (!/^_c(eq|neq|gt|lt|gte|lte)$/.test(operator)) continue;
          const path = typeof operand === "string" ? [operand] : (operand as string[]);
          const [table, column] = path[0] === "$" ? [rootTable, path[1]] : [tableName, path[0]];
          expect(path.length, `${where}.${key}.${operator}: [column] or ["$", column]`).toBe(path[0] === "$" ? 2 : 1);
          expect(columnsOf.get(table)?.has(column), `${where}.${key}.${operator}: column ${table}.${column}`).toBe(true);
        }
      } else if (relationships.has(key)) {
        checkBoolExp(relationships.get(key)!, value, `${where}.${key}`, rootTable);
      } else {
        expect.fail(`${where}: "${key}" is neither a column nor a relationship of ${tableName}`);
      }
    }
  }

  function allPermissions(): Array<{ table: TableMetadata; kind: (typeof permissionKinds)[number]; entry: RolePermission }> {
    return tables.flatMap((table) =>
      permissionKinds.flatMap((kind) => (table[kind] ?? []).map((entry) => ({ table, kind, entry }))),
    );
  }

  function expectServiceWebhook(url: string | undefined, headers: Header[] | undefined, where: string): void {
    expect(url, `${where}: webhook`).toMatch(serviceUrlTemplate);
    expect(headers ?? [], `${where}: headers`).toContainEqual(eventSecretHeader);
    // The secret must never be written into metadata as a literal value.
    for (const header of headers ?? []) {
      if (header.name.toLowerCase() === eventSecretHeader.name.toLowerCase()) expect(header.value).toBeUndefined();
    }
  }

  describe("project files", () => {
    it("is a config v3 project whose admin secret comes from the environment, not from config.yaml", () => {
      const config = YAML.parse(fs.readFileSync(path.join(hasuraProjectDir, "config.yaml"), "utf8")) as Record<string, unknown>;
      expect(config.version).toBe(3);
      expect(config).not.toHaveProperty("admin_secret");
      expect(config).not.toHaveProperty("adminSecret");
      expect(metadata.version).toBe(3);
    });

    it("has the default Postgres source with its URL from HASURA_GRAPHQL_DATABASE_URL", () => {
      expect(source).toMatchObject({ name: "default", kind: "postgres" });
      expect(source.configuration.connection_info.database_url).toEqual({ from_env: "HASURA_GRAPHQL_DATABASE_URL" });
    });

    it("resolves tables.yaml includes into one entry per table file", () => {
      const tableFiles = fs
        .readdirSync(path.join(metadataDir, "databases", "default", "tables"))
        .filter((file) => /^public_.+\.yaml$/.test(file))
        .sort();
      expect(tables.map((table) => `${table.table.schema}_${table.table.name}.yaml`).sort()).toEqual(tableFiles);
    });
  });

  describe("tables and relationships", () => {
    it("tracks every table and view of schema public, and only those", () => {
      expect(tables.map((table) => table.table.name).sort()).toEqual([...columnsOf.keys()].sort());
      for (const table of tables) expect(table.table.schema).toBe("public");
    });

    it("backs every relationship by a foreign key or existing columns, without clashing with column names", () => {
      let count = 0;
      for (const table of tables) {
        const columns = tableColumns(table.table, table.table.name);
        const names = [...(table.object_relationships ?? []), ...(table.array_relationships ?? [])].map((r) => r.name);
        expect(new Set(names).size, `${table.table.name}: relationship names are unique`).toBe(names.length);
        for (const name of names) expect(columns.has(name), `${table.table.name}.${name} clashes with a column`).toBe(false);
        count += relationshipsOf(table).size;
      }
      expect(count).toBeGreaterThan(0);
    });

    it("has no relationship loop any role but admin can follow, so a query's depth is bounded by the schema", () => {
      for (const role of permissionRoles) {
        const selectable = new Set(
          tables.filter((table) => table.select_permissions?.some((entry) => entry.role === role)).map((table) => table.table.name),
        );
        // Hasura shows a relationship to a role only when the role may select the remote table.
        const edges = new Map<string, string[]>();
        for (const table of tables) {
          if (!selectable.has(table.table.name)) continue;
          const targets = [...relationshipsOf(table).entries()].filter(([, remote]) => selectable.has(remote));
          edges.set(table.table.name, targets.map(([, remote]) => remote));
        }
        const depthOf = new Map<string, number>();
        const depth = (name: string, path: string[]): number => {
          expect(path, `${role}: relationship loop ${[...path, name].join(" -> ")}`).not.toContain(name);
          if (!depthOf.has(name)) depthOf.set(name, 1 + Math.max(0, ...(edges.get(name) ?? []).map((next) => depth(next, [...path, name]))));
          return depthOf.get(name)!;
        };
        const deepest = Math.max(...[...edges.keys()].map((name) => depth(name, [])));
        // organizations -> memberships -> effective_permissions is the longest path.
        expect(deepest, `${role}: deepest relationship path`).toBeLessThanOrEqual(3);
      }
    });

    it("tracks the database's child tables under their parent, never the way back up", () => {
      for (const table of tables) {
        expect(table.object_relationships ?? [], `${table.table.name}: object relationships`).toEqual([]);
      }
    });
  });

  describe("permissions", () => {
    it("grants only the anonymous, operator and user roles explicitly (admin is Hasura's built-in full-access role)", () => {
      const roles = new Set(allPermissions().map(({ entry }) => entry.role));
      expect([...roles].sort()).toEqual(permissionRoles);
      expect(roles.has(builtInAdminRole)).toBe(false);
      for (const { table, kind, entry } of allPermissions()) {
        if (entry.role === "anonymous") expect(kind, `anonymous ${kind} on ${table.table.name}`).toBe("select_permissions");
      }
    });

    it("names only existing columns in permission columns, presets, filters and checks", () => {
      for (const { table, kind, entry } of allPermissions()) {
        const where = `${table.table.name}.${kind}[${entry.role}]`;
        const columns = tableColumns(table.table, where);
        const { permission } = entry;
        if (kind !== "delete_permissions") {
          expect(Array.isArray(permission.columns), `${where}: explicit column list`).toBe(true);
          for (const column of permission.columns as string[]) expect(columns.has(column), `${where}: ${column}`).toBe(true);
        }
        for (const column of Object.keys(permission.set ?? {})) expect(columns.has(column), `${where}: preset ${column}`).toBe(true);
        if (kind !== "insert_permissions") {
          expect(permission.filter, `${where}: filter`).toBeDefined();
          checkBoolExp(table.table.name, permission.filter, `${where}.filter`);
        }
        if (kind === "insert_permissions" || kind === "update_permissions") {
          checkBoolExp(table.table.name, permission.check, `${where}.check`);
        }
      }
    });

    it("limits the rows of every select permission", () => {
      const selects = allPermissions().filter(({ kind }) => kind === "select_permissions");
      expect(selects.length).toBeGreaterThan(0);
      for (const { table, entry } of selects) {
        const limit = entry.permission.limit;
        expect(Number.isInteger(limit) && limit! > 0, `${table.table.name} select[${entry.role}] limit=${limit}`).toBe(true);
      }
    });

    it("presets owner and author columns from X-Hasura-User-Id and never lets the client choose them", () => {
      const presets = allPermissions().filter(({ entry }) => entry.permission.set);
      expect(presets.map(({ table, kind }) => `${table.table.name}.${kind}`).sort()).toEqual([
        "files.insert_permissions",
        "organization_feature_flags.insert_permissions",
        "organization_feature_flags.update_permissions",
      ]);
      for (const { table, kind, entry } of presets) {
        for (const [column, value] of Object.entries(entry.permission.set!)) {
          expect(value, `${table.table.name}.${kind}: preset ${column}`).toBe("X-Hasura-User-Id");
          expect(entry.permission.columns, `${table.table.name}.${kind}: ${column} is not client-writable`).not.toContain(column);
        }
      }
    });

    it("lets a user read and edit only their own user row, and never their role", () => {
      const users = findTable("users")!;
      const select = users.select_permissions?.find((entry) => entry.role === "user");
      const update = users.update_permissions?.find((entry) => entry.role === "user");
      expect(select?.permission.filter).toEqual({ id: { _eq: "X-Hasura-User-Id" } });
      expect(JSON.stringify(update?.permission.filter)).toContain('{"id":{"_eq":"X-Hasura-User-Id"}}');
      expect(update?.permission.columns).toEqual(["display_name"]);
      expect(users.insert_permissions ?? []).toEqual([]);
      expect(users.delete_permissions ?? []).toEqual([]);
    });

    it("leaves webhook bookkeeping and row quotas to the admin role, and the audit log to operators", () => {
      for (const name of ["processed_deliveries", "row_quotas", "membership_assignable_roles", "file_access_scopes"]) {
        const table = findTable(name)!;
        for (const kind of permissionKinds) expect(table[kind] ?? [], `${name}.${kind}`).toEqual([]);
      }
      const audit = findTable("audit_log")!;
      expect(audit.select_permissions?.map((entry) => entry.role)).toEqual(["operator"]);
      for (const kind of ["insert_permissions", "update_permissions", "delete_permissions"] as const) expect(audit[kind] ?? []).toEqual([]);
    });

    it("conditions every operator permission on the operator's users row, not on the token alone", () => {
      // The role catalogue is public (anonymous reads it too): nothing to gate there.
      const isPublic = (table: TableMetadata) => table.select_permissions?.some((entry) => entry.role === "anonymous") ?? false;
      const operatorEntries = allPermissions().filter(({ table, entry }) => entry.role === "operator" && !isPublic(table));
      expect(operatorEntries.length).toBeGreaterThan(0);
      for (const { table, kind, entry } of operatorEntries) {
        const where = `${table.table.name}.${kind}[operator]`;
        if (kind !== "insert_permissions") expect(containsExpression(entry.permission.filter, operatorGate), `${where}.filter`).toBe(true);
        if (kind === "insert_permissions") expect(containsExpression(entry.permission.check, operatorGate), `${where}.check`).toBe(true);
      }
    });

    it("lets owners and admins manage memberships, patches and flags through their effective permissions in that organization", () => {
      const managed = [
        ["memberships", "members.manage"],
        ["membership_permission_patches", "members.manage"],
        ["organization_feature_flags", "flags.manage"],
      ] as const;
      for (const [name, permission] of managed) {
        const table = findTable(name)!;
        const rule = {
          _exists: {
            _table: { name: "membership_effective_permissions", schema: "public" },
            _where: {
              _and: [
                { organization_id: { _ceq: ["$", "organization_id"] } },
                { user_id: { _eq: "X-Hasura-User-Id" } },
                { permission: { _eq: permission } },
              ],
            },
          },
        };
        for (const kind of permissionKinds) {
          const entry = table[kind]?.find((candidate) => candidate.role === "user");
          if (kind === "select_permissions") continue;
          expect(entry, `${name}.${kind}`).toBeDefined();
          const expression = kind === "insert_permissions" ? entry!.permission.check : entry!.permission.filter;
          expect(containsExpression(expression, rule), `${name}.${kind} requires ${permission}`).toBe(true);
        }
      }
    });
  });

  describe("webhooks", () => {
    const eventTriggers = () => tables.flatMap((table) => (table.event_triggers ?? []).map((trigger) => ({ table, trigger })));

    it("points every action, event trigger and cron trigger at a service URL variable with the shared secret header", () => {
      const actions = metadata.actions ?? [];
      expect(actions.length).toBeGreaterThan(0);
      for (const action of actions) {
        expectServiceWebhook(action.definition.handler, action.definition.headers, `action ${action.name}`);
        expect(action.definition.forward_client_headers ?? false, `action ${action.name}`).toBe(false);
      }
      expect(eventTriggers().length).toBeGreaterThan(0);
      for (const { trigger } of eventTriggers()) {
        expect(trigger.webhook_from_env).toBeUndefined();
        expectServiceWebhook(trigger.webhook, trigger.headers, `event trigger ${trigger.name}`);
      }
      expect((metadata.cron_triggers ?? []).length).toBeGreaterThan(0);
      for (const cron of metadata.cron_triggers ?? []) expectServiceWebhook(cron.webhook, cron.headers, `cron ${cron.name}`);
    });

    it("names only URL variables of microservices that exist under services/", () => {
      const urls = [
        ...(metadata.actions ?? []).map((action) => action.definition.handler),
        ...eventTriggers().map(({ trigger }) => trigger.webhook!),
        ...(metadata.cron_triggers ?? []).map((cron) => cron.webhook),
      ];
      const services = new Set(urls.map((url) => serviceUrlTemplate.exec(url)![1]));
      for (const name of services) {
        const directory = path.join(hasuraProjectDir, "..", "services", name.toLowerCase().replace(/_/g, "-"));
        expect(fs.existsSync(path.join(directory, "package.json")), `PULSURA_SERVICE_${name}_URL -> ${directory}`).toBe(true);
        expect(name).not.toBe("KIT");
      }
    });

    it("retries every event trigger and cron trigger", () => {
      for (const { trigger } of eventTriggers()) {
        expect(trigger.retry_conf?.num_retries, `event trigger ${trigger.name}`).toBeGreaterThan(0);
      }
      for (const cron of metadata.cron_triggers ?? []) {
        expect(cron.retry_conf?.num_retries ?? 0, `cron ${cron.name}`).toBeGreaterThan(0);
      }
    });

    it("only fires event triggers on columns that exist", () => {
      for (const { table, trigger } of eventTriggers()) {
        const columns = tableColumns(table.table, trigger.name);
        for (const operation of ["insert", "update", "delete"]) {
          const spec = trigger.definition[operation] as { columns: string[] | "*" } | undefined;
          if (spec && Array.isArray(spec.columns)) {
            for (const column of spec.columns) expect(columns.has(column), `${trigger.name}: ${column}`).toBe(true);
          }
        }
      }
    });

    it("declares the core service's actions, event trigger and cron trigger exactly as the contract says", () => {
      const header = [eventSecretHeader];
      const action = (name: string) => metadata.actions?.find((candidate) => candidate.name === name);
      expect(action("createOrganization")).toMatchObject({
        definition: {
          kind: "synchronous",
          type: "mutation",
          handler: "{{PULSURA_SERVICE_CORE_URL}}/actions/createOrganization",
          forward_client_headers: false,
          headers: header,
          arguments: [{ name: "name", type: "String!" }],
          output_type: "CreateOrganizationOutput",
        },
        permissions: [{ role: "operator" }, { role: "user" }],
      });
      expect(action("whoami")).toMatchObject({
        definition: {
          type: "query",
          handler: "{{PULSURA_SERVICE_CORE_URL}}/actions/whoami",
          forward_client_headers: false,
          headers: header,
          arguments: [],
          output_type: "WhoamiOutput",
        },
        permissions: [{ role: "operator" }, { role: "user" }],
      });

      const userRoleChanged = findTable("users")?.event_triggers?.find((trigger) => trigger.name === "user_role_changed");
      expect(userRoleChanged).toMatchObject({
        definition: { update: { columns: ["role"] } },
        retry_conf: { num_retries: 5, interval_sec: 10, timeout_sec: 60 },
        webhook: "{{PULSURA_SERVICE_CORE_URL}}/events/user_role_changed",
        headers: header,
      });
      expect(Object.keys(userRoleChanged!.definition).filter((key) => ["insert", "update", "delete"].includes(key))).toEqual([
        "update",
      ]);

      expect(metadata.cron_triggers?.find((cron) => cron.name === "purge_processed_deliveries")).toMatchObject({
        webhook: "{{PULSURA_SERVICE_CORE_URL}}/crons/purge_processed_deliveries",
        schedule: "17 3 * * *",
        payload: { olderThanDays: 30 },
        include_in_metadata: true,
        retry_conf: { num_retries: 3 },
        headers: header,
      });
    });
  });

  describe("actions.graphql", () => {
    const sdl = fs.readFileSync(path.join(metadataDir, "actions.graphql"), "utf8");
    const actionsYaml = YAML.parse(fs.readFileSync(path.join(metadataDir, "actions.yaml"), "utf8")) as {
      actions: Array<{ name: string }>;
      custom_types: Record<string, Array<{ name: string }>>;
    };

    function rootFields(definitions: readonly DefinitionNode[]): string[] {
      return definitions.flatMap((definition) =>
        definition.kind === Kind.OBJECT_TYPE_DEFINITION && ["Query", "Mutation"].includes(definition.name.value)
          ? (definition.fields ?? []).map((field) => field.name.value)
          : [],
      );
    }

    it("parses, and declares the contract's types", () => {
      const document = parse(sdl);
      const objects = new Map(
        document.definitions
          .filter((definition) => definition.kind === Kind.OBJECT_TYPE_DEFINITION)
          .map((definition) => [
            definition.name.value,
            Object.fromEntries((definition.fields ?? []).map((field) => [field.name.value, typeName(field.type)])),
          ]),
      );
      expect(objects.get("WhoamiOutput")).toEqual({ userId: "String", role: "String!" });
      expect(objects.get("CreateOrganizationOutput")).toEqual({ id: "uuid!" });
    });

    it("has a type in actions.graphql for every action in actions.yaml, and an actions.yaml entry for every action", () => {
      const fields = rootFields(parse(sdl).definitions).sort();
      expect(actionsYaml.actions.map((action) => action.name).sort()).toEqual(fields);
      // The contract's actions are there; one added with `npm run new` joins them without breaking this test.
      expect(fields).toEqual(expect.arrayContaining(["createOrganization", "whoami"]));
    });

    it("lists in actions.yaml exactly the custom types actions.graphql defines", () => {
      const defined = parse(sdl)
        .definitions.filter((definition) => "name" in definition && definition.name)
        .map((definition) => (definition as { name: { value: string } }).name.value)
        .filter((name) => name !== "Query" && name !== "Mutation")
        .sort();
      const listed = Object.values(actionsYaml.custom_types).flat().map((type) => type.name).sort();
      expect(listed).toEqual(defined);
    });

    it("refers only to types it defines, GraphQL's built-in scalars, or Postgres scalars of the migrated database", () => {
      const document = parse(sdl);
      const defined = new Set(
        document.definitions.flatMap((definition) => ("name" in definition && definition.name ? [definition.name.value] : [])),
      );
      const builtIn = new Set(["Int", "Float", "String", "Boolean", "ID"]);
      const referenced = new Set<string>();
      for (const definition of document.definitions) {
        if (definition.kind !== Kind.OBJECT_TYPE_DEFINITION && definition.kind !== Kind.INPUT_OBJECT_TYPE_DEFINITION) continue;
        for (const field of definition.fields ?? []) {
          referenced.add(namedType(field.type));
          for (const argument of ("arguments" in field ? field.arguments : undefined) ?? []) {
            referenced.add(namedType(argument.type));
          }
        }
      }
      for (const name of referenced) {
        expect(defined.has(name) || builtIn.has(name) || postgresTypes.has(name), `type ${name}`).toBe(true);
      }
    });
  });
});

function sameColumns(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && [...a].sort().every((column, index) => column === [...b].sort()[index]);
}

/** True when `expression` is, or contains (under _and / _or / relationships), the boolean expression `wanted`. */
function containsExpression(expression: unknown, wanted: unknown): boolean {
  if (JSON.stringify(expression) === JSON.stringify(wanted)) return true;
  if (Array.isArray(expression)) return expression.some((item) => containsExpression(item, wanted));
  if (expression !== null && typeof expression === "object") {
    return Object.values(expression).some((value) => containsExpression(value, wanted));
  }
  return false;
}

function namedType(type: TypeNode): string {
  return type.kind === Kind.NAMED_TYPE ? type.name.value : namedType(type.type);
}

function typeName(type: TypeNode): string {
  if (type.kind === Kind.NON_NULL_TYPE) return `${typeName(type.type)}!`;
  if (type.kind === Kind.LIST_TYPE) return `[${typeName(type.type)}]`;
  return type.name.value;
}
