/**
 * End to end through the Firebase Auth + Functions emulators (firebase-tools, offline, demo project): the deployable
 * bundle from functions/scripts/build.ts runs in the Functions emulator, the Auth emulator calls the blocking
 * function and delivers the user.create / user.delete events, and the functions call
 * test/support/hasura-graphql-stub.ts, a CONTRACT STUB of Hasura's /v1/graphql (Hasura cannot run here).
 *
 * Redeliveries (which the emulators never make by themselves: they do not retry) are posted the way the Auth emulator
 * posts its own deliveries, to the Functions emulator's multicast route.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import { EventEmitter, once } from "node:events";
import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { stripVTControlCharacters } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hasuraClaims } from "../../functions/src/claims";
import { bundleFunctions } from "../../functions/scripts/build";
import { startHasuraGraphqlStub, type HasuraGraphqlStub, type RecordedGraphqlRequest } from "../support/hasura-graphql-stub";
import { emulatorFirebaseJson } from "../../scripts/lib/dev/firebase";
import { trackProcess } from "../support/cleanup";
import { freePort } from "../support/ports";

const projectId = "demo-pulsura";
const region = "us-central1";
const repoRoot = path.resolve(__dirname, "../..");
const firebaseCli = path.join(repoRoot, "node_modules", "firebase-tools", "lib", "bin", "firebase.js");
const adminSecret = `emulator-admin-secret-${randomUUID()}`;
/** How long the emulators may take to come up, and an awaited event to arrive. Deadlines, not sleeps. */
const startDeadlineMs = 90_000;
const eventDeadlineMs = 30_000;

let hasura: HasuraGraphqlStub;
let workDir: string;
let emulators: ChildProcess | undefined;
let output = "";
const outputEvents = new EventEmitter();
let ports: { auth: number; functions: number; hub: number; logging: number; eventarc: number; tasks: number };
const timings: Record<string, number> = {};
const suiteStarted = performance.now();

/**
 * Resolves when the emulators' output (from `from` on) matches `pattern`; rejects at the deadline, when the emulators
 * exit, or when `signal` aborts.
 */
function waitForOutput(
  pattern: RegExp,
  from = 0,
  { timeoutMs = eventDeadlineMs, signal }: { timeoutMs?: number; signal?: AbortSignal } = {},
): Promise<RegExpMatchArray> {
  return new Promise((resolve, reject) => {
    const check = () => {
      const match = output.slice(from).match(pattern);
      if (!match) return;
      settle();
      resolve(match);
    };
    const fail = (error: unknown) => {
      settle();
      reject(error);
    };
    const onExit = () => fail(new Error(`emulators exited while waiting for ${pattern}:\n${output.slice(-4000)}`));
    const onAbort = () => fail(signal?.reason ?? new Error("aborted"));
    const timer = setTimeout(
      () => fail(new Error(`no ${pattern} in the emulators' output within ${timeoutMs} ms:\n${output.slice(-4000)}`)),
      timeoutMs,
    );
    const settle = () => {
      clearTimeout(timer);
      outputEvents.off("data", check);
      outputEvents.off("exit", onExit);
      signal?.removeEventListener("abort", onAbort);
    };
    outputEvents.on("data", check);
    outputEvents.on("exit", onExit);
    signal?.addEventListener("abort", onAbort, { once: true });
    check();
  });
}

function countOutput(text: string, from = 0): number {
  return output.slice(from).split(text).length - 1;
}

/** Kills the emulators and every process they started (function workers): they share our child's process group. */
function killEmulators(signal: NodeJS.Signals): void {
  if (emulators?.pid === undefined) return;
  try {
    process.kill(-emulators.pid, signal);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ESRCH") throw error;
  }
}
const killOnExit = () => killEmulators("SIGKILL");

