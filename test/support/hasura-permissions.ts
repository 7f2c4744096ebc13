/**
 * Hasura v2 permissions as SQL, for tests: Hasura cannot run here, so the attack tests run on a real Postgres the SQL
 * that Hasura would generate for one role's permissions. This is a stub of a system that cannot run here, and it
 * implements Hasura's documented contract, checked against graphql-engine's source:
 *
 * - Boolean expressions (https://hasura.io/docs/latest/api-reference/syntax-defs/#boolexp,
 *   https://hasura.io/docs/latest/auth/authorization/permissions/row-level-permissions/), as
 *   server/src-lib/Hasura/Backends/Postgres/Translate/BoolExp.hs translates them: `_and` folds over TRUE and `_or` over
 *   FALSE (so `_and: []` is true and `_or: []` false), several keys of one object are ANDed, a relationship becomes
 *   `EXISTS (SELECT 1 FROM remote AS "_be_<n>_<schema>_<table>" WHERE remote.col = current.col AND <nested>)`, and
 *   `_exists` becomes `EXISTS (SELECT 1 FROM table AS "_exists_table_<n>" WHERE <where>)` with no correlation.
 * - `$` in a column comparison (`_ceq: ["$", "col"]`) is the ROOT table, the table the permission is defined on, both
 *   inside a relationship and inside `_exists._where`: translateBoolExp changes only `currTableReference` there and
 *   keeps `rootReference` (RootOrCurrentColumn IsRoot in mkFieldCompExp). Only the target table's own select filter,
 *   which Hasura adds to a relationship in a CLIENT `where`, is translated with root reset to that table.
 * - Operators and their parsing (server/src-lib/Hasura/Backends/Postgres/DDL/BoolExp.hs, parseBoolExpOperations): a
 *   bare value is `_eq`; `_eq`/`_neq` on a nullable column are null-aware (`a = b OR (a IS NULL AND b IS NULL)`, and
 *   `a <> b OR (a IS NOT NULL AND b IS NULL)`); `_in` is `= ANY(array)`; text operators only on text-like columns; a
 *   column comparison needs both columns of the same type; json (not jsonb) columns cannot be in an expression.
 * - Session variables (server/src-lib/Hasura/Backends/Postgres/Execute/Prepare.hs): a value starting with `X-Hasura-`
 *   (any case) is read from the session JSON, `($1->>'x-hasura-user-id')::<column type>`; a missing one is refused
 *   with `missing session variable: "x-hasura-…"` (code not-found). Client `where` values are always literals.
 * - Mutations (Translate/Insert.hs, Update.hs, Returning.hs, Execute/Mutation.hs): a CTE
 *   `INSERT … RETURNING *, (<check>)::boolean AS "check__constraint"` (UPDATE likewise with the post-update check),
 *   then `bool_and` of that column; false fails the mutation with "check constraint of an insert permission has failed"
 *   (permission-error) and the transaction is rolled back, so nothing is kept. The check sees the row as the statement
 *   returns it, and other tables as of the statement's snapshot. An upsert adds `ON CONFLICT ON CONSTRAINT c DO UPDATE
 *   SET col = EXCLUDED.col … WHERE <update filter>` and checks `CASE WHEN xmax = 0 THEN <insert check> ELSE <update
 *   check> END`. Mutations run in a transaction that first runs `set_config('hasura.user', <session json>, true)`.
 * - Column presets (https://hasura.io/docs/latest/auth/authorization/permissions/column-presets/): a preset column is
 *   removed from the role's input type, so setting it is "field not found", not an override.
 * - `returning` is not filtered by the select permission's filter (Returning.hs builds it with `annBoolExpTrue`); only
 *   which columns a client may ask for depends on it. The runner returns every column of the affected rows.
 *
 * Not covered (throws "not supported" where metadata uses it): computed fields, remote relationships, `_cast`, jsonb,
 * ltree and PostGIS operators, aggregation predicates, inherited roles, custom root field or column names, nested
 * inserts, order_by/offset/distinct_on, and `backend_only` permissions (absent unless the session has
 * `x-hasura-use-backend-only-permissions: true`, which Hasura also requires the admin secret for).
 */
import type { ClientBase } from "pg";

export type BoolExp = Record<string, unknown>;

/** Session variables of one request; keys are lower-cased before use. */
export interface Session {
  "x-hasura-role": string;
  [variable: string]: string;
}

/** Hasura's `extensions.code` of the errors this runner reproduces. */
export type HasuraErrorCode = "permission-error" | "validation-failed" | "constraint-violation" | "not-found" | "data-exception";

/** A request Hasura would refuse, with Hasura's message and `extensions.code`. */
export class PermissionDenied extends Error {
  constructor(
    readonly code: HasuraErrorCode,
    message: string,
  ) {
    super(message);
    this.name = "PermissionDenied";
  }
}

export interface SelectOptions {
  where?: BoolExp;
  columns?: string[];
  limit?: number;
}

export interface Permissions {
  /** SQL text+values for one operation, for EXPLAIN or inspection, without running it. */
  selectSql(session: Session, table: string, options?: SelectOptions): { text: string; values: unknown[] };
  /** A view of the database as one session, on this client. */
  as(client: ClientBase, session: Session): RoleClient;
}

