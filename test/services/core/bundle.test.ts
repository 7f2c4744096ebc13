/**
 * The core service as it ships: bundled by `@pulsura/kit/build` into one file, run with `node` as a child process
 * against Postgres. Start-up (config validation, drift check from the embedded metadata), serving, and SIGTERM
 * with a request in flight.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Client } from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildService, type BuildResult } from "@pulsura/kit/build";
import { startPostgres, type TestDatabase } from "../../support/postgres";
import { startAuthEmulator, type AuthEmulator } from "../support/auth-emulator";
import { spawnService, type ChildService } from "../support/child-service";
import { handlerNamesOf } from "../support/handler-files";
import { actionPayload, eventPayload, eventSecret, get, post, userSession } from "../support/harness";

const projectId = "demo-pulsura-bundle";
let database: TestDatabase;
let emulator: AuthEmulator;
let bundle: BuildResult;
let outdir: string;
const children: ChildService[] = [];
// Every handler in services/core/src, as the tree lists it: `npm run new` adding one must not break these tests.
const coreHandlers = handlerNamesOf(path.resolve(__dirname, "../../../services/core"));

function serviceEnv(overrides: Record<string, string> = {}): Record<string, string> {
  return {
    PORT: "0",
    DATABASE_URL: database.serviceUrl,
    PULSURA_EVENT_SECRET: eventSecret,
    HASURA_GRAPHQL_URL: "http://127.0.0.1:9/v1/graphql",
    HASURA_GRAPHQL_ADMIN_SECRET: "test-admin-secret",
    GOOGLE_CLOUD_PROJECT: projectId,
    LOG_LEVEL: "debug",
    ...overrides,
  };
}

/** Starts the service as the image does: start.js, which loads index.js with V8's code cache. */
function start(env: Record<string, string>): ChildService {
  const child = spawnService(bundle.entry, env);
  children.push(child);
  return child;
}

beforeAll(async () => {
  outdir = fs.mkdtempSync(path.join(os.tmpdir(), "pulsura-core-bundle-"));
  [database, bundle, emulator] = await Promise.all([
    startPostgres(),
    buildService({ serviceDir: path.resolve(__dirname, "../../../services/core"), outdir }),
    startAuthEmulator(projectId),
  ]);
});

afterAll(async () => {
  await Promise.all(children.map((child) => child.kill()));
  await emulator?.stop();
  await database?.stop();
  fs.rmSync(outdir, { recursive: true, force: true });
});

