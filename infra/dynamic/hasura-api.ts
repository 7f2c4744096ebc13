/**
 * A small client for the parts of Hasura's HTTP API the deploy-time resources use:
 *
 * - `GET /hasura/healthz` (https://hasura.io/docs/latest/api-reference/health/: "/hasura/healthz ... mirrors
 *   /healthz completely"). Not `/healthz`: Cloud Run's front end reserves some paths ending in `z` and answers a bare
 *   `/healthz` itself with a Google 404 (https://cloud.google.com/run/docs/known-issues#ah)
 * - `POST /v2/query` `run_sql` (https://hasura.io/docs/latest/api-reference/schema-api/run-sql/)
 * - `POST /v1/metadata` `replace_metadata`, `export_metadata`
 *   (https://hasura.io/docs/latest/api-reference/metadata-api/manage-metadata/) and `get_catalog_state`,
 *   `set_catalog_state` (the store the Hasura CLI keeps its migration state in, see ./migrations.ts).
 *
 * Everything here is a plain function over global `fetch` (Node 18+) that references only other functions of
 * this file and globals: the Pulumi dynamic providers capture these functions, and Pulumi serializes captured
 * functions by value into the resource's `__provider` input (see ./migrations.ts). So no imports here.
 *
 * The admin secret travels in the `x-hasura-admin-secret` header only. It never appears in a URL, a request
 * body, an error message or a log line; error messages are additionally scrubbed of it in case a server
 * ever echoes it back.
 */

/** Where and how to reach one Hasura GraphQL Engine. */
export interface HasuraConnection {
  /** Base URL of the engine, e.g. `https://hasura-abc-ew.a.run.app` (not the `/v1/graphql` URL). */
  endpoint: string;
  /** The engine's `HASURA_GRAPHQL_ADMIN_SECRET`, sent as `x-hasura-admin-secret`. */
  adminSecret: string;
  /**
   * Time limit of one API request. Long migrations run inside one request.
   * @default 600000 (10 minutes)
   */
  requestTimeoutMs?: number;
}

/** How long and how often `waitForHealthy` polls `/hasura/healthz`. */
export interface HealthCheckOptions {
  /**
   * Give up after this long (a poll under way at the deadline still gets up to 5 s for its answer). Cloud Run
   * cold start plus Hasura's metadata load can take a while.
   * @default 300000
   */
  timeoutMs?: number;
  /** First pause between polls; doubles after each failed poll. @default 500 */
  initialDelayMs?: number;
  /** Upper bound of the pause between polls. @default 10000 */
  maxDelayMs?: number;
}

/** One entry of Hasura's `inconsistent_objects` (also the `internal` of a rejected `replace_metadata`). */
export interface InconsistentObject {
  type?: string;
  name?: string;
  reason?: string;
  definition?: unknown;
}

/**
 * An error answer of Hasura (`{ error, code, path, internal }`), or no answer at all (`status` undefined).
 * The message is Hasura's own message plus context, never containing the admin secret.
 */
export interface HasuraApiError extends Error {
  name: "HasuraApiError";
  /** The API operation, e.g. `run_sql`, `replace_metadata`, `healthz`. */
  operation: string;
  /** HTTP status of Hasura's answer; undefined when the request got no answer. */
  status?: number;
  /** Hasura's error code, e.g. `postgres-error`, `access-denied`, `unexpected`. */
  code?: string;
  /** Hasura's JSON path of the failing part of the request, e.g. `$` or `$.args`. */
  path?: string;
  /** Hasura's `error` text. */
  hasuraError?: string;
  /** Hasura's `internal` details (the Postgres error for `postgres-error`). */
  internal?: unknown;
  /** The inconsistent metadata objects, when Hasura rejected metadata for them. */
  inconsistentObjects?: InconsistentObject[];
}

/** The answer of `run_sql`: the last statement's result; `result` has the column names as its first row. */
export interface RunSqlResult {
  result_type: "CommandOk" | "TuplesOk";
  result: Array<Array<string | null>> | null;
}

export interface RunSqlOptions {
  /** The metadata source (database) to run on. @default "default" */
  source?: string;
  /** Cascade the effect to dependent metadata objects. Migrations never do. @default false */
  cascade?: boolean;
  /** Run in a READ ONLY transaction. @default false */
  readOnly?: boolean;
}

