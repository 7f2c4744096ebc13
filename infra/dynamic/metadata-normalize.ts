/**
 * Normalizes Hasura metadata (v3, Postgres sources) so that two metadata objects Hasura treats the same
 * compare equal, and any difference Hasura would act on remains a difference. Rules:
 *
 * 1. Object key order never matters: keys are sorted.
 * 2. Arrays that Hasura keys by a name (tables by `table`, relationships and triggers by `name`,
 *    permissions by `role`, ...) and plain lists that are sets (permission and trigger `columns`, ...)
 *    are sorted. Arrays whose order shows in the GraphQL schema (action `arguments`, custom type `fields`,
 *    enum `values`) or in evaluation (`_and`, `_or`) keep their order.
 * 3. Absent, `null`, `[]` and `{}` are the same ("not set"); so are documented defaults that Hasura's
 *    `export_metadata` leaves out (see `defaultValues`); a table or function named by a bare string is the
 *    `{ schema: "public", name }` object Hasura reads it as.
 *
 * Pure functions without imports: the metadata provider captures them (see ./hasura-api.ts).
 */

/** The key identifying each element of an array held under this property name. `"value"`: a set of scalars. */
const setIdentity: Readonly<Record<string, string>> = {
  sources: "name",
  tables: "table",
  functions: "function",
  object_relationships: "name",
  array_relationships: "name",
  remote_relationships: "name",
  computed_fields: "name",
  insert_permissions: "role",
  select_permissions: "role",
  update_permissions: "role",
  delete_permissions: "role",
  event_triggers: "name",
  actions: "name",
  permissions: "role",
  cron_triggers: "name",
  remote_schemas: "name",
  query_collections: "name",
  allowlist: "collection",
  inherited_roles: "role_name",
  role_set: "value",
  rest_endpoints: "name",
  headers: "name",
  objects: "name",
  input_objects: "name",
  scalars: "name",
  enums: "name",
  relationships: "name",
  columns: "value",
  query_root_fields: "value",
  subscription_root_fields: "value",
  disabled_for_roles: "value",
};

/**
 * Keys whose value names a Postgres table or function (`QualifiedTable`: a bare string means schema public).
 * A plain array, not a Set: Pulumi's closure serialization copies module-level objects property by property,
 * which loses a Set's contents.
 */
const qualifiedNameKeys: readonly string[] = ["table", "remote_table", "function"];

/** Documented defaults that mean the same as leaving the key out. */
const defaultValues: ReadonlyArray<readonly [string, unknown]> = [
  ["is_enum", false],
  ["allow_aggregations", false],
  ["backend_only", false],
  ["forward_client_headers", false],
  ["kind", "synchronous"],
  ["cascade", false],
];

/**
 * @returns the normalized form of `metadata` (plain JSON data); `{}` when nothing is set
 */
export function normalizeMetadata(metadata: unknown): unknown {
  const normalized = normalizeValue(metadata, undefined);
  return normalized === undefined ? {} : normalized;
}

/** JSON with sorted object keys at every level, so equal values give equal text. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== "object") return JSON.stringify(value ?? null);
  if (Array.isArray(value)) return `[${value.map((item) => canonicalJson(item)).join(",")}]`;
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record)
    .filter((key) => record[key] !== undefined)
    .sort();
  return `{${keys.map((key) => `${JSON.stringify(key)}:${canonicalJson(record[key])}`).join(",")}}`;
}

/** True when Hasura would treat both metadata objects the same (see the rules above). */
export function metadataEquivalent(a: unknown, b: unknown): boolean {
  return canonicalJson(normalizeMetadata(a)) === canonicalJson(normalizeMetadata(b));
}

/** Returns undefined for "not set" values so that the caller drops them. */
function normalizeValue(value: unknown, key: string | undefined): unknown {
  if (value === null || value === undefined) return undefined;
  if (key !== undefined && qualifiedNameKeys.includes(key) && typeof value === "string") {
    return { name: value, schema: "public" };
  }
  if (Array.isArray(value)) {
    const items = value.map((item) => normalizeValue(item, undefined)).filter((item) => item !== undefined);
    if (items.length === 0) return undefined;
    const identity = key === undefined ? undefined : setIdentity[key];
    if (identity === undefined) return items;
    const sortKey = (item: unknown): string => {
      if (identity !== "value" && item !== null && typeof item === "object" && !Array.isArray(item)) {
        const id = (item as Record<string, unknown>)[identity];
        if (id !== undefined) return canonicalJson(id);
      }
      return canonicalJson(item);
    };
    return items
      .map((item) => ({ item, sortKey: sortKey(item) }))
      .sort((x, y) => (x.sortKey < y.sortKey ? -1 : x.sortKey > y.sortKey ? 1 : 0))
      .map((entry) => entry.item);
  }
  if (typeof value === "object") {
    const record = value as Record<string, unknown>;
    const result: Record<string, unknown> = {};
    for (const childKey of Object.keys(record).sort()) {
      const child = normalizeValue(record[childKey], childKey);
      if (child === undefined) continue;
      if (defaultValues.some(([defaultKey, defaultValue]) => defaultKey === childKey && defaultValue === child)) continue;
      result[childKey] = child;
    }
    if (key !== undefined && qualifiedNameKeys.includes(key) && typeof result.name === "string" && result.schema === undefined) {
      result.schema = "public";
    }
    return Object.keys(result).length === 0 ? undefined : result;
  }
  return value;
}
