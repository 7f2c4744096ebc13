/**
 * Jobs and service-to-service calls over HTTP, on a real Postgres with the hasura/ migrations. Jobs are enqueued with
 * Google's Cloud Tasks client (@google-cloud/tasks, REST transport) pointed at a local fake of the Cloud Tasks API
 * (test/services/support/cloud-tasks-fake.ts; Google has no Cloud Tasks emulator), which dispatches them back as
 * Cloud Tasks does. Every token is an RS256 JWT signed by a local key and checked by google-auth-library against that
 * key's certificate, served where the verifier fetches certificates (Google's, on Cloud Run).
 */
import { Client } from "pg";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { createIdTokenVerifier, defineAction, defineInternal, defineJob, type ServiceConfig } from "@pulsura/kit";
import { startPostgres, type TestDatabase } from "../../support/postgres";
import { freePort } from "../../support/ports";
import { startCloudTasksFake, type CloudTasksFake } from "../support/cloud-tasks-fake";
import { startTokenIssuer, type TokenIssuer } from "../support/google-id-tokens";
import { actionPayload, eventSecret, post, startTestService, userSession, type TestService } from "../support/harness";

const queue = "projects/demo-pulsura-services/locations/europe-west1/queues/demo-core-jobs";
const invoker = "demo-svc-core-tasks@demo-pulsura-services.iam.gserviceaccount.com";
const accounts = {
  core: "demo-svc-core@demo-pulsura-services.iam.gserviceaccount.com",
  billing: "demo-svc-billing@demo-pulsura-services.iam.gserviceaccount.com",
  reports: "demo-svc-reports@demo-pulsura-services.iam.gserviceaccount.com",
};

let database: TestDatabase;
let sql: Client;
let issuer: TokenIssuer;
let tasks: CloudTasksFake;
let core: TestService;
let billing: TestService;
let coreUrl: string;
let billingUrl: string;
let failuresLeft = 0;

const send_digest = defineJob({
  payload: z.object({ organizationId: z.string().min(1), note: z.string() }),
  async handler({ organizationId, note }, { tx, task, retryCount }) {
    await tx.query("insert into job_effects (task, note) values ($1, $2)", [task, `${organizationId}: ${note}`]);
    if (failuresLeft > 0) {
      failuresLeft--;
      throw new Error("mail relay unavailable");
    }
    return { retryCount };
  },
});

const requestDigest = defineAction({
  roles: ["user"],
  input: z.object({ organizationId: z.string(), note: z.string(), dedupeKey: z.string().nullish() }),
  async handler({ organizationId, note, dedupeKey }, { jobs }) {
    return jobs.enqueue("send-digest", { organizationId, note }, dedupeKey ? { dedupeKey } : {});
  },
});

const chargeFromCore = defineAction({
  roles: ["user"],
  input: z.object({ cents: z.number().int() }),
  async handler({ cents }, { services }) {
    return services.call("billing", "/internal/charge", { cents });
  },
});

const charge = defineInternal({
  callers: ["core"],
  input: z.object({ cents: z.number().int().min(1) }),
  async handler({ cents }, { callerService }) {
    return { charged: cents, by: callerService };
  },
});

function serviceConfig(url: string, overrides: Partial<ServiceConfig> = {}): Partial<ServiceConfig> {
  return { serviceUrl: url, serviceAccounts: accounts, ...overrides };
}

