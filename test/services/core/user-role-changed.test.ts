/**
 * user_role_changed against the Firebase Auth emulator (offline, demo project): the new role lands in the user's
 * custom claims under Hasura's namespace, other claims survive, refresh tokens are revoked, and a fresh ID token
 * carries the new role.
 */
import * as path from "node:path";
import type { Auth } from "firebase-admin/auth";
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

beforeAll(async () => {
  [database, emulator] = await Promise.all([startPostgres(), startAuthEmulator(projectId)]);
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

function roleChange(uid: string, from: string, to: string) {
  return eventPayload({
    trigger: "user_role_changed",
    op: "UPDATE",
    old: { id: uid, role: from, email: null },
    new: { id: uid, role: to, email: null },
    session: { "x-hasura-role": "admin" },
  });
}

describe("user_role_changed", () => {
  it("puts the new role in the Hasura claims, keeps other claims, and revokes refresh tokens", async () => {
    // Created without a password, the account has no tokens-valid-after time until something revokes tokens.
    const user = await auth.createUser({ uid: "promoted-user" });
    expect(user.tokensValidAfterTime).toBeUndefined();
    await auth.setCustomUserClaims(user.uid, { plan: "pro" });

    const answer = await post(`${service.url}/events/user_role_changed`, roleChange(user.uid, "user", "admin"));
    expect(answer).toMatchObject({ status: 200, body: { status: "processed", result: { userId: user.uid, role: "admin" } } });

    const updated = await auth.getUser(user.uid);
    expect(updated.customClaims).toEqual({
      plan: "pro",
      [claimsKey]: {
        "x-hasura-default-role": "admin",
        "x-hasura-allowed-roles": ["user", "admin"],
        "x-hasura-user-id": user.uid,
      },
    });
    expect(updated.tokensValidAfterTime).toBeDefined();

    const token = await idTokenClaims(user.uid);
    expect(token[claimsKey]).toMatchObject({ "x-hasura-default-role": "admin", "x-hasura-allowed-roles": ["user", "admin"] });
  });

  it("gives a demoted user back the user role only", async () => {
    await auth.createUser({ uid: "demoted-user" });
    const answer = await post(`${service.url}/events/user_role_changed`, roleChange("demoted-user", "admin", "user"));
    expect(answer.status).toBe(200);
    const updated = await auth.getUser("demoted-user");
    expect(updated.customClaims?.[claimsKey]).toEqual({
      "x-hasura-default-role": "user",
      "x-hasura-allowed-roles": ["user"],
      "x-hasura-user-id": "demoted-user",
    });
  });

  it("finishes without retrying when the Firebase user no longer exists", async () => {
    const answer = await post(`${service.url}/events/user_role_changed`, roleChange("gone-user", "user", "admin"));
    expect(answer).toMatchObject({ status: 200, body: { status: "processed", result: { skipped: "no Firebase user" } } });
  });

  it("rejects a row whose role is not a known global role", async () => {
    const answer = await post(`${service.url}/events/user_role_changed`, roleChange("promoted-user", "user", "superuser"));
    expect(answer).toMatchObject({ status: 400, body: { extensions: { code: "validation-failed", path: "$.event.data.new.role" } } });
  });
});
