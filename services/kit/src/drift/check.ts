import {
  Kind,
  parse,
  print,
  type DocumentNode,
  type FieldDefinitionNode,
  type InputValueDefinitionNode,
  type TypeNode,
} from "graphql/language";
import { z } from "zod";
import { normalizeRoutes, unauthorizedRole, type ServiceRoutes } from "../definitions";
import { eventSecretHeader } from "../secret";
import { serviceUrlEnvName, type HasuraHeaderEntry, type HasuraMetadataSnapshot } from "./metadata";

/**
 * Compares a service's handlers with the Hasura metadata and lists every disagreement (empty when none):
 * - every handler file has its metadata entry pointing at `{{PULSURA_SERVICE_<NAME>_URL}}/<kind>/<name>`,
 *   and every metadata entry pointing at the service has its handler file;
 * - every entry sends `X-Pulsura-Event-Secret` from env `PULSURA_EVENT_SECRET`;
 * - each action's zod input agrees with its arguments in actions.graphql (names, types, nullability),
 *   and its roles with the action's permissions;
 * - each event handler's table matches its trigger's table; each cron's payload in metadata parses.
 */
export function checkDrift(service: { name: string; routes: ServiceRoutes }, metadata: HasuraMetadataSnapshot): string[] {
  const problems: string[] = [];
  const routes = normalizeRoutes(service.routes);
  const envName = serviceUrlEnvName(service.name);
  const owner = `the ${service.name} service`;

  let schema: ActionsSchema | undefined;
  try {
    schema = indexActionsSchema(parse(metadata.actionsGraphql || "scalar _Empty"));
  } catch (error) {
    problems.push(`actions.graphql does not parse: ${(error as Error).message}`);
  }

  // Actions
  for (const entry of metadata.actions) {
    const target = parseWebhook(entry.definition.handler);
    if (target?.env !== envName) continue;
    const expected = `/actions/${entry.name}`;
    if (target.path !== expected) {
      problems.push(`actions.yaml: action ${entry.name} points to ${entry.definition.handler}; it must end in ${expected}`);
    }
    if (!(entry.name in routes.actions)) {
      problems.push(`actions.yaml: action ${entry.name} points to ${owner}, which has no src/actions/${entry.name}.ts`);
    }
    checkSecretHeader(problems, `actions.yaml: action ${entry.name}`, entry.definition.headers);
  }
  for (const [name, definition] of Object.entries(routes.actions)) {
    const entry = metadata.actions.find((candidate) => candidate.name === name);
    if (!entry) {
      problems.push(`action ${name}: src/actions/${name}.ts exists but actions.yaml has no action named ${name}`);
      continue;
    }
    if (parseWebhook(entry.definition.handler)?.env !== envName) {
      problems.push(`action ${name}: actions.yaml sends it to ${entry.definition.handler}, not to {{${envName}}}/actions/${name}`);
    }
    const metadataRoles = new Set((entry.permissions ?? []).map((permission) => permission.role));
    // `admin` is Hasura's built-in role (the admin secret), which needs no permission entry; every other role, app
    // roles such as `operator` included, must appear on both sides.
    const handlerRoles = new Set(definition.roles.filter((role: string) => role !== "admin"));
    for (const role of handlerRoles) {
      if (!metadataRoles.has(role)) problems.push(`action ${name}: the handler allows role ${role}, but actions.yaml grants it no permission`);
    }
    for (const role of metadataRoles) {
      if (role === unauthorizedRole) {
        problems.push(
          `action ${name}: actions.yaml lets role ${role} call it, but actions never admit ${role} (its session variables, x-hasura-user-id too, come from the request's headers): remove that permission`,
        );
      } else if (!handlerRoles.has(role)) {
        problems.push(`action ${name}: actions.yaml lets role ${role} call it, but the handler's roles do not include it`);
      }
    }
    if (schema) problems.push(...compareActionInput(name, definition.input, schema));
  }

  // Event triggers
  for (const { table, trigger } of metadata.eventTriggers) {
    const target = trigger.webhook ? parseWebhook(trigger.webhook) : undefined;
    if (target?.env !== envName) continue;
    const expected = `/events/${trigger.name}`;
    if (target.path !== expected) {
      problems.push(`event trigger ${trigger.name} on ${table.schema}.${table.name} points to ${trigger.webhook}; it must end in ${expected}`);
    }
    if (!(trigger.name in routes.events)) {
      problems.push(`event trigger ${trigger.name} on ${table.schema}.${table.name} points to ${owner}, which has no src/events/${trigger.name}.ts`);
    }
    checkSecretHeader(problems, `event trigger ${trigger.name}`, trigger.headers);
  }
  for (const [name, definition] of Object.entries(routes.events)) {
    const found = metadata.eventTriggers.find((candidate) => candidate.trigger.name === name);
    if (!found) {
      problems.push(`event ${name}: src/events/${name}.ts exists but no table in the metadata has an event trigger named ${name}`);
      continue;
    }
    if (parseWebhook(found.trigger.webhook ?? "")?.env !== envName) {
      problems.push(`event ${name}: its trigger sends to ${found.trigger.webhook ?? found.trigger.webhook_from_env}, not to {{${envName}}}/events/${name}`);
    }
    const declared = definition.table as { schema: string; name: string } | undefined;
    if (declared && (declared.schema !== found.table.schema || declared.name !== found.table.name)) {
      problems.push(
        `event ${name}: the handler expects table ${declared.schema}.${declared.name}, but the trigger is on ${found.table.schema}.${found.table.name}`,
      );
    }
  }

  // Cron triggers
  for (const entry of metadata.cronTriggers) {
    const target = parseWebhook(entry.webhook);
    if (target?.env !== envName) continue;
    const expected = `/crons/${entry.name}`;
    if (target.path !== expected) problems.push(`cron_triggers.yaml: ${entry.name} points to ${entry.webhook}; it must end in ${expected}`);
    if (!(entry.name in routes.crons)) {
      problems.push(`cron_triggers.yaml: ${entry.name} points to ${owner}, which has no src/crons/${entry.name}.ts`);
    }
    checkSecretHeader(problems, `cron_triggers.yaml: ${entry.name}`, entry.headers);
  }
  for (const [name, definition] of Object.entries(routes.crons)) {
    const entry = metadata.cronTriggers.find((candidate) => candidate.name === name);
    if (!entry) {
      problems.push(`cron ${name}: src/crons/${name}.ts exists but cron_triggers.yaml has no trigger named ${name}`);
      continue;
    }
    if (parseWebhook(entry.webhook)?.env !== envName) {
      problems.push(`cron ${name}: cron_triggers.yaml sends it to ${entry.webhook}, not to {{${envName}}}/crons/${name}`);
    }
    const payload = (definition.payload as z.ZodType).safeParse(entry.payload);
    if (!payload.success) {
      const issue = payload.error.issues[0];
      problems.push(`cron ${name}: the payload in cron_triggers.yaml does not match the handler's schema (${issue?.path.join(".") || "payload"}: ${issue?.message})`);
    }
  }

  return problems;
}

