import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import type { Auth } from "firebase-admin/auth";
import type { Pool, PoolClient } from "pg";
import type { HasuraClient } from "./hasura-client";
import type { Logger } from "./logger";
import { mapStack } from "./stack";

/**
 * The role Hasura gives requests without a JWT (`HASURA_GRAPHQL_UNAUTHORIZED_ROLE`, `anonymous` in this stack). Hasura
 * builds that role's session from the request's own `x-hasura-*` headers, so every session variable of an anonymous
 * request but the role itself, `x-hasura-user-id` above all, is whatever the caller chose to send.
 */
export const unauthorizedRole = "anonymous";

/** Who called, from Hasura's session variables. */
export interface Caller {
  /**
   * `x-hasura-user-id` (the Firebase uid, from the verified JWT), null when the session has none. Trustworthy because
   * actions never admit the unauthorized role ({@link unauthorizedRole}), whose variables come from request headers.
   */
  userId: string | null;
  /** `x-hasura-role`. */
  role: string;
  /** `x-hasura-organization-id` when the session carries one. */
  organizationId: string | null;
  /** Every session variable, keys lower-cased. */
  sessionVariables: Readonly<Record<string, string>>;
}

/** What every handler gets. */
export interface BaseContext {
  /** The service's `pg` pool (`DATABASE_URL`). Prefer the transaction the kit hands you. */
  db: Pool;
  /** Hasura GraphQL as admin; `hasura.asCaller()` acts with the caller's role and user id. */
  hasura: HasuraClient;
  /** Firebase Admin Auth, initialized on first use. */
  readonly auth: Auth;
  /** Request logger: JSON lines with severity, message and the request's trace. */
  log: Logger;
  /** This service's background jobs (`src/jobs/<name>.ts`): `jobs.enqueue("<name>", payload, { dedupeKey })`. */
  readonly jobs: JobQueue;
  /** Calls another service's internal routes with a Google-signed ID token: `services.call("<service>", "/internal/<name>", body)`. */
  readonly services: ServiceCaller;
}

export interface EnqueueOptions {
  /** Run no sooner than this many seconds from now (Cloud Tasks' scheduleTime). @default 0 */
  delay?: number;
  /**
   * Enqueue once per key: the task's name derives from the job and this key, and Cloud Tasks refuses a second task of
   * that name (ALREADY_EXISTS) while the first is queued and for about an hour after it ran or was deleted
   * (https://cloud.google.com/tasks/docs/reference/rest/v2/projects.locations.queues.tasks/create). Pass the id of what
   * caused the job (an event id, an organization id and a day) so a repeated delivery enqueues once. @default none:
   * every call enqueues a task
   */
  dedupeKey?: string;
}

export interface EnqueuedJob {
  /** The task's id in the queue (the last segment of its name). */
  task: string;
  /** `duplicate`: a task of the same dedupe key exists (or ran within the name's reservation); nothing was enqueued. */
  status: "enqueued" | "duplicate";
}

/** Where a service's jobs go: Cloud Tasks on Google Cloud, an in-process queue under `npm run dev`. */
export interface JobQueue {
  /** Validates `payload` with the job's schema, then enqueues it; rejects for an unknown job or an invalid payload. */
  enqueue(job: string, payload: unknown, options?: EnqueueOptions): Promise<EnqueuedJob>;
}

/** Service-to-service calls (`src/internal/<name>.ts` of the target). */
export interface ServiceCaller {
  /**
   * POSTs `body` as JSON to `<target's URL><path>` with an ID token for the target's URL, and resolves with the parsed
   * answer; rejects with a {@link ServiceCallError} for a non-2xx answer.
   */
  call<T = unknown>(service: string, path: string, body?: unknown): Promise<T>;
}

/** A service call answered with a non-2xx status. */
export class ServiceCallError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly body: unknown,
  ) {
    super(message);
    this.name = "ServiceCallError";
  }
}

export interface ActionContext extends BaseContext {
  caller: Caller;
  /** The GraphQL query the client sent, as Hasura forwards it. */
  requestQuery: string | undefined;
  /**
   * Runs `work` in one transaction with `hasura.user` set to the caller's session variables, so audit
   * triggers record the caller as the actor. Commits when `work` resolves, rolls back when it throws.
   */
  transaction<T>(work: (client: PoolClient) => Promise<T>): Promise<T>;
}

