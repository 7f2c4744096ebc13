/**
 * The Hasura API client against a CONTRACT STUB of Hasura's documented /healthz, /v2/query and /v1/metadata
 * (test/support/hasura-api-stub.ts) on a real Postgres: answers, error shapes, waiting for health, and that
 * the admin secret never leaks into messages or request lines.
 */
import { once } from "node:events";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  getCatalogState,
  isHasuraApiError,
  normalizeEndpoint,
  runSql,
  setCatalogState,
  waitForHealthy,
  type HasuraConnection,
} from "../../../infra/dynamic/hasura-api";
import { migrationsProvider } from "../../../infra/dynamic/migrations";
import type { StubRequest } from "../../support/hasura-api-stub";
import { startPostgres, type TestDatabase } from "../../support/postgres";
import { fixtureMigrations, quickHealthCheck, rejectionOf, startStubbedHasura, type StubbedHasura } from "./harness";

let database: TestDatabase;
let hasura: StubbedHasura;
let connection: HasuraConnection;

beforeAll(async () => {
  database = await startPostgres({ migrate: false });
});
afterAll(async () => {
  await database?.stop();
});
beforeEach(async () => {
  hasura = await startStubbedHasura(database.url, { healthy: false });
  connection = { endpoint: hasura.stub.url, adminSecret: hasura.adminSecret };
});
afterEach(async () => {
  expect(hasura.stub.logLines.join("\n")).not.toContain(hasura.adminSecret);
  await hasura.close();
});

/** Resolves at the first /healthz answer with the given status. */
function healthzAnswer(status: number): Promise<StubRequest> {
  return new Promise((resolve) => {
    const listener = (request: StubRequest) => {
      if (request.operation === "healthz" && request.status === status) {
        hasura.stub.events.off("request", listener);
        resolve(request);
      }
    };
    hasura.stub.events.on("request", listener);
  });
}

describe("waiting for /healthz", () => {
  it("keeps polling while Hasura answers 500 ERROR and returns once it answers 200", async () => {
    const firstUnhealthyAnswer = healthzAnswer(500);
    const waiting = waitForHealthy(hasura.stub.url, quickHealthCheck);

    await firstUnhealthyAnswer;
    hasura.stub.setHealthy(true);
    await waiting;

    const statuses = hasura.stub.requests.map((request) => request.status);
    expect(statuses[0]).toBe(500);
    expect(statuses[statuses.length - 1]).toBe(200);
  });

  it("makes the migrations provider call no API before Hasura is healthy", async () => {
    const firstUnhealthyAnswer = healthzAnswer(500);
    const creating = migrationsProvider.create({
      endpoint: hasura.stub.url,
      adminSecret: hasura.adminSecret,
      source: "default",
      migrations: fixtureMigrations(),
      healthCheck: quickHealthCheck,
    });

    await firstUnhealthyAnswer;
    hasura.stub.setHealthy(true);
    await creating;

    const firstApiCall = hasura.stub.requests.findIndex((request) => request.operation !== "healthz");
    const firstHealthy = hasura.stub.requests.findIndex((request) => request.operation === "healthz" && request.status === 200);
    expect(firstHealthy).toBeGreaterThan(0);
    expect(firstApiCall).toBeGreaterThan(firstHealthy);
  });

  it("polls /hasura/healthz, never the bare /healthz that Cloud Run's front end reserves", async () => {
    // https://cloud.google.com/run/docs/known-issues#ah; Hasura: https://hasura.io/docs/latest/api-reference/health/
    hasura.stub.setHealthy(true);
    await waitForHealthy(hasura.stub.url, quickHealthCheck);

    const polled = hasura.stub.requests.filter((request) => request.operation === "healthz").map((request) => request.path);
    expect(polled.length).toBeGreaterThan(0);
    expect(new Set(polled)).toEqual(new Set(["/hasura/healthz"]));
  });

  it("gives up after its deadline with Hasura's last answer", async () => {
    const error = await rejectionOf(waitForHealthy(hasura.stub.url, { timeoutMs: 300, initialDelayMs: 10, maxDelayMs: 40 }));

    expect(error.message).toContain(`Hasura at ${hasura.stub.url} did not become healthy`);
    expect(error.message).toContain("last /hasura/healthz answer: HTTP 500 ERROR");
  });

  it("reports the network error when nothing listens", async () => {
    const closed = http.createServer();
    closed.listen(0, "127.0.0.1");
    await once(closed, "listening");
    const { port } = closed.address() as AddressInfo;
    closed.close();
    await once(closed, "close");

    const error = await rejectionOf(waitForHealthy(`http://127.0.0.1:${port}`, { timeoutMs: 200, initialDelayMs: 10, maxDelayMs: 40 }));

    expect(error.message).toContain("ECONNREFUSED");
  });
});

