/**
 * Core's example job over HTTP: exportOrganization enqueues export-organization through Google's Cloud Tasks client
 * (pointed at the local fake of the Cloud Tasks API, test/services/support/cloud-tasks-fake.ts: Google has no Cloud
 * Tasks emulator), and the fake's delivery, with an OIDC token of the jobs invoker signed by a local key, writes the
 * organization's export to the files bucket (firebase-tools' Storage emulator) and marks its file uploaded. Postgres is
 * set up as Cloud SQL (svc_core with its roles only).
 */
import * as path from "node:path";
import { Storage } from "@google-cloud/storage";
import { Client } from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createIdTokenVerifier } from "@pulsura/kit";
import { loadService } from "@pulsura/kit/dev";
import { startPostgres, type TestDatabase } from "../../support/postgres";
import { freePort } from "../../support/ports";
import { startCloudTasksFake, type CloudTasksFake } from "../support/cloud-tasks-fake";
import { startTokenIssuer, type TokenIssuer } from "../support/google-id-tokens";
import { actionPayload, post, startTestService, userSession, type TestService } from "../support/harness";
import { startTestStorage, type TestStorage } from "../support/storage-emulator";

const bucket = "pulsura-test-exports";
const queue = "projects/demo-pulsura-services/locations/europe-west1/queues/demo-core-jobs";
const invoker = "demo-svc-core-tasks@demo-pulsura-services.iam.gserviceaccount.com";

let database: TestDatabase;
let sql: Client;
let storage: TestStorage;
let issuer: TokenIssuer;
let tasks: CloudTasksFake;
let service: TestService;
let org: string;

beforeAll(async () => {
  storage = await startTestStorage();
  Object.assign(process.env, {
    STORAGE_EMULATOR_HOST: storage.url,
    PULSURA_FILES_BUCKET: bucket,
    PULSURA_UPLOAD_CONTENT_TYPES: "application/json",
    PULSURA_UPLOAD_MAX_BYTES: "1000000",
    PULSURA_UPLOAD_URL_SECONDS: "900",
    PULSURA_DOWNLOAD_URL_SECONDS: "300",
  });
  database = await startPostgres();
  sql = new Client({ connectionString: database.url });
  await sql.connect();
  await sql.query("insert into users (id, email) values ('alice', null), ('bob', null)");
  org = (await sql.query<{ id: string }>("insert into organizations (name, created_by) values ('Acme', 'alice') returning id")).rows[0]!.id;
  await sql.query("insert into memberships (organization_id, user_id, role) values ($1, 'alice', 'owner'), ($1, 'bob', 'member')", [org]);
  await sql.query("insert into files (owner_id, organization_id, name, content_type, size_bytes, status) values ('bob', $1, 'plan.pdf', 'application/pdf', 10, 'uploaded')", [org]);

  issuer = await startTokenIssuer();
  tasks = await startCloudTasksFake({ queues: [queue], issuer });
  const port = await freePort();
  const serviceUrl = `http://127.0.0.1:${port}`;
  const core = await loadService(path.resolve(__dirname, "../../../services/core"));
  service = await startTestService({
    name: "core",
    databaseUrl: database.serviceUrl,
    port,
    routes: core.routes,
    config: { serviceUrl, jobs: { queue, invoker } },
    tokens: { idTokenVerifier: createIdTokenVerifier({ certificatesUrl: issuer.certificatesUrl }), tasksClient: () => tasks.client() },
  });
});

afterAll(async () => {
  await service?.close();
  await tasks?.close();
  await issuer?.close();
  await sql?.end();
  await database?.stop();
  await storage?.close();
});

const exportOrganization = (user: string) =>
  post<{ fileId: string; status: string }>(`${service.url}/actions/exportOrganization`, actionPayload("exportOrganization", { organizationId: org }, userSession(user)));

describe("exportOrganization and its job", () => {
  it("refuses a member who is not an owner or admin, and enqueues nothing", async () => {
    const before = tasks.tasks.length;
    expect(await exportOrganization("bob")).toMatchObject({ status: 403, body: { extensions: { code: "access-denied" } } });
    expect(tasks.tasks.length).toBe(before);
  });

  it("writes the export to the files bucket in the background and marks the file uploaded, once", async () => {
    const started = await exportOrganization("alice");
    expect(started).toMatchObject({ status: 200, body: { status: "started" } });
    const { fileId } = started.body;
    const pending = (await sql.query("select status, content_type from files where id = $1", [fileId])).rows[0];
    expect(pending).toEqual({ status: "pending", content_type: "application/json" });

    const task = tasks.tasks[tasks.tasks.length - 1]!;
    expect(task.httpRequest.url).toBe(`${service.url}/jobs/export-organization`);
    expect(task.httpRequest.oidcToken?.serviceAccountEmail).toBe(invoker);
    expect(await tasks.dispatch(task)).toMatchObject({ status: 200, body: { status: "processed" } });

    const row = (await sql.query<{ status: string; object_path: string; size_bytes: string }>("select status, object_path, size_bytes::text from files where id = $1", [fileId])).rows[0]!;
    expect(row.status).toBe("uploaded");
    const [contents] = await new Storage({ projectId: "demo-pulsura-services" }).bucket(bucket).file(row.object_path).download();
    expect(Number(row.size_bytes)).toBe(contents.length);
    const exported = JSON.parse(contents.toString("utf8")) as { organization: { name: string }; members: Array<{ user_id: string; role: string }>; files: Array<{ name: string }> };
    expect(exported.organization.name).toBe("Acme");
    expect(exported.members.map((m) => `${m.user_id}:${m.role}`).sort()).toEqual(["alice:owner", "bob:member"]);
    expect(exported.files.map((f) => f.name)).toEqual(["plan.pdf"]);

    // Cloud Tasks delivers at least once: the repeat is recorded as a duplicate and changes nothing.
    task.done = false;
    expect(await tasks.dispatch(task)).toMatchObject({ status: 200, body: { status: "duplicate" } });
  });
});
