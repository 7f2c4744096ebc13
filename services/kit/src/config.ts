import { z } from "zod";

const logLevels = ["trace", "debug", "info", "warn", "error", "fatal", "silent"] as const;

const required = (name: string) => z.string({ error: `${name} is required` }).trim().min(1, `${name} is required`);

/** The environment every service reads. Names are part of the deployment contract (see notes/contract.md). */
const environmentSchema = z.object({
  PORT: z.coerce
    .number({ error: "PORT must be a number" })
    .int("PORT must be an integer")
    .min(0, "PORT must be between 0 and 65535")
    .max(65535, "PORT must be between 0 and 65535")
    .default(8080),
  DATABASE_URL: required("DATABASE_URL").refine(
    (value) => /^postgres(ql)?:\/\//.test(value),
    "DATABASE_URL must be a postgres:// or postgresql:// connection string",
  ),
  // The database server's CA (PEM). Set on Cloud Run (the Cloud SQL instance's server CA): the pool then verifies the
  // server against it. Unset locally, where Postgres listens on 127.0.0.1 without TLS.
  DATABASE_CA_CERT: z.string().refine((value) => value.includes("-----BEGIN CERTIFICATE-----"), "DATABASE_CA_CERT must be a PEM certificate").optional(),
  DATABASE_POOL_MAX: z.coerce.number().int().min(1, "DATABASE_POOL_MAX must be at least 1").default(10),
  // Compared with X-Pulsura-Event-Secret on every webhook call; a short secret would be guessable.
  PULSURA_EVENT_SECRET: required("PULSURA_EVENT_SECRET").min(16, "PULSURA_EVENT_SECRET must be at least 16 characters"),
  HASURA_GRAPHQL_URL: z.url({ error: "HASURA_GRAPHQL_URL must be the full URL of Hasura's /v1/graphql endpoint" }),
  HASURA_GRAPHQL_ADMIN_SECRET: required("HASURA_GRAPHQL_ADMIN_SECRET"),
  GOOGLE_CLOUD_PROJECT: required("GOOGLE_CLOUD_PROJECT"),
  LOG_LEVEL: z.enum(logLevels, { error: `LOG_LEVEL must be one of ${logLevels.join(", ")}` }).default("info"),
  // Pub/Sub push routes (src/push/*.ts): the OIDC token Pub/Sub sends must be for this audience (the service's URL)
  // and carry this service account's email. Required only by a service with push routes (createService checks).
  PULSURA_PUSH_AUDIENCE: z.url({ error: "PULSURA_PUSH_AUDIENCE must be the service's URL, the audience of Pub/Sub's push tokens" }).optional(),
  PULSURA_PUSH_SERVICE_ACCOUNT: z.email({ error: "PULSURA_PUSH_SERVICE_ACCOUNT must be the email of the service account Pub/Sub pushes as" }).optional(),
  // The service's own URL: the audience of the ID tokens its job and internal routes accept, and where its tasks go.
  PULSURA_SERVICE_URL: z.url({ error: "PULSURA_SERVICE_URL must be the service's own URL (https://<service>-<project number>.<region>.run.app)" }).optional(),
  // Jobs (src/jobs/*.ts): the service's Cloud Tasks queue and the account whose OIDC token its tasks carry.
  PULSURA_JOBS_QUEUE: z
    .string()
    .regex(/^projects\/[^/]+\/locations\/[^/]+\/queues\/[A-Za-z0-9-]{1,100}$/, "PULSURA_JOBS_QUEUE must be a queue name, projects/<project>/locations/<region>/queues/<id>")
    .optional(),
  PULSURA_JOBS_INVOKER: z.email({ error: "PULSURA_JOBS_INVOKER must be the email of the account Cloud Tasks calls the job routes as" }).optional(),
  // Internal routes (src/internal/*.ts): every service's account by service name, as JSON; a route's callers are
  // looked up here.
  PULSURA_SERVICE_ACCOUNTS: z
    .string()
    .transform((value, context) => {
      try {
        return z.record(z.string(), z.email()).parse(JSON.parse(value));
      } catch {
        context.addIssue({ code: "custom", message: "PULSURA_SERVICE_ACCOUNTS must be a JSON object of service names to service account emails" });
        return z.NEVER;
      }
    })
    .optional(),
});

/** `PULSURA_SERVICE_<NAME>_URL`: where another service is (the variables Hasura's metadata uses too). */
const serviceUrlVariable = /^PULSURA_SERVICE_([A-Z0-9]+(?:_[A-Z0-9]+)*)_URL$/;

/** The validated service configuration. */
export interface ServiceConfig {
  /** Port to listen on; Cloud Run sets it. @default 8080 */
  port: number;
  /** Postgres connection string for the handlers' pool. */
  databaseUrl: string;
  /** PEM of the CA the database server's certificate must chain to (verify-ca); none: the URL decides. */
  databaseCaCert?: string;
  /** Most connections the pool opens. @default 10 */
  databasePoolMax: number;
  /** Shared secret Hasura sends in `X-Pulsura-Event-Secret`. */
  eventSecret: string;
  /** Full URL of Hasura's `/v1/graphql`. */
  hasuraGraphqlUrl: string;
  hasuraAdminSecret: string;
  /** Google Cloud project: Firebase Admin project id and the trace resource name. */
  projectId: string;
  logLevel: (typeof logLevels)[number];
  /** Pub/Sub push: the token's audience and the email it must carry (`PULSURA_PUSH_*`); needed by push routes. */
  push?: { audience: string; serviceAccount: string };
  /** This service's URL (`PULSURA_SERVICE_URL`): the audience of its job and internal routes' tokens. */
  serviceUrl?: string;
  /** This service's Cloud Tasks queue and the invoker account its tasks carry (`PULSURA_JOBS_*`); needed by jobs. */
  jobs?: { queue: string; invoker: string };
  /** Every service's account by service name (`PULSURA_SERVICE_ACCOUNTS`), for internal routes' callers. @default {} */
  serviceAccounts?: Readonly<Record<string, string>>;
  /** Other services' URLs by service name (`PULSURA_SERVICE_<NAME>_URL`), for `services.call`. @default {} */
  serviceUrls?: Readonly<Record<string, string>>;
}

