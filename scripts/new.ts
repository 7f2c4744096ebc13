/**
 * Scaffolding for microservice handlers and services:
 *
 *   npm run new -- action <name> --service <service> [--query]
 *   npm run new -- event <name> --service <service> --table <schema.table> [--operations insert,update,delete]
 *   npm run new -- cron <name> --service <service> [--schedule "<cron expression>"]
 *   npm run new -- job <name> --service <service>
 *   npm run new -- internal <name> --service <service> [--callers core,billing]
 *   npm run new -- service <name>
 *
 * Each creates the handler (a typed skeleton), its Hasura metadata entry and a test, and never overwrites:
 * everything is checked before the first file is written. A service is an npm workspace, so `service` also adds it
 * to package-lock.json (with npm itself, offline: nothing new is downloaded), or takes its files back when npm
 * cannot. Then it prints the next steps (stack config, database roles, inventory). `--root <dir>` writes into
 * another checkout. Command line handling is the shared layer's (scripts/lib/cli.ts).
 *
 * Exit codes: 0 created; 1 refused (something already exists, unknown service or table, the lockfile could not be
 * updated), nothing written; 2 usage error, nothing written.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Kind, parse as parseGraphql, type ObjectTypeDefinitionNode } from "graphql";
import { isMap, isScalar, isSeq, parseDocument, YAMLMap, YAMLSeq, type Document } from "yaml";
import { runCli, UsageError, type CliSpec, type ParsedArgs } from "./lib/cli";
import * as templates from "./new/templates";

/** Something in the tree forbids the scaffold; it is reported before anything is written. */
class RefusedError extends Error {}

const kinds = ["action", "event", "cron", "job", "internal", "service"] as const;
type ScaffoldKind = (typeof kinds)[number];

export const cliSpec = {
  command: "npm run new --",
  summary: "Scaffolds a handler (typed skeleton, Hasura metadata entry, test) or a new service. Never overwrites.",
  usage: [
    "action <name> --service <service> [--query]",
    "event <name> --service <service> --table <schema.table> [--operations insert,update,delete]",
    'cron <name> --service <service> [--schedule "<cron expression>"]',
    "job <name> --service <service>",
    "internal <name> --service <service> [--callers <services>]",
    "service <name>",
  ],
  options: {
    service: { type: "string", value: "<service>", description: "the service that runs the handler (services/<service>)" },
    table: { type: "string", value: "<schema.table>", description: "event: the tracked table whose changes trigger it" },
    operations: { type: "string", value: "<list>", description: "event: insert, update and/or delete, comma-separated (default: all three)" },
    schedule: { type: "string", value: "<cron>", description: 'cron: five-field cron expression (default: "0 * * * *")' },
    query: { type: "boolean", description: "action: a Query field instead of a Mutation" },
    callers: { type: "string", value: "<services>", description: "internal: the services that may call it, comma-separated (default: core)" },
    root: { type: "string", value: "<dir>", description: "repository to write into (default: this repository)" },
  },
  subcommands: kinds,
  maxPositionals: 2,
  notes: "Exit codes: 0 created; 1 refused, nothing written; 2 usage error, nothing written.",
} as const satisfies CliSpec;

type Values = ParsedArgs<typeof cliSpec>["values"];

const namePatterns = {
  action: { pattern: /^[a-z][A-Za-z0-9]{0,62}$/, example: "camelCase like createInvoice (a GraphQL field name)" },
  // Hasura names Postgres triggers after event triggers: keep room in the 63-character identifier.
  event: { pattern: /^[a-z][a-z0-9_]{0,41}$/, example: "snake_case like invoice_paid, at most 42 characters" },
  cron: { pattern: /^[a-z][a-z0-9_]{0,62}$/, example: "snake_case like send_reminders" },
  // The route (POST /jobs/<name>) and part of the Cloud Tasks task id, beside a 32-character hash (at most 500).
  job: { pattern: /^[a-z][a-z0-9-]{0,62}$/, example: "kebab-case like send-digest" },
  internal: { pattern: /^[a-z][a-z0-9-]{0,62}$/, example: "kebab-case like charge-invoice" },
  // Becomes a Cloud Run service name and PULSURA_SERVICE_<NAME>_URL.
  service: { pattern: /^[a-z](?:[a-z0-9-]{0,28}[a-z0-9])?$/, example: "kebab-case like billing, at most 30 characters" },
} as const satisfies Record<ScaffoldKind, unknown>;

