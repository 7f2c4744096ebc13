/**
 * The core service's actions and cron over HTTP against Postgres with the hasura/ migrations applied.
 */
import * as path from "node:path";
import { Client } from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadService } from "@pulsura/kit/dev";
import { startPostgres, type TestDatabase } from "../../support/postgres";
import { actionPayload, cronPayload, post, startTestService, userSession, type TestService } from "../support/harness";

let database: TestDatabase;
let service: TestService;
let sql: Client;

beforeAll(async () => {
  database = await startPostgres();
  sql = new Client({ connectionString: database.url });
  await sql.connect();
  await sql.query("insert into users (id, email) values ('owner-1', 'owner@example.com'), ('owner-2', null)");
  const core = await loadService(path.resolve(__dirname, "../../../services/core"));
  service = await startTestService({ name: "core", databaseUrl: database.serviceUrl, routes: core.routes });
});

afterAll(async () => {
  await service?.close();
  await sql?.end();
  await database?.stop();
});

describe("whoami", () => {
  it("answers the caller's user id and role", async () => {
    const answer = await post(`${service.url}/actions/whoami`, actionPayload("whoami", {}, userSession("owner-1")));
    expect(answer).toMatchObject({ status: 200, body: { userId: "owner-1", role: "user" } });
  });

  it("is not open to anonymous callers", async () => {
    const answer = await post(`${service.url}/actions/whoami`, actionPayload("whoami", {}, { "x-hasura-role": "anonymous" }));
    expect(answer.status).toBe(403);
  });
});

describe("createOrganization", () => {
  it("creates the organization and the caller's owner membership, and returns the id", async () => {
    const answer = await post<{ id: string }>(
      `${service.url}/actions/createOrganization`,
      actionPayload("createOrganization", { name: "  Acme  " }, userSession("owner-1")),
    );
    expect(answer.status).toBe(200);
    expect(answer.body.id).toMatch(/^[0-9a-f-]{36}$/);

    const organization = await sql.query("select name, created_by from organizations where id = $1", [answer.body.id]);
    expect(organization.rows).toEqual([{ name: "Acme", created_by: "owner-1" }]);
    const membership = await sql.query("select user_id, role from memberships where organization_id = $1", [answer.body.id]);
    expect(membership.rows).toEqual([{ user_id: "owner-1", role: "owner" }]);
    // Both writes are attributed to the caller by the audit triggers.
    const audit = await sql.query(
      "select table_name, actor_id from audit_log where row_key ->> 'id' = $1 or row_key ->> 'organization_id' = $1 order by table_name",
      [answer.body.id],
    );
    expect(audit.rows).toEqual([
      { table_name: "memberships", actor_id: "owner-1" },
      { table_name: "organizations", actor_id: "owner-1" },
    ]);
  });

  it("writes both rows or neither: a failing membership insert leaves no organization behind", async () => {
    // Makes the second statement of the transaction fail for this one name.
    await sql.query(`
      create function test_refuse_membership() returns trigger language plpgsql as $$
      begin
        if (select name from organizations where id = new.organization_id) = 'Refused' then
          raise exception 'membership refused by test';
        end if;
        return new;
      end $$;
      create trigger test_refuse_membership before insert on memberships for each row execute function test_refuse_membership();
    `);
    try {
      const answer = await post(`${service.url}/actions/createOrganization`, actionPayload("createOrganization", { name: "Refused" }, userSession("owner-2")));
      expect(answer).toMatchObject({ status: 500, body: { message: "internal error", extensions: { code: "unexpected" } } });
      const leftovers = await sql.query("select id from organizations where name = 'Refused'");
      expect(leftovers.rowCount).toBe(0);
    } finally {
      await sql.query("drop trigger test_refuse_membership on memberships; drop function test_refuse_membership()");
    }
  });

  it("answers 409 user-not-found while the caller's users row does not exist yet", async () => {
    const answer = await post(`${service.url}/actions/createOrganization`, actionPayload("createOrganization", { name: "Early" }, userSession("not-synced")));
    expect(answer).toMatchObject({ status: 409, body: { extensions: { code: "user-not-found" } } });
    expect((await sql.query("select 1 from organizations where name = 'Early'")).rowCount).toBe(0);
  });

  it("rejects a blank name", async () => {
    const answer = await post(`${service.url}/actions/createOrganization`, actionPayload("createOrganization", { name: "   " }, userSession("owner-1")));
    expect(answer).toMatchObject({ status: 400, body: { extensions: { code: "validation-failed", path: "$.input.name" } } });
  });
});

describe("purge_processed_deliveries", () => {
  it("deletes only deliveries older than olderThanDays", async () => {
    await sql.query(`
      insert into processed_deliveries (delivery_id, kind, name, processed_at) values
        ('old-event', 'event', 'user_role_changed', now() - interval '31 days'),
        ('old-cron', 'cron', 'purge_processed_deliveries', now() - interval '45 days'),
        ('recent-event', 'event', 'user_role_changed', now() - interval '29 days'),
        ('fresh-event', 'event', 'user_role_changed', now())
    `);
    const run = cronPayload("purge_processed_deliveries", { olderThanDays: 30 });
    const answer = await post(`${service.url}/crons/purge_processed_deliveries`, run);
    expect(answer).toMatchObject({ status: 200, body: { status: "processed", result: { deleted: 2 } } });

    const left = await sql.query<{ delivery_id: string }>("select delivery_id from processed_deliveries order by delivery_id");
    // The purge's own delivery is recorded in the same transaction, so it stays too.
    expect(left.rows.map((row) => row.delivery_id)).toEqual(["fresh-event", "recent-event", run.id].sort());
  });

  it("refuses a payload without a positive whole number of days", async () => {
    for (const payload of [{}, { olderThanDays: 0 }, { olderThanDays: "30" }]) {
      const answer = await post(`${service.url}/crons/purge_processed_deliveries`, cronPayload("purge_processed_deliveries", payload));
      expect(answer.status, JSON.stringify(payload)).toBe(400);
    }
  });
});