beforeAll(async () => {
  database = await startPostgres();
  sql = new Client({ connectionString: database.url });
  await sql.connect();
  await sql.query("create table job_effects (task text not null, note text not null)");
  await sql.query("grant insert on job_effects to svc_core");
  issuer = await startTokenIssuer();
  tasks = await startCloudTasksFake({ queues: [queue], issuer });
  const verifier = createIdTokenVerifier({ certificatesUrl: issuer.certificatesUrl });
  const [corePort, billingPort] = [await freePort(), await freePort()];
  coreUrl = `http://127.0.0.1:${corePort}`;
  billingUrl = `http://127.0.0.1:${billingPort}`;
  core = await startTestService({
    name: "core",
    databaseUrl: database.serviceUrl,
    port: corePort,
    routes: { actions: { requestDigest, chargeFromCore }, jobs: { "send-digest": send_digest } },
    config: serviceConfig(coreUrl, { jobs: { queue, invoker }, serviceUrls: { billing: billingUrl } }),
    // On Cloud Run the metadata server mints the core account's token for the audience asked.
    tokens: { idTokenVerifier: verifier, tasksClient: () => tasks.client(), idTokens: async (audience) => issuer.sign({ audience, email: accounts.core }) },
  });
  billing = await startTestService({
    name: "billing",
    databaseUrl: database.serviceUrl,
    port: billingPort,
    routes: { internal: { charge } },
    config: serviceConfig(billingUrl),
    tokens: { idTokenVerifier: verifier },
  });
});

afterAll(async () => {
  await core?.close();
  await billing?.close();
  await tasks?.close();
  await issuer?.close();
  await sql?.end();
  await database?.stop();
});

beforeEach(async () => {
  failuresLeft = 0;
  await sql.query("truncate job_effects");
});

const enqueue = (note: string, dedupeKey?: string) =>
  post<{ task: string; status: string }>(`${coreUrl}/actions/requestDigest`, actionPayload("requestDigest", { organizationId: "org-1", note, dedupeKey }, userSession("u1")));
const lastTask = () => tasks.tasks[tasks.tasks.length - 1]!;
const effects = async () => (await sql.query<{ task: string; note: string }>("select task, note from job_effects")).rows;

describe("enqueueing", () => {
  it("creates a Cloud Task from an action: a POST to the job's route with an OIDC token of the invoker for the service's URL", async () => {
    const answer = await enqueue("weekly");
    expect(answer.status).toBe(200);
    expect(answer.body.status).toBe("enqueued");
    const task = lastTask();
    expect(task.name).toBe(`${queue}/tasks/${answer.body.task}`);
    expect(task.httpRequest.url).toBe(`${coreUrl}/jobs/send-digest`);
    expect(task.httpRequest.oidcToken).toEqual({ serviceAccountEmail: invoker, audience: coreUrl });
    expect(JSON.parse(Buffer.from(task.httpRequest.body!, "base64").toString("utf8"))).toEqual({ organizationId: "org-1", note: "weekly" });
  });

  it("enqueues once per dedupe key: the second enqueue finds the name taken (ALREADY_EXISTS) and is a duplicate", async () => {
    const before = tasks.tasks.length;
    const first = await enqueue("daily", "org-1:2026-12-02");
    const second = await enqueue("daily again", "org-1:2026-12-02");
    expect(first.body.status).toBe("enqueued");
    expect(second.body).toEqual({ task: first.body.task, status: "duplicate" });
    expect(tasks.tasks.length).toBe(before + 1);
    // A hashed prefix, then the job: Cloud Tasks asks for hashed task ids.
    expect(first.body.task).toMatch(/^[0-9a-f]{32}-send-digest$/);
  });

  it("refuses a payload the job's schema rejects before anything is enqueued", async () => {
    const before = tasks.tasks.length;
    const answer = await post(`${coreUrl}/actions/requestDigest`, actionPayload("requestDigest", { organizationId: "", note: "x" }, userSession("u1")));
    expect(answer.status).toBe(500);
    expect(tasks.tasks.length).toBe(before);
    expect(core.logs.find((line) => String((line.err as { message?: string } | undefined)?.message).includes("does not match the job's schema"))).toBeDefined();
  });
});

