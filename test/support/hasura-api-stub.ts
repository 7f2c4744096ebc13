/**
 * CONTRACT STUB of the Hasura GraphQL Engine's admin HTTP API, for tests only: Hasura cannot run on the build
 * machines (no Docker, no binary), so this server implements the documented contract of the endpoints the
 * deploy-time resources use, over real HTTP on 127.0.0.1, and runs SQL against a REAL Postgres.
 *
 * Documented contract it follows:
 * - GET /healthz and its documented mirror GET /hasura/healthz ("mirrors /healthz completely"):
 *   https://hasura.io/docs/latest/api-reference/health/ (200 "OK"; 500 "ERROR" when unhealthy)
 * - POST /v2/query run_sql: https://hasura.io/docs/latest/api-reference/schema-api/run-sql/
 *   (args sql, source, cascade, read_only; `{ result_type: "CommandOk", result: null }` or
 *   `{ result_type: "TuplesOk", result: [[column names], [row as text]...] }`; the whole text runs in one
 *   transaction, as Hasura.Backends.Postgres.DDL.RunSQL does; a SQL error is HTTP 400
 *   `{ code: "postgres-error", error: "query execution failed", internal: { statement, prepared, arguments,
 *   error: { exec_status, message, status_code, description, hint } }, path: "$" }`)
 * - POST /v1/metadata: https://hasura.io/docs/latest/api-reference/metadata-api/manage-metadata/
 *   replace_metadata (v1 and v2 args; with inconsistencies and allow_inconsistent_metadata false: HTTP 400
 *   `{ internal: [inconsistent objects], path: "$.args", error: "cannot continue due to inconsistent metadata",
 *   code: "unexpected" }`, a missing table being `{ definition: { name, schema }, name: "table <t> in source <s>",
 *   reason: "Inconsistent object: no such table/view exists in source: \"<t>\"", type: "table" }`; success:
 *   `{ is_consistent: true, inconsistent_objects: [] }`), export_metadata (v1: the metadata; v2:
 *   `{ resource_version, metadata }`), get_catalog_state (`{ id, cli_state, console_state }`) and
 *   set_catalog_state (`{ type: "cli" | "console", state }` -> `{ message: "success" }`), as used by the Hasura
 *   CLI (hasura/graphql-engine cli/internal/hasura/catalogstate).
 * - Admin secret (header x-hasura-admin-secret), from Hasura.Server.Auth: a wrong secret is HTTP 401
 *   `{ path: "$", error: "invalid x-hasura-admin-secret/x-hasura-access-key", code: "access-denied" }`, a missing
 *   one HTTP 401 `{ ..., error: "x-hasura-admin-secret/x-hasura-access-key required, but not found" }`.
 *
 * Deliberate simplifications: every source name maps to the one database; the metadata consistency check
 * covers tracked tables only (tables/views must exist), not columns, relationships, permissions or webhooks;
 * run_sql does not diff the schema against tracked metadata (no "cannot drop due to dependent objects").
 *
 * Each request is recorded (`requests`, and the `request` event) and logged as a JSON line shaped like
 * Hasura's http-log (`logLines`): the raw URL and the request body are logged, headers are not, so a client
 * that put its admin secret anywhere but the header would show up in the log.
 */
import { randomUUID } from "node:crypto";
import { EventEmitter } from "node:events";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { DatabaseError, Pool } from "pg";

export interface HasuraApiStubOptions {
  /** Postgres the stub's `run_sql` executes on (e.g. `startPostgres({ migrate: false })`'s url). */
  databaseUrl: string;
  /** The engine's HASURA_GRAPHQL_ADMIN_SECRET. */
  adminSecret: string;
  /** Answer /healthz with 200 from the start. @default true */
  healthy?: boolean;
}

/** One request as the stub saw it. */
export interface StubRequest {
  method: string;
  path: string;
  /** The API operation (`run_sql`, `replace_metadata`, ...) or `healthz`. */
  operation: string;
  status: number;
  /** `args.sql` of run_sql requests. */
  sql?: string;
}

export interface HasuraApiStub {
  /** Base URL, `http://127.0.0.1:<port>`. */
  readonly url: string;
  readonly requests: readonly StubRequest[];
  /** JSON lines like Hasura's http-log, one per request. */
  readonly logLines: readonly string[];
  /** Emits `request` (StubRequest) after each answer. */
  readonly events: EventEmitter;
  /** Makes /healthz answer 200 "OK" (true) or 500 "ERROR" (false). */
  setHealthy(healthy: boolean): void;
  /** The stored metadata (what export_metadata returns). */
  metadata(): Record<string, unknown>;
  /** The stored catalog state (what get_catalog_state returns). */
  catalogState(): { id: string; cli_state: Record<string, unknown>; console_state: Record<string, unknown> };
  close(): Promise<void>;
}