export interface RoleClient {
  select(table: string, options?: SelectOptions): Promise<Record<string, unknown>[]>;
  /** Returns the inserted (or upserted) rows, every column, as the database returned them. */
  insert(
    table: string,
    rows: Record<string, unknown> | Record<string, unknown>[],
    options?: { onConflict?: { constraint: string; update_columns: string[] } },
  ): Promise<Record<string, unknown>[]>;
  update(table: string, where: BoolExp, set: Record<string, unknown>): Promise<Record<string, unknown>[]>;
  delete(table: string, where: BoolExp): Promise<Record<string, unknown>[]>;
  /** EXPLAIN (FORMAT JSON) of the select, for plan assertions. */
  explainSelect(table: string, options?: { where?: BoolExp; limit?: number }): Promise<unknown>;
}

interface QualifiedTable {
  schema: string;
  name: string;
}
interface Column {
  type: string;
  nullable: boolean;
}
interface Relationship {
  remote: string;
  /** [column of this table, column of the remote table] */
  mapping: Array<[string, string]>;
}
interface SelectPermission {
  columns: string[];
  filter: BoolExp;
  limit?: number;
}
interface InsertPermission {
  columns: string[];
  check: BoolExp;
  set: Record<string, unknown>;
}
interface UpdatePermission {
  columns: string[];
  filter: BoolExp;
  check: BoolExp | null;
  set: Record<string, unknown>;
}
interface DeletePermission {
  filter: BoolExp;
}
interface TableInfo extends QualifiedTable {
  key: string;
  /** The GraphQL name Hasura gives the table: `name` in public, `schema_name` elsewhere. */
  graphqlName: string;
  columns: Map<string, Column>;
  relationships: Map<string, Relationship>;
  constraints: Set<string>;
  select: Map<string, SelectPermission & { backendOnly?: boolean }>;
  insert: Map<string, InsertPermission & { backendOnly?: boolean }>;
  update: Map<string, UpdatePermission & { backendOnly?: boolean }>;
  delete: Map<string, DeletePermission & { backendOnly?: boolean }>;
}

/** Hasura's built-in role: every table, every column, no filter. */
const adminRole = "admin";
const sessionVariablePrefix = "x-hasura-";
const textTypes = new Set(["text", "character varying", "character", "citext", "name"]);

const quote = (identifier: string) => `"${identifier.replace(/"/g, '""')}"`;
const qualified = (table: QualifiedTable) => `${quote(table.schema)}.${quote(table.name)}`;
const tableKey = (table: QualifiedTable) => `${table.schema}.${table.name}`;
const notFound = (field: string, type: string) => new PermissionDenied("validation-failed", `field '${field}' not found in type: '${type}'`);
const isObject = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null && !Array.isArray(value);
const isSessionVariable = (value: unknown): value is string => typeof value === "string" && value.toLowerCase().startsWith(sessionVariablePrefix);

function parseQualifiedTable(value: unknown, where: string): QualifiedTable {
  if (typeof value === "string") return { schema: "public", name: value };
  if (isObject(value) && typeof value.name === "string") return { schema: typeof value.schema === "string" ? value.schema : "public", name: value.name };
  throw new Error(`${where}: expected a table name or {schema, name}, got ${JSON.stringify(value)}`);
}

/** "files" or "storage.files" as a key. */
function tableKeyOf(table: string): string {
  return table.includes(".") ? table : `public.${table}`;
}

/**
 * Collects SQL parameters. The session is one JSON parameter that session variables read, as in Hasura's prepared
 * queries (Prepare.hs: `currentSessionExp = S.SEPrep 1`); here it is numbered when first used, since Postgres refuses
 * a parameter no expression types.
 */
class Parameters {
  readonly values: unknown[] = [];
  private sessionParameter: string | undefined;
  /** Aliases of EXISTS subqueries are numbered per statement, as Hasura numbers them per expression. */
  private aliases = 0;
  constructor(private readonly session: Record<string, string>) {}
  nextAlias(): number {
    return this.aliases++;
  }
  add(value: unknown, type: string): string {
    this.values.push(value !== null && typeof value === "object" && !Array.isArray(value) ? JSON.stringify(value) : value);
    return `$${this.values.length}::${type}`;
  }
  /** `($n::json ->> 'x-hasura-…')::type`, or Hasura's refusal when the session lacks the variable. */
  sessionVariable(variable: string, type: string): string {
    const name = variable.toLowerCase();
    if (!(name in this.session)) throw new PermissionDenied("not-found", `missing session variable: "${name}"`);
    if (!this.sessionParameter) {
      this.values.push(JSON.stringify(this.session));
      this.sessionParameter = `$${this.values.length}::json`;
    }
    return `((${this.sessionParameter} ->> '${name.replace(/'/g, "''")}'))::${type}`;
  }
}

/** Where an expression comes from: metadata (session variables allowed, `_exists` and `_c*` allowed) or a client `where`. */
type ExpressionSource = "permission" | "client";

interface Scope {
  /** SQL qualifier of the current and root tables. */
  current: string;
  currentTable: TableInfo;
  root: string;
  rootTable: TableInfo;
}

class Translator {
  constructor(
    private readonly tables: Map<string, TableInfo>,
    private readonly session: Record<string, string>,
    private readonly role: string,
    private readonly parameters: Parameters,
    private readonly source: ExpressionSource,
  ) {}

  boolExp(expression: unknown, scope: Scope): string {
    if (!isObject(expression)) throw new Error(`a boolean expression must be an object, got ${JSON.stringify(expression)}`);
    const parts = Object.entries(expression).map(([key, value]) => this.field(key, value, scope));
    return and(parts);
  }

