/**
 * The three functions, wrapped by firebase-functions-test in offline mode, talking over HTTP to
 * test/support/hasura-graphql-stub.ts, a CONTRACT STUB of Hasura's /v1/graphql (Hasura cannot run here).
 */
import functionsTest from "firebase-functions-test";
import type { AuthBlockingEvent } from "firebase-functions/v2/identity";
import { parse, print, type FieldNode, type OperationDefinitionNode } from "graphql";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { hasuraClaimsNamespace } from "../../functions/src/claims";
import { HasuraGraphqlError, HasuraRequestError } from "../../functions/src/hasura-client";
import { beforeUserCreated, onUserCreated, onUserDeleted } from "../../functions/src/index";
import { startHasuraGraphqlStub, type HasuraGraphqlStub, type RecordedGraphqlRequest } from "../support/hasura-graphql-stub";

const fft = functionsTest(); // no project config: offline mode
const adminSecret = "s3cret-admin-value-for-tests";
let hasura: HasuraGraphqlStub;

beforeAll(async () => {
  hasura = await startHasuraGraphqlStub({ adminSecret });
});

beforeEach(() => {
  hasura.reset();
  vi.stubEnv("HASURA_GRAPHQL_URL", hasura.url);
  vi.stubEnv("HASURA_GRAPHQL_ADMIN_SECRET", adminSecret);
  vi.stubEnv("PULSURA_ON_USER_DELETED", undefined);
});

afterEach(() => {
  vi.unstubAllEnvs();
});

afterAll(async () => {
  fft.cleanup();
  await hasura?.close();
});

const createUser = fft.wrap(onUserCreated);
const deleteUser = fft.wrap(onUserDeleted);
// firebase-functions-test wraps a gen2 function by calling its `run` with a generated event; blocking functions have
// `run` too, but their public type does not say so, hence the casts.
const runBeforeUserCreated = fft.wrap(beforeUserCreated as never) as unknown as (
  event: Pick<AuthBlockingEvent, "data">,
) => unknown;

function userRecord(fields: { uid: string; email?: string; phoneNumber?: string; displayName?: string }) {
  return fft.auth.makeUserRecord(fields);
}

/** The root field of the single operation in a recorded request, as an AST node. */
function rootField(request: RecordedGraphqlRequest): FieldNode {
  const operation = parse(request.query ?? "").definitions[0] as OperationDefinitionNode;
  expect(operation.operation).toBe("mutation");
  expect(operation.selectionSet.selections).toHaveLength(1);
  return operation.selectionSet.selections[0] as FieldNode;
}

function argument(field: FieldNode, name: string): string {
  const arg = field.arguments?.find((a) => a.name.value === name);
  if (!arg) throw new Error(`no argument ${name} on ${field.name.value}`);
  return print(arg.value);
}

describe("beforeUserCreated (blocking)", () => {
  it("returns the Hasura claims for the new user, so the first ID token carries them", async () => {
    const response = await runBeforeUserCreated({ data: { uid: "new-user-1" } as AuthBlockingEvent["data"] });
    expect(response).toEqual({
      customClaims: {
        [hasuraClaimsNamespace]: {
          "x-hasura-default-role": "user",
          "x-hasura-allowed-roles": ["user"],
          "x-hasura-user-id": "new-user-1",
        },
      },
    });
    expect(hasura.requests).toHaveLength(0);
  });

  it("needs neither Hasura nor its secrets, so neither can fail a sign-up", async () => {
    vi.stubEnv("HASURA_GRAPHQL_URL", undefined);
    vi.stubEnv("HASURA_GRAPHQL_ADMIN_SECRET", undefined);
    const response = await runBeforeUserCreated({ data: { uid: "u" } as AuthBlockingEvent["data"] });
    expect(response).toHaveProperty("customClaims");
    expect(hasura.requests).toHaveLength(0);
  });

  it("is registered as the beforeCreate blocking trigger", () => {
    expect(beforeUserCreated.__endpoint.platform).toBe("gcfv2");
    expect(beforeUserCreated.__endpoint.blockingTrigger?.eventType).toBe("providers/cloud.auth/eventTypes/user.beforeCreate");
    // No secrets: Identity Platform calls it on every sign-up, and it never talks to Hasura.
    expect(beforeUserCreated.__endpoint.secretEnvironmentVariables ?? []).toEqual([]);
  });
});

