import Fastify, {
  LogController,
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  type RawReplyDefaultExpression,
  type RawRequestDefaultExpression,
  type RawServerDefault,
} from "fastify";
import type { Auth } from "firebase-admin/auth";
import { Pool } from "pg";
import { databasePoolConfig } from "./database";
import { z } from "zod";
import type { ServiceConfig } from "./config";
import {
  normalizeRoutes,
  type ActionContext,
  type ActionDefinition,
  type BaseContext,
  type Caller,
  type CronContext,
  type CronDefinition,
  type EventContext,
  type EventDefinition,
  type InternalDefinition,
  type JobDefinition,
  type JobQueue,
  type PushDefinition,
  type ServiceCaller,
  type ServiceRoutes,
  type TriggerEvent,
} from "./definitions";
import { ActionError, hasuraError, jsonPath, unexpectedErrorBody, validationFailed, type HasuraErrorBody } from "./errors";
import { lazyFirebaseAuth } from "./firebase";
import { createHasuraClient, type HasuraClient } from "./hasura-client";
import { correlationFields, createLogger, traceFields, type Logger } from "./logger";
import { actionPayloadSchema, cronPayloadSchema, eventPayloadSchema } from "./payloads";
import { createIdTokenVerifier, IdTokenError, type IdTokenVerifier } from "./id-tokens";
import { createCloudTasksQueue, unconfiguredJobQueue, type TasksClient } from "./jobs";
import { createPushTokenVerifier, PushTokenError, type PushTokenVerifier } from "./push";
import { createServiceCaller, googleIdTokens, type IdTokenSource } from "./service-calls";
import { createSecretChecker, eventSecretHeader } from "./secret";
import { findUnstorable } from "./storable";
import { inTransaction, runOnce } from "./transaction";

export interface CreateServiceOptions {
  /** Service name (its folder under services/), used in logs. */
  name: string;
  routes: ServiceRoutes;
  config: ServiceConfig;
  /** @default a Cloud Logging logger at `config.logLevel` on stdout */
  logger?: Logger;
  /** @default a pool on `config.databaseUrl` with `config.databasePoolMax` connections */
  pool?: Pool;
  /** Largest request body accepted, in bytes. Event payloads carry whole rows. @default 5 MiB */
  bodyLimit?: number;
  /** Checks the OIDC token of push routes. @default createPushTokenVerifier(config.push) */
  pushTokenVerifier?: PushTokenVerifier;
  /** Checks the ID tokens of job and internal routes. @default createIdTokenVerifier() (Google's keys) */
  idTokenVerifier?: IdTokenVerifier;
  /**
   * Creates the Cloud Tasks client that `jobs.enqueue` uses (tests point one at a local fake). @default Google's client
   * over its REST transport, with Application Default Credentials
   */
  tasksClient?: () => TasksClient | Promise<TasksClient>;
  /** Where `jobs.enqueue` puts jobs instead of Cloud Tasks (npm run dev's in-process queue). */
  jobQueue?: (service: Service) => JobQueue;
  /** ID tokens for `services.call`. @default googleIdTokens() (the service's own account) */
  idTokens?: IdTokenSource;
}

/** The Fastify instance of a service (its logger is pino). */
export type ServiceApp = FastifyInstance<RawServerDefault, RawRequestDefaultExpression, RawReplyDefaultExpression, Logger>;

/** A service, built but not listening yet. */
export interface Service {
  app: ServiceApp;
  pool: Pool;
  logger: Logger;
  /** Starts listening; resolves with the bound address, e.g. `http://127.0.0.1:43121`. */
  listen(options?: { host?: string; port?: number }): Promise<string>;
  /** Stops accepting connections, waits for in-flight requests, then closes the pool. */
  close(): Promise<void>;
}

/** Session written to `hasura.user` for crons, which have no caller. */
const cronSession: Readonly<Record<string, string>> = Object.freeze({ "x-hasura-role": "admin" });