  private field(key: string, value: unknown, scope: Scope): string {
    switch (key) {
      case "_and":
      case "$and":
        return and(this.list(key, value).map((item) => this.boolExp(item, scope)));
      case "_or":
      case "$or":
        return or(this.list(key, value).map((item) => this.boolExp(item, scope)));
      case "_not":
      case "$not":
        return `(NOT ${this.boolExp(value, scope)})`;
      case "_exists":
      case "$exists":
        return this.exists(value, scope);
    }
    const table = scope.currentTable;
    const column = table.columns.get(key);
    if (column) {
      if (this.source === "client" && !this.visibleColumns(table).includes(key)) throw notFound(key, `${table.graphqlName}_bool_exp`);
      return this.columnOperations(key, column, value, scope);
    }
    const relationship = table.relationships.get(key);
    if (relationship) return this.relationship(key, relationship, value, scope);
    if (this.source === "client") throw notFound(key, `${table.graphqlName}_bool_exp`);
    throw new Error(`no column or relationship "${key}" in table ${table.key}`);
  }

  private list(key: string, value: unknown): unknown[] {
    if (!Array.isArray(value)) throw new Error(`${key} expects a list of boolean expressions, got ${JSON.stringify(value)}`);
    return value;
  }

  private exists(value: unknown, scope: Scope): string {
    if (this.source === "client") throw notFound("_exists", `${scope.currentTable.graphqlName}_bool_exp`);
    if (!isObject(value)) throw new Error(`_exists expects {_table, _where}, got ${JSON.stringify(value)}`);
    const target = this.trackedTable(tableKey(parseQualifiedTable(value._table, "_exists._table")));
    const alias = quote(`_exists_table_${this.parameters.nextAlias()}`);
    // Only the current table changes: `$` inside `_where` is still the permission's table (Translate/BoolExp.hs).
    const where = this.boolExp(value._where ?? {}, { ...scope, current: alias, currentTable: target });
    return `EXISTS (SELECT 1 FROM ${qualified(target)} AS ${alias} WHERE ${where})`;
  }

  private relationship(name: string, relationship: Relationship, value: unknown, scope: Scope): string {
    const target = this.trackedTable(relationship.remote);
    const alias = quote(`_be_${this.parameters.nextAlias()}_${target.schema}_${target.name}`);
    const join = and(relationship.mapping.map(([local, remote]) => `(${alias}.${quote(remote)} = ${scope.current}.${quote(local)})`));
    let targetPermission = "true";
    if (this.source === "client") {
      // A client may filter through a relationship only to a table it can select, and only over rows it can select.
      const permission = this.selectPermission(target);
      if (!permission) throw notFound(name, `${scope.currentTable.graphqlName}_bool_exp`);
      const targetScope: Scope = { current: alias, currentTable: target, root: alias, rootTable: target };
      targetPermission = this.permissionTranslator().boolExp(permission.filter, targetScope);
    }
    const nested = this.boolExp(value, { ...scope, current: alias, currentTable: target });
    return `EXISTS (SELECT 1 FROM ${qualified(target)} AS ${alias} WHERE ${and([join, targetPermission, nested])})`;
  }

  /** A translator of metadata expressions sharing this one's parameters and aliases. */
  private permissionTranslator(): Translator {
    return new Translator(this.tables, this.session, this.role, this.parameters, "permission");
  }

  private columnOperations(name: string, column: Column, value: unknown, scope: Scope): string {
    if (column.type === "json") throw new Error(`JSON column can not be part of boolean expression (${scope.currentTable.key}.${name})`);
    const lhs = `${scope.current}.${quote(name)}`;
    if (!isObject(value)) return this.operation("_eq", lhs, name, column, value, scope);
    return and(Object.entries(value).map(([operator, operand]) => this.operation(operator, lhs, name, column, operand, scope)));
  }

  private operation(operator: string, lhs: string, name: string, column: Column, operand: unknown, scope: Scope): string {
    const op = operator.startsWith("$") ? `_${operator.slice(1)}` : operator;
    const text = (sqlOperator: string) => {
      if (!textTypes.has(column.type)) {
        throw new PermissionDenied("validation-failed", `${name} is of type ${column.type}; operator ${op} works only on text columns`);
      }
      return `(${lhs} ${sqlOperator} ${this.value(operand, column.type)})`;
    };
    switch (op) {
      case "_eq": {
        const rhs = this.value(operand, column.type);
        return column.nullable ? `((${lhs} = ${rhs}) OR ((${lhs} IS NULL) AND (${rhs} IS NULL)))` : `(${lhs} = ${rhs})`;
      }
      case "_ne":
      case "_neq": {
        const rhs = this.value(operand, column.type);
        return column.nullable ? `((${lhs} <> ${rhs}) OR ((${lhs} IS NOT NULL) AND (${rhs} IS NULL)))` : `(${lhs} <> ${rhs})`;
      }
      case "_in":
        return `(${lhs} = ANY(${this.value(operand, `${column.type}[]`)}))`;
      case "_nin":
        return `(NOT (${lhs} = ANY(${this.value(operand, `${column.type}[]`)})))`;
      case "_gt":
        return `(${lhs} > ${this.value(operand, column.type)})`;
      case "_lt":
        return `(${lhs} < ${this.value(operand, column.type)})`;
      case "_gte":
        return `(${lhs} >= ${this.value(operand, column.type)})`;
      case "_lte":
        return `(${lhs} <= ${this.value(operand, column.type)})`;
      case "_is_null":
        if (typeof operand !== "boolean") throw new Error(`_is_null expects true or false, got ${JSON.stringify(operand)}`);
        return operand ? `(${lhs} IS NULL)` : `(${lhs} IS NOT NULL)`;
      case "_like":
        return text("LIKE");
      case "_nlike":
        return text("NOT LIKE");
      case "_ilike":
        return text("ILIKE");
      case "_nilike":
        return text("NOT ILIKE");
      case "_similar":
        return text("SIMILAR TO");
      case "_nsimilar":
        return text("NOT SIMILAR TO");
      case "_regex":
        return text("~");
      case "_iregex":
        return text("~*");
      case "_nregex":
        return text("!~");
      case "_niregex":
        return text("!~*");
      case "_ceq":
        return this.columnComparison(op, "=", lhs, name, column, operand, scope);
      case "_cne":
      case "_cneq":
        return this.columnComparison(op, "<>", lhs, name, column, operand, scope);
      case "_cgt":
        return this.columnComparison(op, ">", lhs, name, column, operand, scope);
      case "_clt":
        return this.columnComparison(op, "<", lhs, name, column, operand, scope);
      case "_cgte":
        return this.columnComparison(op, ">=", lhs, name, column, operand, scope);
      case "_clte":
        return this.columnComparison(op, "<=", lhs, name, column, operand, scope);
    }
    if (this.source === "client") throw notFound(operator, `${column.type}_comparison_exp`);
    throw new Error(`operator ${operator} (on ${scope.currentTable.key}.${name}) is not supported by this translator`);
  }