describe("onUserCreated", () => {
  it("upserts the users row as admin with exactly the contract's mutation and variables", async () => {
    await createUser(userRecord({ uid: "u-1", email: "ada@example.com", phoneNumber: "+15555550100", displayName: "Ada" }));

    expect(hasura.requests).toHaveLength(1);
    const [request] = hasura.requests;
    expect(request.headers["x-hasura-admin-secret"]).toBe(adminSecret);
    expect(request.headers["content-type"]).toBe("application/json");
    expect(request.operationName).toBe("UpsertUser");
    expect(request.variables).toStrictEqual({
      id: "u-1",
      phone: "+15555550100",
      email: "ada@example.com",
      display_name: "Ada",
    });
    const field = rootField(request);
    expect(field.name.value).toBe("insert_users_one");
    expect(argument(field, "object")).toBe("{id: $id, phone: $phone, email: $email, display_name: $display_name}");
    expect(argument(field, "on_conflict")).toBe(
      "{constraint: users_pkey, update_columns: [phone, email, display_name]}",
    );
    expect(request.response).toEqual({ data: { insert_users_one: { id: "u-1" } } });

    expect([...hasura.users.values()]).toMatchObject([
      { id: "u-1", phone: "+15555550100", email: "ada@example.com", display_name: "Ada", role: "user", deleted_at: null },
    ]);
  });

  it("sends nulls for the fields a phone-only user lacks", async () => {
    await createUser(userRecord({ uid: "phone-only", phoneNumber: "+15555550101" }));
    expect(hasura.requestsFor("insert_users_one")[0].variables).toStrictEqual({
      id: "phone-only",
      phone: "+15555550101",
      email: null,
      display_name: null,
    });
  });

  it("is idempotent: a redelivered event leaves exactly one row with the same values", async () => {
    const user = userRecord({ uid: "u-2", email: "grace@example.com", displayName: "Grace" });
    const event = { eventId: "event-create-u-2", timestamp: "2026-01-02T03:04:05.000Z" };
    await createUser(user, event);
    const first = structuredClone(hasura.users.get("u-2"));
    await createUser(user, event);

    expect(hasura.requestsFor("insert_users_one")).toHaveLength(2);
    expect(hasura.requests.every((r) => !("errors" in (r.response as object)))).toBe(true);
    expect(hasura.users.size).toBe(1);
    expect(hasura.users.get("u-2")).toMatchObject({
      id: "u-2",
      email: "grace@example.com",
      display_name: "Grace",
      phone: null,
      created_at: first?.created_at,
    });
  });

  it("keeps a row's role when the upsert hits an existing row (role is not an update column)", async () => {
    await createUser(userRecord({ uid: "u-operator", email: "old@example.com" }));
    hasura.users.set("u-operator", { ...hasura.users.get("u-operator")!, role: "operator" });
    await createUser(userRecord({ uid: "u-operator", email: "new@example.com" }));
    expect(hasura.users.get("u-operator")).toMatchObject({ role: "operator", email: "new@example.com" });
  });

  it("fails, so Cloud Functions retries, when Hasura answers with GraphQL errors; the retry then succeeds", async () => {
    hasura.failNext({ kind: "graphql", code: "postgres-error", message: "connection to the database failed" });
    const user = userRecord({ uid: "u-3", email: "linus@example.com" });
    const delivery = { eventId: "event-create-u-3" };

    const failure = await createUser(user, delivery).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(HasuraGraphqlError);
    expect((failure as HasuraGraphqlError).message).toBe(
      "Hasura rejected UpsertUser: connection to the database failed [postgres-error]",
    );
    expect(hasura.users.size).toBe(0);

    await createUser(user, delivery);
    expect(hasura.requestsFor("insert_users_one")).toHaveLength(2);
    expect(hasura.users.get("u-3")?.email).toBe("linus@example.com");
  });

  it("fails when Hasura (or what fronts it) answers with an HTTP error", async () => {
    hasura.failNext({ kind: "http", status: 503, body: "upstream connect error" });
    const error = await createUser(userRecord({ uid: "u-4" })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HasuraRequestError);
    expect((error as HasuraRequestError).status).toBe(503);
    expect((error as Error).message).toContain('HTTP 503: "upstream connect error"');
  });

  it("fails with Hasura's access-denied error on a wrong admin secret, without repeating the secret", async () => {
    vi.stubEnv("HASURA_GRAPHQL_ADMIN_SECRET", "wrong-secret-value");
    const error = (await createUser(userRecord({ uid: "u-5" })).catch((e: unknown) => e)) as HasuraGraphqlError;
    expect(error).toBeInstanceOf(HasuraGraphqlError);
    expect(error.errors).toEqual([
      { message: "invalid x-hasura-admin-secret/x-hasura-access-key", extensions: { code: "access-denied", path: "$" } },
    ]);
    const serialized = `${error.message} ${error.stack} ${JSON.stringify(error)}`;
    expect(serialized).not.toContain("wrong-secret-value");
    expect(serialized).not.toContain(adminSecret);
  });

  it("fails with a clear message when the Hasura secrets are not bound", async () => {
    vi.stubEnv("HASURA_GRAPHQL_URL", undefined);
    await expect(createUser(userRecord({ uid: "u-6" }))).rejects.toThrow(
      "Hasura GraphQL URL is empty (HASURA_GRAPHQL_URL)",
    );
    vi.stubEnv("HASURA_GRAPHQL_URL", hasura.url);
    vi.stubEnv("HASURA_GRAPHQL_ADMIN_SECRET", undefined);
    await expect(createUser(userRecord({ uid: "u-6" }))).rejects.toThrow(
      "Hasura admin secret is empty (HASURA_GRAPHQL_ADMIN_SECRET)",
    );
    expect(hasura.requests).toHaveLength(0);
  });

  it("is a gen1 user.create trigger with retries and both Hasura secrets", () => {
    const endpoint = onUserCreated.__endpoint;
    expect(endpoint.platform).toBe("gcfv1");
    expect(endpoint.eventTrigger).toMatchObject({ eventType: "providers/firebase.auth/eventTypes/user.create", retry: true });
    expect(endpoint.secretEnvironmentVariables?.map((s) => s.key)).toEqual([
      "HASURA_GRAPHQL_URL",
      "HASURA_GRAPHQL_ADMIN_SECRET",
    ]);
  });
});