async function writeProject(): Promise<void> {
  workDir = await mkdtemp(path.join(os.tmpdir(), "pulsura-emulators-"));
  const functionsDir = path.join(workDir, "functions");
  await mkdir(functionsDir);
  // The exact artifact Pulumi deploys: the bundle and its deploy package.json.
  const { code, packageJson } = await bundleFunctions();
  await writeFile(path.join(functionsDir, "index.js"), code);
  await writeFile(path.join(functionsDir, "package.json"), packageJson);
  // The emulator loads firebase-functions from the functions folder, as Cloud Functions would after npm install.
  await symlink(path.join(repoRoot, "node_modules"), path.join(functionsDir, "node_modules"), "dir");
  // The emulator reads secret values from .secret.local instead of Secret Manager, and plain params from .env.<project>.
  await writeFile(
    path.join(functionsDir, ".secret.local"),
    `HASURA_GRAPHQL_URL=${hasura.url}\nHASURA_GRAPHQL_ADMIN_SECRET=${adminSecret}\n`,
  );
  await writeFile(path.join(functionsDir, `.env.${projectId}`), "PULSURA_ON_USER_DELETED=delete\n");

  ports = {
    auth: await freePort(),
    functions: await freePort(),
    hub: await freePort(),
    logging: await freePort(),
    eventarc: await freePort(),
    tasks: await freePort(),
  };
  // The same emulator project `npm run dev` writes.
  await writeFile(path.join(workDir, "firebase.json"), JSON.stringify(emulatorFirebaseJson(ports), null, 2));
  await writeFile(path.join(workDir, ".firebaserc"), JSON.stringify({ projects: { default: projectId } }));
}

async function startEmulators(): Promise<void> {
  const started = performance.now();
  emulators = spawn(
    process.execPath,
    [firebaseCli, "emulators:start", "--only", "auth,functions", "--project", projectId],
    {
      cwd: workDir,
      // Own process group, so that afterAll can kill the CLI and its function workers together.
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
      env: {
        ...process.env,
        // Keep the CLI's config store out of the user's home, and skip its update check (there is no internet).
        XDG_CONFIG_HOME: path.join(workDir, ".config"),
        NO_UPDATE_NOTIFIER: "1",
        FORCE_COLOR: "0",
      },
    },
  );
  process.once("exit", killOnExit);
  trackProcess(emulators, "Firebase Auth and Functions emulators", { group: true });
  const append = (chunk: Buffer) => {
    output += stripVTControlCharacters(chunk.toString("utf8"));
    outputEvents.emit("data");
  };
  emulators.stdout?.on("data", append);
  emulators.stderr?.on("data", append);
  emulators.once("exit", () => outputEvents.emit("exit"));

  await waitForOutput(/All emulators ready/, 0, { timeoutMs: startDeadlineMs });
  timings["emulators start → ready"] = performance.now() - started;
  expect(output).toContain("Loaded functions definitions from source: beforeUserCreated, onUserCreated, onUserDeleted");
}

async function authApi<T>(method: string, body: Record<string, unknown>): Promise<T> {
  const response = await fetch(
    `http://127.0.0.1:${ports.auth}/identitytoolkit.googleapis.com/v1/accounts:${method}?key=demo-api-key`,
    { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) },
  );
  const json = (await response.json()) as T & { error?: { message: string } };
  if (!response.ok) throw new Error(`Auth emulator ${method}: HTTP ${response.status} ${JSON.stringify(json)}`);
  return json;
}

interface SignUpResponse {
  localId: string;
  idToken: string;
}

async function signUp(email: string, displayName: string): Promise<SignUpResponse> {
  return authApi<SignUpResponse>("signUp", { email, password: "correct-horse-battery", displayName, returnSecureToken: true });
}

/** Auth emulator ID tokens are unsigned JWTs: the payload is all there is to check. */
function decodeJwtPayload(token: string): Record<string, unknown> {
  const [, payload] = token.split(".");
  return JSON.parse(Buffer.from(payload ?? "", "base64url").toString("utf8")) as Record<string, unknown>;
}

interface AuthEmulatorUser {
  localId: string;
  email?: string;
  displayName?: string;
  phoneNumber?: string;
  emailVerified?: boolean;
  createdAt?: string;
  lastLoginAt?: string;
  customAttributes?: string;
}

/** The legacy (gen1) user.create event for a user, shaped as the Auth emulator delivers it. */
async function userCreatedEvent(idToken: string, eventId: string): Promise<Record<string, unknown>> {
  const { users } = await authApi<{ users: AuthEmulatorUser[] }>("lookup", { idToken });
  const user = users[0];
  if (!user) throw new Error("Auth emulator lookup returned no user");
  const isoTime = (ms?: string) => (ms ? new Date(Number(ms)).toISOString() : undefined);
  return {
    eventId,
    eventType: "providers/firebase.auth/eventTypes/user.create",
    resource: { name: `projects/${projectId}`, service: "firebaseauth.googleapis.com" },
    params: {},
    timestamp: new Date().toISOString(),
    data: {
      uid: user.localId,
      email: user.email,
      emailVerified: user.emailVerified,
      displayName: user.displayName,
      phoneNumber: user.phoneNumber,
      customClaims: JSON.parse(user.customAttributes ?? "{}") as unknown,
      metadata: { creationTime: isoTime(user.createdAt), lastSignInTime: isoTime(user.lastLoginAt) },
    },
  };
}