/** A file to create (never overwritten) or a metadata file to rewrite. */
interface Change {
  file: string;
  content: string;
  create: boolean;
}

function main({ values, positionals }: ParsedArgs<typeof cliSpec>): number {
  const kind = positionals[0] as ScaffoldKind;
  const name = positionals[1];
  const root = path.resolve(values.root ?? path.join(__dirname, ".."));
  let changes: Change[];
  try {
    changes = plan(root, kind, name, values);
  } catch (error) {
    if (error instanceof RefusedError) return refuse(error.message);
    throw error;
  }
  const written = write(changes);
  if (kind === "service") {
    const failure = addWorkspaceToLockfile(root, name!);
    if (failure) {
      written.undo();
      return refuse(failure, "The service's files were taken back and package-lock.json was not touched: nothing was changed.");
    }
    process.stdout.write(`updated ${path.join(root, "package-lock.json")} (workspace services/${name})\n`);
  }
  process.stdout.write(`\n${nextSteps(kind, name!, values.service)}`);
  return 0;
}

function refuse(message: string, outcome = "Nothing was written."): number {
  process.stderr.write(`npm run new: refused: ${message}\n${outcome}\n`);
  return 1;
}

/** Writes the changes in order; `undo()` removes what was created (files and the folders made for them). */
function write(changes: Change[]): { undo: () => void } {
  const createdFiles: string[] = [];
  const createdDirs: string[] = [];
  for (const change of changes) {
    const firstNewDir = fs.mkdirSync(path.dirname(change.file), { recursive: true });
    if (firstNewDir) createdDirs.push(firstNewDir);
    // "wx" fails instead of replacing a file that appeared since the check.
    fs.writeFileSync(change.file, change.content, change.create ? { flag: "wx" } : {});
    if (change.create) createdFiles.push(change.file);
    process.stdout.write(`${change.create ? "created" : "updated"} ${change.file}\n`);
  }
  return {
    undo: () => {
      for (const file of createdFiles.reverse()) fs.rmSync(file, { force: true });
      for (const dir of createdDirs.reverse()) fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Adds services/<name> to package-lock.json as npm does for a new workspace (a link under node_modules/@pulsura and
 * the package's own entry), so `npm ci` (CI, the service's Dockerfile) accepts the lockfile. npm itself computes the
 * entries (`install --package-lock-only`, with the npm that runs this script), in a scratch folder holding only the
 * manifests and the lockfile: with node_modules beside it npm would also rewrite node_modules/.package-lock.json,
 * listing a link that is not installed. Every dependency of the skeleton is already locked, so npm needs no network.
 * Returns why it failed, or undefined.
 */
function addWorkspaceToLockfile(root: string, name: string): string | undefined {
  const lockfile = path.join(root, "package-lock.json");
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "pulsura-new-lockfile-"));
  try {
    const copy = (relative: string) => {
      fs.mkdirSync(path.dirname(path.join(scratch, relative)), { recursive: true });
      fs.copyFileSync(path.join(root, relative), path.join(scratch, relative));
    };
    for (const relative of ["package.json", "package-lock.json", ".npmrc", ...workspaceManifests(root)]) {
      if (fs.existsSync(path.join(root, relative))) copy(relative);
    }
    // Under `npm run`, npm_execpath is the npm that runs it; otherwise the npm on PATH.
    const npmCli = process.env.npm_execpath;
    const [command, prefix] = npmCli && /npm-cli\.[cm]?js$/.test(npmCli) ? [process.execPath, [npmCli]] : ["npm", []];
    const args = ["install", "--package-lock-only", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error"];
    const env = { ...process.env, npm_config_workspace: undefined, npm_config_workspaces: undefined };
    const result = spawnSync(command, [...prefix, ...args], { cwd: scratch, encoding: "utf8", env });
    const updated = path.join(scratch, "package-lock.json");
    if (result.status === 0 && lockfileLists(updated, name)) {
      fs.copyFileSync(updated, lockfile);
      return undefined;
    }
    const output = `${result.error?.message ?? ""}${result.stderr ?? ""}`.trim().split("\n").slice(-5).join("\n    ");
    return `\`npm ${args.join(" ")}\` did not add services/${name} to package-lock.json (exit ${result.status ?? "none"})${output ? `:\n    ${output}` : ""}`;
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

/** The package.json of every workspace the root manifest declares (`services/*`, `functions`), as relative paths. */
function workspaceManifests(root: string): string[] {
  const manifest = JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8")) as { workspaces?: string[] };
  return (manifest.workspaces ?? []).flatMap((pattern) => {
    const folders = pattern.endsWith("/*")
      ? fs.existsSync(path.join(root, pattern.slice(0, -2)))
        ? fs.readdirSync(path.join(root, pattern.slice(0, -2))).map((entry) => path.join(pattern.slice(0, -2), entry))
        : []
      : [pattern];
    return folders.map((folder) => path.join(folder, "package.json")).filter((file) => fs.existsSync(path.join(root, file)));
  });
}

function lockfileLists(lockfile: string, name: string): boolean {
  try {
    const packages = (JSON.parse(fs.readFileSync(lockfile, "utf8")) as { packages?: Record<string, unknown> }).packages ?? {};
    return `services/${name}` in packages && `node_modules/@pulsura/${name}` in packages;
  } catch {
    return false;
  }
}

/** What is left to the user after a scaffold. */
function nextSteps(kind: ScaffoldKind, name: string, service: string | undefined): string {
  const inventory =
    "npm run test:update-inventory, and review the diff: every stack's inventory fingerprints the Hasura metadata (test/infra/inventory/<stack>.yaml)";
  if (kind === "service") {
    return `Next steps for ${name}:
  1. Deploy it: list it under pulsura:services in the stack files (Pulumi.<stack>.yaml). All stacks share the Hasura
     metadata, so once it points at one of its handlers every stack must run it (the plan refuses a stack that does
     not). A list replaces the default [{ name: core }], so keep core in it:
       pulsura:services:
         - name: core
         - name: ${name}
  2. Give it handlers: npm run new -- action <name> --service ${name} (or event, cron).
  3. ${inventory.replace("every stack's inventory fingerprints the Hasura metadata", "a stack that runs it gains its resources")}.
  4. npm install links it into node_modules (package-lock.json already lists it, so npm ci works as it is).
  5. Before the first deploy that runs it, an administrator re-runs the bootstrap (infra/bootstrap, docs/bootstrap.md):
     it creates the service's account in each stack's project and lets the deployer run the service as it.

${templates.serviceDatabaseNotes(name)}`;
  }
  if (kind === "job" || kind === "internal") {
    const deploy =
      kind === "job"
        ? `the first job of a service gives it a Cloud Tasks queue and a jobs invoker account (svc-${service}-tasks): an administrator re-runs the bootstrap (infra/bootstrap) before the deploy, so the account exists and ${service}'s account may act as it`
        : "its callers' accounts get run.invoker on the service and the URL of the service (PULSURA_SERVICE_<NAME>_URL) at the next deploy";
    return `Next steps: write ${name}'s logic and its test (test/services/${service}/${name}.test.ts), then
  1. ${inventory.replace("every stack's inventory fingerprints the Hasura metadata", "the stacks that run the service change")}.
  2. ${deploy}.
`;
  }
  const steps = [`Next steps: write ${name}'s logic and its test (test/services/${service}/${name}.test.ts), then`, `  1. ${inventory}.`];
  const text = `${steps.join("\n")}\n`;
  return kind === "action" ? `${text}\n${templates.actionAllowListNotes(name)}` : text;
}

function plan(root: string, kind: ScaffoldKind, name: string | undefined, values: Values): Change[] {
  if (!name) throw new UsageError(`${kind === "action" ? "an" : "a"} ${kind} needs a name: ${cliSpec.command} ${cliSpec.usage.find((line) => line.startsWith(kind))}`);
  const rule = namePatterns[kind];
  if (!rule.pattern.test(name)) throw new UsageError(`"${name}" is not a valid ${kind} name: use ${rule.example}`);

  if (kind === "service") {
    for (const option of ["service", "table", "operations", "schedule", "query", "callers"] as const) {
      if (values[option] !== undefined) throw new UsageError(`--${option} does not apply to a service`);
    }
    return planService(root, name);
  }

  const service = values.service;
  if (!service) throw new UsageError(`--service is required (e.g. --service core)`);
  if (!namePatterns.service.pattern.test(service)) throw new UsageError(`"${service}" is not a valid service name`);
  const serviceDir = path.join(root, "services", service);
  if (service === "kit" || !fs.existsSync(path.join(serviceDir, "package.json"))) {
    throw new RefusedError(`there is no service ${service} (services/${service}/package.json); create it with: npm run new -- service ${service}`);
  }

  if (values.callers !== undefined && kind !== "internal") throw new UsageError("--callers is for internal routes");
  if (kind === "job" || kind === "internal") {
    if (values.table || values.operations || values.schedule || values.query) throw new UsageError(`--table, --operations, --schedule and --query do not apply to ${kind === "job" ? "a job" : "an internal route"}`);
    const callers = (values.callers ?? "core").split(",").map((caller) => caller.trim());
    for (const caller of callers) {
      if (!namePatterns.service.pattern.test(caller)) throw new UsageError(`--callers takes service names (got "${caller}")`);
    }
    return planRoute(root, serviceDir, service, kind, name, callers);
  }
  if (kind === "action") {
    if (values.table || values.operations || values.schedule) throw new UsageError("--table, --operations and --schedule are for events and crons");
    return planAction(root, serviceDir, service, name, values.query === true, new HasuraProject(path.join(root, "hasura")));
  }
  if (kind === "event") {
    if (values.schedule || values.query) throw new UsageError("--schedule and --query do not apply to an event");
    if (!values.table) throw new UsageError("an event needs --table <schema.table>, e.g. --table public.users");
    const tableMatch = /^([a-z_][a-z0-9_]*)\.([a-z_][a-z0-9_]*)$/.exec(values.table);
    if (!tableMatch) throw new UsageError(`--table must be <schema>.<table>, e.g. public.users (got ${values.table})`);
    const operations = (values.operations ?? "insert,update,delete").split(",").map((operation) => operation.trim());
    for (const operation of operations) {
      if (!["insert", "update", "delete"].includes(operation)) throw new UsageError(`--operations takes insert, update and delete (got ${operation})`);
    }
    const table = { schema: tableMatch[1]!, name: tableMatch[2]! };
    return planEvent(root, serviceDir, service, name, table, operations, new HasuraProject(path.join(root, "hasura")));
  }
  if (values.table || values.operations || values.query) throw new UsageError("--table, --operations and --query do not apply to a cron");
  const schedule = values.schedule ?? "0 * * * *";
  if (schedule.trim().split(/\s+/).length !== 5) throw new UsageError(`--schedule must be a five-field cron expression (got "${schedule}")`);
  return planCron(root, serviceDir, service, name, schedule.trim(), new HasuraProject(path.join(root, "hasura")));
}

// ------------------------------------------------------------------------------------------------ plans

function planAction(root: string, serviceDir: string, service: string, name: string, query: boolean, hasura: HasuraProject): Change[] {
  const handler = path.join(serviceDir, "src", "actions", `${name}.ts`);
  const test = path.join(root, "test", "services", service, `${name}.test.ts`);
  refuseExisting(handler, test);

  const outputType = `${templates.pascalCase(name)}Output`;
  const graphql = hasura.actionsGraphql();
  const document = parseGraphql(graphql.trim() === "" ? "scalar _Empty" : graphql);
  const typeNames = new Set<string>();
  let rootType: ObjectTypeDefinitionNode | undefined;
  for (const definition of document.definitions) {
    if (!("name" in definition) || !definition.name) continue;
    typeNames.add(definition.name.value);
    if (definition.kind === Kind.OBJECT_TYPE_DEFINITION && (definition.name.value === "Query" || definition.name.value === "Mutation")) {
      if (definition.fields?.some((field) => field.name.value === name)) {
        throw new RefusedError(`hasura/metadata/actions.graphql already declares ${name} on ${definition.name.value}`);
      }
      if (definition.name.value === (query ? "Query" : "Mutation")) rootType ??= definition;
    }
  }
  if (typeNames.has(outputType)) throw new RefusedError(`hasura/metadata/actions.graphql already declares type ${outputType}`);

  const actionsYaml = hasura.yaml("actions.yaml", () => ({ actions: [], custom_types: { enums: [], input_objects: [], objects: [], scalars: [] } }));
  const actions = seqAt(actionsYaml, ["actions"]);
  if (actions.items.some((item) => isMap(item) && item.get("name") === name)) {
    throw new RefusedError(`hasura/metadata/actions.yaml already has an action named ${name}`);
  }
  actions.add(actionsYaml.createNode(templates.actionEntry(service, name)));
  seqAt(actionsYaml, ["custom_types", "objects"]).add(actionsYaml.createNode({ name: outputType }));

  // Into the existing Query/Mutation block when there is one, as the Hasura CLI does; a new block otherwise.
  let updatedGraphql: string;
  const field = templates.actionField(name);
  if (rootType?.loc) {
    const closingBrace = rootType.loc.end - 1;
    const before = graphql.slice(0, closingBrace).replace(/\s*$/, "");
    updatedGraphql = `${before}\n${field}\n${graphql.slice(closingBrace)}`;
  } else {
    updatedGraphql = `${graphql.replace(/\s*$/, "")}${graphql.trim() ? "\n\n" : ""}type ${query ? "Query" : "Mutation"} {\n${field}\n}\n`;
  }
  updatedGraphql = `${updatedGraphql.replace(/\s*$/, "")}\n\n${templates.actionOutputType(name)}`;

  return [
    { file: handler, content: templates.actionHandler(name), create: true },
    { file: test, content: templates.actionTest(service, name), create: true },
    { file: hasura.file("actions.graphql"), content: updatedGraphql, create: false },
    { file: hasura.file("actions.yaml"), content: yamlText(actionsYaml), create: false },
  ];
}

function planEvent(
  root: string,
  serviceDir: string,
  service: string,
  name: string,
  table: { schema: string; name: string },
  operations: string[],
  hasura: HasuraProject,
): Change[] {
  const handler = path.join(serviceDir, "src", "events", `${name}.ts`);
  const test = path.join(root, "test", "services", service, `${name}.test.ts`);
  refuseExisting(handler, test);

  const tables = hasura.tableFiles();
  for (const candidate of tables) {
    const triggers = candidate.node.get("event_triggers");
    if (isSeq(triggers) && triggers.items.some((item) => isMap(item) && item.get("name") === name)) {
      throw new RefusedError(`an event trigger named ${name} already exists (${path.relative(root, candidate.file)})`);
    }
  }
  const target = tables.find((candidate) => candidate.schema === table.schema && candidate.name === table.name);
  if (!target) {
    throw new RefusedError(`table ${table.schema}.${table.name} is not tracked in hasura/metadata (track it in Hasura first)`);
  }
  let triggers = target.node.get("event_triggers");
  if (!isSeq(triggers)) {
    triggers = new YAMLSeq();
    target.node.set("event_triggers", triggers);
  }
  (triggers as YAMLSeq).add(target.document.createNode(templates.eventTriggerEntry(service, name, operations)));

  return [
    { file: handler, content: templates.eventHandler(name, table), create: true },
    { file: test, content: templates.eventTest(service, name, table, operations[0]!), create: true },
    { file: target.file, content: yamlText(target.document), create: false },
  ];
}

function planCron(root: string, serviceDir: string, service: string, name: string, schedule: string, hasura: HasuraProject): Change[] {
  const handler = path.join(serviceDir, "src", "crons", `${name}.ts`);
  const test = path.join(root, "test", "services", service, `${name}.test.ts`);
  refuseExisting(handler, test);

  const crons = hasura.yaml("cron_triggers.yaml", () => []);
  if (!isSeq(crons.contents)) crons.contents = new YAMLSeq();
  const list = crons.contents as YAMLSeq;
  if (list.items.some((item) => isMap(item) && item.get("name") === name)) {
    throw new RefusedError(`hasura/metadata/cron_triggers.yaml already has a trigger named ${name}`);
  }
  list.add(crons.createNode(templates.cronTriggerEntry(service, name, schedule)));

  return [
    { file: handler, content: templates.cronHandler(name), create: true },
    { file: test, content: templates.cronTest(service, name), create: true },
    { file: hasura.file("cron_triggers.yaml"), content: yamlText(crons), create: false },
  ];
}

/** A job or an internal route: the handler and its test, and no Hasura metadata (Hasura never calls them). */
function planRoute(root: string, serviceDir: string, service: string, kind: "job" | "internal", name: string, callers: readonly string[]): Change[] {
  const handler = path.join(serviceDir, "src", kind === "job" ? "jobs" : "internal", `${name}.ts`);
  const test = path.join(root, "test", "services", service, `${name}.test.ts`);
  refuseExisting(handler, test);
  return kind === "job"
    ? [
        { file: handler, content: templates.jobHandler(name), create: true },
        { file: test, content: templates.jobTest(service, name), create: true },
      ]
    : [
        { file: handler, content: templates.internalHandler(name, callers), create: true },
        { file: test, content: templates.internalTest(service, name, callers), create: true },
      ];
}

function planService(root: string, name: string): Change[] {
  if (name === "kit") throw new RefusedError("services/kit is the framework, not a service");
  const serviceDir = path.join(root, "services", name);
  if (fs.existsSync(serviceDir)) throw new RefusedError(`services/${name} already exists`);
  const test = path.join(root, "test", "services", name, "drift.test.ts");
  refuseExisting(test);
  const coreDockerfile = path.join(root, "services", "core", "Dockerfile");
  if (!fs.existsSync(coreDockerfile)) throw new RefusedError("services/core/Dockerfile, the reference image, is missing");
  if (!fs.existsSync(path.join(root, "package-lock.json"))) {
    throw new RefusedError(`there is no package-lock.json in ${root}: a service is an npm workspace, which the lockfile must list`);
  }

  const file = (relative: string) => path.join(serviceDir, relative);
  const changes: Change[] = [
    { file: file("package.json"), content: templates.servicePackageJson(name), create: true },
    { file: file("scripts/build.ts"), content: templates.serviceBuildScript(name), create: true },
    { file: file("scripts/dev.ts"), content: templates.serviceDevScript(name), create: true },
    { file: file("Dockerfile"), content: templates.serviceDockerfile(name, fs.readFileSync(coreDockerfile, "utf8")), create: true },
    { file: test, content: templates.serviceDriftTest(name), create: true },
  ];
  const coreIgnore = path.join(root, "services", "core", "Dockerfile.dockerignore");
  if (fs.existsSync(coreIgnore)) {
    changes.push({ file: file("Dockerfile.dockerignore"), content: templates.serviceDockerfile(name, fs.readFileSync(coreIgnore, "utf8")), create: true });
  }
  for (const folder of ["actions", "events", "crons"]) changes.push({ file: file(`src/${folder}/.gitkeep`), content: "", create: true });
  return changes;
}

function refuseExisting(...files: string[]): void {
  for (const file of files) if (fs.existsSync(file)) throw new RefusedError(`${file} already exists`);
}

// ------------------------------------------------------------------------------------------------ hasura/

interface TableFile {
  file: string;
  document: Document;
  node: YAMLMap;
  schema: string;
  name: string;
}

/** Reads and edits a Hasura CLI project's metadata files, keeping comments and layout. */
class HasuraProject {
  constructor(readonly dir: string) {
    if (!fs.existsSync(path.join(dir, "metadata"))) throw new RefusedError(`no Hasura metadata folder at ${path.join(dir, "metadata")}`);
  }

  file(name: string): string {
    return path.join(this.dir, "metadata", name);
  }

  actionsGraphql(): string {
    const file = this.file("actions.graphql");
    return fs.existsSync(file) ? fs.readFileSync(file, "utf8") : "";
  }

  yaml(name: string, empty: () => unknown): Document {
    const file = this.file(name);
    const text = fs.existsSync(file) ? fs.readFileSync(file, "utf8") : "";
    const document = text.trim() ? parseDocument(text) : parseDocument("");
    if (document.errors.length > 0) throw new RefusedError(`${file}: ${document.errors[0]!.message}`);
    if (document.contents === null) document.contents = document.createNode(empty()) as never;
    return document;
  }

  /** Every tracked table's YAML, following `!include` from databases.yaml. */
  tableFiles(): TableFile[] {
    const databasesFile = this.file(path.join("databases", "databases.yaml"));
    const databases = this.load(databasesFile);
    const result: TableFile[] = [];
    if (!isSeq(databases.contents)) return result;
    for (const source of databases.contents.items) {
      if (!isMap(source)) continue;
      const tables = source.get("tables", true);
      this.collectTables(tables, databases, path.dirname(databasesFile), databasesFile, result);
    }
    return result;
  }

  private collectTables(node: unknown, document: Document, baseDir: string, file: string, into: TableFile[]): void {
    const include = includeTarget(node);
    if (include) {
      const included = path.resolve(baseDir, include);
      const includedDocument = this.load(included);
      this.collectTables(includedDocument.contents, includedDocument, path.dirname(included), included, into);
      return;
    }
    if (isSeq(node)) {
      for (const item of node.items) this.collectTables(item, document, baseDir, file, into);
      return;
    }
    if (isMap(node)) {
      const table = node.get("table");
      if (isMap(table)) {
        into.push({ file, document, node, schema: String(table.get("schema") ?? "public"), name: String(table.get("name")) });
      }
    }
  }

  private load(file: string): Document {
    if (!fs.existsSync(file)) throw new RefusedError(`${file} does not exist`);
    const document = parseDocument(fs.readFileSync(file, "utf8"), { customTags: [{ tag: "!include", resolve: (value: string) => `!include ${value}` }] });
    if (document.errors.length > 0) throw new RefusedError(`${file}: ${document.errors[0]!.message}`);
    return document;
  }
}

function includeTarget(node: unknown): string | undefined {
  const value = isScalar(node) ? node.value : node;
  if (typeof value !== "string") return undefined;
  return /^!include\s+(.+)$/.exec(value.trim())?.[1]?.trim();
}

/** Hasura CLI style: single quotes where quoting is needed, no folding of long URLs. */
function yamlText(document: Document): string {
  return document.toString({ singleQuote: true, lineWidth: 0 });
}

/** The sequence at `keys`, created (empty) when missing. */
function seqAt(document: Document, keys: string[]): YAMLSeq {
  const existing = document.getIn(keys, true);
  if (isSeq(existing)) return existing;
  const created = new YAMLSeq();
  document.setIn(keys, created);
  return created;
}

if (require.main === module) runCli(cliSpec, main);
