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
}

export type RouteKind = "action" | "event" | "cron" | "push";

/** The folder under `src/` for each kind of handler, which is also the URL prefix. */
export const routeFolders: Record<RouteKind, "actions" | "events" | "crons" | "push"> = {
  action: "actions",
  event: "events",
  cron: "crons",
  push: "push",
};

/** Valid handler names: GraphQL field names for actions, Hasura trigger names for events and crons. */
export const routeNamePatterns: Record<RouteKind, RegExp> = {
  action: /^[A-Za-z][A-Za-z0-9_]*$/,
  event: /^[A-Za-z][A-Za-z0-9_-]*$/,
  cron: /^[A-Za-z][A-Za-z0-9_-]*$/,
  push: /^[a-z][a-z0-9-]*$/,
};

/**
 * Accepts a handler module's default export (or the module itself) and checks it is the expected kind of
 * definition. Tolerates the double `default` that CommonJS interop produces.
 */
export function asDefinition(kind: RouteKind, exported: unknown, where: string): ActionDefinition | EventDefinition | CronDefinition | PushDefinition {
  let candidate = exported;
  for (let depth = 0; depth < 3 && candidate && typeof candidate === "object" && !("kind" in candidate); depth++) {
    candidate = (candidate as { default?: unknown }).default;
  }
  const found = candidate as { kind?: unknown } | undefined;
  if (!found || found.kind !== kind) {
    const helper = { action: "defineAction", event: "defineEvent", cron: "defineCron", push: "definePush" }[kind];
    throw new Error(`${where} must export default ${helper}({...})`);
  }
  return found as ActionDefinition | EventDefinition | CronDefinition | PushDefinition;
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
  };
}
