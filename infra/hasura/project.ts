/**
 * Reads the Hasura CLI project in `hasura/` (config v3): migrations, seeds and the metadata directory.
 *
 * The Pulumi program imports this module, so it has no Pulumi imports and does no work at import time:
 * files are read only when a function is called.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { Kind, parse as parseGraphql } from "graphql";
import type { DefinitionNode, FieldDefinitionNode, InputValueDefinitionNode, TypeNode } from "graphql";
import * as YAML from "yaml";

/** Absolute path of the Hasura CLI project (`<repo>/hasura`). */
export const hasuraProjectDir: string = path.resolve(__dirname, "..", "..", "hasura");

/** One migration directory `migrations/<database>/<version>_<name>/`. */
export interface Migration {
  /** The numeric version the CLI records in `hdb_catalog.schema_migrations` (the directory name's prefix). */
  version: string;
  /** The rest of the directory name after `<version>_`. */
  name: string;
  /** Contents of `up.sql`. */
  up: string;
  /** Contents of `down.sql`, or "" when the migration has none. */
  down: string;
}

/** One seed file `seeds/<database>/<file>.sql`. */
export interface Seed {
  /** The file name, e.g. `1_role_catalogue.sql`. */
  file: string;
  sql: string;
}

const migrationDirPattern = /^(\d+)_(.+)$/;

/**
 * Lists the migrations of one database in version order (numeric, as the CLI sorts them).
 *
 * @param projectDir the Hasura CLI project directory (the one holding `config.yaml`)
 * @param database the source name in `metadata/databases/databases.yaml`
 * @default database "default"
 * @throws when the directory is missing, an entry is not `<version>_<name>/`, a version repeats or `up.sql` is missing
 */
export function readMigrations(projectDir: string, database = "default"): Migration[] {
  const migrationsDir = path.join(projectDir, "migrations", database);
  if (!fs.existsSync(migrationsDir)) {
    throw new Error(`Hasura project has no migrations for database "${database}": ${migrationsDir} does not exist`);
  }
  const migrations: Migration[] = [];
  for (const entry of fs.readdirSync(migrationsDir, { withFileTypes: true })) {
    if (entry.name.startsWith(".")) continue;
    const match = migrationDirPattern.exec(entry.name);
    if (!entry.isDirectory() || !match) {
      throw new Error(
        `Unexpected entry ${path.join(migrationsDir, entry.name)}: migrations must be directories named <version>_<name>`,
      );
    }
    const dir = path.join(migrationsDir, entry.name);
    const upFile = path.join(dir, "up.sql");
    const downFile = path.join(dir, "down.sql");
    if (!fs.existsSync(upFile)) {
      throw new Error(`Migration ${entry.name} has no up.sql (${upFile})`);
    }
    migrations.push({
      version: match[1],
      name: match[2],
      up: fs.readFileSync(upFile, "utf8"),
      down: fs.existsSync(downFile) ? fs.readFileSync(downFile, "utf8") : "",
    });
  }
  migrations.sort((a, b) => compareVersions(a.version, b.version));
  for (let i = 1; i < migrations.length; i++) {
    // The CLI parses versions as integers, so 01 and 1 are the same version.
    if (compareVersions(migrations[i].version, migrations[i - 1].version) === 0) {
      throw new Error(
        `Two migrations share version ${migrations[i].version}: ${migrations[i - 1].name} and ${migrations[i].name}`,
      );
    }
  }
  return migrations;
}

/** Numeric comparison of decimal version strings of any length (they exceed Number.MAX_SAFE_INTEGER). */
function compareVersions(a: string, b: string): number {
  const diff = BigInt(a) - BigInt(b);
  return diff < 0n ? -1 : diff > 0n ? 1 : 0;
}

/**
 * Lists the seed files of one database in file-name order, the order `hasura seed apply` uses.
 *
 * @param projectDir the Hasura CLI project directory
 * @param database the source name
 * @default database "default"
 * @returns [] when the project has no seeds for this database
 */
