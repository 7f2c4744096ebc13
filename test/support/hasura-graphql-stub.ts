/**
 * CONTRACT STUB of Hasura's GraphQL endpoint (`POST /v1/graphql`), for tests only.
 *
 * Hasura cannot run on the build machines, so tests of code that calls Hasura as admin use this stub. It implements
 * only Hasura's documented contract, for the `users` table of hasura/migrations, as Hasura (default naming) exposes
 * it: `insert_users_one` (with `on_conflict` on `users_pkey`), `update_users_by_pk`, `delete_users_by_pk`,
 * `users_by_pk` and `users`. Behaviour follows Hasura:
 *
 * - the request is `{ query, variables?, operationName? }` as JSON; the document is parsed and validated against a
 *   schema with Hasura's generated type names, and variables are coerced by graphql-js;
 * - `x-hasura-admin-secret` must equal the configured secret (this stub has no JWT mode);
 * - success is `{ data }`; failures are HTTP 200 with `{ errors: [{ message, extensions: { code, path } }] }` (codes
 *   `access-denied`, `validation-failed`, `constraint-violation`, `invalid-json`, …);
 * - a mutation request is one transaction: if any root field fails, none of its changes stay;
 * - `*_by_pk` on a missing row returns null.
 *
 * It records every request, and can be programmed to fail the next requests, with Hasura errors or with an HTTP
 * status (as a proxy or load balancer in front of Hasura would). It listens on 127.0.0.1 on a free port.
 */
import { EventEmitter, once } from "node:events";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import {
  buildSchema,
  execute,
  GraphQLError,
  GraphQLScalarType,
  Kind,
  parse,
  validate,
  type DocumentNode,
  type GraphQLSchema,
  type OperationDefinitionNode,
} from "graphql";

/** A row of public.users, as Hasura returns it (timestamps as ISO strings). */
export interface StubUserRow {
  id: string;
  phone: string | null;
  email: string | null;
  display_name: string | null;
  role: string;
  created_at: string;
  updated_at: string;
  deleted_at: string | null;
}

/** One of Hasura's error objects. */
export interface HasuraErrorObject {
  message: string;
  extensions: { code: string; path: string };
}

/** A request the stub received, with what it answered. */
export interface RecordedGraphqlRequest {
  headers: IncomingHttpHeaders;
  /** The raw JSON body, parsed; undefined when it was not JSON. */
  body: unknown;
  query?: string;
  variables?: Record<string, unknown>;
  operationName?: string;
  /** Names of the root fields of the executed operation, e.g. ["insert_users_one"]. */
  rootFields: string[];
  status: number;
  response: { data?: unknown; errors?: HasuraErrorObject[] } | string;
}

/** A programmed failure for the next request(s). */
export type StubFailure =
  | { kind: "graphql"; message: string; code?: string; path?: string }
  | { kind: "http"; status: number; body?: string };

export interface HasuraGraphqlStub {
  /** Full URL of the endpoint: http://127.0.0.1:<port>/v1/graphql */
  readonly url: string;
  readonly adminSecret: string;
  /** Every request, oldest first. */
  readonly requests: RecordedGraphqlRequest[];
  /** The users table, keyed by id. */
  readonly users: Map<string, StubUserRow>;
  /** Requests whose operation has `rootField` at its root, e.g. "insert_users_one". */
  requestsFor(rootField: string): RecordedGraphqlRequest[];
  /** Resolves with the first recorded request matching `predicate` (already received or yet to come). */
  waitForRequest(
    predicate: (request: RecordedGraphqlRequest) => boolean,
    options?: { timeoutMs?: number; description?: string; signal?: AbortSignal },
  ): Promise<RecordedGraphqlRequest>;
  /** Makes the next `times` requests (default 1) fail as described, before any other processing. */
  failNext(failure: StubFailure, times?: number): void;
  /** Forgets requests, rows and programmed failures. */
  reset(): void;
  close(): Promise<void>;
}