/** Routes that answer without the webhook secret: Cloud Run probes cannot send it. */
const publicRoutes = new Set(["/healthz", "/readyz"]);

/** Session written to `hasura.user` for jobs: they run as the service, like crons. */
const jobSession = cronSession;

interface SharedResources {
  pool: Pool;
  config: ServiceConfig;
  auth: () => Auth;
  jobs: JobQueue;
  services: ServiceCaller;
}

/**
 * Builds the Fastify app for a service: one POST route per handler, `GET /healthz`, `GET /readyz`, the
 * webhook secret check, Hasura's payload and error shapes, and logging with the request's trace.
 */
export function createService(options: CreateServiceOptions): Service {
  const { config, routes } = options;
  const logger = options.logger ?? createLogger({ level: config.logLevel });
  const pool =
    options.pool ??
    new Pool(databasePoolConfig(config));
  // Idle clients can lose their connection (database restart); pg emits that on the pool, and unhandled it would crash.
  pool.on("error", (error) => logger.warn({ err: error }, "idle database connection failed"));

  const handlers = normalizeRoutes(routes);
  const jobDefinitions = handlers.jobs ?? {};
  // Replaced below when the caller brings its own queue (it needs the service it delivers to).
  let jobQueue: JobQueue =
    config.jobs && config.serviceUrl
      ? createCloudTasksQueue({
          ...config.jobs,
          serviceUrl: config.serviceUrl,
          jobs: jobDefinitions,
          client: options.tasksClient ?? defaultTasksClient,
        })
      : unconfiguredJobQueue("jobs are not configured: set PULSURA_JOBS_QUEUE, PULSURA_JOBS_INVOKER and PULSURA_SERVICE_URL");
  const shared: SharedResources = {
    pool,
    config,
    auth: lazyFirebaseAuth(config.projectId),
    jobs: { enqueue: (...args) => jobQueue.enqueue(...args) },
    services: createServiceCaller({ urls: config.serviceUrls ?? {}, idTokens: options.idTokens ?? googleIdTokens() }),
  };
  const checkSecret = createSecretChecker(config.eventSecret);

  const app: ServiceApp = Fastify({
    loggerInstance: logger,
    // Cloud Run already logs every request; per-request lines here would double the log volume.
    logController: new LogController({ disableRequestLogging: true }),
    // Every line written while handling a request carries its trace (from the header Cloud Run passes on), never a
    // made-up one: without a trace header the fields are absent.
    childLoggerFactory(parent, bindings, childOptions, rawRequest) {
      const trace = traceFields(rawRequest.headers, config.projectId);
      return parent.child({ ...bindings, ...trace, ...correlationFields(rawRequest.headers) }, childOptions);
    },
    bodyLimit: options.bodyLimit ?? 5 * 1024 * 1024,
    return503OnClosing: true,
    // Payloads are validated with zod: Fastify's JSON-schema compilers (ajv, fast-json-stringify) are never
    // needed, and naming our own factories keeps them out of the bundle.
    schemaController: {
      compilersFactory: {
        buildValidator: () => () => {
          throw new Error("route schemas are not used in pulsura services: validate with zod");
        },
        buildSerializer: () => () => {
          throw new Error("response schemas are not used in pulsura services");
        },
      },
    },
  });

  // Before body parsing: a call without the right secret is refused before its body is read.
  const pushRoutes = Object.keys(handlers.push ?? {});
  const tokenPaths = new Set([
    ...pushRoutes.map((name) => `/push/${name}`),
    ...Object.keys(jobDefinitions).map((name) => `/jobs/${name}`),
    ...Object.keys(handlers.internal ?? {}).map((name) => `/internal/${name}`),
  ]);
  app.addHook("onRequest", (request, reply, done) => {
    if (publicRoutes.has(request.routeOptions.url ?? "")) return done();
    // Push, job and internal routes admit a Google-signed ID token only (their own hook): never the Hasura secret.
    if (tokenPaths.has(request.routeOptions.url ?? "")) return done();
    if (checkSecret(request.headers[eventSecretHeader])) return done();
    request.log.warn({ url: request.url }, "refused a call without the right X-Pulsura-Event-Secret");
    void reply.code(401).send(hasuraError("missing or wrong X-Pulsura-Event-Secret", "access-denied"));
  });

  app.setErrorHandler((error: FastifyError, request, reply) => {
    const status = error.statusCode ?? 500;
    if (status >= 400 && status < 500) {
      const [message, code] = describeClientError(error);
      return reply.code(status).send(hasuraError(message, code));
    }
    request.log.error({ err: error }, "request failed");
    return reply.code(500).send(unexpectedErrorBody);
  });
  app.setNotFoundHandler((request, reply) =>
    reply.code(404).send(hasuraError(`no handler for ${request.method} ${request.url.split("?")[0]}`, "not-found")),
  );

  app.get("/healthz", async () => ({ status: "ok" }));
  app.get("/readyz", async (request, reply) => {
    try {
      await withTimeout(pool.query("select 1"), 3_000, "database did not answer within 3 s");
      return { status: "ready" };
    } catch (error) {
      request.log.warn({ err: error }, "not ready: database unreachable");
      return reply.code(503).send({ status: "unavailable", reason: "database unreachable" });
    }
  });

  for (const [name, definition] of Object.entries(handlers.actions)) registerAction(app, shared, name, definition);
  for (const [name, definition] of Object.entries(handlers.events)) registerEvent(app, shared, name, definition);
  for (const [name, definition] of Object.entries(handlers.crons)) registerCron(app, shared, name, definition);
  if (pushRoutes.length > 0) {
    // Without the push settings no token can be checked: every push is refused (503, Pub/Sub retries), never admitted.
    const verifier: PushTokenVerifier = options.pushTokenVerifier ??
      (config.push ? createPushTokenVerifier(config.push) : {
        verify: () => Promise.reject(new PushTokenError("push is not configured: set PULSURA_PUSH_AUDIENCE and PULSURA_PUSH_SERVICE_ACCOUNT", 503)),
      });
    if (!options.pushTokenVerifier && !config.push) {
      logger.warn({ push: pushRoutes }, "PULSURA_PUSH_AUDIENCE and PULSURA_PUSH_SERVICE_ACCOUNT are not set: push routes refuse every request");
    }
    for (const [name, definition] of Object.entries(handlers.push ?? {})) registerPush(app, shared, verifier, name, definition);
  }
  const idTokenVerifier = options.idTokenVerifier ?? createIdTokenVerifier();
  for (const [name, definition] of Object.entries(jobDefinitions)) registerJob(app, shared, idTokenVerifier, name, definition);
  for (const [name, definition] of Object.entries(handlers.internal ?? {})) registerInternal(app, shared, idTokenVerifier, name, definition);
  if (Object.keys(jobDefinitions).length > 0 && !(config.jobs && config.serviceUrl) && !options.jobQueue) {
    logger.warn({ jobs: Object.keys(jobDefinitions) }, "PULSURA_JOBS_QUEUE, PULSURA_JOBS_INVOKER or PULSURA_SERVICE_URL is not set: job routes refuse every request and jobs cannot be enqueued");
  }

  // Fastify runs preClose hooks once it refuses new requests (503) and before it closes the listener.
  let closing = false;
  app.addHook("preClose", (done) => {
    closing = true;
    logger.info("stopped accepting requests; finishing in-flight ones");
    done();
  });
  // The server only finishes closing when every socket is gone: tell keep-alive clients of in-flight
  // requests to hang up after their answer instead of holding the socket open.
  app.addHook("onSend", (_request, reply, payload, done) => {
    if (closing) void reply.header("connection", "close");
    done(null, payload);
  });
  // onClose hooks run after the HTTP server has closed, i.e. after in-flight requests finished.
  app.addHook("onClose", async () => {
    if (!options.pool) await pool.end();
  });

  const service: Service = {
    app,
    pool,
    logger,
    async listen(listenOptions = {}) {
      return app.listen({ host: listenOptions.host ?? "127.0.0.1", port: listenOptions.port ?? 0 });
    },
    async close() {
      await app.close();
    },
  };
  if (options.jobQueue) jobQueue = options.jobQueue(service);
  return service;
}