/** Thrown when the environment is incomplete or wrong; its message lists every problem, one per line. */
export class ConfigError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(`Invalid service configuration:\n${problems.map((problem) => `  - ${problem}`).join("\n")}`);
    this.name = "ConfigError";
    this.problems = problems;
  }
}

/** Reads and validates the service environment; throws a {@link ConfigError} naming every bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): ServiceConfig {
  const values = parseEnvironment(environmentSchema, env);
  if (Boolean(values.PULSURA_PUSH_AUDIENCE) !== Boolean(values.PULSURA_PUSH_SERVICE_ACCOUNT)) {
    throw new ConfigError(["PULSURA_PUSH_AUDIENCE and PULSURA_PUSH_SERVICE_ACCOUNT are set together or not at all"]);
  }
  if (Boolean(values.PULSURA_JOBS_QUEUE) !== Boolean(values.PULSURA_JOBS_INVOKER)) {
    throw new ConfigError(["PULSURA_JOBS_QUEUE and PULSURA_JOBS_INVOKER are set together or not at all"]);
  }
  const serviceUrls: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    const match = serviceUrlVariable.exec(name);
    if (match && value) serviceUrls[match[1]!.toLowerCase().replace(/_/g, "-")] = value;
  }
  return {
    port: values.PORT,
    databaseUrl: values.DATABASE_URL,
    databaseCaCert: values.DATABASE_CA_CERT,
    databasePoolMax: values.DATABASE_POOL_MAX,
    eventSecret: values.PULSURA_EVENT_SECRET,
    hasuraGraphqlUrl: values.HASURA_GRAPHQL_URL,
    hasuraAdminSecret: values.HASURA_GRAPHQL_ADMIN_SECRET,
    projectId: values.GOOGLE_CLOUD_PROJECT,
    logLevel: values.LOG_LEVEL,
    ...(values.PULSURA_PUSH_AUDIENCE && values.PULSURA_PUSH_SERVICE_ACCOUNT
      ? { push: { audience: values.PULSURA_PUSH_AUDIENCE, serviceAccount: values.PULSURA_PUSH_SERVICE_ACCOUNT } }
      : {}),
    ...(values.PULSURA_SERVICE_URL ? { serviceUrl: values.PULSURA_SERVICE_URL } : {}),
    ...(values.PULSURA_JOBS_QUEUE && values.PULSURA_JOBS_INVOKER ? { jobs: { queue: values.PULSURA_JOBS_QUEUE, invoker: values.PULSURA_JOBS_INVOKER } } : {}),
    serviceAccounts: values.PULSURA_SERVICE_ACCOUNTS ?? {},
    serviceUrls,
  };
}

/**
 * Validates environment variables with a zod object schema whose keys are the variable names; throws a
 * {@link ConfigError} naming every bad variable. Empty strings count as unset, so `PORT=` falls back to its default.
 */
export function parseEnvironment<Schema extends z.ZodObject<z.ZodRawShape>>(schema: Schema, env: NodeJS.ProcessEnv = process.env): z.output<Schema> {
  const present = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value !== ""));
  const parsed = schema.safeParse(present);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => {
        const variable = issue.path.join(".");
        return issue.message.includes(variable) ? issue.message : `${variable}: ${issue.message}`;
      }),
    );
  }
  return parsed.data;
}

const declaredEnvironments: Array<(env: NodeJS.ProcessEnv) => unknown> = [];

/**
 * A service's own environment variables (beyond the kit's): `const filesEnv = serviceEnvironment(z.object({...}))`
 * in a helper file, `filesEnv()` in handlers. Parsed from process.env on first use, and by `runService` at start-up
 * (with every other declared environment), so a deployed service with a bad environment exits 1 naming each problem.
 * @param options.feature the variables configure an optional feature, set all together: with none of them set,
 *   start-up passes and `read()` throws a ConfigError saying the feature is not configured (the handler answers 500).
 */
export function serviceEnvironment<Schema extends z.ZodObject<z.ZodRawShape>>(
  schema: Schema,
  options: { feature?: string } = {},
): () => z.output<Schema> {
  const names = Object.keys(schema.shape);
  const unset = (env: NodeJS.ProcessEnv) => names.every((name) => env[name] === undefined || env[name] === "");
  let parsed: z.output<Schema> | undefined;
  declaredEnvironments.push((env) => (options.feature && unset(env) ? undefined : parseEnvironment(schema, env)));
  return () => {
    if (parsed) return parsed;
    if (options.feature && unset(process.env)) {
      throw new ConfigError([`${options.feature} are not configured: set ${names.join(", ")}`]);
    }
    return (parsed = parseEnvironment(schema, process.env));
  };
}

/** Checks every {@link serviceEnvironment} declared so far against `env`; one ConfigError listing all problems. */
export function checkServiceEnvironments(env: NodeJS.ProcessEnv = process.env): void {
  const problems: string[] = [];
  for (const check of declaredEnvironments) {
    try {
      check(env);
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      problems.push(...error.problems);
    }
  }
  if (problems.length > 0) throw new ConfigError([...new Set(problems)]);
}