/**
 * Delivers an event the way the Auth emulator does: to the Functions emulator's multicast route, which runs every
 * function subscribed to the event type. Like a real delivery it is fire-and-forget; outcomes show in the stub and
 * in the emulators' output.
 */
async function deliver(event: Record<string, unknown>): Promise<void> {
  const response = await fetch(`http://127.0.0.1:${ports.functions}/functions/projects/${projectId}/trigger_multicast`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(event),
  });
  expect(await response.json()).toEqual({ status: "multicast_acknowledged" });
}

/** How the Functions emulator reports a request it could not complete (the worker died or hung up). */
const lostRequest = /Request to function failed/;

/**
 * Delivers `event` until the stub sees a request matching `handled`, as Cloud Functions retries a delivery until the
 * function succeeds. Needed here because, right after a function failed, the emulator can hand the next event to the
 * worker it is killing, and then reports that request as failed without running it.
 */
async function deliverUntilHandled(
  event: Record<string, unknown>,
  handled: (request: RecordedGraphqlRequest) => boolean,
  description: string,
): Promise<RecordedGraphqlRequest> {
  for (let attempt = 1; attempt <= 3; attempt++) {
    const from = output.length;
    const abort = new AbortController();
    await deliver(event);
    const outcome = await Promise.race([
      hasura.waitForRequest(handled, { timeoutMs: eventDeadlineMs, description, signal: abort.signal }),
      waitForOutput(lostRequest, from, { signal: abort.signal }).then(() => "lost" as const),
    ]).finally(() => abort.abort());
    if (outcome !== "lost") return outcome;
    console.log(`[emulator] delivery ${attempt} of ${description} was lost by the emulator; delivering again`);
  }
  throw new Error(`the Functions emulator lost 3 deliveries in a row (${description}):\n${output.slice(-4000)}`);
}

const finished = (name: string) => `Finished "${region}-${name}"`;

beforeAll(async () => {
  hasura = await startHasuraGraphqlStub({ adminSecret });
  await writeProject();
  await startEmulators();
});

afterAll(async () => {
  if (emulators && emulators.exitCode === null && emulators.signalCode === null) {
    const exited = once(emulators, "exit");
    killEmulators("SIGTERM");
    const deadline = setTimeout(() => killEmulators("SIGKILL"), 15_000);
    await exited;
    clearTimeout(deadline);
  }
  // Whatever is left of the group (a function worker that ignored SIGTERM) goes too.
  killEmulators("SIGKILL");
  process.off("exit", killOnExit);
  await hasura?.close();
  if (workDir) await rm(workDir, { recursive: true, force: true });
  timings["whole emulator suite"] = performance.now() - suiteStarted;
  console.log(
    Object.entries(timings)
      .map(([what, ms]) => `[emulator timing] ${what}: ${(ms / 1000).toFixed(1)} s`)
      .join("\n"),
  );
});