/** The slice of the schema Hasura generates for public.users (hasura-default naming convention). */
const usersSchemaSdl = /* GraphQL */ `
  scalar timestamptz

  type users {
    created_at: timestamptz!
    deleted_at: timestamptz
    display_name: String
    email: String
    id: String!
    phone: String
    role: String!
    updated_at: timestamptz!
  }

  input users_insert_input {
    created_at: timestamptz
    deleted_at: timestamptz
    display_name: String
    email: String
    id: String
    phone: String
    role: String
    updated_at: timestamptz
  }

  input users_set_input {
    created_at: timestamptz
    deleted_at: timestamptz
    display_name: String
    email: String
    id: String
    phone: String
    role: String
    updated_at: timestamptz
  }

  "unique or primary key constraints on table users"
  enum users_constraint {
    users_pkey
  }

  enum users_update_column {
    created_at
    deleted_at
    display_name
    email
    id
    phone
    role
    updated_at
  }

  input users_on_conflict {
    constraint: users_constraint!
    update_columns: [users_update_column!]! = []
  }

  input users_pk_columns_input {
    id: String!
  }

  type query_root {
    users: [users!]!
    users_by_pk(id: String!): users
  }

  type mutation_root {
    insert_users_one(object: users_insert_input!, on_conflict: users_on_conflict): users
    update_users_by_pk(pk_columns: users_pk_columns_input!, _set: users_set_input): users
    delete_users_by_pk(id: String!): users
  }

  schema {
    query: query_root
    mutation: mutation_root
  }
`;

const userColumns = ["created_at", "deleted_at", "display_name", "email", "id", "phone", "role", "updated_at"] as const;
type UserColumn = (typeof userColumns)[number];

/** An error a resolver raises, carrying Hasura's code and path. */
class HasuraStubError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly path: string,
  ) {
    super(message);
  }
}

/** Postgres renders timestamptz in UTC as 2025-01-01T00:00:00.123+00:00 through Hasura. */
function formatTimestamptz(value: Date): string {
  return value.toISOString().replace("Z", "+00:00");
}

function buildUsersSchema(): GraphQLSchema {
  const schema = buildSchema(usersSchemaSdl);
  const timestamptz = schema.getType("timestamptz") as GraphQLScalarType;
  const parseTimestamptz = (value: unknown): string => {
    const date = typeof value === "string" ? new Date(value) : undefined;
    if (!date || Number.isNaN(date.getTime())) {
      throw new GraphQLError(`invalid input syntax for type timestamp with time zone: ${JSON.stringify(value)}`);
    }
    return formatTimestamptz(date);
  };
  timestamptz.parseValue = parseTimestamptz;
  timestamptz.parseLiteral = (node) => {
    if (node.kind !== Kind.STRING) throw new GraphQLError("timestamptz literal must be a string");
    return parseTimestamptz(node.value);
  };
  timestamptz.serialize = (value) => value;
  return schema;
}

function errorObject(code: string, message: string, path = "$"): HasuraErrorObject {
  return { message, extensions: { code, path } };
}

/** Root field names of the operation a request body asks for; [] when it has none or does not parse. */
function rootFieldsOf(body: unknown): string[] {
  const { query, operationName } = (body ?? {}) as { query?: unknown; operationName?: unknown };
  if (typeof query !== "string") return [];
  let document: DocumentNode;
  try {
    document = parse(query);
  } catch {
    return [];
  }
  const operation = document.definitions.find(
    (d): d is OperationDefinitionNode =>
      d.kind === Kind.OPERATION_DEFINITION && (typeof operationName !== "string" || d.name?.value === operationName),
  );
  return operation?.selectionSet.selections.flatMap((s) => (s.kind === Kind.FIELD ? [s.name.value] : [])) ?? [];
}