/** Thrown by {@link assertNoDrift}; `problems` lists each disagreement. */
export class DriftError extends Error {
  readonly problems: string[];
  constructor(serviceName: string, problems: string[]) {
    super(`Hasura metadata and the ${serviceName} service's handlers disagree:\n${problems.map((problem) => `  - ${problem}`).join("\n")}`);
    this.name = "DriftError";
    this.problems = problems;
  }
}

export function assertNoDrift(service: { name: string; routes: ServiceRoutes }, metadata: HasuraMetadataSnapshot): void {
  const problems = checkDrift(service, metadata);
  if (problems.length > 0) throw new DriftError(service.name, problems);
}

function parseWebhook(url: string): { env: string; path: string } | undefined {
  const match = /^\{\{\s*([A-Za-z0-9_]+)\s*\}\}(\/[^?#]*)?/.exec(url.trim());
  return match ? { env: match[1]!, path: match[2] ?? "" } : undefined;
}

function checkSecretHeader(problems: string[], where: string, headers: HasuraHeaderEntry[] | undefined): void {
  const header = headers?.find((candidate) => candidate.name.toLowerCase() === eventSecretHeader);
  if (!header) {
    problems.push(`${where} sends no X-Pulsura-Event-Secret header, so the service would refuse every call`);
  } else if (header.value_from_env !== "PULSURA_EVENT_SECRET") {
    problems.push(`${where}: X-Pulsura-Event-Secret must come from value_from_env: PULSURA_EVENT_SECRET`);
  }
}

// ---------------------------------------------------------------------------------------------------------
// actions.graphql against zod

interface ActionsSchema {
  rootFields: Map<string, FieldDefinitionNode>;
  inputObjects: Map<string, readonly InputValueDefinitionNode[]>;
  enums: Map<string, string[]>;
}

function indexActionsSchema(document: DocumentNode): ActionsSchema {
  const schema: ActionsSchema = { rootFields: new Map(), inputObjects: new Map(), enums: new Map() };
  for (const definition of document.definitions) {
    switch (definition.kind) {
      case Kind.OBJECT_TYPE_DEFINITION:
      case Kind.OBJECT_TYPE_EXTENSION:
        if (definition.name.value === "Query" || definition.name.value === "Mutation") {
          for (const field of definition.fields ?? []) schema.rootFields.set(field.name.value, field);
        }
        break;
      case Kind.INPUT_OBJECT_TYPE_DEFINITION:
      case Kind.INPUT_OBJECT_TYPE_EXTENSION: {
        const known = schema.inputObjects.get(definition.name.value) ?? [];
        schema.inputObjects.set(definition.name.value, [...known, ...(definition.fields ?? [])]);
        break;
      }
      case Kind.ENUM_TYPE_DEFINITION:
      case Kind.ENUM_TYPE_EXTENSION: {
        const known = schema.enums.get(definition.name.value) ?? [];
        schema.enums.set(definition.name.value, [...known, ...(definition.values ?? []).map((value) => value.name.value)]);
        break;
      }
      default:
        break;
    }
  }
  return schema;
}

/** A JSON Schema node as zod's `toJSONSchema` produces it (only the keywords we compare). */
interface JsonSchemaNode {
  type?: string | string[];
  format?: string;
  enum?: unknown[];
  const?: unknown;
  anyOf?: JsonSchemaNode[];
  oneOf?: JsonSchemaNode[];
  items?: JsonSchemaNode;
  properties?: Record<string, JsonSchemaNode>;
  required?: string[];
  $ref?: string;
}

function compareActionInput(name: string, input: z.ZodType, schema: ActionsSchema): string[] {
  const field = schema.rootFields.get(name);
  if (!field) return [`action ${name}: actions.graphql declares no ${name} field on Query or Mutation`];
  let json: JsonSchemaNode;
  try {
    json = z.toJSONSchema(input, { io: "input", unrepresentable: "any" }) as JsonSchemaNode;
  } catch (error) {
    return [`action ${name}: its zod input cannot be described (${(error as Error).message})`];
  }
  if (json.type !== "object") return [`action ${name}: its zod input must be z.object({...}) with one key per argument`];
  const problems: string[] = [];
  compareObject(field.arguments ?? [], json, `action ${name}`, "argument", schema, problems);
  return problems;
}

function compareObject(
  declared: readonly InputValueDefinitionNode[],
  json: JsonSchemaNode,
  where: string,
  noun: "argument" | "field",
  schema: ActionsSchema,
  problems: string[],
): void {
  const properties = json.properties ?? {};
  const required = new Set(json.required ?? []);
  for (const value of declared) {
    const key = value.name.value;
    const label = `${where}: ${noun} ${key}`;
    const property = properties[key];
    if (!property) {
      problems.push(`${label} (${print(value.type)}) is declared in actions.graphql but missing from the zod input`);
      continue;
    }
    compareValue(value.type, property, required.has(key), label, schema, problems);
  }
  const declaredNames = new Set(declared.map((value) => value.name.value));
  for (const key of Object.keys(properties)) {
    if (!declaredNames.has(key)) problems.push(`${where}: the zod input has ${key}, which actions.graphql does not declare`);
  }
}

/**
 * `required` is whether the key must be present (undefined for list items, which are never absent).
 * GraphQL `T!` needs a required, non-null zod value; nullable `T` may arrive as null or be left out, so
 * zod must accept both (`.nullish()`).
 */
function compareValue(
  type: TypeNode,
  json: JsonSchemaNode,
  required: boolean | undefined,
  label: string,
  schema: ActionsSchema,
  problems: string[],
): void {
  const { nullable, inner } = splitNullable(json);
  const declared = print(type);
  if (type.kind === Kind.NON_NULL_TYPE) {
    if (required === false) problems.push(`${label} is ${declared} in actions.graphql but optional in the zod input`);
    if (nullable) problems.push(`${label} is ${declared} in actions.graphql but nullable in the zod input`);
    compareShape(type.type, inner, label, schema, problems);
    return;
  }
  if (!nullable || required === true) {
    problems.push(`${label} is nullable (${declared}) in actions.graphql, so Hasura may send null or leave it out: make it .nullish() in the zod input`);
  }
  compareShape(type, inner, label, schema, problems);
}

const stringScalars = new Set(["String", "ID", "uuid", "timestamptz", "timestamp", "date", "time", "timetz", "citext", "bpchar"]);
const anyScalars = new Set(["json", "jsonb"]);

function compareShape(type: TypeNode, json: JsonSchemaNode, label: string, schema: ActionsSchema, problems: string[]): void {
  if (type.kind === Kind.NON_NULL_TYPE) {
    compareShape(type.type, json, label, schema, problems);
    return;
  }
  const actual = describeJson(json);
  if (type.kind === Kind.LIST_TYPE) {
    if (json.type !== "array" || !json.items) {
      problems.push(`${label} is a list (${print(type)}) in actions.graphql but ${actual} in the zod input`);
      return;
    }
    compareValue(type.type, json.items, undefined, `${label}[]`, schema, problems);
    return;
  }
  const typeName = type.name.value;
  if (anyScalars.has(typeName)) return;
  const mismatch = (expected: string) => problems.push(`${label} is ${typeName} in actions.graphql (${expected}) but ${actual} in the zod input`);

  if (stringScalars.has(typeName)) {
    if (json.type !== "string") mismatch("a string");
    else if (typeName === "uuid" && json.format !== undefined && json.format !== "uuid") mismatch("a uuid string");
    return;
  }
  switch (typeName) {
    case "Int":
      if (json.type !== "integer") mismatch("an integer: use z.number().int()");
      return;
    case "Float":
      if (json.type !== "number") mismatch("a number");
      return;
    case "Boolean":
      if (json.type !== "boolean") mismatch("a boolean");
      return;
    default:
      break;
  }
  const enumValues = schema.enums.get(typeName);
  if (enumValues) {
    const zodValues = json.enum ?? (json.const !== undefined ? [json.const] : undefined);
    const same =
      zodValues !== undefined &&
      zodValues.length === enumValues.length &&
      enumValues.every((value) => zodValues.includes(value));
    if (!same) mismatch(`enum ${enumValues.join(" | ")}`);
    return;
  }
  const inputFields = schema.inputObjects.get(typeName);
  if (inputFields) {
    if (json.type !== "object") {
      mismatch("an input object");
      return;
    }
    compareObject(inputFields, json, `${label} (${typeName})`, "field", schema, problems);
    return;
  }
  // Other custom scalars (numeric, bigint, user-defined): Hasura passes them through as JSON; nothing to compare.
}

function splitNullable(json: JsonSchemaNode): { nullable: boolean; inner: JsonSchemaNode } {
  const union = json.anyOf ?? json.oneOf;
  if (union) {
    const nonNull = union.filter((member) => member.type !== "null");
    const nullable = nonNull.length < union.length;
    if (nonNull.length === 1) return { nullable, inner: nonNull[0]! };
    return { nullable, inner: { anyOf: nonNull } };
  }
  if (Array.isArray(json.type) && json.type.includes("null")) {
    const rest = json.type.filter((type) => type !== "null");
    return { nullable: true, inner: { ...json, type: rest.length === 1 ? rest[0]! : rest } };
  }
  return { nullable: false, inner: json };
}

function describeJson(json: JsonSchemaNode): string {
  if (json.enum) return `enum ${json.enum.map(String).join(" | ")}`;
  if (json.anyOf) return `one of ${json.anyOf.map(describeJson).join(" | ")}`;
  if (json.type === undefined) return "any value";
  const type = Array.isArray(json.type) ? json.type.join(" | ") : json.type;
  return json.format ? `${type} (${json.format})` : type;
}
