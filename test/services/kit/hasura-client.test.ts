/**
 * The handler context's Hasura client, against test/support/hasura-graphql-stub.ts: a CONTRACT STUB of Hasura's
 * /v1/graphql (Hasura cannot run here) that checks the admin secret and records the headers it receives.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { createHasuraClient, defineAction, HasuraRequestError } from "@pulsura/kit";
import { startHasuraGraphqlStub, type HasuraGraphqlStub } from "../../support/hasura-graphql-stub";
import { startPostgres, type TestDatabase } from "../../support/postgres";
import { actionPayload, post, startTestService, type TestService } from "../support/harness";

let database: TestDatabase;
let hasura: HasuraGraphqlStub;
let service: TestService;

const userQuery = "query User($id: String!) { users_by_pk(id: $id) { id role } }";

const lookUp = defineAction({
  roles: ["user"],
  input: z.object({ id: z.string() }),
  async handler({ id }, context) {
    const asAdmin = await context.hasura.request<{ users_by_pk: unknown }>(userQuery, { id });
    const asCaller = await context.hasura.asCaller().request<{ users_by_pk: unknown }>(userQuery, { id });
    return { asAdmin: asAdmin.users_by_pk, asCaller: asCaller.users_by_pk };
  },
});

beforeAll(async () => {
  [database, hasura] = await Promise.all([startPostgres({ migrate: false }), startHasuraGraphqlStub({ adminSecret: "stub-secret-42" })]);
  service = await startTestService({
    databaseUrl: database.url,
    config: { hasuraGraphqlUrl: hasura.url, hasuraAdminSecret: "stub-secret-42" },
    routes: { actions: { lookUp } },
  });
});

afterAll(async () => {
  await service?.close();
  await hasura?.close();
  await database?.stop();
});

describe("Hasura client in the handler context", () => {
  it("calls Hasura as admin, and asCaller() forwards the caller's role and user id with the admin secret", async () => {
    hasura.users.set("u-1", {
      id: "u-1",
      role: "user",
      phone: null,
      email: null,
      display_name: null,
      created_at: "2025-01-01T00:00:00+00:00",
      updated_at: "2025-01-01T00:00:00+00:00",
      deleted_at: null,
    });
    const session = { "x-hasura-role": "user", "x-hasura-user-id": "u-1", "x-hasura-organization-id": "org-1" };
    const answer = await post(`${service.url}/actions/lookUp`, actionPayload("lookUp", { id: "u-1" }, session));
    expect(answer).toMatchObject({ status: 200, body: { asAdmin: { id: "u-1", role: "user" }, asCaller: { id: "u-1", role: "user" } } });

    const [asAdmin, asCaller] = hasura.requestsFor("users_by_pk");
    expect(asAdmin?.headers["x-hasura-admin-secret"]).toBe("stub-secret-42");
    expect(asAdmin?.headers["x-hasura-role"]).toBeUndefined();
    expect(asAdmin?.headers["x-hasura-user-id"]).toBeUndefined();
    expect(asCaller?.headers).toMatchObject({
      "x-hasura-admin-secret": "stub-secret-42",
      "x-hasura-role": "user",
      "x-hasura-user-id": "u-1",
      "x-hasura-organization-id": "org-1",
    });
  });

  it("throws HasuraRequestError with Hasura's errors", async () => {
    const client = createHasuraClient({ url: hasura.url, adminSecret: "stub-secret-42" });
    hasura.failNext({ kind: "graphql", message: "field not found", code: "validation-failed", path: "$.selectionSet.nope" });
    const failure = await client.request(userQuery, { id: "u-1" }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(HasuraRequestError);
    expect((failure as HasuraRequestError).errors).toEqual([
      { message: "field not found", extensions: { code: "validation-failed", path: "$.selectionSet.nope" } },
    ]);

    const wrongSecret = createHasuraClient({ url: hasura.url, adminSecret: "nope" });
    await expect(wrongSecret.request(userQuery, { id: "u-1" })).rejects.toThrow(HasuraRequestError);
  });

  it("refuses asCaller() when there is no caller", () => {
    const client = createHasuraClient({ url: hasura.url, adminSecret: "stub-secret-42" });
    expect(() => client.asCaller()).toThrow(/no caller/);
  });
});