describe("run_sql", () => {
  beforeEach(() => hasura.stub.setHealthy(true));

  it("returns Hasura's TuplesOk answer with the column names first and values as text", async () => {
    const answer = await runSql(connection, "create table t (id int, label text);\ninsert into t values (1, 'one'), (2, null);\nselect id, label from t order by id");

    expect(answer).toEqual({ result_type: "TuplesOk", result: [["id", "label"], ["1", "one"], ["2", null]] });
  });

  it("returns CommandOk for a statement without rows", async () => {
    expect(await runSql(connection, "create table t (id int)")).toEqual({ result_type: "CommandOk", result: null });
  });

  it("throws Hasura's postgres-error with the Postgres message, and rolls the whole text back", async () => {
    const error = await rejectionOf(runSql(connection, "create table kept (id int);\nselect nope from nowhere"));

    expect(isHasuraApiError(error)).toBe(true);
    expect(error).toMatchObject({ operation: "run_sql", status: 400, code: "postgres-error", path: "$", hasuraError: "query execution failed" });
    expect(error.message).toBe('Hasura run_sql failed: relation "nowhere" does not exist (SQLSTATE 42P01) [HTTP 400, postgres-error, at $]');
    expect(await hasura.query("select to_regclass('public.kept') as kept")).toEqual([{ kept: null }]);
  });

  it("fails with Hasura's 401 access-denied answer on a wrong admin secret, never echoing a secret", async () => {
    const wrongSecret = `${hasura.adminSecret}-rotated`;
    const error = await rejectionOf(runSql({ ...connection, adminSecret: wrongSecret }, "select 1"));

    expect(error).toMatchObject({ status: 401, code: "access-denied", path: "$" });
    expect(error.message).toContain("Hasura run_sql failed: invalid x-hasura-admin-secret/x-hasura-access-key [HTTP 401, access-denied, at $]");
    expect(error.message).toContain("Check the admin secret");
    expect(error.message).not.toContain(hasura.adminSecret);
    expect(hasura.stub.logLines.join("\n")).not.toContain(wrongSecret);
  });

  it("refuses to send a request without an admin secret", async () => {
    const error = await rejectionOf(runSql({ ...connection, adminSecret: "" }, "select 1"));

    expect(error.message).toBe("Hasura run_sql: the admin secret is empty");
    expect(hasura.stub.requests.filter((request) => request.operation === "run_sql")).toEqual([]);
  });
});

describe("catalog state", () => {
  beforeEach(() => hasura.stub.setHealthy(true));

  it("reads the CLI state back as it was written, and rejects an unknown state type with Hasura's parse error", async () => {
    expect(await getCatalogState(connection)).toMatchObject({ cli_state: {}, console_state: {} });
    await setCatalogState(connection, "cli", { migrations: { default: { "1": false } } });
    expect((await getCatalogState(connection)).cli_state).toEqual({ migrations: { default: { "1": false } } });

    const error = await rejectionOf(setCatalogState(connection, "pulumi" as "cli", {}));
    expect(error).toMatchObject({ status: 400, code: "parse-failed", path: "$.args.type" });
  });
});

describe("endpoint validation", () => {
  it("accepts a base URL and strips trailing slashes", () => {
    expect(normalizeEndpoint("https://hasura-abc-ew.a.run.app/")).toBe("https://hasura-abc-ew.a.run.app");
  });

  it.each([
    ["https://hasura.example.com/v1/graphql", "is the GraphQL URL"],
    ["https://admin:pw@hasura.example.com", "without credentials"],
    ["ftp://hasura.example.com", "must use http or https"],
    ["hasura.example.com", "is not an absolute URL"],
    ["", "is empty"],
  ])("rejects %j", (endpoint, message) => {
    expect(() => normalizeEndpoint(endpoint)).toThrow(message);
  });
});
