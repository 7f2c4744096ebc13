/**
 * Event and cron deliveries over HTTP against a real Postgres with the hasura/ migrations: each delivery id runs
 * its handler at most once (recorded in processed_deliveries in the handler's own transaction), failures are
 * retried by Hasura and then run again, and writes carry the actor in `hasura.user` for the audit triggers.
 */
import { randomUUID } from "node:crypto";
import { Client } from "pg";
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { z } from "zod";
import { defineAction, defineCron, defineEvent } from "@pulsura/kit";
import { startPostgres, type TestDatabase } from "../../support/postgres";
import { actionPayload, cronPayload, eventPayload, post, startTestService, type TestService } from "../support/harness";

let database: TestDatabase;
let service: TestService;
let sql: Client;

const recordCalls = vi.fn();
/** Deliveries whose handler must wait: the handler reports it started, then waits for the test to release it. */
const gates = new Map<string, { entered: () => void; release: Promise<void> }>();
let flakyFailuresLeft = 0;

const record_effect = defineEvent({
  row: z.looseObject({ id: z.string() }),
  async handler(event, { tx }) {
    recordCalls(event.id);
    await tx.query("insert into kit_effects (delivery_id, note) values ($1, $2)", [event.id, `${event.op} ${event.new?.id ?? event.old?.id}`]);
    const gate = gates.get(event.id);
    if (gate) {
      gate.entered();
      await gate.release;
    }
    return { wrote: 1 };
  },
});

const flaky = defineEvent({
  async handler(event, { tx }) {
    await tx.query("insert into kit_effects (delivery_id, note) values ($1, 'flaky')", [event.id]);
    if (flakyFailuresLeft > 0) {
      flakyFailuresLeft--;
      throw new Error("downstream unavailable");
    }
  },
});

const audited_write = defineEvent({
  async handler(event, { tx, caller }) {
    const setting = await tx.query<{ value: string }>("select current_setting('hasura.user', true) as value");
    await tx.query("insert into users (id) values ($1)", [`audited-${event.id}`]);
    return { hasuraUser: JSON.parse(setting.rows[0]!.value) as unknown, callerUserId: caller?.userId ?? null };
  },
});

const nightly = defineCron({
  payload: z.object({ note: z.string().min(1) }),
  async handler(payload, { tx, deliveryId, scheduledTime }) {
    await tx.query("insert into kit_effects (delivery_id, note) values ($1, $2)", [deliveryId, payload.note]);
    return { scheduledTime };
  },
});

const createUserRow = defineAction({
  roles: ["user"],
  input: z.object({ id: z.string() }),
  async handler({ id }, { transaction }) {
    return transaction(async (tx) => {
      await tx.query("insert into users (id) values ($1)", [id]);
      return { id };
    });
  },
});

beforeAll(async () => {
  database = await startPostgres();
  sql = new Client({ connectionString: database.url });
  await sql.connect();
  await sql.query("create table kit_effects (delivery_id text not null, note text not null)");
  service = await startTestService({
    databaseUrl: database.url,
    routes: { events: { record_effect, flaky, audited_write }, crons: { nightly }, actions: { createUserRow } },
  });
});

afterAll(async () => {
  await service?.close();
  await sql?.end();
  await database?.stop();
});

beforeEach(() => recordCalls.mockClear());

async function effects(deliveryId: string): Promise<string[]> {
  const result = await sql.query<{ note: string }>("select note from kit_effects where delivery_id = $1", [deliveryId]);
  return result.rows.map((row) => row.note);
}

async function processed(deliveryId: string) {
  const result = await sql.query("select kind, name from processed_deliveries where delivery_id = $1", [deliveryId]);
  return result.rows;
}