interface ErrorAnswer {
  status: number;
  body: Record<string, unknown>;
}

class HasuraErrorAnswer extends Error {
  constructor(readonly answer: ErrorAnswer) {
    super(String(answer.body.error));
  }
}

const badRequest = (code: string, error: string, path = "$"): HasuraErrorAnswer =>
  new HasuraErrorAnswer({ status: 400, body: { path, error, code } });

/** Starts the stub on a free port of 127.0.0.1. Always `close()` it. */
export async function startHasuraApiStub(options: HasuraApiStubOptions): Promise<HasuraApiStub> {
  // Hasura returns every run_sql value as text: keep Postgres' text form instead of parsing types.
  const pool = new Pool({ connectionString: options.databaseUrl, max: 4, types: { getTypeParser: () => (value: string) => value } });
  // An idle pooled connection errors when its server shuts down (end of a test file); nothing is waiting on it.
  pool.on("error", () => undefined);
  const events = new EventEmitter();
  const requests: StubRequest[] = [];
  const logLines: string[] = [];
  let healthy = options.healthy ?? true;
  let metadata: Record<string, unknown> = { version: 3, sources: [] };
  let resourceVersion = 1;
  const catalog = { id: randomUUID(), cli_state: {} as Record<string, unknown>, console_state: {} as Record<string, unknown> };

  const runSql = async (args: Record<string, unknown>): Promise<unknown> => {
    if (typeof args.sql !== "string") throw badRequest("parse-failed", 'key "sql" not found', "$.args");
    const source = args.source ?? "default";
    if (typeof source !== "string") throw badRequest("parse-failed", "expected String for source", "$.args.source");
    const client = await pool.connect();
    try {
      await client.query(args.read_only === true ? "BEGIN READ ONLY" : "BEGIN");
      let results: unknown;
      try {
        // No parameters: the simple query protocol runs all statements of the text, like Hasura's multiQ.
        results = await client.query({ text: args.sql, rowMode: "array" });
        await client.query("COMMIT");
      } catch (error) {
        await client.query("ROLLBACK").catch(() => undefined);
        throw error;
      }
      const all = (Array.isArray(results) ? results : [results]) as Array<{ command: string | null; fields: Array<{ name: string }>; rows: unknown[][] }>;
      const last = all[all.length - 1];
      if (last && last.fields.length > 0) {
        return { result_type: "TuplesOk", result: [last.fields.map((field) => field.name), ...last.rows] };
      }
      return { result_type: "CommandOk", result: null };
    } catch (error) {
      if (error instanceof DatabaseError) {
        throw new HasuraErrorAnswer({
          status: 400,
          body: {
            code: "postgres-error",
            error: "query execution failed",
            internal: {
              arguments: [],
              error: {
                description: error.detail ?? null,
                exec_status: "FatalError",
                hint: error.hint ?? null,
                message: error.message,
                status_code: error.code ?? null,
              },
              prepared: false,
              statement: args.sql,
            },
            path: "$",
          },
        });
      }
      throw error;
    } finally {
      client.release();
    }
  };

  /** Inconsistent objects of a metadata object: tracked tables that do not exist in the database. */
  const inconsistentObjects = async (candidate: Record<string, unknown>): Promise<unknown[]> => {
    const found: unknown[] = [];
    const sources = Array.isArray(candidate.sources) ? (candidate.sources as Array<Record<string, unknown>>) : [];
    for (const source of sources) {
      const tables = Array.isArray(source.tables) ? (source.tables as Array<Record<string, unknown>>) : [];
      for (const entry of tables) {
        const table = typeof entry.table === "string" ? { name: entry.table, schema: "public" } : (entry.table as { name?: string; schema?: string });
        const schema = table?.schema ?? "public";
        const name = table?.name ?? "";
        const { rows } = await pool.query("select to_regclass(format('%I.%I', $1::text, $2::text)) is not null as present", [schema, name]);
        if (rows[0].present === "t") continue;
        const display = schema === "public" ? name : `${schema}.${name}`;
        found.push({
          definition: { name, schema },
          name: `table ${display} in source ${String(source.name)}`,
          reason: `Inconsistent object: no such table/view exists in source: "${display}"`,
          type: "table",
        });
      }
    }
    return found;
  };

  const metadataApi = async (request: Record<string, unknown>): Promise<unknown> => {
    const args = (request.args ?? {}) as Record<string, unknown>;
    switch (request.type) {
      case "export_metadata":
        return request.version === 2 ? { resource_version: resourceVersion, metadata } : metadata;
      case "replace_metadata": {
        // Version 2 wraps the metadata; without a version Hasura infers it from the shape of args.
        const isV2 = request.version === 2 || (request.version === undefined && "metadata" in args);
        const candidate = (isV2 ? args.metadata : args) as Record<string, unknown> | undefined;
        if (candidate === null || typeof candidate !== "object" || Array.isArray(candidate)) {
          throw badRequest("parse-failed", "expected Object for metadata", isV2 ? "$.args.metadata" : "$.args");
        }
        const inconsistent = await inconsistentObjects(candidate);
        const allowInconsistent = isV2 && args.allow_inconsistent_metadata === true;
        if (inconsistent.length > 0 && !allowInconsistent) {
          throw new HasuraErrorAnswer({
            status: 400,
            body: { internal: inconsistent, path: "$.args", error: "cannot continue due to inconsistent metadata", code: "unexpected" },
          });
        }
        metadata = structuredClone(candidate);
        resourceVersion++;
        return { is_consistent: inconsistent.length === 0, inconsistent_objects: inconsistent };
      }
      case "get_catalog_state":
        return structuredClone(catalog);
      case "set_catalog_state": {
        if (args.type !== "cli" && args.type !== "console") {
          throw badRequest(
            "parse-failed",
            `When parsing Hasura.RQL.Types.Metadata.Common.CatalogStateType expected a String with the tag of a constructor but got ${String(args.type)}.`,
            "$.args.type",
          );
        }
        if (args.state === null || typeof args.state !== "object" || Array.isArray(args.state)) {
          throw badRequest("parse-failed", "expected Object for state", "$.args.state");
        }
        if (args.type === "cli") catalog.cli_state = structuredClone(args.state as Record<string, unknown>);
        else catalog.console_state = structuredClone(args.state as Record<string, unknown>);
        return { message: "success" };
      }
      default:
        throw badRequest("parse-failed", `metadata API type ${JSON.stringify(request.type)} is not implemented by the contract stub`);
    }
  };

  const handle = async (req: http.IncomingMessage, rawBody: string): Promise<{ status: number; body: unknown; operation: string; sql?: string }> => {
    const path = new URL(req.url ?? "/", "http://stub").pathname;
    if (req.method === "GET" && (path === "/healthz" || path === "/hasura/healthz")) {
      return healthy ? { status: 200, body: "OK", operation: "healthz" } : { status: 500, body: "ERROR", operation: "healthz" };
    }
    if (req.method !== "POST" || (path !== "/v2/query" && path !== "/v1/metadata")) {
      return { status: 404, body: { path: "$", error: "resource does not exist", code: "not-found" }, operation: "unknown" };
    }
    let request: Record<string, unknown>;
    try {
      request = JSON.parse(rawBody) as Record<string, unknown>;
    } catch {
      return { status: 400, body: { path: "$", error: "invalid json", code: "invalid-json" }, operation: "unknown" };
    }
    const operation = typeof request.type === "string" ? request.type : "unknown";
    const sql = operation === "run_sql" ? String((request.args as { sql?: unknown } | undefined)?.sql) : undefined;
    const given = req.headers["x-hasura-admin-secret"];
    if (given === undefined) {
      return {
        status: 401,
        body: { path: "$", error: "x-hasura-admin-secret/x-hasura-access-key required, but not found", code: "access-denied" },
        operation,
        sql,
      };
    }
    if (given !== options.adminSecret) {
      return { status: 401, body: { path: "$", error: "invalid x-hasura-admin-secret/x-hasura-access-key", code: "access-denied" }, operation, sql };
    }
    try {
      if (path === "/v2/query") {
        if (operation !== "run_sql") throw badRequest("parse-failed", `schema API type ${JSON.stringify(request.type)} is not implemented by the contract stub`);
        return { status: 200, body: await runSql((request.args ?? {}) as Record<string, unknown>), operation, sql };
      }
      return { status: 200, body: await metadataApi(request), operation };
    } catch (error) {
      if (error instanceof HasuraErrorAnswer) return { ...error.answer, operation, sql };
      return { status: 500, body: { path: "$", error: `unexpected: ${(error as Error).message}`, code: "unexpected" }, operation, sql };
    }
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const rawBody = Buffer.concat(chunks).toString("utf8");
      void handle(req, rawBody).then(({ status, body, operation, sql }) => {
        const text = typeof body === "string" ? body : JSON.stringify(body);
        res.writeHead(status, { "content-type": typeof body === "string" ? "text/plain" : "application/json" });
        res.end(text);
        const record: StubRequest = { method: req.method ?? "", path: new URL(req.url ?? "/", "http://stub").pathname, operation, status, sql };
        requests.push(record);
        logLines.push(
          JSON.stringify({
            type: "http-log",
            level: status >= 400 ? "error" : "info",
            detail: {
              http_info: { status, method: req.method, url: req.url },
              operation: { query: rawBody === "" ? null : rawBody, error: status >= 400 ? body : undefined },
            },
          }),
        );
        events.emit("request", record);
      });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    logLines,
    events,
    setHealthy(value) {
      healthy = value;
    },
    metadata: () => structuredClone(metadata),
    catalogState: () => structuredClone(catalog),
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await pool.end();
    },
  };
}