export function readSeeds(projectDir: string, database = "default"): Seed[] {
  const seedsDir = path.join(projectDir, "seeds", database);
  if (!fs.existsSync(seedsDir)) return [];
  return fs
    .readdirSync(seedsDir, { withFileTypes: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith(".sql"))
    .map((entry) => entry.name)
    .sort()
    .map((file) => ({ file, sql: fs.readFileSync(path.join(seedsDir, file), "utf8") }));
}

/**
 * Whether a seed file holds demo data, which the deploy applies only where config enables demo data.
 * Convention: demo seed file names contain "demo" (e.g. `90_demo_data_only_when_enabled.sql`).
 */
export function isDemoSeed(seed: Pick<Seed, "file">): boolean {
  return /demo/i.test(seed.file);
}

/**
 * The top-level metadata files of the CLI's v3 directory format (besides version.yaml, databases/ and
 * actions.*) and the metadata key each one holds. Files may be absent; empty values are left out, as
 * the server leaves them out of `export_metadata`.
 */
const metadataFiles: ReadonlyArray<{ file: string; key: string }> = [
  { file: "remote_schemas.yaml", key: "remote_schemas" },
  { file: "query_collections.yaml", key: "query_collections" },
  { file: "allow_list.yaml", key: "allowlist" },
  { file: "cron_triggers.yaml", key: "cron_triggers" },
  { file: "network.yaml", key: "network" },
  { file: "rest_endpoints.yaml", key: "rest_endpoints" },
  { file: "api_limits.yaml", key: "api_limits" },
  { file: "inherited_roles.yaml", key: "inherited_roles" },
  { file: "graphql_schema_introspection.yaml", key: "graphql_schema_introspection" },
  { file: "metrics_config.yaml", key: "metrics_config" },
  { file: "backend_configs.yaml", key: "backend_configs" },
  { file: "opentelemetry.yaml", key: "opentelemetry" },
];

/**
 * Reads `metadata/` (CLI config v3 directory format) into the single metadata object that
 * `replace_metadata` takes and `export_metadata` returns: `!include` references are resolved,
 * `actions.graphql` + `actions.yaml` become `actions` (with their definitions) and `custom_types`.
 *
 * @param projectDir the Hasura CLI project directory
 * @throws on a missing `version.yaml`, a version other than 3, a missing `!include` target, YAML or GraphQL syntax errors
 */
export function readMetadata(projectDir: string): Record<string, unknown> {
  const metadataDir = path.join(projectDir, "metadata");
  const versionFile = path.join(metadataDir, "version.yaml");
  if (!fs.existsSync(versionFile)) {
    throw new Error(`Not a Hasura metadata directory: ${versionFile} does not exist`);
  }
  const version = (readYamlFile(versionFile) as { version?: unknown } | null)?.version;
  if (version !== 3) {
    throw new Error(`${versionFile}: expected metadata version 3, found ${JSON.stringify(version)}`);
  }

  const metadata: Record<string, unknown> = { version: 3 };
  const databasesFile = path.join(metadataDir, "databases", "databases.yaml");
  metadata.sources = fs.existsSync(databasesFile) ? (readYamlFile(databasesFile) ?? []) : [];

  const actions = readActions(metadataDir);
  if (actions && actions.actions.length > 0) metadata.actions = actions.actions;
  if (actions && actions.customTypes) metadata.custom_types = actions.customTypes;
  for (const { file, key } of metadataFiles) {
    const filePath = path.join(metadataDir, file);
    if (!fs.existsSync(filePath)) continue;
    const value = readYamlFile(filePath);
    if (!isEmpty(value)) metadata[key] = value;
  }
  return metadata;
}

function isEmpty(value: unknown): boolean {
  if (value === null || value === undefined) return true;
  if (Array.isArray(value)) return value.length === 0;
  if (typeof value === "object") return Object.keys(value).length === 0;
  return false;
}

/**
 * The CLI writes includes as the string `"!include <relative path>"`; a hand-written file may use the
 * YAML tag `!include <path>` instead. Both resolve relative to the directory of the file that includes.
 */
const includeStringPattern = /^!include\s+(\S.*)$/;

class IncludeReference {
  constructor(readonly target: string) {}
}

const includeTag: YAML.ScalarTag = {
  tag: "!include",
  resolve: (value: string) => new IncludeReference(value.trim()),
};

function readYamlFile(filePath: string, seen: readonly string[] = []): unknown {
  if (seen.includes(filePath)) {
    throw new Error(`!include cycle: ${[...seen, filePath].join(" -> ")}`);
  }
  if (!fs.existsSync(filePath)) {
    const includer = seen[seen.length - 1];
    throw new Error(`${filePath} does not exist${includer ? ` (included from ${includer})` : ""}`);
  }
  const document = YAML.parseDocument(fs.readFileSync(filePath, "utf8"), { customTags: [includeTag] });
  if (document.errors.length > 0) {
    throw new Error(`${filePath}: invalid YAML: ${document.errors.map((e) => e.message).join("; ")}`);
  }
  return resolveIncludes(document.toJS(), path.dirname(filePath), [...seen, filePath]);
}

function resolveIncludes(value: unknown, baseDir: string, seen: readonly string[]): unknown {
  if (value instanceof IncludeReference) {
    return readYamlFile(path.resolve(baseDir, value.target), seen);
  }
  if (typeof value === "string") {
    const match = includeStringPattern.exec(value);
    return match ? readYamlFile(path.resolve(baseDir, match[1].trim()), seen) : value;
  }
  if (Array.isArray(value)) return value.map((item) => resolveIncludes(item, baseDir, seen));
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [key, resolveIncludes(item, baseDir, seen)]),
    );
  }
  return value;
}

