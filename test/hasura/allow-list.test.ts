import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { Kind, parse, type FieldNode, type SelectionSetNode, type ValueNode } from "graphql";
import * as YAML from "yaml";
import { appCollectionName, readAppOperations, renderQueryCollections } from "../../infra/hasura/allow-list";
import { hasuraProjectDir, readMetadata } from "../../infra/hasura/project";

// Hasura cannot run here, so the app's operations are checked against the metadata the way Hasura builds the `user` and `operator`
// roles' schemas (https://hasura.io/docs/latest/auth/authorization/permissions/): a root field exists for a table only
// with a permission for that operation, a column only when the permission lists it, a relationship only when the role
// may select the remote table.

interface RolePermission {
  role: string;
  permission: { columns?: string[]; limit?: number };
}
interface Relationship {
  name: string;
  using: {
    foreign_key_constraint_on?: string | { column?: string; columns?: string[]; table: { name: string } };
    manual_configuration?: { remote_table: { name: string } };
  };
}
interface TableMetadata {
  table: { name: string };
  object_relationships?: Relationship[];
  array_relationships?: Relationship[];
  select_permissions?: RolePermission[];
  insert_permissions?: RolePermission[];
  update_permissions?: RolePermission[];
  delete_permissions?: RolePermission[];
}

const metadata = readMetadata(hasuraProjectDir) as {
  sources: Array<{ tables: TableMetadata[] }>;
  actions?: Array<{ name: string; permissions?: Array<{ role: string }> }>;
  query_collections?: unknown;
  allowlist?: unknown;
};
const tables = new Map(metadata.sources[0].tables.map((table) => [table.table.name, table]));
const operations = readAppOperations();
/** The roles the app signs in with: every user, and operators (whose token defaults to operator). */
const appRoles = ["user", "operator"] as const;
let role: (typeof appRoles)[number] = "user";
/**
 * Operations the app runs for the user role alone, each for an action only users may call. The profile screen offers the
 * picture upload (createUploadUrl) only when the token's role is not operator.
 */
const userOnlyOperations: Record<string, string> = { CreateUploadUrl: "createUploadUrl" };
/** Rows an app operation may return at most under the select limits; the app's largest is a members screen (1 + 500 + 1000). */
const rowBudget = 2_000;

function permission(table: string, kind: "select" | "insert" | "update" | "delete") {
  return tables.get(table)?.[`${kind}_permissions`]?.find((entry) => entry.role === role)?.permission;
}

function relationship(table: string, name: string): { remote: string; array: boolean } | undefined {
  const owner = tables.get(table)!;
  for (const [list, array] of [[owner.object_relationships, false], [owner.array_relationships, true]] as const) {
    const found = list?.find((candidate) => candidate.name === name);
    if (!found) continue;
    const fk = found.using.foreign_key_constraint_on;
    const remote = found.using.manual_configuration?.remote_table.name ?? (typeof fk === "object" ? fk.table.name : undefined);
    if (remote) return { remote, array };
  }
  return undefined;
}

/** Checks a selection set on `table` as `role` sees it; returns the most rows it can yield per parent row. */
function selectionRows(table: string, selection: SelectionSetNode, where: string): number {
  const columns = new Set(permission(table, "select")?.columns ?? []);
  let rows = 1;
  for (const node of selection.selections) {
    expect(node.kind, `${where}: fields only (no fragments)`).toBe(Kind.FIELD);
    const field = node as FieldNode;
    const name = field.name.value;
    if (name === "__typename") continue;
    if (!field.selectionSet) {
      expect(columns.has(name), `${where}.${name}: a column ${role} may select on ${table}`).toBe(true);
      continue;
    }
    const target = relationship(table, name);
    expect(target, `${where}.${name}: a relationship of ${table}`).toBeDefined();
    const remote = permission(target!.remote, "select");
    expect(remote, `${where}.${name}: ${role} may select ${target!.remote}`).toBeDefined();
    rows += (target!.array ? remote!.limit! : 1) * selectionRows(target!.remote, field.selectionSet, `${where}.${name}`);
  }
  return rows;
}

function objectKeys(value: ValueNode | undefined): string[] {
  return value?.kind === Kind.OBJECT ? value.fields.map((f) => f.name.value) : [];
}