describe("onUserDeleted", () => {
  const deletion = { eventId: "event-delete", timestamp: "2026-03-04T05:06:07.089Z" };

  beforeEach(async () => {
    await createUser(userRecord({ uid: "gone", email: "gone@example.com", phoneNumber: "+15555550102", displayName: "Gone" }));
    await createUser(userRecord({ uid: "stays", email: "stays@example.com" }));
    hasura.requests.length = 0;
  });

  it("deletes the row by primary key by default", async () => {
    await deleteUser(userRecord({ uid: "gone" }), deletion);

    expect(hasura.requests).toHaveLength(1);
    const [request] = hasura.requests;
    expect(request.operationName).toBe("DeleteUser");
    expect(request.variables).toStrictEqual({ id: "gone" });
    expect(rootField(request).name.value).toBe("delete_users_by_pk");
    expect(request.response).toEqual({ data: { delete_users_by_pk: { id: "gone" } } });
    expect([...hasura.users.keys()]).toEqual(["stays"]);
  });

  it('deletes when PULSURA_ON_USER_DELETED is "delete"', async () => {
    vi.stubEnv("PULSURA_ON_USER_DELETED", "delete");
    await deleteUser(userRecord({ uid: "gone" }), deletion);
    expect(hasura.requestsFor("delete_users_by_pk")).toHaveLength(1);
    expect(hasura.users.has("gone")).toBe(false);
  });

  it("is idempotent: deleting a row that is already gone succeeds", async () => {
    await deleteUser(userRecord({ uid: "gone" }), deletion);
    await deleteUser(userRecord({ uid: "gone" }), deletion);
    await deleteUser(userRecord({ uid: "never-synced" }), deletion);

    expect(hasura.requestsFor("delete_users_by_pk").map((r) => r.response)).toEqual([
      { data: { delete_users_by_pk: { id: "gone" } } },
      { data: { delete_users_by_pk: null } },
      { data: { delete_users_by_pk: null } },
    ]);
    expect([...hasura.users.keys()]).toEqual(["stays"]);
  });

  it('anonymizes instead when PULSURA_ON_USER_DELETED is "anonymize", stamping the event time', async () => {
    vi.stubEnv("PULSURA_ON_USER_DELETED", "anonymize");
    await deleteUser(userRecord({ uid: "gone" }), deletion);

    expect(hasura.requests).toHaveLength(1);
    const [request] = hasura.requests;
    expect(request.operationName).toBe("AnonymizeUser");
    expect(request.variables).toStrictEqual({ id: "gone", deleted_at: deletion.timestamp });
    const field = rootField(request);
    expect(field.name.value).toBe("update_users_by_pk");
    expect(argument(field, "pk_columns")).toBe("{id: $id}");
    expect(argument(field, "_set")).toBe("{phone: null, email: null, display_name: null, deleted_at: $deleted_at}");

    expect(hasura.users.get("gone")).toMatchObject({ id: "gone", phone: null, email: null, display_name: null });
    expect(new Date(hasura.users.get("gone")!.deleted_at!).toISOString()).toBe(deletion.timestamp);
    expect(hasura.users.get("stays")?.email).toBe("stays@example.com");
    expect(hasura.requestsFor("delete_users_by_pk")).toHaveLength(0);
  });

  it("anonymizing is idempotent: a redelivery writes the same deleted_at, a missing row is success", async () => {
    vi.stubEnv("PULSURA_ON_USER_DELETED", "anonymize");
    await deleteUser(userRecord({ uid: "gone" }), deletion);
    const first = structuredClone(hasura.users.get("gone"));
    await deleteUser(userRecord({ uid: "gone" }), deletion);
    await deleteUser(userRecord({ uid: "never-synced" }), deletion);

    expect(hasura.users.get("gone")?.deleted_at).toBe(first?.deleted_at);
    expect(hasura.users.has("never-synced")).toBe(false);
    expect(hasura.requestsFor("update_users_by_pk").map((r) => r.response)).toEqual([
      { data: { update_users_by_pk: { id: "gone" } } },
      { data: { update_users_by_pk: { id: "gone" } } },
      { data: { update_users_by_pk: null } },
    ]);
  });

  it("fails, to be retried, when Hasura errors, and leaves the row in place", async () => {
    hasura.failNext({ kind: "graphql", code: "unexpected", message: "database query error" });
    await expect(deleteUser(userRecord({ uid: "gone" }), deletion)).rejects.toThrow(
      "Hasura rejected DeleteUser: database query error [unexpected]",
    );
    expect(hasura.users.has("gone")).toBe(true);
  });

  it("refuses an unknown PULSURA_ON_USER_DELETED value instead of guessing", async () => {
    vi.stubEnv("PULSURA_ON_USER_DELETED", "purge");
    await expect(deleteUser(userRecord({ uid: "gone" }), deletion)).rejects.toThrow(
      'PULSURA_ON_USER_DELETED must be one of delete, anonymize, got "purge"',
    );
    expect(hasura.requests).toHaveLength(0);
    expect(hasura.users.has("gone")).toBe(true);
  });

  it("is a gen1 user.delete trigger with retries", () => {
    expect(onUserDeleted.__endpoint.eventTrigger).toMatchObject({
      eventType: "providers/firebase.auth/eventTypes/user.delete",
      retry: true,
    });
  });
});