  /** `_ceq: "col"`, `["col"]` (current table) or `["$", "col"]` (the permission's table): Hasura's decodeAndValidateRhsCol. */
  private columnComparison(op: string, sqlOperator: string, lhs: string, name: string, column: Column, operand: unknown, scope: Scope): string {
    // Column comparison operators exist only in permissions, not in the GraphQL comparison types a client can use.
    if (this.source === "client") throw notFound(op, `${column.type}_comparison_exp`);
    let qualifier = scope.current;
    let table = scope.currentTable;
    let rhsName: unknown = operand;
    if (Array.isArray(operand)) {
      if (operand.length === 1) rhsName = operand[0];
      else if (operand.length === 2 && operand[0] === "$") {
        qualifier = scope.root;
        table = scope.rootTable;
        rhsName = operand[1];
      } else throw new Error(`${op}: relationship references are not supported in column comparison RHS (${JSON.stringify(operand)})`);
    }
    if (typeof rhsName !== "string") throw new Error(`${op}: expected a column name or path, got ${JSON.stringify(operand)}`);
    const rhs = table.columns.get(rhsName);
    if (!rhs) throw new Error(`${op}: no column "${rhsName}" in table ${table.key}`);
    if (rhs.type !== column.type) {
      throw new Error(`incompatible column types: ${name} has type ${column.type}, but ${rhsName} has type ${rhs.type}`);
    }
    return `(${lhs} ${sqlOperator} ${qualifier}.${quote(rhsName)})`;
  }

  /** A session variable (in permissions only) or a literal, as an SQL expression of `type`. */
  value(operand: unknown, type: string): string {
    if (this.source === "permission" && isSessionVariable(operand)) return this.parameters.sessionVariable(operand, type);
    return this.parameters.add(operand, type);
  }

  selectPermission(table: TableInfo): SelectPermission | undefined {
    if (this.role === adminRole) return { columns: [...table.columns.keys()], filter: {} };
    return usable(table.select.get(this.role), this.session);
  }

  private visibleColumns(table: TableInfo): string[] {
    return this.selectPermission(table)?.columns ?? [];
  }

  private trackedTable(key: string): TableInfo {
    const table = this.tables.get(key);
    if (!table) throw new Error(`table ${key} is not tracked in the metadata`);
    return table;
  }
}

function and(parts: string[]): string {
  return parts.length === 0 ? "true" : parts.length === 1 ? parts[0]! : `(${parts.join(" AND ")})`;
}
function or(parts: string[]): string {
  return parts.length === 0 ? "false" : parts.length === 1 ? parts[0]! : `(${parts.join(" OR ")})`;
}

/** backend_only permissions exist only for requests that ask for them (Hasura also wants the admin secret). */
function usable<T extends { backendOnly?: boolean }>(permission: T | undefined, session: Record<string, string>): T | undefined {
  if (!permission) return undefined;
  if (permission.backendOnly && session["x-hasura-use-backend-only-permissions"] !== "true") return undefined;
  return permission;
}

function lowerCaseKeys(session: Session): Record<string, string> {
  return Object.fromEntries(Object.entries(session).map(([key, value]) => [key.toLowerCase(), String(value)]));
}

