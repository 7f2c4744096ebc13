/**
 * npm run dev's in-process job queue (services/kit/src/local-jobs.ts), on a real Postgres with the hasura/ migrations:
 * it delivers over HTTP to the service's own job route with a token of the run's key (verified by google-auth-library
 * against that key, as Google's are on Cloud Run), dedupes by name as Cloud Tasks does, and retries failures.
 */
import { generateKeyPairSync } from "node:crypto";
import { Client } from "pg";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { createIdTokenVerifier, createLocalJobQueue, defineAction, defineJob, devTokenSigner } from "@pulsura/kit";
import { startPostgres, type TestDatabase } from "../../support/postgres";
import { freePort } from "../../support/ports";
import { actionPayload, post, startTestService, userSession, type TestService } from "../support/harness";

const invoker = "dev-svc-core-tasks@demo-pulsura-services.iam.gserviceaccount.com";
const signer = devTokenSigner(generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ type: "pkcs8", format: "pem" }).toString());
let database: TestDatabase;
let sql: Client;
let service: TestService;
let queue: ReturnType<typeof createLocalJobQueue>;
let failuresLeft = 0;
let attempts: number[] = [];

const tally = defineJob({
  payload: z.object({ note: z.string() }),
  async handler({ note }, { tx, task, retryCount }) {
    attempts.push(retryCount);
    await tx.query("insert into local_job_effects (task, note) values ($1, $2)", [task, note]);
    if (failuresLeft > 0) {
      failuresLeft--;
      throw new Error("not yet");
    }
  },
});

const startTally = defineAction({
  roles: ["user"],
  input: z.object({ note: z.string(), key: z.string().nullish() }),
  handler: ({ note, key }, { jobs }) => jobs.enqueue("tally", { note }, key ? { dedupeKey: key } : {}),
});

beforeAll(async () => {
  database = await startPostgres();
  sql = new Client({ connectionString: database.url });
  await sql.connect();
  await sql.query("create table local_job_effects (task text not null, note text not null)");
  await sql.query("grant insert on local_job_effects to svc_core");
  const port = await freePort();
  const serviceUrl = `http://127.0.0.1:${port}`;
  service = await startTestService({
    name: "core",
    databaseUrl: database.serviceUrl,
    port,
    routes: { actions: { startTally }, jobs: { tally } },
    config: { serviceUrl, jobs: { queue: "projects/demo/locations/local/queues/dev-core-jobs", invoker } },
    tokens: {
      idTokenVerifier: createIdTokenVerifier({ certificates: signer.certificates }),
      jobQueue: (running) =>
        (queue = createLocalJobQueue({
          jobs: { tally },
          serviceUrl,
          queueName: "dev-core-jobs",
          invoker,
          signer,
          log: running.logger,
          retry: { maxAttempts: 3, minBackoffMs: 10, maxBackoffMs: 40 },
        })),
    },
  });
});

afterAll(async () => {
  await queue?.idle();
  await service?.close();
  await sql?.end();
  await database?.stop();
});

beforeEach(async () => {
  failuresLeft = 0;
  attempts = [];
  await sql.query("truncate local_job_effects");
});

const enqueue = (note: string, key?: string) => post<{ task: string; status: string }>(`${service.url}/actions/startTally`, actionPayload("startTally", { note, key }, userSession("u1")));
const notes = async () => (await sql.query<{ note: string }>("select note from local_job_effects order by note")).rows.map((row) => row.note);

describe("the local job queue", () => {
  it("runs an enqueued job through the service's own job route", async () => {
    expect((await enqueue("one")).body.status).toBe("enqueued");
    await queue.idle();
    expect(await notes()).toEqual(["one"]);
    expect(attempts).toEqual([0]);
  });

  it("enqueues once per dedupe key, also after the task ran (its name stays reserved)", async () => {
    const first = await enqueue("keyed", "k1");
    expect((await enqueue("keyed again", "k1")).body).toEqual({ task: first.body.task, status: "duplicate" });
    await queue.idle();
    expect((await enqueue("after", "k1")).body.status).toBe("duplicate");
    await queue.idle();
    expect(await notes()).toEqual(["keyed"]);
  });

  it("retries a failing job with backoff until it succeeds, and its failed attempts leave nothing behind", async () => {
    failuresLeft = 2;
    await enqueue("flaky");
    await queue.idle();
    expect(attempts).toEqual([0, 1, 2]);
    expect(await notes()).toEqual(["flaky"]);
  });

  it("stops after the queue's attempts, as Cloud Tasks does", async () => {
    failuresLeft = 5;
    await enqueue("hopeless");
    await queue.idle();
    expect(attempts).toEqual([0, 1, 2]);
    expect(await notes()).toEqual([]);
    expect(service.logs.find((line) => String(line.msg ?? line.message).includes("failed 3 times"))).toBeDefined();
  });
});