/** Google's Cloud Tasks client, loaded on the first enqueue (most requests never enqueue). */
async function defaultTasksClient(): Promise<TasksClient> {
  // require, not import(): a bundle takes the package's CommonJS build, whose JSON the kit's build inlines (build.ts
  // cloudTasksJson); its ESM build reads import.meta.url, which a CommonJS bundle does not have.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { CloudTasksClient } = require("@google-cloud/tasks") as typeof import("@google-cloud/tasks");
  // The REST transport (HTTP/1.1 JSON), which the tests' fake speaks too, rather than gRPC: the same code path runs
  // in tests and on Cloud Run.
  return new CloudTasksClient({ fallback: true });
}

function registerAction(app: ServiceApp, shared: SharedResources, name: string, definition: ActionDefinition): void {
  app.post(`/actions/${name}`, async (request, reply) => {
    const parsed = actionPayloadSchema.safeParse(request.body);
    if (!parsed.success) return reply.code(400).send(validationFailed(parsed.error, []));
    const payload = parsed.data;
    if (payload.action.name !== name) {
      return reply
        .code(400)
        .send(hasuraError(`action "${payload.action.name}" was sent to the handler of "${name}"`, "validation-failed", { path: "$.action.name" }));
    }

    const caller = callerFrom(payload.session_variables);
    // Checked before the input, so a caller without the role learns nothing about the arguments.
    if (!caller || (caller.role !== "admin" && !definition.roles.includes(caller.role))) {
      return reply
        .code(403)
        .send(hasuraError(`role "${caller?.role ?? "(none)"}" may not call ${name}`, "access-denied"));
    }

    const unstorableInput = refuseUnstorable(payload.input, ["input"]);
    if (unstorableInput) return reply.code(400).send(unstorableInput);
    const input = definition.input.safeParse(payload.input);
    if (!input.success) return reply.code(400).send(validationFailed(input.error, ["input"]));

    const log = request.log as Logger;
    const context = new ActionRequestContext(shared, log, caller, payload.request_query);
    log.debug({ action: name }, "action started");
    try {
      const output = await definition.handler(input.data, context);
      return reply.code(200).send(output === undefined ? null : output);
    } catch (error) {
      if (isActionError(error)) {
        log.info({ action: name, code: error.code, status: error.status }, error.message);
        return reply.code(error.status).send(error.toBody());
      }
      log.error({ err: error, action: name }, `action ${name} failed`);
      return reply.code(500).send(unexpectedErrorBody);
    }
  });
}