/** `get_catalog_state`: opaque per-client state the server stores next to the metadata. */
export interface CatalogState {
  id?: string;
  cli_state: Record<string, unknown>;
  console_state: Record<string, unknown>;
}

/** `export_metadata` version 2. */
export interface ExportedMetadata {
  resource_version: number;
  metadata: Record<string, unknown>;
}

/** `replace_metadata` version 2 answer. */
export interface ReplaceMetadataResult {
  is_consistent: boolean;
  inconsistent_objects: InconsistentObject[];
}

/**
 * Validates a Hasura base URL and returns it without trailing slashes.
 * @throws when it is not an absolute http(s) URL, or it carries credentials, a query or a fragment
 */
export function normalizeEndpoint(endpoint: string): string {
  if (typeof endpoint !== "string" || endpoint.trim() === "") {
    throw new Error("Hasura endpoint is empty: pass the engine's base URL, e.g. https://hasura-xyz.a.run.app");
  }
  let url: URL;
  try {
    url = new URL(endpoint.trim());
  } catch {
    throw new Error(`Hasura endpoint ${JSON.stringify(endpoint)} is not an absolute URL`);
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw new Error(`Hasura endpoint ${JSON.stringify(endpoint)} must use http or https`);
  }
  if (url.username || url.password || url.search || url.hash) {
    // Credentials in the URL would end up in logs and state; the admin secret has its own input.
    throw new Error("Hasura endpoint must be a plain base URL without credentials, query or fragment");
  }
  if (/\/v1\/graphql\/?$/.test(url.pathname)) {
    throw new Error(`Hasura endpoint ${JSON.stringify(endpoint)} is the GraphQL URL: pass the base URL without /v1/graphql`);
  }
  return url.toString().replace(/\/+$/, "");
}

/**
 * Polls `GET <endpoint>/hasura/healthz` (Hasura's mirror of `/healthz`, which Cloud Run's front end reserves) until it answers 200 (`OK`, or `WARN: inconsistent objects in schema`,
 * which still means the API serves requests), waiting with exponential backoff between polls.
 *
 * @throws when the deadline passes, with the last answer (HTTP status or network error) in the message
 */
export async function waitForHealthy(endpoint: string, options: HealthCheckOptions = {}): Promise<void> {
  const base = normalizeEndpoint(endpoint);
  // Cloud Run's front end answers a bare /healthz itself (reserved paths ending in z); Hasura's mirror reaches Hasura.
  const HEALTH_PATH = "/hasura/healthz";
  const timeoutMs = options.timeoutMs ?? 300_000;
  const maxDelayMs = Math.max(1, options.maxDelayMs ?? 10_000);
  let delayMs = Math.min(Math.max(1, options.initialDelayMs ?? 500), maxDelayMs);
  const deadline = Date.now() + timeoutMs;
  let lastAnswer = "no answer yet";
  for (;;) {
    try {
      // Each poll gets a few seconds even near the deadline, so the last answer is Hasura's, not our impatience.
      const response = await fetch(`${base}${HEALTH_PATH}`, {
        method: "GET",
        signal: AbortSignal.timeout(Math.min(Math.max(deadline - Date.now(), 5_000), 30_000)),
      });
      const body = (await response.text()).trim();
      if (response.status === 200) return;
      lastAnswer = `HTTP ${response.status}${body ? ` ${body.slice(0, 200)}` : ""}`;
    } catch (error) {
      lastAnswer = describeFetchFailure(error);
    }
    const left = deadline - Date.now();
    if (left <= 0) {
      throw new Error(
        `Hasura at ${base} did not become healthy within ${timeoutMs >= 1000 ? `${Math.round(timeoutMs / 1000)} s` : `${timeoutMs} ms`} ` +
          `(last ${HEALTH_PATH} answer: ${lastAnswer})`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, Math.min(delayMs, left)));
    delayMs = Math.min(delayMs * 2, maxDelayMs);
  }
}

/**
 * `run_sql` through `POST /v2/query`. Hasura runs the whole text (statements separated by `;`) in one
 * transaction, so a failing statement rolls back the earlier ones of the same call.
 *
 * @throws HasuraApiError with the Postgres message (and SQLSTATE, detail, hint) on a SQL error
 */