/** Builds SQL from a metadata object (as readMetadata returns it) for one source. */
export async function loadPermissions(client: ClientBase, metadata: unknown, source = "default"): Promise<Permissions> {
  const sources = isObject(metadata) && Array.isArray(metadata.sources) ? (metadata.sources as unknown[]) : [];
  const sourceMetadata = sources.find((candidate) => isObject(candidate) && candidate.name === source);
  if (!isObject(sourceMetadata)) throw new Error(`metadata has no source "${source}"`);
  const tableEntries = Array.isArray(sourceMetadata.tables) ? (sourceMetadata.tables as unknown[]) : [];
  const catalog = await readCatalog(client);
  const tables = new Map<string, TableInfo>();

  for (const entry of tableEntries) {
    if (!isObject(entry)) throw new Error(`source "${source}": a table entry must be an object`);
    const table = parseQualifiedTable(entry.table, "table");
    const key = tableKey(table);
    const columns = catalog.columns.get(key);
    if (!columns) throw new Error(`table ${key} is tracked in the metadata but does not exist in the database`);
    const allColumns = [...columns.keys()];
    const columnList = (value: unknown, where: string): string[] => {
      if (value === "*") return allColumns;
      if (value === undefined) return [];
      if (!Array.isArray(value)) throw new Error(`${key} ${where}: columns must be a list or "*"`);
      for (const column of value) if (!columns.has(column)) throw new Error(`${key} ${where}: no column "${column}"`);
      return value as string[];
    };
    const info: TableInfo = {
      ...table,
      key,
      graphqlName: table.schema === "public" ? table.name : `${table.schema}_${table.name}`,
      columns,
      relationships: new Map(),
      constraints: catalog.constraints.get(key) ?? new Set(),
      select: new Map(),
      insert: new Map(),
      update: new Map(),
      delete: new Map(),
    };
    for (const { role, permission, where } of rolePermissions(entry, "select_permissions", key)) {
      const limit = typeof permission.limit === "number" ? permission.limit : undefined;
      info.select.set(role, { columns: columnList(permission.columns, where), filter: boolExpOf(permission.filter), limit, backendOnly: false });
    }
    for (const { role, permission, where } of rolePermissions(entry, "insert_permissions", key)) {
      info.insert.set(role, {
        columns: columnList(permission.columns, where),
        check: boolExpOf(permission.check),
        set: isObject(permission.set) ? permission.set : {},
        backendOnly: permission.backend_only === true,
      });
    }
    for (const { role, permission, where } of rolePermissions(entry, "update_permissions", key)) {
      info.update.set(role, {
        columns: columnList(permission.columns, where),
        filter: boolExpOf(permission.filter),
        check: isObject(permission.check) ? permission.check : null,
        set: isObject(permission.set) ? permission.set : {},
        backendOnly: permission.backend_only === true,
      });
    }
    for (const { role, permission } of rolePermissions(entry, "delete_permissions", key)) {
      info.delete.set(role, { filter: boolExpOf(permission.filter), backendOnly: permission.backend_only === true });
    }
    tables.set(key, info);
  }
  for (const entry of tableEntries as Record<string, unknown>[]) {
    const info = tables.get(tableKey(parseQualifiedTable(entry.table, "table")))!;
    for (const kind of ["object_relationships", "array_relationships"] as const) {
      for (const relationship of (entry[kind] as unknown[] | undefined) ?? []) {
        if (!isObject(relationship) || typeof relationship.name !== "string") throw new Error(`${info.key} ${kind}: a relationship needs a name`);
        info.relationships.set(relationship.name, resolveRelationship(info, relationship, catalog.foreignKeys, `${info.key} ${kind}.${relationship.name}`));
      }
    }
  }
  validatePermissions(tables);

  const selectStatement = (session: Session, table: string, options: SelectOptions = {}) => buildSelect(tables, lowerCaseKeys(session), table, options);
  return {
    selectSql: selectStatement,
    as(roleClient, session) {
      const variables = lowerCaseKeys(session);
      const context = { tables, session: variables, client: roleClient };
      return {
        async select(table, options) {
          const { text, values } = selectStatement(session, table, options);
          return (await runQuery(roleClient, text, values)).rows;
        },
        async explainSelect(table, options) {
          const { text, values } = selectStatement(session, table, options);
          const result = await runQuery(roleClient, `EXPLAIN (FORMAT JSON) ${text}`, values);
          return result.rows[0]["QUERY PLAN"];
        },
        insert: (table, rows, options) => runInsert(context, table, Array.isArray(rows) ? rows : [rows], options?.onConflict),
        update: (table, where, set) => runUpdate(context, table, where, set),
        delete: (table, where) => runDelete(context, table, where),
      };
    },
  };
}

function boolExpOf(value: unknown): BoolExp {
  if (value === undefined || value === null) return {};
  if (!isObject(value)) throw new Error(`expected a boolean expression, got ${JSON.stringify(value)}`);
  return value;
}

function rolePermissions(entry: Record<string, unknown>, kind: string, key: string): Array<{ role: string; permission: Record<string, unknown>; where: string }> {
  const list = (entry[kind] as unknown[] | undefined) ?? [];
  return list.map((item) => {
    if (!isObject(item) || typeof item.role !== "string" || !isObject(item.permission)) throw new Error(`${key} ${kind}: each entry needs {role, permission}`);
    return { role: item.role, permission: item.permission, where: `${kind} of role ${item.role}` };
  });
}

/** Translates every permission once with placeholder session values, so a bad expression fails at load, as Hasura's metadata would be inconsistent. */
function validatePermissions(tables: Map<string, TableInfo>): void {
  const anyValue: Record<string, string> = new Proxy({}, { has: () => true, get: () => "" });
  for (const table of tables.values()) {
    const scope: Scope = { current: qualified(table), currentTable: table, root: qualified(table), rootTable: table };
    const expressions: Array<[string, string, BoolExp | null]> = [
      ...[...table.select].map(([role, p]) => [role, "select filter", p.filter] as [string, string, BoolExp]),
      ...[...table.insert].map(([role, p]) => [role, "insert check", p.check] as [string, string, BoolExp]),
      ...[...table.update].flatMap(([role, p]) => [[role, "update filter", p.filter], [role, "update check", p.check]] as Array<[string, string, BoolExp | null]>),
      ...[...table.delete].map(([role, p]) => [role, "delete filter", p.filter] as [string, string, BoolExp]),
    ];
    for (const [role, what, expression] of expressions) {
      if (!expression) continue;
      try {
        new Translator(tables, anyValue, role, new Parameters(anyValue), "permission").boolExp(expression, scope);
      } catch (error) {
        throw new Error(`${table.key}: ${what} of role ${role}: ${(error as Error).message}`, { cause: error });
      }
    }
  }
}