function registerEvent(app: ServiceApp, shared: SharedResources, name: string, definition: EventDefinition): void {
  app.post(`/events/${name}`, async (request, reply) => {
    const parsed = eventPayloadSchema.safeParse(request.body);
    if (!parsed.success) return reply.code(400).send(validationFailed(parsed.error, []));
    const payload = parsed.data;
    if (payload.trigger.name !== name) {
      return reply
        .code(400)
        .send(hasuraError(`trigger "${payload.trigger.name}" was sent to the handler of "${name}"`, "validation-failed", { path: "$.trigger.name" }));
    }
    // Rows come out of Postgres, so their text is storable; an int8 or numeric beyond 2^53 is not what the row holds
    // once parsed, and a handler must not act on a rounded id: refused, the failure shows in Hasura's event log.
    const unstorableRow = refuseUnstorable(payload.event.data, ["event", "data"]);
    if (unstorableRow) return reply.code(400).send(unstorableRow);
    const oldRow = parseRow(definition.row, payload.event.data.old, "old");
    if (!oldRow.ok) return reply.code(400).send(oldRow.body);
    const newRow = parseRow(definition.row, payload.event.data.new, "new");
    if (!newRow.ok) return reply.code(400).send(newRow.body);

    const log = request.log as Logger;
    const session = payload.event.session_variables ?? undefined;
    const caller = (session && callerFrom(session)) || null;
    const event: TriggerEvent<Record<string, unknown>> = {
      id: payload.id,
      trigger: name,
      table: payload.table,
      op: payload.event.op,
      old: oldRow.row,
      new: newRow.row,
      createdAt: payload.created_at,
      deliveryInfo: payload.delivery_info
        ? { maxRetries: payload.delivery_info.max_retries, currentRetry: payload.delivery_info.current_retry }
        : undefined,
    };
    log.debug({ trigger: name, eventId: payload.id, op: event.op }, "event started");
    try {
      const outcome = await runOnce(shared.pool, { id: payload.id, kind: "event", name }, session ?? cronSession, (tx) =>
        Promise.resolve(definition.handler(event, new EventRequestContext(shared, log, tx, caller))),
      );
      if (outcome.status === "duplicate") log.info({ trigger: name, eventId: payload.id }, "event already processed; skipped");
      return reply.code(200).send(deliveryAnswer(outcome));
    } catch (error) {
      // A 5xx makes Hasura retry; nothing was recorded, so the retry runs the handler again.
      log.error({ err: error, trigger: name, eventId: payload.id }, `event ${name} failed`);
      return reply.code(500).send(unexpectedErrorBody);
    }
  });
}

