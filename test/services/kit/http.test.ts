/**
 * The kit's HTTP contract, over a real socket against a real Postgres: the webhook secret, Hasura's action
 * payload and error shapes, health and readiness, and Cloud Logging fields in the log lines.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { z } from "zod";
import { ActionError, defineAction } from "@pulsura/kit";
import { startPostgres, type TestDatabase } from "../../support/postgres";
import { actionPayload, get, post, startTestService, userSession, type TestService } from "../support/harness";

let database: TestDatabase;
let service: TestService;

const echoCalls = vi.fn();
const echo = defineAction({
  roles: ["user"],
  input: z.object({ name: z.string().min(1), count: z.number().int().optional() }),
  handler(input, context) {
    echoCalls(input);
    return { name: input.name, count: input.count ?? null, userId: context.caller.userId, role: context.caller.role };
  },
});
const conflict = defineAction({
  roles: ["user"],
  handler() {
    throw new ActionError("an organization with that name exists", { code: "name-taken", status: 409, extensions: { field: "name" } });
  },
});
const crash = defineAction({
  roles: ["user"],
  handler() {
    throw new Error("connection to db-password=hunter2 lost");
  },
});
const traced = defineAction({
  roles: ["user"],
  handler(_input, { log }) {
    log.info({ step: "inside" }, "traced handler ran");
    return { ok: true };
  },
});

const step = defineAction({
  roles: ["user"],
  input: z.object({ step: z.string() }),
  handler(input, { log }) {
    log.info({ step: input.step }, "step handler ran");
    return { ok: true };
  },
});

beforeAll(async () => {
  database = await startPostgres();
  service = await startTestService({ databaseUrl: database.url, routes: { actions: { echo, conflict, crash, traced, step } } });
});

afterAll(async () => {
  await service?.close();
  await database?.stop();
});

beforeEach(() => echoCalls.mockClear());

describe("health", () => {
  it("answers /healthz without the webhook secret", async () => {
    const answer = await get(`${service.url}/healthz`);
    expect(answer).toMatchObject({ status: 200, body: { status: "ok" } });
  });

  it("answers /readyz 200 when the database answers", async () => {
    const answer = await get(`${service.url}/readyz`);
    expect(answer).toMatchObject({ status: 200, body: { status: "ready" } });
  });

  it("answers /readyz 503 when the database is unreachable", async () => {
    // Port 9 (discard) on loopback: nothing listens, so connecting is refused at once.
    const unreachable = await startTestService({ databaseUrl: "postgres://postgres@127.0.0.1:9/none", routes: {} });
    try {
      const answer = await get(`${unreachable.url}/readyz`);
      expect(answer).toMatchObject({ status: 503, body: { status: "unavailable" } });
    } finally {
      await unreachable.close();
    }
  });
});

describe("webhook secret", () => {
  const valid = actionPayload("echo", { name: "x" }, userSession("u1"));

  it("refuses a call without X-Pulsura-Event-Secret with 401 and does not run the handler", async () => {
    const answer = await post(`${service.url}/actions/echo`, valid, { secret: null });
    expect(answer.status).toBe(401);
    expect(answer.body).toEqual({ message: "missing or wrong X-Pulsura-Event-Secret", extensions: { code: "access-denied" } });
    expect(echoCalls).not.toHaveBeenCalled();
  });

  it("refuses a wrong secret, including one that only differs in length", async () => {
    for (const secret of ["wrong-secret-wrong-secret-000000", "test-event-secret-0123456789abcde", "test-event-secret-0123456789abcdef0"]) {
      const answer = await post(`${service.url}/actions/echo`, valid, { secret });
      expect(answer.status, secret).toBe(401);
    }
    expect(echoCalls).not.toHaveBeenCalled();
  });

  it("refuses before reading the body: malformed JSON with a wrong secret is a 401, not a 400", async () => {
    const answer = await post(`${service.url}/actions/echo`, "{not json", { secret: "wrong" });
    expect(answer.status).toBe(401);
  });

  it("does not reveal which routes exist to callers without the secret", async () => {
    const withoutSecret = await post(`${service.url}/actions/nope`, valid, { secret: null });
    expect(withoutSecret.status).toBe(401);
    const withSecret = await post(`${service.url}/actions/nope`, valid);
    expect(withSecret).toMatchObject({ status: 404, body: { extensions: { code: "not-found" } } });
  });
});

describe("actions", () => {
  it("answers 200 with the handler's output and the caller from the session variables", async () => {
    const answer = await post(`${service.url}/actions/echo`, actionPayload("echo", { name: "Ada", count: 2 }, userSession("u-ada")));
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({ name: "Ada", count: 2, userId: "u-ada", role: "user" });
    expect(echoCalls).toHaveBeenCalledWith({ name: "Ada", count: 2 });
  });

  it("answers malformed JSON with 400 in Hasura's error shape", async () => {
    const answer = await post(`${service.url}/actions/echo`, '{"action": {"name": "echo"}, "input": ');
    expect(answer.status).toBe(400);
    expect(answer.body).toEqual({ message: "the request body is not valid JSON", extensions: { code: "invalid-json" } });
  });

  it("rejects a payload that is not Hasura's action payload", async () => {
    const answer = await post(`${service.url}/actions/echo`, { action: { name: "echo" }, input: { name: "x" } });
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({ extensions: { code: "validation-failed", path: "$.session_variables" } });
  });

  it("rejects an action name that does not match the route", async () => {
    const answer = await post(`${service.url}/actions/echo`, actionPayload("createOrganization", { name: "x" }, userSession("u1")));
    expect(answer.status).toBe(400);
    expect(answer.body).toEqual({
      message: 'action "createOrganization" was sent to the handler of "echo"',
      extensions: { code: "validation-failed", path: "$.action.name" },
    });
    expect(echoCalls).not.toHaveBeenCalled();
  });

  it("answers invalid input with 400 validation-failed and the path of the bad argument", async () => {
    const empty = await post(`${service.url}/actions/echo`, actionPayload("echo", { name: "" }, userSession("u1")));
    expect(empty.status).toBe(400);
    expect(empty.body).toMatchObject({ extensions: { code: "validation-failed", path: "$.input.name" } });
    expect((empty.body as { message: string }).message).toMatch(/^\$\.input\.name: /);

    const fractional = await post(`${service.url}/actions/echo`, actionPayload("echo", { name: "x", count: 1.5 }, userSession("u1")));
    expect(fractional.body).toMatchObject({ extensions: { code: "validation-failed", path: "$.input.count" } });
    expect(echoCalls).not.toHaveBeenCalled();
  });

  it("answers 403 to a role the action does not allow, before looking at the input", async () => {
    const answer = await post(`${service.url}/actions/echo`, actionPayload("echo", { name: "" }, { "x-hasura-role": "anonymous" }));
    expect(answer.status).toBe(403);
    expect(answer.body).toEqual({ message: 'role "anonymous" may not call echo', extensions: { code: "access-denied" } });
    const noRole = await post(`${service.url}/actions/echo`, actionPayload("echo", { name: "x" }, { "x-hasura-user-id": "u1" }));
    expect(noRole.status).toBe(403);
    expect(echoCalls).not.toHaveBeenCalled();
  });

  it("lets Hasura's admin role call any action", async () => {
    const answer = await post(`${service.url}/actions/echo`, actionPayload("echo", { name: "x" }, { "x-hasura-role": "admin" }));
    expect(answer).toMatchObject({ status: 200, body: { userId: null, role: "admin" } });
  });

  it("treats operator as an app role like any other, not as Hasura's admin: 403 where the action does not list it", async () => {
    const answer = await post(
      `${service.url}/actions/echo`,
      actionPayload("echo", { name: "x" }, { "x-hasura-role": "operator", "x-hasura-user-id": "op-1" }),
    );
    expect(answer).toMatchObject({ status: 403, body: { message: 'role "operator" may not call echo', extensions: { code: "access-denied" } } });
    expect(echoCalls).not.toHaveBeenCalled();
  });

  it("answers a domain error with its 4xx status, message and code", async () => {
    const answer = await post(`${service.url}/actions/conflict`, actionPayload("conflict", {}, userSession("u1")));
    expect(answer.status).toBe(409);
    expect(answer.body).toEqual({ message: "an organization with that name exists", extensions: { code: "name-taken", field: "name" } });
  });

  it("answers an unexpected failure with a bare 500 and logs the cause instead", async () => {
    const answer = await post(`${service.url}/actions/crash`, actionPayload("crash", {}, userSession("u1")));
    expect(answer.status).toBe(500);
    expect(answer.body).toEqual({ message: "internal error", extensions: { code: "unexpected" } });
    expect(JSON.stringify(answer.body)).not.toContain("hunter2");
    const logged = service.logs.find((line) => line.message === "action crash failed");
    expect(logged).toMatchObject({ severity: "ERROR", err: { message: "connection to db-password=hunter2 lost" } });
  });
});

describe("logging", () => {
  it("writes JSON lines with severity, message and the request's Cloud Trace", async () => {
    const traceId = "105445aa7843bc8bf206b12000100000";
    const answer = await post(`${service.url}/actions/traced`, actionPayload("traced", {}, userSession("u1")), {
      headers: { "x-cloud-trace-context": `${traceId}/1234567890;o=1` },
    });
    expect(answer.status).toBe(200);
    const line = service.logs.find((entry) => entry.message === "traced handler ran");
    expect(line).toMatchObject({
      severity: "INFO",
      message: "traced handler ran",
      step: "inside",
      "logging.googleapis.com/trace": `projects/demo-pulsura-services/traces/${traceId}`,
      "logging.googleapis.com/spanId": (1234567890).toString(16).padStart(16, "0"),
      "logging.googleapis.com/trace_sampled": true,
    });
    expect(typeof line?.time).toBe("string");
    expect(Number.isNaN(Date.parse(line?.time as string))).toBe(false);
  });

  /** Every line the kit wrote while handling the request whose handler logged `marker` (lines share Fastify's reqId). */
  async function linesOfStep(marker: string, headers: Record<string, string>): Promise<Record<string, unknown>[]> {
    const answer = await post(`${service.url}/actions/step`, actionPayload("step", { step: marker }, userSession("u1")), { headers });
    expect(answer.status).toBe(200);
    const handlerLine = service.logs.find((entry) => entry.message === "step handler ran" && entry.step === marker);
    expect(handlerLine, `the handler's line for ${marker}`).toBeDefined();
    const lines = service.logs.lines.filter((entry) => entry.reqId === handlerLine!.reqId);
    // At least the kit's own "action started" (debug) line besides the handler's.
    expect(lines.length).toBeGreaterThanOrEqual(2);
    return lines;
  }
  const traceKeys = (line: Record<string, unknown>) => Object.keys(line).filter((key) => key.startsWith("logging.googleapis.com/"));

  it("links every line of a request to the trace Cloud Run passes in X-Cloud-Trace-Context and traceparent", async () => {
    const traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
    // Cloud Run sets both on the request it forwards, for the same trace.
    const lines = await linesOfStep("both-headers", {
      "x-cloud-trace-context": `${traceId}/${BigInt("0x00f067aa0ba902b7").toString(10)};o=1`,
      traceparent: `00-${traceId}-00f067aa0ba902b7-01`,
    });
    for (const line of lines) {
      expect(line, String(line.message)).toMatchObject({
        "logging.googleapis.com/trace": `projects/demo-pulsura-services/traces/${traceId}`,
        "logging.googleapis.com/spanId": "00f067aa0ba902b7",
        "logging.googleapis.com/trace_sampled": true,
      });
    }
  });

  it("takes the trace and span from traceparent alone", async () => {
    const lines = await linesOfStep("traceparent-only", { traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00" });
    for (const line of lines) {
      expect(line).toMatchObject({
        "logging.googleapis.com/trace": "projects/demo-pulsura-services/traces/0af7651916cd43dd8448eb211c80319c",
        "logging.googleapis.com/spanId": "b7ad6b7169203331",
        "logging.googleapis.com/trace_sampled": false,
      });
    }
  });

  it("writes no trace field when the request carries no trace header, or an unreadable one", async () => {
    for (const line of await linesOfStep("no-header", {})) expect(traceKeys(line), String(line.message)).toEqual([]);
    const unreadable = await linesOfStep("unreadable-headers", { "x-cloud-trace-context": "not-a-trace", traceparent: "00-zz-yy-01" });
    for (const line of unreadable) expect(traceKeys(line), String(line.message)).toEqual([]);
  });

  it("puts the trace on the kit's own error lines too", async () => {
    const traceId = "105445aa7843bc8bf206b12000100001";
    await post(`${service.url}/actions/crash`, actionPayload("crash", {}, userSession("u1")), { headers: { traceparent: `00-${traceId}-1111111111111111-01` } });
    const failures = service.logs.lines.filter((line) => line.message === "action crash failed" && line["logging.googleapis.com/trace"] === `projects/demo-pulsura-services/traces/${traceId}`);
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatchObject({ severity: "ERROR", "logging.googleapis.com/spanId": "1111111111111111" });
  });

  it("logs Hasura's x-request-id and B3 trace id when the request carries them, and only well-formed ones", async () => {
    const lines = await linesOfStep("hasura-ids", { "x-request-id": "6e9c2d7e-3b0a-4c55-9d7e-6f2f1b7c1a01", "x-b3-traceid": "463AC35C9F6413AD" });
    for (const line of lines) expect(line).toMatchObject({ requestId: "6e9c2d7e-3b0a-4c55-9d7e-6f2f1b7c1a01", b3TraceId: "463ac35c9f6413ad" });
    const malformed = await linesOfStep("malformed-ids", { "x-request-id": 'a b" c', "x-b3-traceid": "xyz" });
    for (const line of malformed) {
      expect(line.requestId).toBeUndefined();
      expect(line.b3TraceId).toBeUndefined();
    }
    for (const line of await linesOfStep("no-ids", {})) expect(line.requestId).toBeUndefined();
  });

  it("maps warnings and errors to Cloud Logging severities", async () => {
    await post(`${service.url}/actions/echo`, actionPayload("echo", { name: "x" }, userSession("u1")), { secret: "wrong" });
    expect(service.logs.find((line) => /X-Pulsura-Event-Secret/.test(String(line.message)))).toMatchObject({ severity: "WARNING" });
  });
});