export interface EventContext extends BaseContext {
  /** The transaction the delivery is recorded in: write through it so the effect and the record commit together. */
  tx: PoolClient;
  /**
   * The session that made the change, when Hasura recorded one. A change made through the unauthorized role
   * ({@link unauthorizedRole}) carries session variables the client chose: identify no one by them.
   */
  caller: Caller | null;
}

export interface CronContext extends BaseContext {
  /** The transaction the delivery is recorded in: write through it so the effect and the record commit together. */
  tx: PoolClient;
  /** Hasura's scheduled event id. */
  deliveryId: string;
  /** When Hasura scheduled this run (ISO 8601). */
  scheduledTime: string;
}

export type AnyObjectSchema = z.ZodObject<z.ZodRawShape>;

export interface ActionSpec<Input extends AnyObjectSchema, Output> {
  /**
   * The action's arguments. Must agree with the action's field in `hasura/metadata/actions.graphql`
   * (the drift check compares them). @default z.object({})
   */
  input?: Input;
  /**
   * Roles that may call the action, matched against `x-hasura-role`; the same roles as the action's
   * permissions in actions.yaml. Hasura's built-in `admin` role (requests with the admin secret) is always allowed;
   * app roles such as `operator` only when listed. Never `anonymous` ({@link unauthorizedRole}): its session is
   * built from request headers, so the caller's identity would be the caller's say-so. `defineAction` throws.
   */
  roles: readonly string[];
  handler(input: z.output<Input>, context: ActionContext): Promise<Output> | Output;
}

export interface ActionDefinition<Input extends AnyObjectSchema = AnyObjectSchema, Output = unknown> {
  readonly kind: "action";
  readonly input: Input;
  readonly roles: readonly string[];
  readonly handler: (input: z.output<Input>, context: ActionContext) => Promise<Output> | Output;
}

/** Defines a Hasura action handler; export it as the default of `src/actions/<actionName>.ts`. */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- the type of z.object({}), the default input
export function defineAction<Input extends AnyObjectSchema = z.ZodObject<{}>, Output = unknown>(
  spec: ActionSpec<Input, Output>,
): ActionDefinition<Input, Output> {
  if (!Array.isArray(spec.roles) || spec.roles.length === 0) {
    throw new Error(`${definedIn()}: defineAction: roles must name at least one role allowed to call the action`);
  }
  if (spec.roles.includes(unauthorizedRole)) {
    throw new Error(
      `${definedIn()}: defineAction: roles must not include "${unauthorizedRole}", Hasura's role for requests without a JWT: ` +
        `Hasura takes that role's session variables (x-hasura-user-id too) from the request's own headers, so the kit ` +
        `could not tell who called. Require a signed-in role such as "user", or serve public data through a Hasura ` +
        `select permission of "${unauthorizedRole}" instead of an action`,
    );
  }
  return Object.freeze({
    kind: "action",
    input: (spec.input ?? z.object({})) as Input,
    roles: Object.freeze([...spec.roles]),
    handler: spec.handler,
  });
}

/**
 * The handler file that called a define function, for errors raised while it is evaluated: the first stack frame
 * outside this module, mapped to its TypeScript source when the service runs as a bundle, relative to the working
 * directory. "a handler file" when the stack says nothing usable.
 */
function definedIn(): string {
  const thisModule = /[\\/]kit[\\/](?:src|dist)[\\/]definitions\.[cm]?[jt]s$/;
  for (const line of mapStack(new Error().stack ?? "").split("\n").slice(1)) {
    const match = /^\s*at (?:async )?(?:.*? \()?(.+?):\d+:\d+\)?$/.exec(line);
    if (!match) continue;
    let file = match[1]!;
    if (file.startsWith("file://")) file = fileURLToPath(file);
    if (file === __filename || thisModule.test(file) || file.startsWith("node:")) continue;
    return path.isAbsolute(file) ? path.relative(process.cwd(), file) : file;
  }
  return "a handler file";
}

