/**
 * HasuraDatabaseRoles against the Hasura contract stub (run_sql on a real Postgres, test/support/hasura-api-stub.ts)
 * on a database set up as Cloud SQL sets one up, migrated with hasura/'s migrations as `hasura`: the provider makes
 * svc_core a member of the roles the migrations define, as the deploy does, and takes away a role it no longer lists.
 */
import { Client } from "pg";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { databaseRolesProvider, type HasuraDatabaseRolesInputs } from "../../../infra/dynamic/database-roles";
import { serviceDatabaseRoles } from "../../../infra/database-roles";
import { startHasuraApiStub, type HasuraApiStub } from "../../support/hasura-api-stub";
import { startPostgres, type TestDatabase } from "../../support/postgres";
import { newAdminSecret, quickHealthCheck } from "./harness";

let database: TestDatabase;
let hasura: Client;
let stub: HasuraApiStub;
let adminSecret: string;

beforeAll(async () => {
  database = await startPostgres();
  hasura = new Client({ connectionString: database.url });
  await hasura.connect();
});
afterAll(async () => {
  await hasura?.end();
  await database?.stop();
});
beforeEach(async () => {
  // startPostgres granted svc_core its roles the same way; start from a user that has none.
  await hasura.query(`revoke ${serviceDatabaseRoles("core").join(", ")} from svc_core`);
  adminSecret = newAdminSecret();
  stub = await startHasuraApiStub({ databaseUrl: database.url, adminSecret });
});
afterEach(async () => {
  expect(stub.logLines.join("\n")).not.toContain(adminSecret);
  await stub.close();
});

async function rolesOf(user: string): Promise<string[]> {
  const { rows } = await hasura.query<{ role: string }>(
    "select r.rolname as role from pg_auth_members m join pg_roles r on r.oid = m.roleid where m.member = $1::regrole and r.rolname like 'pulsura%' order by 1",
    [user],
  );
  return rows.map((row) => row.role);
}

const inputs = (roles: string[]): HasuraDatabaseRolesInputs => ({
  endpoint: stub.url,
  adminSecret,
  source: "default",
  grants: [{ user: "svc_core", roles }],
  healthCheck: quickHealthCheck,
});

describe("HasuraDatabaseRoles", () => {
  it("grants svc_core the roles the migrations define through run_sql, as Hasura's user (no superuser)", async () => {
    const roles = serviceDatabaseRoles("core");
    const created = await databaseRolesProvider.create!(inputs(roles));
    expect(created.outs!.grants).toEqual([{ user: "svc_core", roles }]);
    expect(await rolesOf("svc_core")).toEqual([...roles].sort());
    // Granting again (an update with the same list, a re-run) is harmless.
    await databaseRolesProvider.update!("database-roles/default", created.outs!, inputs(roles));
    expect(await rolesOf("svc_core")).toEqual([...roles].sort());
  });

  it("revokes a role that the new list no longer names", async () => {
    const created = await databaseRolesProvider.create!(inputs(["pulsura_service", "pulsura_organization_writer"]));
    await databaseRolesProvider.update!("database-roles/default", created.outs!, inputs(["pulsura_service"]));
    expect(await rolesOf("svc_core")).toEqual(["pulsura_service"]);
  });

  it("fails naming Postgres's reason when a role does not exist, and grants nothing", async () => {
    await expect(databaseRolesProvider.create!(inputs(["pulsura_service", "pulsura_no_such_role"]))).rejects.toThrow(
      /Granting the services' database roles failed; nothing was granted[\s\S]*pulsura_no_such_role/,
    );
    expect(await rolesOf("svc_core")).toEqual([]);
  });

  it("refuses names that are not plain lower-case identifiers at check", async () => {
    const checked = await databaseRolesProvider.check!({} as HasuraDatabaseRolesInputs, { ...inputs(['x"; drop table users; --']), grants: [{ user: "svc_core", roles: ['x"; drop'] }] });
    expect(checked.failures?.map((failure) => failure.property)).toEqual(["grants[0]"]);
  });
});