describe("the core bundle", () => {
  it("trusts Google's keys only for push tokens: npm run dev's certificate variable is not in the shipped code", () => {
    const code = fs.readFileSync(path.join(outdir, "index.js"), "utf8");
    // The push verifier is there (the bundle has push routes), the dev override of its certificates is not.
    expect(code).toContain("oauth2FederatedSignonPemCertsUrl");
    expect(code).not.toContain("PULSURA_DEV_PUSH_CERTIFICATES_URL");
  });

  it("is one JavaScript file with its source map and code cache, started by a loader, with every handler in its route table", () => {
    expect(fs.readdirSync(outdir).sort()).toEqual(["index.js", "index.js.cache", "index.js.map", "start.js"]);
    expect(bundle.entry).toBe(path.join(outdir, "start.js"));
    const routed = bundle.handlers.map((handler) => `${handler.kind}:${handler.name}`);
    expect(routed).toEqual([
      ...coreHandlers.actions.map((name) => `action:${name}`),
      ...coreHandlers.events.map((name) => `event:${name}`),
      ...coreHandlers.crons.map((name) => `cron:${name}`),
      ...coreHandlers.push.map((name) => `push:${name}`),
      ...coreHandlers.jobs.map((name) => `job:${name}`),
      ...coreHandlers.internal.map((name) => `internal:${name}`),
    ]);
    expect(routed).toEqual(expect.arrayContaining(["action:createOrganization", "action:whoami", "event:user_role_changed", "cron:purge_processed_deliveries"]));
  });

  it("starts (drift check from the embedded metadata passes) and serves without the hasura/ folder or node_modules", async () => {
    // Copied where no node_modules or hasura/ can be found above it.
    const isolated = fs.mkdtempSync(path.join(os.tmpdir(), "pulsura-core-isolated-"));
    for (const file of ["index.js", "index.js.cache", "start.js"]) fs.copyFileSync(path.join(outdir, file), path.join(isolated, file));
    const child = spawnService(path.join(isolated, "start.js"), serviceEnv({ PULSURA_CODE_CACHE_REPORT: "1" }));
    children.push(child);
    try {
      const url = await child.url();
      expect(await get(`${url}/healthz`)).toMatchObject({ status: 200, body: { status: "ok" } });
      expect(await get(`${url}/readyz`)).toMatchObject({ status: 200 });
      // The cache was made by this Node during the build, so V8 must take it (a rejected cache only costs speed).
      expect(child.stderr()).toContain("code cache: accepted");
      const whoami = await post(`${url}/actions/whoami`, actionPayload("whoami", {}, userSession("u-bundle")));
      expect(whoami).toMatchObject({ status: 200, body: { userId: "u-bundle", role: "user" } });
      expect(child.logs.find((line) => line.message === "listening")).toMatchObject({
        severity: "INFO",
        routes: coreHandlers,
      });
    } finally {
      await child.kill();
      fs.rmSync(isolated, { recursive: true, force: true });
    }
  });

  it("keeps zod's English messages and logs stack traces mapped back to the TypeScript sources", async () => {
    const sql = new Client({ connectionString: database.url });
    await sql.connect();
    const child = start(serviceEnv());
    try {
      const url = await child.url();
      const invalid = await post(`${url}/actions/whoami`, { action: { name: "whoami" }, input: {} });
      expect(invalid).toMatchObject({
        status: 400,
        body: { message: "$.session_variables: Invalid input: expected record, received undefined", extensions: { path: "$.session_variables" } },
      });

      // A failure inside the handler's transaction, from the database.
      await sql.query(`
        create function test_refuse_organization() returns trigger language plpgsql as $$
        begin raise exception 'organization refused by test'; end $$;
        create trigger test_refuse_organization before insert on organizations for each row execute function test_refuse_organization();
      `);
      await sql.query("insert into users (id) values ('stack-user') on conflict do nothing");
      const failed = await post(`${url}/actions/createOrganization`, actionPayload("createOrganization", { name: "Refused" }, userSession("stack-user")));
      expect(failed.status).toBe(500);
      const logged = await child.waitForLog((line) => line.message === "action createOrganization failed", "the failure");
      const stack = (logged.err as { stack: string }).stack;
      expect(stack).toContain("organization refused by test");
      expect(stack).toMatch(/services\/core\/src\/actions\/createOrganization\.ts:\d+:\d+/);
      expect(stack).not.toContain(`${bundle.outfile}:`);
    } finally {
      await sql.query("drop trigger if exists test_refuse_organization on organizations; drop function if exists test_refuse_organization()");
      await sql.end();
      await child.kill();
    }
  });

  it("loads Firebase Admin on first use: user_role_changed sets the claims from the bundle", async () => {
    const child = start(serviceEnv({ FIREBASE_AUTH_EMULATOR_HOST: emulator.host }));
    const url = await child.url();
    const { getApps, initializeApp } = await import("firebase-admin/app");
    const { getAuth } = await import("firebase-admin/auth");
    process.env.FIREBASE_AUTH_EMULATOR_HOST = emulator.host;
    const auth = getAuth(getApps().find((app) => app.name === "bundle-test") ?? initializeApp({ projectId }, "bundle-test"));
    await auth.createUser({ uid: "bundle-operator" });
    // The handler reads the current role from the users row (as svc_core), not from the payload.
    const sql = new Client({ connectionString: database.url });
    await sql.connect();
    try {
      await sql.query("insert into users (id, role) values ('bundle-operator', 'operator') on conflict (id) do update set role = 'operator'");
    } finally {
      await sql.end();
    }

    const delivery = eventPayload({
      trigger: "user_role_changed",
      op: "UPDATE",
      old: { id: "bundle-operator", role: "user" },
      new: { id: "bundle-operator", role: "operator" },
    });
    const answer = await post(`${url}/events/user_role_changed`, delivery);
    expect(answer).toMatchObject({ status: 200, body: { status: "processed", result: { role: "operator" } } });
    expect((await auth.getUser("bundle-operator")).customClaims).toEqual({
      "https://hasura.io/jwt/claims": {
        "x-hasura-default-role": "operator",
        "x-hasura-allowed-roles": ["user", "operator"],
        "x-hasura-user-id": "bundle-operator",
      },
    });
  });

  it("exits 1 with every configuration problem named when the environment is incomplete", async () => {
    const child = start({ PORT: "0", PULSURA_EVENT_SECRET: "short" });
    expect(await child.exited).toBe(1);
    expect(child.stderr()).toContain("core: Invalid service configuration:");
    expect(child.stderr()).toContain("DATABASE_URL is required");
    expect(child.stderr()).toContain("PULSURA_EVENT_SECRET must be at least 16 characters");
    expect(child.stderr()).toContain("HASURA_GRAPHQL_URL");
  });

  it("on SIGTERM stops accepting, finishes the request in flight, closes the pool and exits 0", async () => {
    const sql = new Client({ connectionString: database.url });
    await sql.connect();
    try {
      await sql.query("insert into users (id) values ('sigterm-user') on conflict do nothing");
      const child = start(serviceEnv());
      const url = await child.url();

      // Hold the organizations table so createOrganization blocks inside its transaction until we let go.
      await sql.query("begin; lock table organizations in exclusive mode");
      const inFlight = post<{ id: string }>(`${url}/actions/createOrganization`, actionPayload("createOrganization", { name: "Draining" }, userSession("sigterm-user")));
      await child.waitForLog((line) => line.message === "action started", '"action started"');

      child.child.kill("SIGTERM");
      await child.waitForLog((line) => line.message === "stopped accepting requests; finishing in-flight ones", "the shutdown start");
      // A new request is refused: the listener is closed (connection refused), or a kept-alive socket gets a 503.
      const late = await fetch(`${url}/healthz`).then(
        (response) => response.status,
        (error: Error) => (error.cause as { code?: string } | undefined)?.code ?? error.message,
      );
      expect([503, "ECONNREFUSED", "ECONNRESET", "UND_ERR_SOCKET"]).toContain(late);
      expect(child.child.exitCode).toBeNull();

      await sql.query("commit");
      const answer = await inFlight;
      expect(answer.status).toBe(200);
      expect(await child.exited).toBe(0);
      expect(child.logs.map((line) => line.message)).toContain("stopped");
      const created = await sql.query("select name from organizations where id = $1", [answer.body.id]);
      expect(created.rows).toEqual([{ name: "Draining" }]);
    } finally {
      await sql.end();
    }
  });
});