interface ForeignKey {
  table: string;
  columns: string[];
  refTable: string;
  refColumns: string[];
}

interface Catalog {
  columns: Map<string, Map<string, Column>>;
  foreignKeys: ForeignKey[];
  constraints: Map<string, Set<string>>;
}

/** Column types (as Postgres spells them, for casts), nullability, foreign keys and unique constraints: read once. */
async function readCatalog(client: ClientBase): Promise<Catalog> {
  const columns = await client.query<{ schema: string; table: string; column: string; type: string; nullable: boolean }>(`
    select n.nspname::text as schema, c.relname::text as "table", a.attname::text as "column",
           format_type(a.atttypid, null) as type, not a.attnotnull as nullable
    from pg_attribute a
    join pg_class c on c.oid = a.attrelid
    join pg_namespace n on n.oid = c.relnamespace
    where c.relkind in ('r', 'p', 'v', 'm', 'f') and a.attnum > 0 and not a.attisdropped
      and n.nspname not in ('pg_catalog', 'information_schema')
    order by n.nspname, c.relname, a.attnum`);
  const byTable = new Map<string, Map<string, Column>>();
  for (const row of columns.rows) {
    const key = `${row.schema}.${row.table}`;
    if (!byTable.has(key)) byTable.set(key, new Map());
    byTable.get(key)!.set(row.column, { type: row.type, nullable: row.nullable });
  }
  const keys = await client.query<{ table: string; refTable: string; columns: string[]; refColumns: string[] }>(`
    select tn.nspname || '.' || t.relname as "table", rn.nspname || '.' || r.relname as "refTable",
      array(select a.attname::text from unnest(c.conkey) with ordinality k(num, pos)
            join pg_attribute a on a.attrelid = c.conrelid and a.attnum = k.num order by k.pos) as columns,
      array(select a.attname::text from unnest(c.confkey) with ordinality k(num, pos)
            join pg_attribute a on a.attrelid = c.confrelid and a.attnum = k.num order by k.pos) as "refColumns"
    from pg_constraint c
    join pg_class t on t.oid = c.conrelid join pg_namespace tn on tn.oid = t.relnamespace
    join pg_class r on r.oid = c.confrelid join pg_namespace rn on rn.oid = r.relnamespace
    where c.contype = 'f'`);
  const unique = await client.query<{ table: string; name: string }>(`
    select n.nspname || '.' || t.relname as "table", c.conname::text as name
    from pg_constraint c join pg_class t on t.oid = c.conrelid join pg_namespace n on n.oid = t.relnamespace
    where c.contype in ('p', 'u')`);
  const constraints = new Map<string, Set<string>>();
  for (const row of unique.rows) {
    if (!constraints.has(row.table)) constraints.set(row.table, new Set());
    constraints.get(row.table)!.add(row.name);
  }
  return { columns: byTable, foreignKeys: keys.rows, constraints };
}

/**
 * A relationship's remote table and column mapping, as Hasura resolves it: `foreign_key_constraint_on` naming columns
 * of this table (this table's FK), or `{column|columns, table}` (the remote table's FK to this table), or
 * `manual_configuration {remote_table, column_mapping}`.
 */
function resolveRelationship(table: TableInfo, relationship: Record<string, unknown>, foreignKeys: ForeignKey[], where: string): Relationship {
  const using = isObject(relationship.using) ? relationship.using : {};
  const sameColumns = (a: string[], b: string[]) => a.length === b.length && a.every((column) => b.includes(column));
  if (isObject(using.manual_configuration)) {
    const manual = using.manual_configuration;
    const remote = tableKey(parseQualifiedTable(manual.remote_table, `${where} remote_table`));
    if (!isObject(manual.column_mapping)) throw new Error(`${where}: manual_configuration needs column_mapping`);
    return { remote, mapping: Object.entries(manual.column_mapping).map(([local, remoteColumn]) => [local, String(remoteColumn)]) };
  }
  const on = using.foreign_key_constraint_on;
  if (typeof on === "string" || Array.isArray(on)) {
    const columns = typeof on === "string" ? [on] : (on as string[]);
    const key = foreignKeys.find((candidate) => candidate.table === table.key && sameColumns(candidate.columns, columns));
    if (!key) throw new Error(`${where}: no foreign key on ${table.key} (${columns.join(", ")})`);
    return { remote: key.refTable, mapping: key.columns.map((column, i) => [column, key.refColumns[i]!]) };
  }
  if (isObject(on)) {
    const remote = tableKey(parseQualifiedTable(on.table, `${where} table`));
    const columns = typeof on.column === "string" ? [on.column] : Array.isArray(on.columns) ? (on.columns as string[]) : [];
    const key = foreignKeys.find((candidate) => candidate.table === remote && candidate.refTable === table.key && sameColumns(candidate.columns, columns));
    if (!key) throw new Error(`${where}: no foreign key on ${remote} (${columns.join(", ")}) to ${table.key}`);
    return { remote, mapping: key.refColumns.map((column, i) => [column, key.columns[i]!]) };
  }
  throw new Error(`${where}: expected foreign_key_constraint_on or manual_configuration`);
}

/** A tracked table, or Hasura's refusal of a root field that does not exist (`prefix` is e.g. "insert_"). */
function lookupTable(tables: Map<string, TableInfo>, table: string, rootType: string, prefix = ""): TableInfo {
  const info = tables.get(tableKeyOf(table));
  if (!info) throw notFound(prefix + table.replace(/^public\./, "").replace(".", "_"), rootType);
  return info;
}

