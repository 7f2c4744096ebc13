/**
 * user_role_changed against the Firebase Auth emulator (offline, demo project) and a migrated Postgres, the service
 * connected as `svc_core` with the roles the deploy grants it: the user's CURRENT role (their users row, not the event
 * payload) lands in their custom claims under Hasura's namespace, other claims survive, refresh tokens are revoked, a
 * fresh ID token carries the role, and a stale delivery (a retried "promote" arriving after the "demote") cannot
 * re-grant a role.
 */
import * as path from "node:path";
import type { Auth } from "firebase-admin/auth";
import { Client } from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadService } from "@pulsura/kit/dev";
import { startPostgres, type TestDatabase } from "../../support/postgres";
import { startAuthEmulator, type AuthEmulator } from "../support/auth-emulator";
import { eventPayload, post, startTestService, type TestService } from "../support/harness";

const projectId = "demo-pulsura-services";
let database: TestDatabase;
let emulator: AuthEmulator;
let service: TestService;
let auth: Auth;
/** As `hasura`, which owns the tables: the test's own writes to users, as Hasura's mutations would make them. */
let sql: Client;

beforeAll(async () => {
  [database, emulator] = await Promise.all([startPostgres(), startAuthEmulator(projectId)]);
  sql = new Client({ connectionString: database.url });
  await sql.connect();
  // firebase-admin reads this when the kit first initializes it.
  process.env.FIREBASE_AUTH_EMULATOR_HOST = emulator.host;
  const core = await loadService(path.resolve(__dirname, "../../../services/core"));
  service = await startTestService({ name: "core", databaseUrl: database.serviceUrl, routes: core.routes, config: { projectId } });
  const { getApps, initializeApp } = await import("firebase-admin/app");
  const { getAuth } = await import("firebase-admin/auth");
  auth = getAuth(getApps()[0] ?? initializeApp({ projectId }));
});

afterAll(async () => {
  await service?.close();
  await sql?.end();
  await emulator?.stop();
  await database?.stop();
});

const claimsKey = "https://hasura.io/jwt/claims";

/** Exchanges a custom token for an ID token at the emulator's Identity Toolkit endpoint, as a client SDK would. */
async function idTokenClaims(uid: string): Promise<Record<string, unknown>> {
  const customToken = await auth.createCustomToken(uid);
  const response = await fetch(
    `http://${emulator.host}/identitytoolkit.googleapis.com/v1/accounts:signInWithCustomToken?key=fake-api-key`,
    { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ token: customToken, returnSecureToken: true }) },
  );
  expect(response.status).toBe(200);
  const { idToken } = (await response.json()) as { idToken: string };
  return JSON.parse(Buffer.from(idToken.split(".")[1]!, "base64url").toString()) as Record<string, unknown>;
}

/** The delivery Hasura makes for an update of users.role from `from` to `to`. */
function roleChange(uid: string, from: string, to: string) {
  return eventPayload({
    trigger: "user_role_changed",
    op: "UPDATE",
    old: { id: uid, role: from, email: null },
    new: { id: uid, role: to, email: null },
    session: { "x-hasura-role": "admin" },
  });
}

/** Writes the users row as it is after the change the delivery reports. */
async function userRow(uid: string, role: string, deletedAt: Date | null = null): Promise<void> {
  await sql.query(
    `insert into users (id, role, deleted_at) values ($1, $2, $3)
     on conflict (id) do update set role = excluded.role, deleted_at = excluded.deleted_at`,
    [uid, role, deletedAt],
  );
}

const sessionOf = async (uid: string) => (await auth.getUser(uid)).customClaims?.[claimsKey];
const plainUser = (uid: string) => ({ "x-hasura-default-role": "user", "x-hasura-allowed-roles": ["user"], "x-hasura-user-id": uid });
const operator = (uid: string) => ({
  "x-hasura-default-role": "operator",
  "x-hasura-allowed-roles": ["user", "operator"],
  "x-hasura-user-id": uid,
});

