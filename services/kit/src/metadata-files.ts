import * as fs from "node:fs";
import * as path from "node:path";
import { parse as parseYaml, type Tags } from "yaml";
import { z } from "zod";
import {
  actionEntrySchema,
  cronTriggerEntrySchema,
  eventTriggerEntrySchema,
  type HasuraMetadataSnapshot,
  type HasuraTableEventTrigger,
} from "./drift/metadata";

/** Hasura CLI writes `!include file.yaml` both as a plain string and, by hand, as a YAML tag. */
const includeTag: Tags[number] = {
  tag: "!include",
  resolve: (value: string) => `!include ${value}`,
};

/**
 * Reads the metadata a service's drift check needs from a Hasura CLI project (`config.yaml`, `metadata/`):
 * actions.graphql, actions.yaml, cron_triggers.yaml and each tracked table's event triggers, following
 * `!include`. Missing files count as empty; malformed ones throw with the file name.
 */
export function readHasuraMetadata(hasuraDir: string): HasuraMetadataSnapshot {
  const metadataDir = path.join(hasuraDir, metadataDirectoryName(hasuraDir));
  if (!fs.existsSync(metadataDir)) throw new Error(`no Hasura metadata folder at ${metadataDir}`);

  const actionsGraphqlFile = path.join(metadataDir, "actions.graphql");
  const actionsGraphql = fs.existsSync(actionsGraphqlFile) ? fs.readFileSync(actionsGraphqlFile, "utf8") : "";

  const actionsFile = readYamlWithIncludes(path.join(metadataDir, "actions.yaml"));
  const actions = parseWith(
    z.object({ actions: z.array(actionEntrySchema).nullish() }).nullish(),
    actionsFile,
    "actions.yaml",
  )?.actions ?? [];

  const cronTriggers =
    parseWith(z.array(cronTriggerEntrySchema).nullish(), readYamlWithIncludes(path.join(metadataDir, "cron_triggers.yaml")), "cron_triggers.yaml") ?? [];

  const eventTriggers: HasuraTableEventTrigger[] = [];
  const sources = parseWith(
    z.array(z.object({ name: z.string(), tables: z.unknown().optional() })).nullish(),
    readYamlWithIncludes(path.join(metadataDir, "databases", "databases.yaml")),
    "databases/databases.yaml",
  );
  const tableSchema = z.object({
    table: z.object({ schema: z.string().default("public"), name: z.string() }),
    event_triggers: z.array(eventTriggerEntrySchema).nullish(),
  });
  for (const source of sources ?? []) {
    const tables = parseWith(z.array(tableSchema).nullish(), source.tables, `tables of database ${source.name}`) ?? [];
    for (const table of tables) {
      for (const trigger of table.event_triggers ?? []) eventTriggers.push({ source: source.name, table: table.table, trigger });
    }
  }

  return { actionsGraphql, actions, cronTriggers, eventTriggers };
}

function metadataDirectoryName(hasuraDir: string): string {
  const configFile = path.join(hasuraDir, "config.yaml");
  if (!fs.existsSync(configFile)) return "metadata";
  const config = parseYaml(fs.readFileSync(configFile, "utf8")) as { metadata_directory?: unknown } | null;
  return typeof config?.metadata_directory === "string" ? config.metadata_directory : "metadata";
}

/** Parses a YAML file (undefined when absent) and replaces every `!include <file>` by that file's content. */
function readYamlWithIncludes(file: string): unknown {
  if (!fs.existsSync(file)) return undefined;
  let parsed: unknown;
  try {
    parsed = parseYaml(fs.readFileSync(file, "utf8"), { customTags: [includeTag] });
  } catch (error) {
    throw new Error(`${file}: ${(error as Error).message}`);
  }
  return resolveIncludes(parsed, path.dirname(file));
}

function resolveIncludes(value: unknown, baseDir: string): unknown {
  if (typeof value === "string") {
    const match = /^!include\s+(.+)$/.exec(value.trim());
    if (!match) return value;
    const included = path.resolve(baseDir, match[1]!.trim());
    if (!fs.existsSync(included)) throw new Error(`!include ${match[1]}: ${included} does not exist`);
    return readYamlWithIncludes(included);
  }
  if (Array.isArray(value)) return value.map((item) => resolveIncludes(item, baseDir));
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, resolveIncludes(item, baseDir)]));
  }
  return value;
}

function parseWith<T extends z.ZodType>(schema: T, value: unknown, where: string): z.output<T> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`Hasura metadata ${where}: ${issue?.path.join(".") || "(root)"}: ${issue?.message}`);
  }
  return parsed.data;
}