function registerCron(app: ServiceApp, shared: SharedResources, name: string, definition: CronDefinition): void {
  app.post(`/crons/${name}`, async (request, reply) => {
    const parsed = cronPayloadSchema.safeParse(request.body);
    if (!parsed.success) return reply.code(400).send(validationFailed(parsed.error, []));
    const payload = parsed.data;
    if (payload.name != null && payload.name !== name) {
      return reply
        .code(400)
        .send(hasuraError(`cron "${payload.name}" was sent to the handler of "${name}"`, "validation-failed", { path: "$.name" }));
    }
    const unstorablePayload = refuseUnstorable(payload.payload, ["payload"]);
    if (unstorablePayload) return reply.code(400).send(unstorablePayload);
    const cronInput = definition.payload.safeParse(payload.payload);
    if (!cronInput.success) return reply.code(400).send(validationFailed(cronInput.error, ["payload"]));

    const log = request.log as Logger;
    log.debug({ cron: name, scheduledEventId: payload.id }, "cron started");
    try {
      const outcome = await runOnce(shared.pool, { id: payload.id, kind: "cron", name }, cronSession, (tx) =>
        Promise.resolve(
          definition.handler(cronInput.data, new CronRequestContext(shared, log, tx, payload.id, payload.scheduled_time)),
        ),
      );
      if (outcome.status === "duplicate") log.info({ cron: name, scheduledEventId: payload.id }, "cron run already processed; skipped");
      return reply.code(200).send(deliveryAnswer(outcome));
    } catch (error) {
      log.error({ err: error, cron: name, scheduledEventId: payload.id }, `cron ${name} failed`);
      return reply.code(500).send(unexpectedErrorBody);
    }
  });
}

/** Pub/Sub's push body (https://cloud.google.com/pubsub/docs/push#receive_push). */
const pushBodySchema = z.object({
  message: z.object({
    data: z.string().optional(),
    attributes: z.record(z.string(), z.string()).optional(),
    messageId: z.string().min(1),
    publishTime: z.string().optional(),
  }),
  subscription: z.string().min(1),
});

