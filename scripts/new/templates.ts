/**
 * File templates for `npm run new`. Each returns the full text of one file; the scaffolder decides where it goes.
 */

const serviceEnv = (service: string) => `PULSURA_SERVICE_${service.toUpperCase().replace(/-/g, "_")}_URL`;

export const handlerUrl = (service: string, folder: "actions" | "events" | "crons", name: string) =>
  `{{${serviceEnv(service)}}}/${folder}/${name}`;

export const pascalCase = (name: string) =>
  name
    .split(/[-_]/)
    .filter(Boolean)
    .map((part) => part[0]!.toUpperCase() + part.slice(1))
    .join("");

// ------------------------------------------------------------------------------------------------ handlers

export function actionHandler(name: string): string {
  return `import { defineAction } from "@pulsura/kit";
import { z } from "zod";

/**
 * ${name}: TODO say what it does.
 * Its arguments are declared twice, here and in hasura/metadata/actions.graphql; the drift check keeps them equal.
 */
export default defineAction({
  roles: ["user"],
  input: z.object({
    name: z.string().min(1),
  }),
  async handler({ name }, { caller, log }) {
    log.info({ name, userId: caller.userId }, "${name} called");
    // Write through \`transaction(async (tx) => ...)\` so audit triggers record the caller.
    return { ok: true };
  },
});
`;
}

export function eventHandler(name: string, table: { schema: string; name: string }): string {
  return `import { defineEvent } from "@pulsura/kit";
import { z } from "zod";

/**
 * ${name}: TODO say what it does when ${table.schema}.${table.name} changes.
 * Runs at most once per event: write through \`tx\`, which commits together with the delivery record.
 */
export default defineEvent({
  table: { schema: ${JSON.stringify(table.schema)}, name: ${JSON.stringify(table.name)} },
  // The columns the handler reads; other columns pass through untouched.
  row: z.looseObject({}),
  async handler(event, { log }) {
    log.info({ op: event.op, eventId: event.id }, "${name} received");
  },
});
`;
}

export function cronHandler(name: string): string {
  return `import { defineCron } from "@pulsura/kit";
import { z } from "zod";

/**
 * ${name}: TODO say what it does on each run.
 * Its payload comes from hasura/metadata/cron_triggers.yaml; the drift check parses it with this schema.
 */
export default defineCron({
  payload: z.object({}),
  async handler(_payload, { log, scheduledTime }) {
    log.info({ scheduledTime }, "${name} ran");
    return { done: true };
  },
});
`;
}

export function jobHandler(name: string): string {
  return `import { defineJob } from "@pulsura/kit";
import { z } from "zod";

/**
 * ${name}: TODO say what the job does. Enqueue it from any handler with
 * \`context.jobs.enqueue("${name}", { id }, { dedupeKey: id })\`; it runs once per task (a throw is retried by Cloud Tasks
 * with the queue's backoff, pulsura:services[i].jobs).
 */
export default defineJob({
  payload: z.object({ id: z.string().min(1) }),
  async handler({ id }, { log, retryCount }) {
    log.info({ id, retryCount }, "${name} ran");
    return { done: true };
  },
});
`;
}

export function internalHandler(name: string, callers: readonly string[]): string {
  return `import { defineInternal } from "@pulsura/kit";
import { z } from "zod";

/**
 * ${name}: TODO say what it answers. Called by ${callers.join(", ")} with
 * \`context.services.call("<this service>", "/internal/${name}", { id })\`; only their accounts' ID tokens are admitted.
 * Keep callers a literal list: the infrastructure reads it from this file for the invoker binding.
 */
export default defineInternal({
  callers: [${callers.map((caller) => JSON.stringify(caller)).join(", ")}],
  input: z.object({ id: z.string().min(1) }),
  async handler({ id }, { callerService, log }) {
    log.info({ id, callerService }, "${name} called");
    return { ok: true };
  },
});
`;
}

// ------------------------------------------------------------------------------------------------ metadata

/** The action field, for the Query or Mutation block of actions.graphql. */
export const actionField = (name: string) => `  ${name}(name: String!): ${pascalCase(name)}Output`;

export const actionOutputType = (name: string) => `type ${pascalCase(name)}Output {
  ok: Boolean!
}
`;