function buildSelect(tables: Map<string, TableInfo>, session: Record<string, string>, table: string, options: SelectOptions) {
  const role = requireRole(session);
  const parameters = new Parameters(session);
  const info = lookupTable(tables, table, "query_root");
  const permissionTranslator = new Translator(tables, session, role, parameters, "permission");
  const permission = permissionTranslator.selectPermission(info);
  if (!permission) throw notFound(info.graphqlName, "query_root");
  const columns = options.columns ?? permission.columns;
  for (const column of columns) if (!permission.columns.includes(column)) throw notFound(column, info.graphqlName);
  if (columns.length === 0) throw new PermissionDenied("validation-failed", `no columns of ${info.graphqlName} are selectable`);
  const root = quote("_root");
  const scope: Scope = { current: root, currentTable: info, root, rootTable: info };
  const filter = permissionTranslator.boolExp(permission.filter, scope);
  const clientWhere = options.where ? new Translator(tables, session, role, parameters, "client").boolExp(options.where, scope) : "true";
  const limits = [permission.limit, options.limit].filter((limit): limit is number => typeof limit === "number");
  const limit = limits.length > 0 ? ` LIMIT ${Math.min(...limits)}` : "";
  const text = `SELECT ${columns.map((column) => `${root}.${quote(column)}`).join(", ")} FROM ${qualified(info)} AS ${root} WHERE ${and([filter, clientWhere])}${limit}`;
  return { text, values: parameters.values };
}

function requireRole(session: Record<string, string>): string {
  const role = session["x-hasura-role"];
  if (!role) throw new PermissionDenied("not-found", `missing session variable: "x-hasura-role"`);
  return role;
}

interface MutationContext {
  tables: Map<string, TableInfo>;
  session: Record<string, string>;
  client: ClientBase;
}

/** The SQL of a preset (`set`) value: a session variable or a literal, cast to the column's type. */
function presetValue(translator: Translator, info: TableInfo, column: string, value: unknown): string {
  const type = info.columns.get(column)?.type;
  if (!type) throw new Error(`preset of ${info.key}: no column "${column}"`);
  return translator.value(value, type);
}

async function runInsert(
  context: MutationContext,
  table: string,
  rows: Record<string, unknown>[],
  onConflict: { constraint: string; update_columns: string[] } | undefined,
): Promise<Record<string, unknown>[]> {
  const { tables, session } = context;
  const role = requireRole(session);
  const info = lookupTable(tables, table, "mutation_root", "insert_");
  const insertField = `insert_${info.graphqlName}`;
  const all = [...info.columns.keys()];
  const permission: InsertPermission | undefined =
    role === adminRole ? { columns: all, check: {}, set: {} } : usable(info.insert.get(role), session);
  if (!permission) throw notFound(insertField, "mutation_root");
  const parameters = new Parameters(session);
  const translator = new Translator(tables, session, role, parameters, "permission");
  const inputType = `${info.graphqlName}_insert_input`;
  const presets = Object.keys(permission.set);
  const clientColumns: string[] = [];
  for (const row of rows) {
    for (const column of Object.keys(row)) {
      if (!permission.columns.includes(column) || presets.includes(column)) throw notFound(column, inputType);
      if (!clientColumns.includes(column)) clientColumns.push(column);
    }
  }
  const presetSql = presets.map((column) => presetValue(translator, info, column, permission.set[column]));
  const columns = [...clientColumns, ...presets];
  let values: string;
  if (columns.length === 0) {
    if (rows.length !== 1) throw new Error("inserting several rows with no columns at all is not supported by this translator");
    values = "DEFAULT VALUES";
  } else {
    const tuples = rows.map((row) => {
      const clientValues = clientColumns.map((column) => (column in row ? parameters.add(row[column], info.columns.get(column)!.type) : "DEFAULT"));
      return `(${[...clientValues, ...presetSql].join(", ")})`;
    });
    values = `(${columns.map(quote).join(", ")}) VALUES ${tuples.join(", ")}`;
  }
  const target = qualified(info);
  const scope: Scope = { current: target, currentTable: info, root: target, rootTable: info };
  const insertCheck = translator.boolExp(permission.check, scope);
  let conflict = "";
  let check = insertCheck;
  if (onConflict) {
    const update: UpdatePermission | undefined =
      role === adminRole ? { columns: all, filter: {}, check: null, set: {} } : usable(info.update.get(role), session);
    // Hasura offers on_conflict only to a role that may update the table.
    if (!update) throw new PermissionDenied("validation-failed", `'${insertField}' has no argument named 'on_conflict'`);
    if (!info.constraints.has(onConflict.constraint)) {
      throw new PermissionDenied("validation-failed", `unexpected value '${onConflict.constraint}' for enum: '${info.graphqlName}_constraint'`);
    }
    for (const column of onConflict.update_columns) {
      if (!update.columns.includes(column)) throw new PermissionDenied("validation-failed", `unexpected value '${column}' for enum: '${info.graphqlName}_update_column'`);
    }
    const updatePresets = Object.entries(update.set).map(([column, value]) => `${quote(column)} = ${presetValue(translator, info, column, value)}`);
    const assignments = [...onConflict.update_columns.map((column) => `${quote(column)} = EXCLUDED.${quote(column)}`), ...updatePresets];
    if (onConflict.update_columns.length === 0) {
      conflict = ` ON CONFLICT ON CONSTRAINT ${quote(onConflict.constraint)} DO NOTHING`;
    } else {
      conflict = ` ON CONFLICT ON CONSTRAINT ${quote(onConflict.constraint)} DO UPDATE SET ${assignments.join(", ")} WHERE ${translator.boolExp(update.filter, scope)}`;
      if (update.check) check = `CASE WHEN ${target}."xmax" = 0 THEN ${insertCheck} ELSE ${translator.boolExp(update.check, scope)} END`;
    }
  }
  const text = `WITH "mutation_result" AS (INSERT INTO ${target} ${values}${conflict} RETURNING *, (${check})::boolean AS "check__constraint") SELECT * FROM "mutation_result"`;
  return runMutation(context, text, parameters.values, "insert");
}