describe("job deliveries", () => {
  it("runs the job for Cloud Tasks' token of the invoker account and logs the retry count", async () => {
    await enqueue("run me");
    const delivered = await tasks.dispatch(lastTask());
    expect(delivered).toEqual({ status: 200, body: { status: "processed", result: { retryCount: 0 } } });
    expect(await effects()).toEqual([{ task: lastTask().name.split("/").pop(), note: "org-1: run me" }]);
    expect(core.logs.find((line) => line.job === "send-digest" && line.retryCount === 0 && line.task === lastTask().name.split("/").pop())).toBeDefined();
  });

  it("runs at most once per task name: a repeated delivery is answered as a duplicate without running", async () => {
    await enqueue("once", "once-key");
    const task = lastTask();
    expect((await tasks.dispatch(task)).status).toBe(200);
    task.done = false;
    expect(await tasks.dispatch(task)).toEqual({ status: 200, body: { status: "duplicate" } });
    expect(await effects()).toHaveLength(1);
  });

  it("answers a failing job 500, rolls its writes back, and runs it on Cloud Tasks' retry", async () => {
    failuresLeft = 1;
    await enqueue("flaky");
    const task = lastTask();
    expect((await tasks.dispatch(task)).status).toBe(500);
    expect(await effects()).toEqual([]);
    expect(await tasks.dispatch(task)).toEqual({ status: 200, body: { status: "processed", result: { retryCount: 1 } } });
    expect(await effects()).toHaveLength(1);
    expect(core.logs.find((line) => line.job === "send-digest" && line.retryCount === 0 && line.severity === "ERROR")).toBeDefined();
  });

  it("refuses a token for another audience (401) and runs nothing", async () => {
    await enqueue("wrong audience");
    const answer = await tasks.dispatch(lastTask(), { token: issuer.sign({ audience: billingUrl, email: invoker }) });
    expect(answer.status).toBe(401);
    expect(await effects()).toEqual([]);
  });

  it("refuses a valid token of any account but the invoker, the service's own account too (403)", async () => {
    await enqueue("wrong caller");
    for (const email of [accounts.core, accounts.billing]) {
      expect((await tasks.dispatch(lastTask(), { token: issuer.sign({ audience: coreUrl, email }) })).status).toBe(403);
    }
    expect((await tasks.dispatch(lastTask(), { token: issuer.sign({ audience: coreUrl, email: invoker, emailVerified: false }) })).status).toBe(403);
    expect(await effects()).toEqual([]);
  });

  it("refuses a delivery without a token (401), and never admits the Hasura event secret", async () => {
    await enqueue("no token");
    expect((await tasks.dispatch(lastTask(), { token: null })).status).toBe(401);
    const withSecret = await post(`${coreUrl}/jobs/send-digest`, { organizationId: "org-1", note: "secret" }, { headers: { "x-cloudtasks-taskname": "forged" } });
    expect(withSecret.status).toBe(401);
    expect(eventSecret).toBeTruthy();
    expect(await effects()).toEqual([]);
  });
});

describe("internal calls", () => {
  it("accepts an ID token of an allowed caller: core calls billing with services.call", async () => {
    const answer = await post(`${coreUrl}/actions/chargeFromCore`, actionPayload("chargeFromCore", { cents: 250 }, userSession("u1")));
    expect(answer).toMatchObject({ status: 200, body: { charged: 250, by: "core" } });
  });

  it("refuses other services' tokens (403), other audiences and missing tokens (401), and the event secret", async () => {
    const call = (token: string | null, secret: string | null = null) =>
      post(`${billingUrl}/internal/charge`, { cents: 1 }, { secret, headers: token ? { authorization: `Bearer ${token}` } : {} });
    expect((await call(issuer.sign({ audience: billingUrl, email: accounts.reports }))).status).toBe(403);
    expect((await call(issuer.sign({ audience: billingUrl, email: "someone@example.com" }))).status).toBe(403);
    expect((await call(issuer.sign({ audience: coreUrl, email: accounts.core }))).status).toBe(401);
    expect((await call(issuer.sign({ audience: billingUrl, email: accounts.core, issuer: "https://evil.example" }))).status).toBe(401);
    expect((await call(null)).status).toBe(401);
    expect((await call(null, eventSecret)).status).toBe(401);
    expect((await call(issuer.sign({ audience: billingUrl, email: accounts.core }))).status).toBe(200);
  });
});