export function actionEntry(service: string, name: string): Record<string, unknown> {
  return {
    name,
    definition: {
      kind: "synchronous",
      handler: handlerUrl(service, "actions", name),
      forward_client_headers: false,
      headers: [{ name: "X-Pulsura-Event-Secret", value_from_env: "PULSURA_EVENT_SECRET" }],
      timeout: 30,
    },
    permissions: [{ role: "user" }],
    comment: `TODO: what ${name} does.`,
  };
}

export function eventTriggerEntry(service: string, name: string, operations: readonly string[]): Record<string, unknown> {
  const definition: Record<string, unknown> = { enable_manual: false };
  for (const operation of operations) definition[operation] = { columns: "*" };
  return {
    name,
    definition,
    retry_conf: { interval_sec: 10, num_retries: 5, timeout_sec: 60 },
    webhook: handlerUrl(service, "events", name),
    headers: [{ name: "X-Pulsura-Event-Secret", value_from_env: "PULSURA_EVENT_SECRET" }],
  };
}

export function cronTriggerEntry(service: string, name: string, schedule: string): Record<string, unknown> {
  return {
    name,
    webhook: handlerUrl(service, "crons", name),
    schedule,
    include_in_metadata: true,
    payload: {},
    retry_conf: { num_retries: 3, retry_interval_seconds: 60, timeout_seconds: 60, tolerance_seconds: 21600 },
    headers: [{ name: "X-Pulsura-Event-Secret", value_from_env: "PULSURA_EVENT_SECRET" }],
    comment: `TODO: what ${name} does.`,
  };
}

// ------------------------------------------------------------------------------------------------ database access

/** What a new service needs in Postgres, printed after `npm run new -- service <name>`. */
export function serviceDatabaseNotes(service: string): string {
  const user = `svc_${service.replace(/-/g, "_")}`;
  const role = `pulsura_${service.replace(/-/g, "_")}`;
  return `Database access of ${service}: it connects as ${user}, which the stack creates and grants pulsura_service (the kit's
processed_deliveries bookkeeping) and nothing else. Before its handlers read or write a table:
  1. hasura migrate create ${service}_access --database-name default, and in its up.sql:
       create role ${role} nologin;
       grant select (id, name) on public.<table> to ${role};   -- exactly what the handlers' SQL uses
     and in its down.sql: revoke ... from ${role}; drop role ${role};
  2. add ${JSON.stringify(service)}: [${JSON.stringify(role)}] to SERVICE_DATABASE_ROLES in infra/database-roles.ts: the deploy grants it
     to ${user} through Hasura (HasuraDatabaseRoles), and the tests and npm run dev do the same.
  3. its tests connect as ${user}: startPostgres({ services: [${JSON.stringify(service)}] }) and database.serviceUrls[${JSON.stringify(service)}].
`;
}

// ------------------------------------------------------------------------------------------------ tests

const testPreamble = `import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadService } from "@pulsura/kit/dev";
import { startPostgres, type TestDatabase } from "../../support/postgres";`;

const testSetup = (service: string) => `let database: TestDatabase;
let service: TestService;

beforeAll(async () => {
  // As the service's own user, with only the roles the deploy grants it (infra/database-roles.ts).
  database = await startPostgres({ services: [${JSON.stringify(service)}] });
  const loaded = await loadService(path.resolve(__dirname, "../../../services/${service}"));
  service = await startTestService({ name: ${JSON.stringify(service)}, databaseUrl: database.serviceUrls[${JSON.stringify(service)}]!, routes: loaded.routes });
});

afterAll(async () => {
  await service?.close();
  await database?.stop();
});`;

export function actionTest(service: string, name: string): string {
  return `/** ${name} (generated by \`npm run new\`): replace the skeleton's expectations with the action's behaviour. */
${testPreamble}
import { actionPayload, post, startTestService, userSession, type TestService } from "../support/harness";

${testSetup(service)}

describe("${name}", () => {
  it("answers a signed-in user", async () => {
    const answer = await post(\`\${service.url}/actions/${name}\`, actionPayload("${name}", { name: "example" }, userSession("user-1")));
    expect(answer).toMatchObject({ status: 200, body: { ok: true } });
  });

  it("rejects invalid input", async () => {
    const answer = await post(\`\${service.url}/actions/${name}\`, actionPayload("${name}", { name: "" }, userSession("user-1")));
    expect(answer).toMatchObject({ status: 400, body: { extensions: { code: "validation-failed", path: "$.input.name" } } });
  });
});
`;
}

