/**
 * Keeps test/support/hasura-graphql-stub.ts (a CONTRACT STUB of Hasura's /v1/graphql) honest: the parts of Hasura's
 * documented behaviour the function tests rely on.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startHasuraGraphqlStub, type HasuraGraphqlStub } from "../support/hasura-graphql-stub";

let hasura: HasuraGraphqlStub;

beforeAll(async () => {
  hasura = await startHasuraGraphqlStub({ adminSecret: "stub-test-secret" });
});
beforeEach(() => hasura.reset());
afterAll(async () => {
  await hasura?.close();
});

async function post(body: unknown, headers: Record<string, string> = { "x-hasura-admin-secret": "stub-test-secret" }) {
  const response = await fetch(hasura.url, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

const insert = `mutation ($id: String!, $email: String) {
  insert_users_one(object: {id: $id, email: $email}) { id email role }
}`;

describe("Hasura /v1/graphql contract stub", () => {
  it("answers access-denied with HTTP 200, as Hasura does on /v1/graphql, for a missing or wrong admin secret", async () => {
    expect(await post({ query: "{ users { id } }" }, {})).toEqual({
      status: 200,
      body: {
        errors: [
          {
            message: "x-hasura-admin-secret/x-hasura-access-key required, but not found",
            extensions: { code: "access-denied", path: "$" },
          },
        ],
      },
    });
    const wrong = await post({ query: "{ users { id } }" }, { "x-hasura-admin-secret": "nope" });
    expect(wrong.body.errors).toEqual([
      { message: "invalid x-hasura-admin-secret/x-hasura-access-key", extensions: { code: "access-denied", path: "$" } },
    ]);
  });

  it("validates documents against the users schema Hasura generates", async () => {
    const unknownColumn = await post({ query: "mutation { insert_users_one(object: {id: \"a\", nickname: \"x\"}) { id } }" });
    expect(unknownColumn.status).toBe(200);
    expect(unknownColumn.body.errors).toMatchObject([{ extensions: { code: "validation-failed" } }]);
    expect(await post({ query: "mutation {" })).toMatchObject({
      body: { errors: [{ message: "not a valid graphql query", extensions: { code: "validation-failed", path: "$.query" } }] },
    });
    expect(hasura.requests).toHaveLength(2);
  });

  it("applies column defaults, and reports a duplicate key without on_conflict as a constraint violation", async () => {
    expect(await post({ query: insert, variables: { id: "a", email: "a@example.com" } })).toEqual({
      status: 200,
      body: { data: { insert_users_one: { id: "a", email: "a@example.com", role: "user" } } },
    });
    const duplicate = await post({ query: insert, variables: { id: "a" } });
    expect(duplicate.body.errors).toEqual([
      {
        message: 'Uniqueness violation. duplicate key value violates unique constraint "users_pkey"',
        extensions: { code: "constraint-violation", path: "$.selectionSet.insert_users_one.args.object" },
      },
    ]);
    expect(hasura.users.get("a")?.email).toBe("a@example.com");
  });

  it("runs a mutation request as one transaction", async () => {
    await post({ query: insert, variables: { id: "a" } });
    const both = await post({
      query: `mutation {
        insert_users_one(object: {id: "b"}) { id }
        again: insert_users_one(object: {id: "a"}) { id }
      }`,
    });
    expect(both.body.errors).toMatchObject([{ extensions: { code: "constraint-violation" } }]);
    expect([...hasura.users.keys()]).toEqual(["a"]);
  });

  it("returns null from *_by_pk mutations on a missing row", async () => {
    const result = await post({
      query: `mutation { delete_users_by_pk(id: "none") { id } update_users_by_pk(pk_columns: {id: "none"}, _set: {email: null}) { id } }`,
    });
    expect(result.body).toEqual({ data: { delete_users_by_pk: null, update_users_by_pk: null } });
  });

  it("fails the next requests as programmed, then recovers", async () => {
    hasura.failNext({ kind: "http", status: 502, body: "bad gateway" });
    hasura.failNext({ kind: "graphql", code: "postgres-error", message: "boom" });
    const http = await fetch(hasura.url, {
      method: "POST",
      headers: { "x-hasura-admin-secret": "stub-test-secret" },
      body: JSON.stringify({ query: insert, variables: { id: "a" } }),
    });
    expect([http.status, await http.text()]).toEqual([502, "bad gateway"]);
    expect((await post({ query: insert, variables: { id: "a" } })).body).toEqual({
      errors: [{ message: "boom", extensions: { code: "postgres-error", path: "$" } }],
    });
    expect(hasura.users.size).toBe(0);
    expect((await post({ query: insert, variables: { id: "a" } })).body).toHaveProperty("data");
    expect(hasura.requestsFor("insert_users_one").map((r) => r.status)).toEqual([502, 200, 200]);
  });
});