export type TriggerOperation = "INSERT" | "UPDATE" | "DELETE" | "MANUAL";

/** A Hasura event trigger delivery, as the handler sees it. */
export interface TriggerEvent<Row> {
  /** Hasura's event id: the delivery id the kit records. */
  id: string;
  trigger: string;
  table: { schema: string; name: string };
  op: TriggerOperation;
  /** The row before the change (UPDATE, DELETE). */
  old: Row | null;
  /** The row after the change (INSERT, UPDATE, MANUAL). */
  new: Row | null;
  createdAt: string | undefined;
  deliveryInfo: { maxRetries: number; currentRetry: number } | undefined;
}

export type AnyRowSchema = z.ZodType<Record<string, unknown>, Record<string, unknown>>;

export interface EventSpec<Row extends AnyRowSchema> {
  /** The table the trigger is defined on; the drift check compares it with the metadata. */
  table?: { schema: string; name: string };
  /** Schema for `event.data.old` / `event.data.new`. @default any object */
  row?: Row;
  handler(event: TriggerEvent<z.output<Row>>, context: EventContext): Promise<unknown> | unknown;
}

export interface EventDefinition<Row extends AnyRowSchema = AnyRowSchema> {
  readonly kind: "event";
  readonly table: { schema: string; name: string } | undefined;
  readonly row: Row;
  readonly handler: (event: TriggerEvent<z.output<Row>>, context: EventContext) => Promise<unknown> | unknown;
}

/** Defines a Hasura event trigger handler; export it as the default of `src/events/<trigger_name>.ts`. */
export function defineEvent<Row extends AnyRowSchema = z.ZodRecord<z.ZodString, z.ZodUnknown>>(
  spec: EventSpec<Row>,
): EventDefinition<Row> {
  return Object.freeze({
    kind: "event",
    table: spec.table,
    row: (spec.row ?? z.record(z.string(), z.unknown())) as Row,
    handler: spec.handler,
  });
}

export interface CronSpec<Payload extends z.ZodType> {
  /** Schema of the trigger's `payload`; the drift check parses the payload in cron_triggers.yaml with it. */
  payload?: Payload;
  handler(payload: z.output<Payload>, context: CronContext): Promise<unknown> | unknown;
}

export interface CronDefinition<Payload extends z.ZodType = z.ZodType> {
  readonly kind: "cron";
  readonly payload: Payload;
  readonly handler: (payload: z.output<Payload>, context: CronContext) => Promise<unknown> | unknown;
}

/** Defines a Hasura cron trigger handler; export it as the default of `src/crons/<cron_name>.ts`. */
export function defineCron<Payload extends z.ZodType = z.ZodUnknown>(spec: CronSpec<Payload>): CronDefinition<Payload> {
  return Object.freeze({
    kind: "cron",
    payload: (spec.payload ?? z.unknown()) as Payload,
    handler: spec.handler,
  });
}

export type PushContext = BaseContext;

/** A Pub/Sub push delivery (https://cloud.google.com/pubsub/docs/push#receive_push), as the handler sees it. */
export interface PushMessage<Data> {
  /** `message.data`, base64-decoded and parsed as JSON, checked by the definition's `data` schema. */
  data: Data;
  /** `message.attributes` (for Cloud Storage notifications: eventType, bucketId, objectId, objectGeneration …). */
  attributes: Readonly<Record<string, string>>;
  messageId: string;
  publishTime: string | undefined;
  subscription: string;
}

export interface PushSpec<Data extends z.ZodType> {
  /** Schema of the message's data (base64 JSON). @default any JSON value */
  data?: Data;
  /**
   * Resolves: the message is acknowledged (2xx). Throws: 500, and Pub/Sub redelivers it, so the handler must be
   * idempotent (Pub/Sub delivers at least once). Return what to log/answer.
   */
  handler(message: PushMessage<z.output<Data>>, context: PushContext): Promise<unknown> | unknown;
}

export interface PushDefinition<Data extends z.ZodType = z.ZodType> {
  readonly kind: "push";
  readonly data: Data;
  readonly handler: (message: PushMessage<z.output<Data>>, context: PushContext) => Promise<unknown> | unknown;
}