export function eventTest(service: string, name: string, table: { schema: string; name: string }, operation: string): string {
  const op = operation.toUpperCase();
  const rows = op === "DELETE" ? "old: { id: 1 }" : op === "UPDATE" ? "old: { id: 1 }, new: { id: 1 }" : "new: { id: 1 }";
  return `/** ${name} (generated by \`npm run new\`): replace the skeleton's expectations with the handler's effect. */
${testPreamble}
import { eventPayload, post, startTestService, type TestService } from "../support/harness";

${testSetup(service)}

describe("${name}", () => {
  it("processes a delivery once", async () => {
    const delivery = eventPayload({ trigger: "${name}", op: "${op}", ${rows}, table: { schema: "${table.schema}", name: "${table.name}" } });
    expect(await post(\`\${service.url}/events/${name}\`, delivery)).toMatchObject({ status: 200, body: { status: "processed" } });
    expect(await post(\`\${service.url}/events/${name}\`, delivery)).toMatchObject({ status: 200, body: { status: "duplicate" } });
  });
});
`;
}

export function cronTest(service: string, name: string): string {
  return `/** ${name} (generated by \`npm run new\`): replace the skeleton's expectations with the run's effect. */
${testPreamble}
import { cronPayload, post, startTestService, type TestService } from "../support/harness";

${testSetup(service)}

describe("${name}", () => {
  it("runs once per scheduled event", async () => {
    const run = cronPayload("${name}", {});
    expect(await post(\`\${service.url}/crons/${name}\`, run)).toMatchObject({ status: 200, body: { status: "processed" } });
    expect(await post(\`\${service.url}/crons/${name}\`, run)).toMatchObject({ status: 200, body: { status: "duplicate" } });
  });
});
`;
}

/** Job and internal routes admit Google ID tokens only: the tests sign them with a local key (test/services/support/google-id-tokens.ts). */
const tokenTestSetup = (service: string, config: string) => `let database: TestDatabase;
let service: TestService;
let issuer: TokenIssuer;
const serviceAccounts = { core: "demo-svc-core@demo-pulsura-services.iam.gserviceaccount.com" };
const invoker = "demo-svc-${service}-tasks@demo-pulsura-services.iam.gserviceaccount.com";
let serviceUrl: string;

beforeAll(async () => {
  database = await startPostgres({ services: [${JSON.stringify(service)}] });
  issuer = await startTokenIssuer();
  const port = await freePort();
  serviceUrl = \`http://127.0.0.1:\${port}\`;
  const loaded = await loadService(path.resolve(__dirname, "../../../services/${service}"));
  service = await startTestService({
    name: ${JSON.stringify(service)},
    databaseUrl: database.serviceUrls[${JSON.stringify(service)}]!,
    routes: loaded.routes,
    port,
    config: { serviceUrl, serviceAccounts${config} },
    tokens: { idTokenVerifier: createIdTokenVerifier({ certificatesUrl: issuer.certificatesUrl }) },
  });
});

afterAll(async () => {
  await service?.close();
  await issuer?.close();
  await database?.stop();
});`;

const tokenTestImports = `import { createIdTokenVerifier } from "@pulsura/kit";
import { freePort } from "../../support/ports";
import { startTokenIssuer, type TokenIssuer } from "../support/google-id-tokens";
import { post, startTestService, type TestService } from "../support/harness";`;

export function jobTest(service: string, name: string): string {
  return `/** ${name} (generated by \`npm run new\`): replace the skeleton's expectations with the job's effect. */
${testPreamble}
${tokenTestImports}

${tokenTestSetup(service, `, jobs: { queue: "projects/demo-pulsura-services/locations/europe-west1/queues/demo-${service}-jobs", invoker }`)}

/** A delivery as Cloud Tasks sends it: the invoker's OIDC token for the service's URL and the task headers. */
const deliver = (task: string, payload: unknown) =>
  post(\`\${serviceUrl}/jobs/${name}\`, payload, {
    secret: null,
    headers: {
      authorization: \`Bearer \${issuer.sign({ audience: serviceUrl, email: invoker })}\`,
      "x-cloudtasks-taskname": task,
      "x-cloudtasks-queuename": "demo-${service}-jobs",
      "x-cloudtasks-taskretrycount": "0",
    },
  });

describe("${name}", () => {
  it("runs once per task", async () => {
    expect(await deliver("task-1", { id: "1" })).toMatchObject({ status: 200, body: { status: "processed" } });
    expect(await deliver("task-1", { id: "1" })).toMatchObject({ status: 200, body: { status: "duplicate" } });
  });
});
`;
}