export async function runSql(connection: HasuraConnection, sql: string, options: RunSqlOptions = {}): Promise<RunSqlResult> {
  const body = {
    type: "run_sql",
    args: {
      source: options.source ?? "default",
      sql,
      cascade: options.cascade ?? false,
      read_only: options.readOnly ?? false,
    },
  };
  return (await hasuraPost(connection, "/v2/query", body, "run_sql")) as RunSqlResult;
}

/**
 * `replace_metadata` version 2 with `allow_inconsistent_metadata: false`: the server either takes the whole
 * metadata consistently or keeps the old one and answers 400 with the inconsistent objects.
 *
 * @throws HasuraApiError listing the inconsistent objects
 */
export async function replaceMetadata(
  connection: HasuraConnection,
  metadata: Record<string, unknown>,
): Promise<ReplaceMetadataResult> {
  const body = {
    type: "replace_metadata",
    version: 2,
    args: { allow_inconsistent_metadata: false, metadata },
  };
  const answer = (await hasuraPost(connection, "/v1/metadata", body, "replace_metadata")) as Partial<ReplaceMetadataResult>;
  const inconsistent = Array.isArray(answer.inconsistent_objects) ? answer.inconsistent_objects : [];
  if (answer.is_consistent === false || inconsistent.length > 0) {
    // Not expected with allow_inconsistent_metadata false, but never report success over inconsistencies.
    throw makeHasuraApiError({
      operation: "replace_metadata",
      status: 200,
      hasuraError: "the server reports inconsistent metadata after replace_metadata",
      inconsistentObjects: inconsistent,
    });
  }
  return { is_consistent: true, inconsistent_objects: [] };
}

/** `export_metadata` version 2: the current metadata and its `resource_version`. */
export async function exportMetadata(connection: HasuraConnection): Promise<ExportedMetadata> {
  const body = { type: "export_metadata", version: 2, args: {} };
  return (await hasuraPost(connection, "/v1/metadata", body, "export_metadata")) as ExportedMetadata;
}

/** `get_catalog_state`: `{ id, cli_state, console_state }`, the states default to `{}`. */
export async function getCatalogState(connection: HasuraConnection): Promise<CatalogState> {
  const answer = (await hasuraPost(connection, "/v1/metadata", { type: "get_catalog_state", args: {} }, "get_catalog_state")) as {
    id?: string;
    cli_state?: unknown;
    console_state?: unknown;
  };
  const asObject = (value: unknown): Record<string, unknown> =>
    value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
  return { id: answer.id, cli_state: asObject(answer.cli_state), console_state: asObject(answer.console_state) };
}

/** `set_catalog_state`: replaces the whole state of one client type (`cli` or `console`). */
export async function setCatalogState(
  connection: HasuraConnection,
  type: "cli" | "console",
  state: Record<string, unknown>,
): Promise<void> {
  await hasuraPost(connection, "/v1/metadata", { type: "set_catalog_state", args: { type, state } }, "set_catalog_state");
}

/** Type guard for errors thrown by this module. */
export function isHasuraApiError(error: unknown): error is HasuraApiError {
  return error instanceof Error && error.name === "HasuraApiError";
}

/** Replaces every occurrence of `secret` in `text` (no-op for empty secrets). */
export function redactSecret(text: string, secret: string | undefined): string {
  if (!secret) return text;
  return text.split(secret).join("[redacted]");
}

/** POSTs a JSON request with the admin secret header; returns the parsed answer or throws HasuraApiError. */
async function hasuraPost(connection: HasuraConnection, path: string, body: unknown, operation: string): Promise<unknown> {
  const base = normalizeEndpoint(connection.endpoint);
  if (typeof connection.adminSecret !== "string" || connection.adminSecret === "") {
    throw new Error(`Hasura ${operation}: the admin secret is empty`);
  }
  let response: Response;
  try {
    response = await fetch(`${base}${path}`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "x-hasura-admin-secret": connection.adminSecret,
      },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(connection.requestTimeoutMs ?? 600_000),
    });
  } catch (error) {
    throw makeHasuraApiError({
      operation,
      hasuraError: `could not reach Hasura at ${base}: ${describeFetchFailure(error)}`,
      secret: connection.adminSecret,
    });
  }
  const text = await response.text();
  let answer: unknown;
  try {
    answer = text === "" ? null : JSON.parse(text);
  } catch {
    answer = undefined;
  }
  if (response.ok && answer !== undefined) return answer;

  const errorBody = (answer !== null && typeof answer === "object" ? answer : {}) as Record<string, unknown>;
  const internal = errorBody.internal;
  const inconsistent =
    Array.isArray(internal) && internal.every((item) => item !== null && typeof item === "object")
      ? (internal as InconsistentObject[])
      : Array.isArray(errorBody.inconsistent_objects)
        ? (errorBody.inconsistent_objects as InconsistentObject[])
        : undefined;
  throw makeHasuraApiError({
    operation,
    status: response.status,
    code: typeof errorBody.code === "string" ? errorBody.code : undefined,
    path: typeof errorBody.path === "string" ? errorBody.path : undefined,
    hasuraError:
      typeof errorBody.error === "string"
        ? errorBody.error
        : answer === undefined
          ? `unexpected non-JSON answer: ${text.slice(0, 200)}`
          : "unexpected answer",
    internal,
    inconsistentObjects: inconsistent,
    secret: connection.adminSecret,
  });
}

