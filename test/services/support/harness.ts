/**
 * Helpers for service tests: a service listening on a real socket (127.0.0.1, free port) with its log lines
 * captured, Hasura's webhook payloads, and a fetch wrapper that returns status and parsed body.
 */
import { randomUUID } from "node:crypto";
import type { DestinationStream } from "pino";
import { createLogger, createService, type CreateServiceOptions, type PushTokenVerifier, type Service, type ServiceConfig, type ServiceRoutes } from "@pulsura/kit";

export const eventSecret = "test-event-secret-0123456789abcdef";
export const projectId = "demo-pulsura-services";

export function testConfig(databaseUrl: string, overrides: Partial<ServiceConfig> = {}): ServiceConfig {
  return {
    port: 0,
    databaseUrl,
    databasePoolMax: 5,
    eventSecret,
    // Nothing listens here unless a test starts the Hasura contract stub and overrides it.
    hasuraGraphqlUrl: "http://127.0.0.1:9/v1/graphql",
    hasuraAdminSecret: "test-admin-secret",
    projectId,
    logLevel: "debug",
    ...overrides,
  };
}

/** Log lines of a service, parsed. */
export class CapturedLogs implements DestinationStream {
  readonly lines: Record<string, unknown>[] = [];
  write(line: string): void {
    for (const part of line.split("\n")) if (part.trim()) this.lines.push(JSON.parse(part) as Record<string, unknown>);
  }
  find(predicate: (line: Record<string, unknown>) => boolean): Record<string, unknown> | undefined {
    return this.lines.find(predicate);
  }
}

export interface TestService {
  url: string;
  service: Service;
  logs: CapturedLogs;
  close(): Promise<void>;
}

export async function startTestService(options: {
  routes: Partial<ServiceRoutes>;
  databaseUrl: string;
  config?: Partial<ServiceConfig>;
  name?: string;
  pushTokenVerifier?: PushTokenVerifier;
  /** Listen here (a port from freePort()) when the config must know the service's URL before it listens. @default any free port */
  port?: number;
  /** The job and internal routes' token checks, Cloud Tasks client and ID tokens (test/services/kit/jobs.test.ts). */
  tokens?: Pick<CreateServiceOptions, "idTokenVerifier" | "tasksClient" | "idTokens" | "jobQueue">;
}): Promise<TestService> {
  const logs = new CapturedLogs();
  const config = testConfig(options.databaseUrl, options.config);
  const service = createService({
    name: options.name ?? "test",
    routes: { actions: {}, events: {}, crons: {}, ...options.routes },
    config,
    logger: createLogger({ level: config.logLevel, destination: logs }),
    ...(options.pushTokenVerifier ? { pushTokenVerifier: options.pushTokenVerifier } : {}),
    ...options.tokens,
  });
  const url = await service.listen({ host: "127.0.0.1", port: options.port ?? 0 });
  return { url, service, logs, close: () => service.close() };
}

export interface HttpAnswer<T = Record<string, unknown>> {
  status: number;
  body: T;
  headers: Headers;
}

/** POSTs `body` (an object is sent as JSON, a string as is) with the event secret unless told otherwise. */
export async function post<T = Record<string, unknown>>(
  url: string,
  body: unknown,
  options: { secret?: string | null; headers?: Record<string, string> } = {},
): Promise<HttpAnswer<T>> {
  const headers: Record<string, string> = { "content-type": "application/json", ...options.headers };
  const secret = options.secret === undefined ? eventSecret : options.secret;
  if (secret !== null) headers["x-pulsura-event-secret"] = secret;
  const response = await fetch(url, { method: "POST", headers, body: typeof body === "string" ? body : JSON.stringify(body) });
  const text = await response.text();
  return { status: response.status, body: (text ? JSON.parse(text) : null) as T, headers: response.headers };
}

export async function get<T = Record<string, unknown>>(url: string): Promise<HttpAnswer<T>> {
  const response = await fetch(url);
  const text = await response.text();
  return { status: response.status, body: (text ? JSON.parse(text) : null) as T, headers: response.headers };
}

/** Hasura's action payload. */
export function actionPayload(name: string, input: Record<string, unknown>, session: Record<string, string>) {
  return {
    action: { name },
    input,
    session_variables: session,
    request_query: `mutation { ${name} }`,
  };
}

export const userSession = (userId: string): Record<string, string> => ({ "x-hasura-role": "user", "x-hasura-user-id": userId });

/** Hasura's event trigger payload. */
export function eventPayload(options: {
  trigger: string;
  op: "INSERT" | "UPDATE" | "DELETE" | "MANUAL";
  old?: Record<string, unknown> | null;
  new?: Record<string, unknown> | null;
  table?: { schema: string; name: string };
  id?: string;
  session?: Record<string, string> | null;
}) {
  return {
    event: {
      session_variables: options.session === undefined ? { "x-hasura-role": "admin" } : options.session,
      op: options.op,
      data: { old: options.old ?? null, new: options.new ?? null },
      trace_context: { trace_id: "0af7651916cd43dd", span_id: "b7ad6b7169203331" },
    },
    created_at: new Date().toISOString(),
    id: options.id ?? randomUUID(),
    delivery_info: { max_retries: 5, current_retry: 0 },
    trigger: { name: options.trigger },
    table: options.table ?? { schema: "public", name: "users" },
  };
}

/** Hasura's scheduled event payload for a cron trigger. */
export function cronPayload(name: string, payload: unknown, id: string = randomUUID()) {
  return { id, name, scheduled_time: new Date().toISOString(), payload, comment: null };
}