export function internalTest(service: string, name: string, callers: readonly string[]): string {
  return `/** ${name} (generated by \`npm run new\`): replace the skeleton's expectations with the route's answers. */
${testPreamble}
${tokenTestImports}

${tokenTestSetup(service, "")}

const call = (email: string) =>
  post(\`\${serviceUrl}/internal/${name}\`, { id: "1" }, { secret: null, headers: { authorization: \`Bearer \${issuer.sign({ audience: serviceUrl, email })}\` } });

describe("${name}", () => {
  it("answers ${callers[0]} and refuses other accounts", async () => {
    expect(await call(serviceAccounts.core)).toMatchObject({ status: ${callers.includes("core") ? 200 : 403} });
    expect(await call("someone@demo-pulsura-services.iam.gserviceaccount.com")).toMatchObject({ status: 403 });
  });
});
`;
}

// ------------------------------------------------------------------------------------------------ a service

export function servicePackageJson(service: string): string {
  return `${JSON.stringify(
    {
      name: `@pulsura/${service}`,
      version: "0.1.0",
      private: true,
      description: `The ${service} pulsura microservice.`,
      scripts: {
        build: "tsx scripts/build.ts",
        // As services/core: start.js loads the bundle with its V8 code cache (see @pulsura/kit/build).
        start: "node dist/start.js",
        dev: "tsx scripts/dev.ts",
      },
      dependencies: { "@pulsura/kit": "0.1.0", pg: "^8.23.1", zod: "^4.6.7" },
    },
    null,
    2,
  )}\n`;
}

export function serviceBuildScript(service: string): string {
  return `/** \`npm run build -w services/${service}\`: bundles the service into dist/ (index.js, its source map and code cache, and start.js, which npm start runs). */
import * as path from "node:path";
import { buildService } from "@pulsura/kit/build";

buildService({ serviceDir: path.resolve(__dirname, "..") }).then(
  (result) => process.stdout.write(\`built \${path.relative(process.cwd(), result.outfile)} (\${(result.bytes / 1024).toFixed(0)} KiB)\\n\`),
  (error: unknown) => {
    process.stderr.write(\`build failed: \${(error as Error).message}\\n\`);
    process.exit(1);
  },
);
`;
}

export function serviceDevScript(service: string): string {
  return `/** \`npm run dev -w services/${service}\`: runs the service from its TypeScript sources, with the same checks as the bundle. */
import * as path from "node:path";
import { ConfigError, DriftError } from "@pulsura/kit";
import { runServiceFromSource } from "@pulsura/kit/dev";

runServiceFromSource(path.resolve(__dirname, "..")).catch((error: unknown) => {
  const message = error instanceof ConfigError || error instanceof DriftError ? error.message : (error as Error).stack;
  process.stderr.write(\`${service}: \${message}\\n\`);
  process.exit(1);
});
`;
}

export function serviceDriftTest(service: string): string {
  return `/** The ${service} service's handlers agree with hasura/metadata (generated by \`npm run new\`). */
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { checkDrift } from "@pulsura/kit";
import { loadService } from "@pulsura/kit/dev";

describe("${service} service", () => {
  it("has a metadata entry for every handler and a handler for every entry", async () => {
    const loaded = await loadService(path.resolve(__dirname, "../../../services/${service}"));
    expect(checkDrift(loaded, loaded.metadata)).toEqual([]);
  });
});
`;
}

/** The Dockerfile of a service; `services/core/Dockerfile` is the reference it was made from. */
export function serviceDockerfile(service: string, coreDockerfile: string): string {
  return coreDockerfile.replace(/services\/core/g, `services/${service}`).replace(/\bcore\b/g, service);
}

/** What a new action needs before the app can call it on a deployed stack, printed after scaffolding. */
export function actionAllowListNotes(action: string): string {
  return `Deployed stacks run only allow-listed operations (pulsura:hasura.allowList, always on in prod). To call ${action} from the app:
  1. add a named operation that calls it to flutter-template/lib/src/graphql/documents.dart (a raw r''' string, like the others)
  2. npm run hasura:allow-list   (rewrites hasura/metadata/query_collections.yaml; a test fails when the two drift)
`;
}