describe("user_role_changed", () => {
  it("puts the current role in the Hasura claims, keeps other claims, and revokes refresh tokens", async () => {
    // Created without a password, the account has no tokens-valid-after time until something revokes tokens.
    const user = await auth.createUser({ uid: "promoted-user" });
    expect(user.tokensValidAfterTime).toBeUndefined();
    await auth.setCustomUserClaims(user.uid, { plan: "pro" });
    await userRow(user.uid, "operator");

    const answer = await post(`${service.url}/events/user_role_changed`, roleChange(user.uid, "user", "operator"));
    expect(answer).toMatchObject({ status: 200, body: { status: "processed", result: { userId: user.uid, role: "operator" } } });

    const updated = await auth.getUser(user.uid);
    expect(updated.customClaims).toEqual({ plan: "pro", [claimsKey]: operator(user.uid) });
    expect(updated.tokensValidAfterTime).toBeDefined();

    const token = await idTokenClaims(user.uid);
    expect(token[claimsKey]).toMatchObject({ "x-hasura-default-role": "operator", "x-hasura-allowed-roles": ["user", "operator"] });
  });

  it("gives a demoted operator back the user role only", async () => {
    await auth.createUser({ uid: "demoted-user" });
    await auth.setCustomUserClaims("demoted-user", { [claimsKey]: operator("demoted-user") });
    await userRow("demoted-user", "user");
    const answer = await post(`${service.url}/events/user_role_changed`, roleChange("demoted-user", "operator", "user"));
    expect(answer).toMatchObject({ status: 200, body: { result: { role: "user" } } });
    expect(await sessionOf("demoted-user")).toEqual(plainUser("demoted-user"));
  });

  it("keeps the current role when a stale promote is delivered after the demote that followed it", async () => {
    const uid = "flip-flop-user";
    await auth.createUser({ uid });
    // Promoted, then demoted: two updates, two events. The promote's first delivery failed (or was slow), so Hasura
    // delivers the demote first and retries the promote afterwards.
    await userRow(uid, "operator");
    await userRow(uid, "user");
    const promote = roleChange(uid, "user", "operator");
    const demote = roleChange(uid, "operator", "user");

    expect(await post(`${service.url}/events/user_role_changed`, demote)).toMatchObject({ status: 200, body: { result: { role: "user" } } });
    expect(await sessionOf(uid)).toEqual(plainUser(uid));

    const retried = await post(`${service.url}/events/user_role_changed`, { ...promote, delivery_info: { max_retries: 5, current_retry: 1 } });
    expect(retried).toMatchObject({ status: 200, body: { status: "processed", result: { userId: uid, role: "user" } } });
    expect(await sessionOf(uid)).toEqual(plainUser(uid));
    expect((await idTokenClaims(uid))[claimsKey]).toMatchObject({ "x-hasura-default-role": "user", "x-hasura-allowed-roles": ["user"] });
    expect(
      service.logs.find((line) => line.userId === uid && line.payloadRole === "operator" && line.currentRole === "user"),
    ).toMatchObject({ severity: "WARNING", message: expect.stringMatching(/stale user_role_changed delivery/) });
  });

  it("reads the role only once a concurrent delivery for the same user has finished (per-user lock)", async () => {
    const uid = "contended-user";
    await auth.createUser({ uid });
    await userRow(uid, "operator");
    // Stands in for another delivery for this user, holding the handler's lock while it runs.
    const other = new Client({ connectionString: database.url });
    await other.connect();
    try {
      await other.query("begin");
      await other.query("select pg_advisory_xact_lock(hashtextextended('pulsura.user_role:' || $1, 0))", [uid]);
      const delivery = post(`${service.url}/events/user_role_changed`, roleChange(uid, "user", "operator"));
      // Awaits the handler blocking on the lock (Postgres lists the request it cannot grant yet), rather than sleeping.
      for (const deadline = Date.now() + 10_000; ; ) {
        const waiting = await sql.query("select 1 from pg_locks where locktype = 'advisory' and not granted");
        if (waiting.rowCount) break;
        if (Date.now() > deadline) throw new Error("the delivery never waited for the per-user lock");
      }
      // The other delivery's user was demoted meanwhile; its transaction ends and releases the lock.
      await sql.query("update users set role = 'user' where id = $1", [uid]);
      await other.query("commit");
      expect(await delivery).toMatchObject({ status: 200, body: { result: { role: "user" } } });
      expect(await sessionOf(uid)).toEqual(plainUser(uid));
    } finally {
      await other.query("rollback").catch(() => undefined);
      await other.end();
    }
  });

  it("sets the plain user claims when the users row is marked deleted or gone", async () => {
    await auth.createUser({ uid: "deleted-operator" });
    await auth.setCustomUserClaims("deleted-operator", { [claimsKey]: operator("deleted-operator") });
    await userRow("deleted-operator", "operator", new Date("2026-01-01T00:00:00Z"));
    const anonymized = await post(`${service.url}/events/user_role_changed`, roleChange("deleted-operator", "user", "operator"));
    expect(anonymized).toMatchObject({ status: 200, body: { result: { role: "user" } } });
    expect(await sessionOf("deleted-operator")).toEqual(plainUser("deleted-operator"));

    await auth.createUser({ uid: "rowless-operator" });
    await auth.setCustomUserClaims("rowless-operator", { [claimsKey]: operator("rowless-operator") });
    const gone = await post(`${service.url}/events/user_role_changed`, roleChange("rowless-operator", "user", "operator"));
    expect(gone).toMatchObject({ status: 200, body: { result: { role: "user" } } });
    expect(await sessionOf("rowless-operator")).toEqual(plainUser("rowless-operator"));
  });

  it("resolves a delivery queued before admin became operator to the row's current role", async () => {
    await auth.createUser({ uid: "legacy-admin" });
    // 1735689600800_operator_role turned the row's admin into operator; the delivery still says admin.
    await userRow("legacy-admin", "operator");
    const answer = await post(`${service.url}/events/user_role_changed`, roleChange("legacy-admin", "user", "admin"));
    expect(answer).toMatchObject({ status: 200, body: { result: { role: "operator" } } });
    expect(await sessionOf("legacy-admin")).toEqual(operator("legacy-admin"));
  });

  it("finishes without retrying when the Firebase user no longer exists", async () => {
    await userRow("gone-user", "operator");
    const answer = await post(`${service.url}/events/user_role_changed`, roleChange("gone-user", "user", "operator"));
    expect(answer).toMatchObject({ status: 200, body: { status: "processed", result: { skipped: "no Firebase user" } } });
  });

  it("rejects a payload whose row has no string role", async () => {
    const answer = await post(`${service.url}/events/user_role_changed`, roleChange("promoted-user", "user", 7 as unknown as string));
    expect(answer).toMatchObject({ status: 400, body: { extensions: { code: "validation-failed", path: "$.event.data.new.role" } } });
  });
});