/**
 * Defines a Pub/Sub push handler; export it as the default of `src/push/<name>.ts` (`POST /push/<name>`). The kit
 * admits only requests with a Google-signed OIDC token for `PULSURA_PUSH_AUDIENCE` carrying the verified email
 * `PULSURA_PUSH_SERVICE_ACCOUNT`; the Hasura event secret is not accepted there.
 */
export function definePush<Data extends z.ZodType = z.ZodUnknown>(spec: PushSpec<Data>): PushDefinition<Data> {
  return Object.freeze({
    kind: "push",
    data: (spec.data ?? z.unknown()) as Data,
    handler: spec.handler,
  });
}

export interface JobContext extends BaseContext {
  /** The transaction the task's run is recorded in: write through it so the effect and the record commit together. */
  tx: PoolClient;
  /** The task's id in the queue. */
  task: string;
  /** How many times Cloud Tasks attempted the task before this attempt (`X-CloudTasks-TaskRetryCount`). */
  retryCount: number;
}

export interface JobSpec<Payload extends z.ZodType> {
  /** Schema of the payload, checked at enqueue and again at delivery. @default any JSON value */
  payload?: Payload;
  /**
   * Resolves: the task is done (2xx) and recorded, so a repeated delivery of it does not run again. Throws: 500, the
   * transaction rolls back, and Cloud Tasks retries with the queue's backoff.
   */
  handler(payload: z.output<Payload>, context: JobContext): Promise<unknown> | unknown;
}

export interface JobDefinition<Payload extends z.ZodType = z.ZodType> {
  readonly kind: "job";
  readonly payload: Payload;
  readonly handler: (payload: z.output<Payload>, context: JobContext) => Promise<unknown> | unknown;
}

/**
 * Defines a background job; export it as the default of `src/jobs/<name>.ts` (`POST /jobs/<name>`), enqueue it with
 * `context.jobs.enqueue("<name>", payload)`. The kit admits only Cloud Tasks' OIDC token of the service's own invoker
 * account (`PULSURA_JOBS_INVOKER`) for the service's URL (`PULSURA_SERVICE_URL`); never the Hasura event secret.
 */
export function defineJob<Payload extends z.ZodType = z.ZodUnknown>(spec: JobSpec<Payload>): JobDefinition<Payload> {
  return Object.freeze({
    kind: "job",
    payload: (spec.payload ?? z.unknown()) as Payload,
    handler: spec.handler,
  });
}

/** Who called an internal route: the calling service, from the verified token's email. */
export interface InternalContext extends BaseContext {
  /** The calling service's name (one of the definition's `callers`). */
  callerService: string;
}

export interface InternalSpec<Input extends z.ZodType, Output> {
  /**
   * The services that may call this route, by name (their folders under services/). A literal list of strings: the
   * infrastructure reads it from the file to give exactly these services' accounts the invoker role.
   */
  callers: readonly string[];
  /** Schema of the JSON body. @default any JSON value */
  input?: Input;
  handler(input: z.output<Input>, context: InternalContext): Promise<Output> | Output;
}

export interface InternalDefinition<Input extends z.ZodType = z.ZodType, Output = unknown> {
  readonly kind: "internal";
  readonly callers: readonly string[];
  readonly input: Input;
  readonly handler: (input: z.output<Input>, context: InternalContext) => Promise<Output> | Output;
}

/**
 * Defines a route other services call (`src/internal/<name>.ts`, `POST /internal/<name>`): the kit admits only a
 * Google-signed ID token for this service's URL whose verified email is the account of one of `callers`; never the
 * Hasura event secret.
 */
export function defineInternal<Input extends z.ZodType = z.ZodUnknown, Output = unknown>(
  spec: InternalSpec<Input, Output>,
): InternalDefinition<Input, Output> {
  if (!Array.isArray(spec.callers) || spec.callers.length === 0 || !spec.callers.every((caller) => typeof caller === "string" && serviceNamePattern.test(caller))) {
    throw new Error(`${definedIn()}: defineInternal: callers must name at least one service (its folder name, ${serviceNamePattern.source})`);
  }
  return Object.freeze({
    kind: "internal",
    callers: Object.freeze([...spec.callers]),
    input: (spec.input ?? z.unknown()) as Input,
    handler: spec.handler,
  });
}