interface ActionsMetadata {
  actions: Record<string, unknown>[];
  customTypes: Record<string, unknown[]> | undefined;
}

/**
 * Merges `actions.graphql` (SDL: the Query/Mutation fields are the actions, other types are custom types)
 * with `actions.yaml` (handlers, permissions, kinds), the way `hasura metadata apply` does.
 */
function readActions(metadataDir: string): ActionsMetadata | undefined {
  const yamlFile = path.join(metadataDir, "actions.yaml");
  const graphqlFile = path.join(metadataDir, "actions.graphql");
  if (!fs.existsSync(yamlFile) && !fs.existsSync(graphqlFile)) return undefined;

  const actionsYaml = (fs.existsSync(yamlFile) ? readYamlFile(yamlFile) : null) as {
    actions?: Array<Record<string, unknown> & { name: string; definition?: Record<string, unknown> }>;
    custom_types?: Record<string, Array<Record<string, unknown> & { name: string }>>;
  } | null;
  const sdl = fs.existsSync(graphqlFile) ? fs.readFileSync(graphqlFile, "utf8") : "";
  const definitions = parseActionsSdl(sdl, graphqlFile);

  const actions = (actionsYaml?.actions ?? []).map((action) => {
    const field = definitions.fields.get(action.name);
    if (!field) {
      throw new Error(`${yamlFile}: action "${action.name}" has no field in type Query or Mutation of ${graphqlFile}`);
    }
    return {
      ...action,
      definition: { ...action.definition, ...field },
    };
  });
  const declared = new Set(actions.map((action) => action.name));
  for (const name of definitions.fields.keys()) {
    if (!declared.has(name)) {
      throw new Error(`${graphqlFile}: action "${name}" has no entry in ${yamlFile}`);
    }
  }

  // actions.yaml keeps per-type extras (e.g. relationships of output objects) that the SDL cannot express.
  const extras = new Map<string, Record<string, unknown>>();
  for (const list of Object.values(actionsYaml?.custom_types ?? {})) {
    for (const item of list ?? []) extras.set(item.name, item);
  }
  const kinds = Object.entries(definitions.customTypes);
  // Like the CLI: all four lists when any custom type exists, no custom_types at all otherwise.
  const customTypes = kinds.some(([, types]) => types.length > 0)
    ? Object.fromEntries(
        kinds.map(([kind, types]) => [kind, types.map((type) => ({ ...extras.get(type.name as string), ...type }))]),
      )
    : undefined;
  return { actions, customTypes };
}

interface ParsedActionsSdl {
  /** Action name -> the definition part derived from SDL (type, arguments, output_type). */
  fields: Map<string, Record<string, unknown>>;
  customTypes: {
    enums: Record<string, unknown>[];
    input_objects: Record<string, unknown>[];
    objects: Record<string, unknown>[];
    scalars: Record<string, unknown>[];
  };
}