interface HasuraApiErrorParts {
  operation: string;
  status?: number;
  code?: string;
  path?: string;
  hasuraError: string;
  internal?: unknown;
  inconsistentObjects?: InconsistentObject[];
  secret?: string;
}

/** Builds the error with a message that carries Hasura's own words first, then where they came from. */
function makeHasuraApiError(parts: HasuraApiErrorParts): HasuraApiError {
  let summary = parts.hasuraError;
  // For SQL errors Hasura's `error` is a generic "query execution failed": the Postgres error is in `internal`.
  const postgres = postgresErrorOf(parts.internal);
  if (postgres) {
    summary = `${postgres.message}${postgres.status_code ? ` (SQLSTATE ${postgres.status_code})` : ""}`;
    if (postgres.description) summary += `\nDETAIL: ${postgres.description}`;
    if (postgres.hint) summary += `\nHINT: ${postgres.hint}`;
  }
  const where = [
    parts.status !== undefined ? `HTTP ${parts.status}` : "no answer",
    parts.code,
    parts.path ? `at ${parts.path}` : undefined,
  ]
    .filter(Boolean)
    .join(", ");
  let message = `Hasura ${parts.operation} failed: ${summary} [${where}]`;
  if (parts.inconsistentObjects && parts.inconsistentObjects.length > 0) {
    message += "\nInconsistent objects:";
    for (const item of parts.inconsistentObjects) {
      const label = item.name ?? (item.type ? `${item.type} ${JSON.stringify(item.definition)}` : JSON.stringify(item.definition));
      message += `\n  - ${label}: ${item.reason ?? "no reason given"}`;
    }
  }
  if (parts.code === "access-denied" || parts.status === 401) {
    message += "\nCheck the admin secret given to this resource (HASURA_GRAPHQL_ADMIN_SECRET of the engine).";
  }
  const error = new Error(redactSecret(message, parts.secret)) as HasuraApiError;
  error.name = "HasuraApiError";
  error.operation = parts.operation;
  error.status = parts.status;
  error.code = parts.code;
  error.path = parts.path;
  error.hasuraError = redactSecret(parts.hasuraError, parts.secret);
  error.internal = parts.internal;
  error.inconsistentObjects = parts.inconsistentObjects;
  return error;
}

interface PostgresErrorDetails {
  message: string;
  status_code?: string;
  description?: string | null;
  hint?: string | null;
}

/** Hasura's `postgres-error` internal: `{ statement, prepared, arguments, error: { message, status_code, ... } }`. */
function postgresErrorOf(internal: unknown): PostgresErrorDetails | undefined {
  if (internal === null || typeof internal !== "object" || Array.isArray(internal)) return undefined;
  const error = (internal as { error?: unknown }).error;
  if (error === null || typeof error !== "object") return undefined;
  const details = error as Partial<PostgresErrorDetails>;
  return typeof details.message === "string" ? (details as PostgresErrorDetails) : undefined;
}

/** `fetch` rejects with "fetch failed" and the useful part in `cause` (ECONNREFUSED, timeout, DNS). */
function describeFetchFailure(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  if (error.name === "TimeoutError") return "request timed out";
  const cause = (error as { cause?: unknown }).cause;
  if (cause instanceof Error) {
    const code = (cause as { code?: unknown }).code;
    return `${error.message}: ${typeof code === "string" ? `${code} ` : ""}${cause.message}`.trim();
  }
  return error.message;
}