function registerPush(app: ServiceApp, shared: SharedResources, verifier: PushTokenVerifier, name: string, definition: PushDefinition): void {
  app.post(
    `/push/${name}`,
    {
      // Before the body is read, as the secret check of the other routes.
      async onRequest(request, reply) {
        try {
          await verifier.verify(request.headers.authorization);
        } catch (error) {
          if (!(error instanceof PushTokenError)) throw error;
          request.log.warn({ url: request.url, reason: error.message }, "refused a push without a valid token");
          return reply.code(error.status).send(hasuraError(error.message, "access-denied"));
        }
      },
    },
    async (request, reply) => {
      const log = request.log as Logger;
      const parsed = pushBodySchema.safeParse(request.body);
      if (!parsed.success) return reply.code(400).send(validationFailed(parsed.error, []));
      const { message, subscription } = parsed.data;
      let decoded: unknown;
      try {
        decoded = message.data === undefined ? undefined : JSON.parse(Buffer.from(message.data, "base64").toString("utf8"));
      } catch {
        return reply.code(400).send(hasuraError("message.data is not base64 JSON", "validation-failed", { path: "$.message.data" }));
      }
      const data = definition.data.safeParse(decoded);
      if (!data.success) return reply.code(400).send(validationFailed(data.error, ["message", "data"]));
      try {
        const result = await definition.handler(
          { data: data.data, attributes: message.attributes ?? {}, messageId: message.messageId, publishTime: message.publishTime, subscription },
          new RequestContextBase(shared, log, undefined),
        );
        return reply.code(200).send(result === undefined ? { status: "processed" } : { status: "processed", result });
      } catch (error) {
        // A 5xx is a nack: Pub/Sub redelivers the message with backoff.
        log.error({ err: error, push: name, messageId: message.messageId }, `push ${name} failed`);
        return reply.code(500).send(unexpectedErrorBody);
      }
    },
  );
}

/** Refuses a request whose ID token is not what `expected` says (401/403), or when nothing can be checked (503). */
function tokenCheck(verifier: IdTokenVerifier, expected: () => { audience: string; accounts: readonly string[] } | string, kind: string) {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    const wanted = expected();
    try {
      // A string is why nothing can be checked: Cloud Tasks and callers retry a 503, and no request is admitted.
      if (typeof wanted === "string") throw new IdTokenError(wanted, 503);
      (request as FastifyRequest & { tokenEmail?: string }).tokenEmail = await verifier.verify(request.headers.authorization, wanted);
    } catch (error) {
      if (!(error instanceof IdTokenError)) throw error;
      request.log.warn({ url: request.url, reason: error.message }, `refused a ${kind} call without a valid token`);
      return reply.code(error.status).send(hasuraError(error.message, "access-denied"));
    }
  };
}

/** Cloud Tasks' request headers (https://cloud.google.com/tasks/docs/creating-http-target-tasks#handler). */
const taskHeaders = { name: "x-cloudtasks-taskname", queue: "x-cloudtasks-queuename", retryCount: "x-cloudtasks-taskretrycount" } as const;

function registerJob(app: ServiceApp, shared: SharedResources, verifier: IdTokenVerifier, name: string, definition: JobDefinition): void {
  const { config } = shared;
  const expected = () =>
    config.jobs && config.serviceUrl
      ? { audience: config.serviceUrl, accounts: [config.jobs.invoker] }
      : "jobs are not configured: set PULSURA_JOBS_QUEUE, PULSURA_JOBS_INVOKER and PULSURA_SERVICE_URL";
  app.post(`/jobs/${name}`, { onRequest: tokenCheck(verifier, expected, "job") }, async (request, reply) => {
    const task = headerValue(request.headers[taskHeaders.name]);
    const queue = headerValue(request.headers[taskHeaders.queue]) ?? "";
    const retryCount = Number(headerValue(request.headers[taskHeaders.retryCount]) ?? "0") || 0;
    if (!task) return reply.code(400).send(hasuraError(`a job delivery needs the ${taskHeaders.name} header Cloud Tasks sends`, "validation-failed"));
    const log = (request.log as Logger).child({ job: name, task, retryCount });
    const unstorable = refuseUnstorable(request.body, ["payload"]);
    if (unstorable) return reply.code(400).send(unstorable);
    const payload = definition.payload.safeParse(request.body);
    if (!payload.success) {
      // Cloud Tasks retries any non-2xx answer until the queue's max attempts: a deploy that fixes the schema can still run it.
      log.error({ issues: payload.error.issues }, `job ${name}: the payload does not match the job's schema`);
      return reply.code(400).send(validationFailed(payload.error, ["payload"]));
    }
    log.info(`job ${name} started (retry ${retryCount})`);
    try {
      // The task's name is unique in its queue (a dedupe key names it, or Cloud Tasks does): one run per task.
      const outcome = await runOnce(shared.pool, { id: `${queue}/${task}`, kind: "job", name }, jobSession, (tx) =>
        Promise.resolve(definition.handler(payload.data, new JobRequestContext(shared, log, tx, task, retryCount))),
      );
      if (outcome.status === "duplicate") log.info(`job ${name}: task already processed; skipped`);
      else log.info(`job ${name} done`);
      return reply.code(200).send(deliveryAnswer(outcome));
    } catch (error) {
      // A 5xx makes Cloud Tasks retry with the queue's backoff; nothing was recorded, so the retry runs the job again.
      log.error({ err: error }, `job ${name} failed (retry ${retryCount})`);
      return reply.code(500).send(unexpectedErrorBody);
    }
  });
}