describe("event triggers", () => {
  it("runs the handler once per event id: a redelivery answers 200 without running again", async () => {
    const delivery = eventPayload({ trigger: "record_effect", op: "INSERT", new: { id: "u1", role: "user" } });
    const first = await post(`${service.url}/events/record_effect`, delivery);
    expect(first).toMatchObject({ status: 200, body: { status: "processed", result: { wrote: 1 } } });
    const second = await post(`${service.url}/events/record_effect`, delivery);
    expect(second).toMatchObject({ status: 200, body: { status: "duplicate" } });

    expect(recordCalls).toHaveBeenCalledTimes(1);
    expect(await effects(delivery.id)).toEqual(["INSERT u1"]);
    expect(await processed(delivery.id)).toEqual([{ kind: "event", name: "record_effect" }]);
  });

  it("runs the handler once when the same event arrives twice at the same time", async () => {
    const delivery = eventPayload({ trigger: "record_effect", op: "UPDATE", old: { id: "u2" }, new: { id: "u2" } });
    let entered!: () => void;
    const started = new Promise<void>((resolve) => (entered = resolve));
    let release!: () => void;
    gates.set(delivery.id, { entered, release: new Promise<void>((resolve) => (release = resolve)) });

    const first = post(`${service.url}/events/record_effect`, delivery);
    await started;
    const second = post(`${service.url}/events/record_effect`, delivery);
    // The second delivery must be waiting on the first one's claim before the first commits.
    await vi.waitFor(
      async () => {
        const waiting = await sql.query(
          "select 1 from pg_stat_activity where wait_event_type = 'Lock' and query like 'insert into processed_deliveries%'",
        );
        expect(waiting.rowCount).toBe(1);
      },
      { timeout: 20_000, interval: 20 },
    );
    release();

    const answers = await Promise.all([first, second]);
    expect(answers.map((answer) => answer.status)).toEqual([200, 200]);
    expect(answers.map((answer) => answer.body.status).sort()).toEqual(["duplicate", "processed"]);
    expect(recordCalls).toHaveBeenCalledTimes(1);
    expect(await effects(delivery.id)).toEqual(["UPDATE u2"]);
    gates.delete(delivery.id);
  });

  it("answers 500 when the handler fails, keeps none of its writes, and runs it again on redelivery", async () => {
    const delivery = eventPayload({ trigger: "flaky", op: "INSERT", new: { id: "u3" } });
    flakyFailuresLeft = 1;
    const failed = await post(`${service.url}/events/flaky`, delivery);
    expect(failed).toEqual(expect.objectContaining({ status: 500, body: { message: "internal error", extensions: { code: "unexpected" } } }));
    expect(await effects(delivery.id)).toEqual([]);
    expect(await processed(delivery.id)).toEqual([]);

    const retried = await post(`${service.url}/events/flaky`, { ...delivery, delivery_info: { max_retries: 5, current_retry: 1 } });
    expect(retried).toMatchObject({ status: 200, body: { status: "processed" } });
    expect(await effects(delivery.id)).toEqual(["flaky"]);
    expect(await processed(delivery.id)).toEqual([{ kind: "event", name: "flaky" }]);
  });

  it("validates Hasura's event payload", async () => {
    const good = eventPayload({ trigger: "record_effect", op: "INSERT", new: { id: "u4" } });
    const cases: Array<[unknown, string]> = [
      [{ ...good, event: { ...good.event, op: "TRUNCATE" } }, "$.event.op"],
      [{ ...good, trigger: { name: "flaky" } }, "$.trigger.name"],
      [{ ...good, id: undefined }, "$.id"],
      [eventPayload({ trigger: "record_effect", op: "UPDATE", new: { id: "u4" } }), "$.event.data.old"],
      [eventPayload({ trigger: "record_effect", op: "INSERT", new: { name: "no id" } }), "$.event.data.new.id"],
    ];
    for (const [payload, path] of cases) {
      const answer = await post(`${service.url}/events/record_effect`, payload);
      expect(answer.status, path).toBe(400);
      expect(answer.body, path).toMatchObject({ extensions: { code: "validation-failed", path } });
    }
    expect(recordCalls).not.toHaveBeenCalled();
  });

  it("sets hasura.user to the event's session variables, so audit triggers record the actor", async () => {
    const session = { "x-hasura-role": "user", "x-hasura-user-id": "actor-7" };
    const delivery = eventPayload({ trigger: "audited_write", op: "MANUAL", new: { id: "x" }, session });
    const answer = await post(`${service.url}/events/audited_write`, delivery);
    expect(answer).toMatchObject({ status: 200, body: { result: { hasuraUser: session, callerUserId: "actor-7" } } });
    const audit = await sql.query("select actor_id, actor_role from audit_log where table_name = 'users' and row_key ->> 'id' = $1", [
      `audited-${delivery.id}`,
    ]);
    expect(audit.rows).toEqual([{ actor_id: "actor-7", actor_role: "user" }]);
  });

  it("runs events without session variables as admin", async () => {
    const delivery = eventPayload({ trigger: "audited_write", op: "INSERT", new: { id: "x" }, session: null });
    const answer = await post(`${service.url}/events/audited_write`, delivery);
    expect(answer).toMatchObject({ status: 200, body: { result: { hasuraUser: { "x-hasura-role": "admin" }, callerUserId: null } } });
  });
});

describe("cron triggers", () => {
  it("runs once per scheduled event id", async () => {
    const delivery = cronPayload("nightly", { note: "ran" });
    const first = await post(`${service.url}/crons/nightly`, delivery);
    expect(first).toMatchObject({ status: 200, body: { status: "processed", result: { scheduledTime: delivery.scheduled_time } } });
    const second = await post(`${service.url}/crons/nightly`, delivery);
    expect(second).toMatchObject({ status: 200, body: { status: "duplicate" } });
    expect(await effects(delivery.id)).toEqual(["ran"]);
    expect(await processed(delivery.id)).toEqual([{ kind: "cron", name: "nightly" }]);
  });

  it("validates the scheduled event and its payload", async () => {
    const badPayload = await post(`${service.url}/crons/nightly`, cronPayload("nightly", { note: "" }));
    expect(badPayload).toMatchObject({ status: 400, body: { extensions: { code: "validation-failed", path: "$.payload.note" } } });
    const wrongName = await post(`${service.url}/crons/nightly`, cronPayload("other", { note: "x" }));
    expect(wrongName).toMatchObject({ status: 400, body: { extensions: { path: "$.name" } } });
    const noTime = await post(`${service.url}/crons/nightly`, { ...cronPayload("nightly", { note: "x" }), scheduled_time: undefined });
    expect(noTime).toMatchObject({ status: 400, body: { extensions: { path: "$.scheduled_time" } } });
  });
});

describe("action transactions", () => {
  it("set hasura.user to the caller's session variables", async () => {
    const id = `action-${randomUUID()}`;
    const answer = await post(
      `${service.url}/actions/createUserRow`,
      actionPayload("createUserRow", { id }, { "x-hasura-role": "user", "x-hasura-user-id": "caller-9" }),
    );
    expect(answer).toMatchObject({ status: 200, body: { id } });
    const audit = await sql.query("select actor_id, actor_role, operation from audit_log where row_key ->> 'id' = $1", [id]);
    expect(audit.rows).toEqual([{ actor_id: "caller-9", actor_role: "user", operation: "INSERT" }]);
  });
});