async function runUpdate(context: MutationContext, table: string, where: BoolExp, set: Record<string, unknown>): Promise<Record<string, unknown>[]> {
  const { tables, session } = context;
  const role = requireRole(session);
  const info = lookupTable(tables, table, "mutation_root", "update_");
  const all = [...info.columns.keys()];
  const permission: UpdatePermission | undefined =
    role === adminRole ? { columns: all, filter: {}, check: null, set: {} } : usable(info.update.get(role), session);
  if (!permission) throw notFound(`update_${info.graphqlName}`, "mutation_root");
  const presets = Object.keys(permission.set);
  for (const column of Object.keys(set)) {
    if (!permission.columns.includes(column) || presets.includes(column)) throw notFound(column, `${info.graphqlName}_set_input`);
  }
  if (Object.keys(set).length === 0) throw new PermissionDenied("validation-failed", "at least any one of _set, _inc, _prepend, _append, _delete_key, _delete_elem, _delete_at_path is expected");
  const parameters = new Parameters(session);
  const translator = new Translator(tables, session, role, parameters, "permission");
  const assignments = [
    ...Object.entries(set).map(([column, value]) => `${quote(column)} = ${parameters.add(value, info.columns.get(column)!.type)}`),
    ...presets.map((column) => `${quote(column)} = ${presetValue(translator, info, column, permission.set[column])}`),
  ];
  const target = qualified(info);
  const scope: Scope = { current: target, currentTable: info, root: target, rootTable: info };
  const filter = translator.boolExp(permission.filter, scope);
  const clientWhere = new Translator(tables, session, role, parameters, "client").boolExp(where, scope);
  const check = permission.check ? translator.boolExp(permission.check, scope) : "true";
  const text = `WITH "mutation_result" AS (UPDATE ${target} SET ${assignments.join(", ")} WHERE ${and([filter, clientWhere])} RETURNING *, (${check})::boolean AS "check__constraint") SELECT * FROM "mutation_result"`;
  return runMutation(context, text, parameters.values, "update");
}

async function runDelete(context: MutationContext, table: string, where: BoolExp): Promise<Record<string, unknown>[]> {
  const { tables, session } = context;
  const role = requireRole(session);
  const info = lookupTable(tables, table, "mutation_root", "delete_");
  const permission: DeletePermission | undefined = role === adminRole ? { filter: {} } : usable(info.delete.get(role), session);
  if (!permission) throw notFound(`delete_${info.graphqlName}`, "mutation_root");
  const parameters = new Parameters(session);
  const target = qualified(info);
  const scope: Scope = { current: target, currentTable: info, root: target, rootTable: info };
  const filter = new Translator(tables, session, role, parameters, "permission").boolExp(permission.filter, scope);
  const clientWhere = new Translator(tables, session, role, parameters, "client").boolExp(where, scope);
  const text = `WITH "mutation_result" AS (DELETE FROM ${target} WHERE ${and([filter, clientWhere])} RETURNING *, true AS "check__constraint") SELECT * FROM "mutation_result"`;
  return runMutation(context, text, parameters.values, null);
}

/**
 * One mutation as Hasura runs it: a transaction that sets `hasura.user` to the session (what this project's triggers
 * read), the statement, then the permission check over every returned row; a failed check rolls everything back.
 */
async function runMutation(context: MutationContext, text: string, values: unknown[], checked: "insert" | "update" | null): Promise<Record<string, unknown>[]> {
  const { client, session } = context;
  await client.query("BEGIN");
  try {
    await client.query("select set_config('hasura.user', $1, true)", [JSON.stringify(session)]);
    const result = await runQuery(client, text, values);
    if (checked && !result.rows.every((row) => row.check__constraint === true)) {
      throw new PermissionDenied("permission-error", `check constraint of an ${checked} permission has failed`);
    }
    await client.query("COMMIT");
    return result.rows.map(({ check__constraint: _check, ...row }) => row);
  } catch (error) {
    await client.query("ROLLBACK").catch(() => undefined);
    throw error;
  }
}

/** Postgres errors as Hasura reports them (dmlTxErrorHandler): constraint violations and bad values get their codes. */
async function runQuery(client: ClientBase, text: string, values: unknown[]) {
  try {
    return await client.query(text, values);
  } catch (error) {
    const code = (error as { code?: string }).code ?? "";
    const message = (error as Error).message;
    const prefixes: Record<string, string> = {
      "23505": "Uniqueness violation. ",
      "23503": "Foreign key violation. ",
      "23514": "Check constraint violation. ",
      "23502": "Not-NULL violation. ",
      "23P01": "Exclusion violation. ",
    };
    if (prefixes[code]) throw new PermissionDenied("constraint-violation", prefixes[code] + message);
    if (code.startsWith("22")) throw new PermissionDenied("data-exception", message);
    throw error;
  }
}