describe("functions in the Firebase emulators", () => {
  let alice: SignUpResponse;

  it("puts the Hasura claims in the first ID token and upserts the user exactly once", async () => {
    const created = performance.now();
    const outputBefore = output.length;
    alice = await signUp("alice@example.com", "Alice");

    const claims = decodeJwtPayload(alice.idToken);
    expect(claims).toMatchObject(hasuraClaims(alice.localId));

    const upsert = await hasura.waitForRequest(
      (r) => r.rootFields.includes("insert_users_one") && r.variables?.id === alice.localId,
      { timeoutMs: eventDeadlineMs, description: "upsert for alice" },
    );
    await waitForOutput(new RegExp(finished("onUserCreated")), outputBefore);
    timings["sign-up → upsert done"] = performance.now() - created;

    expect(upsert.headers["x-hasura-admin-secret"]).toBe(adminSecret);
    expect(upsert.variables).toStrictEqual({
      id: alice.localId,
      phone: null,
      email: "alice@example.com",
      display_name: "Alice",
    });
    expect(upsert.response).toEqual({ data: { insert_users_one: { id: alice.localId } } });
    expect(hasura.requestsFor("insert_users_one")).toHaveLength(1);
    expect(countOutput(`Beginning execution of "${region}-onUserCreated"`, outputBefore)).toBe(1);
    expect(hasura.users.get(alice.localId)).toMatchObject({ email: "alice@example.com", display_name: "Alice" });
  });

  it("leaves one row when the user.create event is delivered again", async () => {
    const rowBefore = structuredClone(hasura.users.get(alice.localId));
    const event = await userCreatedEvent(alice.idToken, `redelivery-${randomUUID()}`);
    const outputBefore = output.length;
    const upsertsForAlice = () =>
      hasura.requestsFor("insert_users_one").filter((r) => r.variables?.id === alice.localId);

    await deliver(event);
    await deliver(event);
    await hasura.waitForRequest(() => upsertsForAlice().length === 3, {
      timeoutMs: eventDeadlineMs,
      description: "two more upserts for alice",
    });
    await waitForOutput(new RegExp(`(${finished("onUserCreated")}[\\s\\S]*){2}`), outputBefore);

    const upserts = upsertsForAlice();
    expect(upserts.map((r) => r.variables)).toEqual(Array(3).fill(upserts[0]?.variables));
    expect(upserts.map((r) => r.response)).toEqual(Array(3).fill({ data: { insert_users_one: { id: alice.localId } } }));
    expect([...hasura.users.keys()]).toEqual([alice.localId]);
    expect(hasura.users.get(alice.localId)).toMatchObject({
      email: rowBefore?.email,
      display_name: rowBefore?.display_name,
      created_at: rowBefore?.created_at,
    });
  });

  it("deletes the row when the user is deleted", async () => {
    const started = performance.now();
    await authApi("delete", { idToken: alice.idToken });

    const deletion = await hasura.waitForRequest(
      (r) => r.rootFields.includes("delete_users_by_pk") && r.variables?.id === alice.localId,
      { timeoutMs: eventDeadlineMs, description: "delete for alice" },
    );
    timings["delete → row deleted"] = performance.now() - started;
    expect(deletion.variables).toStrictEqual({ id: alice.localId });
    expect(deletion.response).toEqual({ data: { delete_users_by_pk: { id: alice.localId } } });
    expect(hasura.users.has(alice.localId)).toBe(false);
  });

  it("fails the function when Hasura answers with an error, and a later delivery succeeds", async () => {
    const outputBefore = output.length;
    const failure = { kind: "graphql", code: "postgres-error", message: "stub: database unavailable" } as const;
    hasura.failNext(failure);
    const bob = await signUp("bob@example.com", "Bob");

    // The blocking function does not depend on Hasura: the sign-up and its claims succeed regardless.
    expect(decodeJwtPayload(bob.idToken)).toMatchObject(hasuraClaims(bob.localId));
    const failed = await hasura.waitForRequest(
      (r) => r.rootFields.includes("insert_users_one") && r.variables?.id === bob.localId,
      { timeoutMs: eventDeadlineMs, description: "upsert for bob" },
    );
    expect(failed.response).toEqual({
      errors: [{ message: failure.message, extensions: { code: "postgres-error", path: "$" } }],
    });
    await waitForOutput(
      /Hasura rejected UpsertUser: stub: database unavailable \[postgres-error\][\s\S]*Your function was killed because it raised an unhandled error/,
      outputBefore,
    );
    expect(hasura.users.has(bob.localId)).toBe(false);
    // Let the emulator finish with the failed request (it either completes or reports it lost) before the retry.
    await waitForOutput(new RegExp(`killed because[\\s\\S]*(${finished("onUserCreated")}|${lostRequest.source})`), outputBefore);

    // Cloud Functions would now retry the failed event; the emulator does not, so deliver it again ourselves.
    const retried = await deliverUntilHandled(
      await userCreatedEvent(bob.idToken, `retry-${randomUUID()}`),
      (r) => r.variables?.id === bob.localId && r !== failed,
      "retried upsert for bob",
    );
    expect(retried.variables).toStrictEqual(failed.variables);
    expect(retried.response).toEqual({ data: { insert_users_one: { id: bob.localId } } });
    expect(hasura.users.get(bob.localId)).toMatchObject({ email: "bob@example.com", display_name: "Bob" });
  });

  it("never writes the Hasura admin secret to the logs", () => {
    expect(output.length).toBeGreaterThan(0);
    expect(output).not.toContain(adminSecret);
  });
});