/** Service names: their folder under services/ (scripts/new.ts creates them so). */
export const serviceNamePattern = /^[a-z][a-z0-9-]*$/;

/** A service's handlers by route name: `actions.createOrganization` answers `POST /actions/createOrganization`. */
export interface ServiceRoutes {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- each handler has its own input and output types
  actions: Record<string, ActionDefinition<any, any>>;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  events: Record<string, EventDefinition<any>>;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  crons: Record<string, CronDefinition<any>>;
  /** Pub/Sub push handlers (`src/push/<name>.ts`, `POST /push/<name>`). @default none */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  push?: Record<string, PushDefinition<any>>;
  /** Background jobs (`src/jobs/<name>.ts`, `POST /jobs/<name>`). @default none */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  jobs?: Record<string, JobDefinition<any>>;
  /** Routes for other services (`src/internal/<name>.ts`, `POST /internal/<name>`). @default none */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  internal?: Record<string, InternalDefinition<any, any>>;
}

export type RouteKind = "action" | "event" | "cron" | "push" | "job" | "internal";

/** The folder under `src/` for each kind of handler, which is also the URL prefix. */
export const routeFolders: Record<RouteKind, "actions" | "events" | "crons" | "push" | "jobs" | "internal"> = {
  action: "actions",
  event: "events",
  cron: "crons",
  push: "push",
  job: "jobs",
  internal: "internal",
};

/** Valid handler names: GraphQL field names for actions, Hasura trigger names for events and crons. */
export const routeNamePatterns: Record<RouteKind, RegExp> = {
  action: /^[A-Za-z][A-Za-z0-9_]*$/,
  event: /^[A-Za-z][A-Za-z0-9_-]*$/,
  cron: /^[A-Za-z][A-Za-z0-9_-]*$/,
  push: /^[a-z][a-z0-9-]*$/,
  // Part of the Cloud Tasks task id (letters, digits, hyphens, underscores), beside a hash.
  job: /^[a-z][a-z0-9-]*$/,
  internal: /^[a-z][a-z0-9-]*$/,
};

/**
 * Accepts a handler module's default export (or the module itself) and checks it is the expected kind of
 * definition. Tolerates the double `default` that CommonJS interop produces.
 */
export type AnyDefinition = ActionDefinition | EventDefinition | CronDefinition | PushDefinition | JobDefinition | InternalDefinition;

export function asDefinition(kind: RouteKind, exported: unknown, where: string): AnyDefinition {
  let candidate = exported;
  for (let depth = 0; depth < 3 && candidate && typeof candidate === "object" && !("kind" in candidate); depth++) {
    candidate = (candidate as { default?: unknown }).default;
  }
  const found = candidate as { kind?: unknown } | undefined;
  if (!found || found.kind !== kind) {
    const helper = { action: "defineAction", event: "defineEvent", cron: "defineCron", push: "definePush", job: "defineJob", internal: "defineInternal" }[kind];
    throw new Error(`${where} must export default ${helper}({...})`);
  }
  return found as AnyDefinition;
}

/** Checks every entry of a route table with {@link asDefinition} and unwraps module namespaces. */
export function normalizeRoutes(routes: ServiceRoutes): ServiceRoutes {
  const pick = (kind: RouteKind, table: Record<string, unknown>) =>
    Object.fromEntries(Object.entries(table).map(([name, exported]) => [name, asDefinition(kind, exported, `${kind} ${name}`)]));
  return {
    actions: pick("action", routes.actions) as ServiceRoutes["actions"],
    events: pick("event", routes.events) as ServiceRoutes["events"],
    crons: pick("cron", routes.crons) as ServiceRoutes["crons"],
    push: pick("push", routes.push ?? {}) as NonNullable<ServiceRoutes["push"]>,
    jobs: pick("job", routes.jobs ?? {}) as NonNullable<ServiceRoutes["jobs"]>,
    internal: pick("internal", routes.internal ?? {}) as NonNullable<ServiceRoutes["internal"]>,
  };
}