function parseActionsSdl(sdl: string, fileName: string): ParsedActionsSdl {
  const result: ParsedActionsSdl = {
    fields: new Map(),
    customTypes: { enums: [], input_objects: [], objects: [], scalars: [] },
  };
  if (sdl.trim() === "") return result;
  let definitions: readonly DefinitionNode[];
  try {
    definitions = parseGraphql(sdl).definitions;
  } catch (error) {
    throw new Error(`${fileName}: ${(error as Error).message}`);
  }
  const description = (node: { description?: { value: string } }) =>
    node.description ? { description: node.description.value } : {};
  const toArgument = (arg: InputValueDefinitionNode) => ({
    name: arg.name.value,
    type: typeToString(arg.type),
    ...description(arg),
  });
  const toField = (field: FieldDefinitionNode | InputValueDefinitionNode) => ({
    name: field.name.value,
    type: typeToString(field.type),
    ...description(field),
  });

  for (const definition of definitions) {
    switch (definition.kind) {
      case Kind.OBJECT_TYPE_DEFINITION:
      case Kind.OBJECT_TYPE_EXTENSION: {
        const typeName = definition.name.value;
        if (typeName === "Query" || typeName === "Mutation") {
          for (const field of definition.fields ?? []) {
            result.fields.set(field.name.value, {
              type: typeName === "Query" ? "query" : "mutation",
              arguments: (field.arguments ?? []).map(toArgument),
              output_type: typeToString(field.type),
            });
          }
        } else {
          result.customTypes.objects.push({
            name: typeName,
            ...("description" in definition ? description(definition) : {}),
            fields: (definition.fields ?? []).map(toField),
          });
        }
        break;
      }
      case Kind.INPUT_OBJECT_TYPE_DEFINITION:
        result.customTypes.input_objects.push({
          name: definition.name.value,
          ...description(definition),
          fields: (definition.fields ?? []).map(toField),
        });
        break;
      case Kind.SCALAR_TYPE_DEFINITION:
        result.customTypes.scalars.push({ name: definition.name.value, ...description(definition) });
        break;
      case Kind.ENUM_TYPE_DEFINITION:
        result.customTypes.enums.push({
          name: definition.name.value,
          ...description(definition),
          values: (definition.values ?? []).map((value) => ({ value: value.name.value, ...description(value) })),
        });
        break;
      default:
        throw new Error(`${fileName}: unsupported definition kind ${definition.kind} in actions SDL`);
    }
  }
  return result;
}

function typeToString(type: TypeNode): string {
  switch (type.kind) {
    case Kind.NON_NULL_TYPE:
      return `${typeToString(type.type)}!`;
    case Kind.LIST_TYPE:
      return `[${typeToString(type.type)}]`;
    default:
      return type.name.value;
  }
}

/**
 * The metadata with `pool_settings.max_connections` of one source set to `maxConnections`. Hasura opens that many
 * connections per instance for the source (https://hasura.io/docs/latest/databases/database-config/cloud-connection-pooling:
 * "applicable per server instance"), and `replace_metadata` replaces whatever HASURA_GRAPHQL_PG_CONNECTIONS seeded, so
 * the deploy writes the stack's `hasura.poolSize` here instead of the number in databases.yaml.
 *
 * @throws when the metadata has no such source (the budget would count a pool that does not exist)
 */
export function withSourcePoolSize(metadata: Record<string, unknown>, source: string, maxConnections: number): Record<string, unknown> {
  type SourceEntry = { name?: unknown; configuration?: { connection_info?: { pool_settings?: Record<string, unknown> } & Record<string, unknown> } & Record<string, unknown> };
  const sources = Array.isArray(metadata.sources) ? (metadata.sources as SourceEntry[]) : [];
  if (!sources.some((candidate) => candidate.name === source)) {
    throw new Error(`metadata has no database source "${source}" to size the pool of (metadata/databases/databases.yaml)`);
  }
  return {
    ...metadata,
    sources: sources.map((candidate) => {
      if (candidate.name !== source) return candidate;
      const configuration = candidate.configuration ?? {};
      const connectionInfo = configuration.connection_info ?? {};
      return {
        ...candidate,
        configuration: {
          ...configuration,
          connection_info: { ...connectionInfo, pool_settings: { ...connectionInfo.pool_settings, max_connections: maxConnections } },
        },
      };
    }),
  };
}