function registerInternal(app: ServiceApp, shared: SharedResources, verifier: IdTokenVerifier, name: string, definition: InternalDefinition): void {
  const { config } = shared;
  const accounts = config.serviceAccounts ?? {};
  const callerAccounts = Object.fromEntries(definition.callers.flatMap((caller) => (accounts[caller] ? [[accounts[caller]!, caller]] : [])));
  const expected = () =>
    config.serviceUrl
      ? { audience: config.serviceUrl, accounts: Object.keys(callerAccounts) }
      : "internal routes are not configured: set PULSURA_SERVICE_URL and PULSURA_SERVICE_ACCOUNTS";
  app.post(`/internal/${name}`, { onRequest: tokenCheck(verifier, expected, "internal") }, async (request, reply) => {
    const callerService = callerAccounts[(request as FastifyRequest & { tokenEmail?: string }).tokenEmail ?? ""]!;
    const log = (request.log as Logger).child({ internal: name, callerService });
    const unstorable = refuseUnstorable(request.body, ["input"]);
    if (unstorable) return reply.code(400).send(unstorable);
    const input = definition.input.safeParse(request.body);
    if (!input.success) return reply.code(400).send(validationFailed(input.error, ["input"]));
    try {
      const output = await definition.handler(input.data, new InternalRequestContext(shared, log, callerService));
      return reply.code(200).send(output === undefined ? null : output);
    } catch (error) {
      if (isActionError(error)) {
        log.info({ code: error.code, status: error.status }, error.message);
        return reply.code(error.status).send(error.toBody());
      }
      log.error({ err: error }, `internal ${name} failed`);
      return reply.code(500).send(unexpectedErrorBody);
    }
  });
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return (Array.isArray(value) ? value[0] : value) || undefined;
}

/** The caller described by Hasura session variables; undefined without `x-hasura-role`. */
export function callerFrom(sessionVariables: Readonly<Record<string, string>>): Caller | undefined {
  const role = sessionVariables["x-hasura-role"];
  if (!role) return undefined;
  return {
    userId: sessionVariables["x-hasura-user-id"] || null,
    role,
    organizationId: sessionVariables["x-hasura-organization-id"] || null,
    sessionVariables,
  };
}

class RequestContextBase implements BaseContext {
  #hasura: HasuraClient | undefined;
  constructor(
    protected readonly shared: SharedResources,
    readonly log: Logger,
    private readonly callerSession: Readonly<Record<string, string>> | undefined,
  ) {}
  get db(): Pool {
    return this.shared.pool;
  }
  get auth(): Auth {
    return this.shared.auth();
  }
  get jobs(): JobQueue {
    return this.shared.jobs;
  }
  get services(): ServiceCaller {
    return this.shared.services;
  }
  // Built on first use: most handlers never call Hasura.
  get hasura(): HasuraClient {
    this.#hasura ??= createHasuraClient({
      url: this.shared.config.hasuraGraphqlUrl,
      adminSecret: this.shared.config.hasuraAdminSecret,
      callerSessionVariables: this.callerSession,
    });
    return this.#hasura;
  }
}