/** Starts the stub on 127.0.0.1 (free port). */
export async function startHasuraGraphqlStub(
  options: { adminSecret?: string } = {},
): Promise<HasuraGraphqlStub> {
  const adminSecret = options.adminSecret ?? "stub-admin-secret";
  const schema = buildUsersSchema();
  const requests: RecordedGraphqlRequest[] = [];
  let users = new Map<string, StubUserRow>();
  const failures: StubFailure[] = [];
  const recorded = new EventEmitter();

  function checkRow(row: StubUserRow, path: string): void {
    for (const column of ["id", "role", "created_at", "updated_at"] as const) {
      if (row[column] === null || row[column] === undefined) {
        throw new HasuraStubError(
          "constraint-violation",
          `Not-NULL violation. null value in column "${column}" of relation "users" violates not-null constraint`,
          path,
        );
      }
    }
    if (row.id === "") {
      throw new HasuraStubError(
        "constraint-violation",
        'Check constraint violation. new row for relation "users" violates check constraint "users_id_check"',
        path,
      );
    }
    if (row.role !== "user" && row.role !== "operator") {
      throw new HasuraStubError(
        "constraint-violation",
        'Check constraint violation. new row for relation "users" violates check constraint "users_role_check"',
        path,
      );
    }
  }

  function applySet(row: StubUserRow, set: Partial<Record<UserColumn, string | null>>): StubUserRow {
    const next = { ...row };
    for (const column of userColumns) {
      if (column in set) (next as Record<UserColumn, string | null>)[column] = set[column] ?? null;
    }
    return next;
  }

  const rootValue = {
    users: () => [...users.values()],
    users_by_pk: ({ id }: { id: string }) => users.get(id) ?? null,
    insert_users_one: (args: {
      object: Partial<Record<UserColumn, string | null>>;
      on_conflict?: { constraint: string; update_columns: UserColumn[] };
    }) => {
      const path = "$.selectionSet.insert_users_one.args.object";
      const now = formatTimestamptz(new Date());
      const inserted = applySet(
        { id: "", phone: null, email: null, display_name: null, role: "user", created_at: now, updated_at: now, deleted_at: null },
        args.object,
      );
      if (!("id" in args.object)) inserted.id = null as unknown as string;
      checkRow(inserted, path);
      const existing = users.get(inserted.id);
      if (!existing) {
        users.set(inserted.id, inserted);
        return inserted;
      }
      if (!args.on_conflict) {
        throw new HasuraStubError(
          "constraint-violation",
          'Uniqueness violation. duplicate key value violates unique constraint "users_pkey"',
          path,
        );
      }
      // Postgres: ON CONFLICT DO NOTHING when there is nothing to update; Hasura then returns null.
      if (args.on_conflict.update_columns.length === 0) return null;
      const set: Partial<Record<UserColumn, string | null>> = {};
      for (const column of args.on_conflict.update_columns) set[column] = inserted[column];
      const updated = applySet(existing, set);
      updated.updated_at = now; // the set_updated_at trigger
      checkRow(updated, path);
      users.delete(existing.id);
      users.set(updated.id, updated);
      return updated;
    },
    update_users_by_pk: (args: {
      pk_columns: { id: string };
      _set?: Partial<Record<UserColumn, string | null>> | null;
    }) => {
      const existing = users.get(args.pk_columns.id);
      if (!existing) return null;
      const updated = applySet(existing, args._set ?? {});
      updated.updated_at = formatTimestamptz(new Date());
      checkRow(updated, "$.selectionSet.update_users_by_pk.args._set");
      users.delete(existing.id);
      users.set(updated.id, updated);
      return updated;
    },
    delete_users_by_pk: ({ id }: { id: string }) => {
      const existing = users.get(id) ?? null;
      users.delete(id);
      return existing;
    },
  };

  type Answer = { status: number; response: RecordedGraphqlRequest["response"] };

  async function answer(headers: IncomingHttpHeaders, body: unknown): Promise<Answer> {
    const failure = failures.shift();
    if (failure?.kind === "http") {
      return { status: failure.status, response: failure.body ?? `stub: programmed HTTP ${failure.status}` };
    }
    const secret = headers["x-hasura-admin-secret"];
    if (secret === undefined) {
      return refuse("access-denied", "x-hasura-admin-secret/x-hasura-access-key required, but not found");
    }
    if (secret !== adminSecret) {
      return refuse("access-denied", "invalid x-hasura-admin-secret/x-hasura-access-key");
    }
    if (body === undefined) return refuse("invalid-json", "Error in $: Failed reading: not a valid json value");
    if (typeof body !== "object" || body === null || Array.isArray(body)) {
      // Hasura also accepts batched arrays; nothing here sends them.
      return refuse("parse-failed", "Error in $: expected a GraphQL request object");
    }
    const request = body as { query?: unknown; variables?: unknown; operationName?: unknown };
    if (typeof request.query !== "string") return refuse("parse-failed", 'Error in $: key "query" not found', "$");
    let document: DocumentNode;
    try {
      document = parse(request.query);
    } catch {
      return refuse("validation-failed", "not a valid graphql query", "$.query");
    }
    const operationName = typeof request.operationName === "string" ? request.operationName : undefined;
    const validationErrors = validate(schema, document);
    if (validationErrors.length > 0) {
      return {
        status: 200,
        response: { errors: validationErrors.map((e) => errorObject("validation-failed", e.message, "$.selectionSet")) },
      };
    }
    if (failure?.kind === "graphql") {
      return {
        status: 200,
        response: { errors: [errorObject(failure.code ?? "unexpected", failure.message, failure.path ?? "$")] },
      };
    }
    const snapshot = new Map(users);
    const result = await execute({
      schema,
      document,
      rootValue,
      variableValues: (request.variables ?? {}) as Record<string, unknown>,
      operationName,
    });
    if (result.errors && result.errors.length > 0) {
      users = snapshot; // one transaction per request
      return {
        status: 200,
        response: {
          errors: result.errors.map((e) =>
            e.originalError instanceof HasuraStubError
              ? errorObject(e.originalError.code, e.originalError.message, e.originalError.path)
              : errorObject("validation-failed", e.message, e.path ? `$.selectionSet.${e.path.join(".")}` : "$"),
          ),
        },
      };
    }
    return { status: 200, response: { data: result.data } };

    function refuse(code: string, message: string, path = "$"): Answer {
      return { status: 200, response: { errors: [errorObject(code, message, path)] } };
    }
  }

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      void (async () => {
        if (req.method !== "POST" || req.url?.split("?")[0] !== "/v1/graphql") {
          res.writeHead(404, { "content-type": "application/json" });
          res.end(JSON.stringify({ path: "$", error: "resource does not exist", code: "not-found" }));
          return;
        }
        let body: unknown;
        try {
          body = JSON.parse(Buffer.concat(chunks).toString("utf8"));
        } catch {
          body = undefined;
        }
        const { status, response } = await answer(req.headers, body);
        const query = (body as { query?: unknown } | undefined)?.query;
        const variables = (body as { variables?: unknown } | undefined)?.variables;
        const operationName = (body as { operationName?: unknown } | undefined)?.operationName;
        const record: RecordedGraphqlRequest = {
          headers: req.headers,
          body,
          ...(typeof query === "string" ? { query } : {}),
          ...(typeof variables === "object" && variables !== null ? { variables: variables as Record<string, unknown> } : {}),
          ...(typeof operationName === "string" ? { operationName } : {}),
          rootFields: rootFieldsOf(body),
          status,
          response,
        };
        const text = typeof response === "string" ? response : JSON.stringify(response);
        res.writeHead(status, { "content-type": typeof response === "string" ? "text/plain" : "application/json" });
        // Record before answering, so a caller that got its response always finds its request here.
        requests.push(record);
        recorded.emit("request", record);
        res.end(text);
      })();
    });
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}/v1/graphql`,
    adminSecret,
    requests,
    get users() {
      return users;
    },
    requestsFor(rootField) {
      return requests.filter((r) => r.rootFields.includes(rootField));
    },
    waitForRequest(predicate, { timeoutMs = 30_000, description = "a matching request", signal } = {}) {
      const found = requests.find(predicate);
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const settle = () => {
          clearTimeout(timer);
          recorded.off("request", onRequest);
          signal?.removeEventListener("abort", onAbort);
        };
        const onRequest = (record: RecordedGraphqlRequest) => {
          if (!predicate(record)) return;
          settle();
          resolve(record);
        };
        const onAbort = () => {
          settle();
          reject(signal?.reason ?? new Error("aborted"));
        };
        const timer = setTimeout(() => {
          settle();
          reject(new Error(`Hasura stub: no ${description} within ${timeoutMs} ms (got ${requests.length} requests)`));
        }, timeoutMs);
        recorded.on("request", onRequest);
        signal?.addEventListener("abort", onAbort, { once: true });
      });
    },
    failNext(failure, times = 1) {
      for (let i = 0; i < times; i++) failures.push(failure);
    },
    reset() {
      requests.length = 0;
      users = new Map();
      failures.length = 0;
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
    },
  };
}