/** Checks one root field; returns the most rows it can yield. */
function rootFieldRows(field: FieldNode, where: string): number {
  const name = field.name.value;
  const action = metadata.actions?.find((candidate) => candidate.name === name);
  if (action) {
    expect(action.permissions?.map((p) => p.role), `${where}: action ${name} permits ${role}`).toContain(role);
    return 1;
  }
  const argument = (argName: string) => field.arguments?.find((a) => a.name.value === argName)?.value;
  const mutation = /^(insert|update|delete)_(.+?)(_one|_by_pk)?$/.exec(name);
  if (mutation) {
    const [, kind, table] = mutation as unknown as [string, "insert" | "update" | "delete", string];
    const granted = permission(table, kind);
    expect(granted, `${where}: ${role} may ${kind} ${table}`).toBeDefined();
    const written = kind === "insert" ? objectKeys(argument("object")) : kind === "update" ? objectKeys(argument("_set")) : [];
    for (const column of written) expect(granted!.columns, `${where}: ${role} may write ${table}.${column}`).toContain(column);
    return field.selectionSet ? selectionRows(table, field.selectionSet, where) : 1;
  }
  const table = name.replace(/_by_pk$/, "");
  const select = permission(table, "select");
  expect(select, `${where}: ${role} may select ${table}`).toBeDefined();
  expect(field.selectionSet, `${where}: selects fields`).toBeDefined();
  return (name.endsWith("_by_pk") ? 1 : select!.limit!) * selectionRows(table, field.selectionSet!, where);
}

describe("the allow-list: the app's operations", () => {
  it("registers exactly the Flutter template's documents, as npm run hasura:allow-list writes them", () => {
    const file = path.join(hasuraProjectDir, "metadata", "query_collections.yaml");
    expect(fs.readFileSync(file, "utf8"), "run npm run hasura:allow-list").toBe(renderQueryCollections(operations));
    expect(metadata.allowlist).toEqual([{ collection: appCollectionName }]);
    const [collection] = metadata.query_collections as Array<{ name: string; definition: { queries: Array<{ name: string; query: string }> } }>;
    expect(collection.definition.queries.map((q) => q.name)).toEqual(operations.map((o) => o.name));
  });

  it.each(appRoles)("holds only named operations that the %s role may run, within the row budget", (appRole) => {
    role = appRole;
    expect(operations.length).toBeGreaterThan(0);
    expect(Object.keys(userOnlyOperations).filter((name) => !operations.some((o) => o.name === name)), "user-only operations the app has").toEqual([]);
    for (const operation of operations) {
      const userOnlyAction = userOnlyOperations[operation.name];
      if (appRole !== "user" && userOnlyAction) {
        // Still listed because the role may not run it: when it may, the operation belongs with the others.
        const action = metadata.actions?.find((candidate) => candidate.name === userOnlyAction);
        expect(action?.permissions?.map((p) => p.role), `${operation.name}: action ${userOnlyAction} is for users alone`).toEqual(["user"]);
        continue;
      }
      const [definition] = parse(operation.query).definitions;
      expect(definition.kind).toBe(Kind.OPERATION_DEFINITION);
      if (definition.kind !== Kind.OPERATION_DEFINITION) continue;
      const roots = definition.selectionSet.selections as FieldNode[];
      // Hasura allows one root field per subscription.
      if (operation.operation === "subscription") expect(roots.length, operation.name).toBe(1);
      let rows = 0;
      for (const field of roots) {
        expect(field.name.value.startsWith("__"), `${operation.name}: no introspection`).toBe(false);
        rows += rootFieldRows(field, operation.name);
      }
      expect(rows, `${operation.name}: rows at most`).toBeLessThanOrEqual(rowBudget);
    }
  });

  it("refuses documents Hasura's allow-list could not hold", () => {
    const dir = fs.mkdtempSync(path.join(process.env.TMPDIR ?? "/tmp", "allow-list-"));
    try {
      const file = path.join(dir, "documents.dart");
      fs.writeFileSync(file, "const a = r'''\nquery { users { id } }\n''';\n");
      expect(() => readAppOperations(file)).toThrow(/needs a name/);
      fs.writeFileSync(file, "const a = r'''\nquery A { users { id } }\n''';\nconst b = r'''\nquery A { files { id } }\n''';\n");
      expect(() => readAppOperations(file)).toThrow(/A is already used by a/);
      fs.writeFileSync(file, "const a = r'''\nquery A { users { id }\n''';\n");
      expect(() => readAppOperations(file)).toThrow(/not a GraphQL document/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("keeps introspection and api limits as Community Edition enforces them", () => {
    const introspection = YAML.parse(fs.readFileSync(path.join(hasuraProjectDir, "metadata", "graphql_schema_introspection.yaml"), "utf8"));
    const roles = new Set([...tables.values()].flatMap((t) => (t.select_permissions ?? []).map((p) => p.role)));
    expect([...roles].sort()).toEqual([...introspection.disabled_for_roles].sort());
    // Depth/node limits are Cloud/Enterprise only: keeping the file empty says nothing relies on them.
    expect(YAML.parse(fs.readFileSync(path.join(hasuraProjectDir, "metadata", "api_limits.yaml"), "utf8"))).toEqual({});
  });
});