class ActionRequestContext extends RequestContextBase implements ActionContext {
  constructor(
    shared: SharedResources,
    log: Logger,
    readonly caller: Caller,
    readonly requestQuery: string | undefined,
  ) {
    super(shared, log, caller.sessionVariables);
  }
  // An arrow property, so `const { transaction } = context` keeps working.
  readonly transaction = <T>(work: (client: import("pg").PoolClient) => Promise<T>): Promise<T> =>
    inTransaction(this.shared.pool, this.caller.sessionVariables, work);
}

class EventRequestContext extends RequestContextBase implements EventContext {
  constructor(
    shared: SharedResources,
    log: Logger,
    readonly tx: import("pg").PoolClient,
    readonly caller: Caller | null,
  ) {
    super(shared, log, caller?.sessionVariables);
  }
}

class CronRequestContext extends RequestContextBase implements CronContext {
  constructor(
    shared: SharedResources,
    log: Logger,
    readonly tx: import("pg").PoolClient,
    readonly deliveryId: string,
    readonly scheduledTime: string,
  ) {
    super(shared, log, undefined);
  }
}

class JobRequestContext extends RequestContextBase {
  constructor(
    shared: SharedResources,
    log: Logger,
    readonly tx: import("pg").PoolClient,
    readonly task: string,
    readonly retryCount: number,
  ) {
    super(shared, log, undefined);
  }
}

class InternalRequestContext extends RequestContextBase {
  constructor(
    shared: SharedResources,
    log: Logger,
    readonly callerService: string,
  ) {
    super(shared, log, undefined);
  }
}

/** The 400 validation-failed answer for input that cannot be stored faithfully (storable.ts), or undefined. */
function refuseUnstorable(value: unknown, prefix: readonly PropertyKey[]): HasuraErrorBody | undefined {
  const problem = findUnstorable(value);
  if (!problem) return undefined;
  const path = jsonPath([...prefix, ...problem.path]);
  return hasuraError(`${path}: ${problem.reason}`, "validation-failed", { path });
}

type RowResult =
  | { ok: true; row: Record<string, unknown> | null }
  | { ok: false; body: ReturnType<typeof validationFailed> };

function parseRow(schema: z.ZodType, row: Record<string, unknown> | null, which: "old" | "new"): RowResult {
  if (row === null) return { ok: true, row: null };
  const parsed = schema.safeParse(row);
  if (!parsed.success) return { ok: false, body: validationFailed(parsed.error, ["event", "data", which]) };
  return { ok: true, row: parsed.data as Record<string, unknown> };
}

function deliveryAnswer(outcome: { status: "processed"; result: unknown } | { status: "duplicate" }): Record<string, unknown> {
  if (outcome.status === "processed" && outcome.result !== undefined) return { status: "processed", result: outcome.result };
  return { status: outcome.status };
}

function isActionError(error: unknown): error is ActionError {
  return error instanceof ActionError;
}

/** Message and Hasura-style code for Fastify's own 4xx errors (body parsing, limits, media type). */
function describeClientError(error: FastifyError): [string, string] {
  switch (error.code) {
    case "FST_ERR_CTP_INVALID_JSON_BODY":
    case "FST_ERR_CTP_EMPTY_JSON_BODY":
      return ["the request body is not valid JSON", "invalid-json"];
    case "FST_ERR_CTP_BODY_TOO_LARGE":
      return ["the request body is too large", "payload-too-large"];
    case "FST_ERR_CTP_INVALID_MEDIA_TYPE":
      return ["the request body must be application/json", "unsupported-media-type"];
    default:
      // Fastify's messages for client errors describe the request, not our internals.
      return [error.message, "bad-request"];
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export type { FastifyReply, FastifyRequest };
