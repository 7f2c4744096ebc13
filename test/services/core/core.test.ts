/**
 * The core service's actions and cron over HTTP against Postgres with the hasura/ migrations applied, connected as
 * Cloud SQL would have it: the service as `svc_core` (only the roles the deploy grants it), the test's own checks as
 * `hasura`, which applied the migrations (test/support/postgres.ts).
 */
import * as path from "node:path";
import { Client } from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadService } from "@pulsura/kit/dev";
import { startPostgres, type TestDatabase } from "../../support/postgres";
import { actionPayload, cronPayload, get, post, startTestService, userSession, type TestService } from "../support/harness";

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

  // The cap itself is a trigger of another migration; this test raises exactly the error that trigger is specified to
  // raise (SQLSTATE 54000, constraint organizations_per_creator_limit) from a stand-in trigger, to test the mapping.
  it("maps the per-creator organization limit error (54000, organizations_per_creator_limit) to 409 limit-reached with its message", async () => {
    await sql.query(`
      create function test_organization_limit() returns trigger language plpgsql as $$
      begin
        if new.name = 'One too many' then
          raise exception 'a user may create at most 3 organizations'
            using errcode = '54000', constraint = 'organizations_per_creator_limit';
        end if;
        return new;
      end $$;
      create trigger test_organization_limit before insert on organizations for each row execute function test_organization_limit();
    `);
    try {
      const answer = await post(
        `${service.url}/actions/createOrganization`,
        actionPayload("createOrganization", { name: "One too many" }, userSession("owner-2")),
      );
      expect(answer).toMatchObject({
        status: 409,
        body: { message: "a user may create at most 3 organizations", extensions: { code: "limit-reached" } },
      });
      expect((await sql.query("select 1 from organizations where name = 'One too many'")).rowCount).toBe(0);
    } finally {
      await sql.query("drop trigger test_organization_limit on organizations; drop function test_organization_limit()");
    }
  });

  it("keeps other program_limit_exceeded errors unexpected (500): only the organization limit is the caller's to see", async () => {
    await sql.query(`
      create function test_other_limit() returns trigger language plpgsql as $$
      begin
        if new.name = 'Other limit' then
          raise exception 'some internal limit' using errcode = '54000';
        end if;
        return new;
      end $$;
      create trigger test_other_limit before insert on organizations for each row execute function test_other_limit();
    `);
    try {
      const answer = await post(`${service.url}/actions/createOrganization`, actionPayload("createOrganization", { name: "Other limit" }, userSession("owner-2")));
      expect(answer).toMatchObject({ status: 500, body: { message: "internal error", extensions: { code: "unexpected" } } });
    } finally {
      await sql.query("drop trigger test_other_limit on organizations; drop function test_other_limit()");
    }
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

describe("/readyz as svc_core", () => {
  it("answers 200: the service's own database user can reach the database", async () => {
    expect(await get(`${service.url}/readyz`)).toMatchObject({ status: 200 });
  });
});

describe("svc_core's privileges (least privilege, as on Cloud SQL)", () => {
  let asService: Client;

  beforeAll(async () => {
    asService = new Client({ connectionString: database.serviceUrl });
    await asService.connect();
  });
  afterAll(async () => {
    await asService?.end();
  });

  /** The Postgres error code of `sql` run as svc_core ("42501" is insufficient_privilege), or "ok". */
  async function outcome(sql: string): Promise<string> {
    try {
      await asService.query(sql);
      return "ok";
    } catch (error) {
      return (error as { code?: string }).code ?? String(error);
    }
  }

  it("is no superuser, owns no table and is a member of exactly the roles the deploy grants it", async () => {
    const self = await asService.query("select rolsuper, rolbypassrls from pg_roles where rolname = current_user");
    expect(self.rows).toEqual([{ rolsuper: false, rolbypassrls: false }]);
    const owned = await sql.query("select count(*)::int as n from pg_class where relowner = 'svc_core'::regrole");
    expect(owned.rows[0].n).toBe(0);
    const roles = await sql.query<{ role: string }>(
      "select r.rolname as role from pg_auth_members m join pg_roles r on r.oid = m.roleid where m.member = 'svc_core'::regrole order by 1",
    );
    // cloudsqlsuperuser is what Cloud SQL gives every API user; the schema no longer belongs to it (1735689600400).
    expect(roles.rows.map((row) => row.role)).toEqual([
      "cloudsqlsuperuser",
      "pulsura_file_manager",
      "pulsura_organization_exporter",
      "pulsura_organization_writer",
      "pulsura_service",
      "pulsura_user_role_reader",
    ]);
  });

  it("cannot drop, alter or truncate a table, or change the schema", async () => {
    expect(await outcome("drop table organizations")).toBe("42501");
    expect(await outcome("alter table organizations add column taken_over boolean")).toBe("42501");
    expect(await outcome("truncate processed_deliveries")).toBe("42501");
    expect(await outcome("create table public.svc_owned (id int)")).toBe("42501");
    expect(await outcome("drop schema public cascade")).toBe("42501");
    expect(await outcome("create schema svc_core_schema")).toBe("42501");
    expect(await outcome("create or replace function public.set_updated_at() returns trigger language plpgsql as $$ begin return new; end $$")).toBe("42501");
  });

  it("cannot read what its handlers have no business reading", async () => {
    for (const table of ["users", "audit_log", "files", "organization_feature_flags", "membership_permission_patches"]) {
      expect(await outcome(`select * from ${table} limit 1`), table).toBe("42501");
    }
    // Of users, only the current global role (user_role_changed), never personal data.
    expect(await outcome("select id, role, deleted_at from users limit 1")).toBe("ok");
    for (const column of ["email", "phone", "display_name"]) {
      expect(await outcome(`select ${column} from users limit 1`), `users.${column}`).toBe("42501");
    }
    expect(await outcome("update users set role = 'operator'")).toBe("42501");
    // It may insert an organization (createOrganization) and read what an export holds (export-organization: id, name,
    // created_by, created_at), but no other column, and change none.
    expect(await outcome("select id, name, created_by, created_at from organizations limit 1")).toBe("ok");
    expect(await outcome("select updated_at from organizations limit 1")).toBe("42501");
    expect(await outcome("update organizations set name = 'Hijacked'")).toBe("42501");
    expect(await outcome("delete from memberships")).toBe("42501");
    // Audit rows are written by the trigger as its owner, never by the service directly.
    expect(await outcome("insert into audit_log (table_name, operation, row_key) values ('users', 'DELETE', '{}')")).toBe("42501");
  });

  it("gets nothing on a table Hasura's user creates later until a migration grants it, but may use its sequence then", async () => {
    await sql.query("create table public.later_table (id bigint generated always as identity primary key, note text)");
    try {
      expect(await outcome("select * from later_table")).toBe("42501");
      expect(await outcome("insert into later_table (note) values ('x')")).toBe("42501");
      const sequence = await sql.query(
        "select has_sequence_privilege('svc_core', pg_get_serial_sequence('public.later_table', 'id'), 'USAGE') as usable",
      );
      expect(sequence.rows[0].usable).toBe(true);
      // A migration's grant is all it takes (ALTER DEFAULT PRIVILEGES covered the sequence).
      await sql.query("grant insert (note) on public.later_table to pulsura_service");
      expect(await outcome("insert into later_table (note) values ('x')")).toBe("ok");
    } finally {
      await sql.query("drop table public.later_table");
    }
  });

  it("cannot grant itself more", async () => {
    expect(await outcome("grant select on users to svc_core")).toBe("42501");
    expect(await outcome("grant hasura to svc_core")).toBe("42501");
    expect(await outcome("set role hasura")).toBe("42501");
    expect(await outcome("alter role svc_core superuser")).toBe("42501");
    expect(await outcome("grant pulsura_organization_writer to svc_core with admin option")).toBe("42501");
    expect(await outcome("alter default privileges for role hasura grant select on tables to svc_core")).toBe("42501");
    // Cloud SQL makes every API user a member of cloudsqlsuperuser; the database and its schema no longer belong to it.
    // Postgres only warns ("no privileges were granted") when the grantor holds no grant option: check the effect.
    await outcome("grant create on database pulsura to svc_core");
    const canCreate = await sql.query("select has_database_privilege('svc_core', current_database(), 'CREATE') as granted");
    expect(canCreate.rows).toEqual([{ granted: false }]);
    expect(await outcome("alter database pulsura owner to svc_core")).toBe("42501");
    expect(await outcome("set role cloudsqlsuperuser")).toBe("ok");
    expect(await outcome("create schema as_cloudsqlsuperuser")).toBe("42501");
    expect(await outcome("reset role")).toBe("ok");
  });
});
