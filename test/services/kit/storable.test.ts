/**
 * Input that Postgres cannot store (NUL, lone surrogates) or that JSON.parse rounds (beyond 2^53) is refused by the
 * kit with Hasura's 400 validation-failed, for every handler kind, before the handler runs: over a real socket, with
 * handlers that write what they get to a real Postgres, so the accepted edge cases are shown to store for real.
 */
import { randomUUID } from "node:crypto";
import { Client } from "pg";
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { z } from "zod";
import { defineAction, defineCron, defineEvent } from "@pulsura/kit";
import { startPostgres, type TestDatabase } from "../../support/postgres";
import { actionPayload, cronPayload, eventPayload, post, startTestService, userSession, type TestService } from "../support/harness";

let database: TestDatabase;
let service: TestService;
let sql: Client;
const handlerCalls = vi.fn();

const store = defineAction({
  roles: ["user"],
  input: z.object({ note: z.string(), count: z.number().optional(), tags: z.array(z.string()).optional(), extra: z.unknown().optional() }),
  async handler(input, { db }) {
    handlerCalls(input);
    const stored = await db.query<{ note: string; count: string | null; extra: unknown }>(
      "insert into kit_storable (note, count, extra) values ($1, $2, $3) returning note, count::text, extra",
      [input.note, input.count ?? null, input.extra === undefined ? null : JSON.stringify(input.extra)],
    );
    return stored.rows[0];
  },
});

const stored_row = defineEvent({
  row: z.looseObject({ id: z.number() }),
  async handler(event, { tx }) {
    handlerCalls(event.new);
    await tx.query("insert into kit_storable (note, count) values ('event', $1)", [event.new?.id ?? null]);
  },
});

const stored_cron = defineCron({
  payload: z.object({ note: z.string() }),
  async handler(payload, { tx }) {
    handlerCalls(payload);
    await tx.query("insert into kit_storable (note) values ($1)", [payload.note]);
  },
});

beforeAll(async () => {
  database = await startPostgres();
  sql = new Client({ connectionString: database.url });
  await sql.connect();
  await sql.query("create table kit_storable (note text, count int8, extra jsonb)");
  service = await startTestService({ databaseUrl: database.url, routes: { actions: { store }, events: { stored_row }, crons: { stored_cron } } });
});

afterAll(async () => {
  await service?.close();
  await sql?.end();
  await database?.stop();
});

beforeEach(() => handlerCalls.mockClear());

/** An action payload as raw JSON text, so that it can hold what JSON.stringify would never write (2^64, 1e400). */
function rawAction(inputJson: string): string {
  return `{"action":{"name":"store"},"input":${inputJson},"session_variables":${JSON.stringify(userSession("u1"))},"request_query":"mutation { store }"}`;
}

function refusal(path: string, reason: RegExp) {
  return { status: 400, body: { message: expect.stringMatching(new RegExp(`^${path.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}: ${reason.source}`)), extensions: { code: "validation-failed", path } } };
}

describe("input Postgres cannot store", () => {
  it("refuses a NUL character anywhere in an action's input, keys included, naming its path", async () => {
    const url = `${service.url}/actions/store`;
    expect(await post(url, actionPayload("store", { note: "a\u0000b" }, userSession("u1")))).toMatchObject(refusal("$.input.note", /contains a NUL character/));
    expect(await post(url, actionPayload("store", { note: "ok", tags: ["fine", "bad\u0000"] }, userSession("u1")))).toMatchObject(
      refusal("$.input.tags[1]", /contains a NUL character/),
    );
    expect(await post(url, actionPayload("store", { note: "ok", extra: { "k\u0000": 1 } }, userSession("u1")))).toMatchObject(
      refusal('$.input.extra["k\\u0000"]', /has a key that contains a NUL character/),
    );
    expect(handlerCalls).not.toHaveBeenCalled();
  });

  it("refuses lone UTF-16 surrogates but stores a well-formed surrogate pair", async () => {
    const url = `${service.url}/actions/store`;
    expect(await post(url, rawAction('{"note":"x\\ud800y"}'))).toMatchObject(refusal("$.input.note", /contains a lone UTF-16 surrogate/));
    expect(await post(url, rawAction('{"note":"\\udc00"}'))).toMatchObject(refusal("$.input.note", /contains a lone UTF-16 surrogate/));
    expect(handlerCalls).not.toHaveBeenCalled();
    expect(await post(url, rawAction('{"note":"\\ud83d\\ude00"}'))).toMatchObject({ status: 200, body: { note: "😀" } });
  });

  it("refuses numbers JSON.parse rounds or cannot hold, and stores ±(2^53 - 1) exactly", async () => {
    const url = `${service.url}/actions/store`;
    for (const [text, reason] of [
      ["9007199254740993", /is beyond ±9007199254740991/],
      ["-18446744073709551616", /is beyond ±9007199254740991/],
      ["1e400", /is not a finite number/],
    ] as const) {
      expect(await post(url, rawAction(`{"note":"n","count":${text}}`))).toMatchObject(refusal("$.input.count", reason));
    }
    expect(handlerCalls).not.toHaveBeenCalled();
    expect(await post(url, rawAction('{"note":"max","count":9007199254740991}'))).toMatchObject({ status: 200, body: { count: "9007199254740991" } });
    expect(await post(url, rawAction('{"note":"min","count":-9007199254740991}'))).toMatchObject({ status: 200, body: { count: "-9007199254740991" } });
  });

  it("refuses the same in event rows and cron payloads, before their handlers run", async () => {
    const event = JSON.stringify(eventPayload({ trigger: "stored_row", op: "INSERT", new: { id: 0 }, id: randomUUID() })).replace('"id":0', '"id":9223372036854775807');
    expect(await post(`${service.url}/events/stored_row`, event)).toMatchObject(refusal("$.event.data.new.id", /is beyond ±9007199254740991/));
    expect(await post(`${service.url}/crons/stored_cron`, cronPayload("stored_cron", { note: "nul\u0000" }))).toMatchObject(
      refusal("$.payload.note", /contains a NUL character/),
    );
    expect(handlerCalls).not.toHaveBeenCalled();
    // Ordinary deliveries still run.
    expect(await post(`${service.url}/events/stored_row`, eventPayload({ trigger: "stored_row", op: "INSERT", new: { id: 42 } }))).toMatchObject({ status: 200 });
    expect(await post(`${service.url}/crons/stored_cron`, cronPayload("stored_cron", { note: "fine" }))).toMatchObject({ status: 200 });
    expect(handlerCalls).toHaveBeenCalledTimes(2);
  });

  it("answers a deeply nested body without overflowing the stack", async () => {
    const depth = 100_000;
    const answer = await post(`${service.url}/actions/store`, rawAction(`{"note":"deep","extra":${"[".repeat(depth)}"\\u0000"${"]".repeat(depth)}}`));
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({ extensions: { code: "validation-failed" } });
  });
});
