/**
 * Files through signed URLs, over HTTP against the core service on Postgres set up as Cloud SQL (svc_core with its
 * granted roles): createUploadUrl, createDownloadUrl, the bucket's finalize push, the file_deleted event. Signing is
 * local with a test service-account key (GOOGLE_APPLICATION_CREDENTIALS); Cloud Storage is firebase-tools' Storage
 * emulator (test/services/support/storage-emulator.ts); Pub/Sub's push tokens are real RS256 JWTs signed by a test key whose
 * certificate google-auth-library fetches from a local URL, as it fetches Google's.
 */
import { createSign, generateKeyPairSync, randomUUID } from "node:crypto";
import * as fs from "node:fs";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { Client } from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkServiceEnvironments, ConfigError, createPushTokenVerifier } from "@pulsura/kit";
import { loadService } from "@pulsura/kit/dev";
import { hasuraProjectDir, readMetadata } from "../../../infra/hasura/project";
import { loadPermissions } from "../../support/hasura-permissions";
import { startPostgres, type TestDatabase } from "../../support/postgres";
import { actionPayload, cronPayload, eventPayload, post, startTestService, userSession, type TestService } from "../support/harness";
import { startTestStorage, type TestStorage } from "../support/storage-emulator";
import { checkV4Signature } from "../../../scripts/lib/dev/v4-signature";

const bucket = "pulsura-test-files";
const signer = "core@demo-pulsura-services.iam.gserviceaccount.com";
const pushAccount = "storage-push@demo-pulsura-services.iam.gserviceaccount.com";
const audience = "https://core.example.run.app";

let database: TestDatabase;
let service: TestService;
let storage: TestStorage;
let certificates: http.Server;
let sql: Client;
let tmp: string;
let org: string;
const pushKey = generateKeyPairSync("rsa", { modulusLength: 2048 });
/** The core service's signing key in these tests (on Cloud Run: none; IAM signBlob signs as the service account). */
const signingKey = generateKeyPairSync("rsa", { modulusLength: 2048 });

/**
 * Whether a V4 signed URL's signature holds for a request with exactly these headers, checked as Cloud Storage checks it
 * (scripts/lib/dev/v4-signature.ts, itself tested against the Storage client's signing in test/dev/storage.test.ts).
 */
function signatureHolds(signedUrl: string, method: string, headers: Record<string, string>): boolean {
  const url = new URL(signedUrl);
  const request = { method, url: `${url.pathname}${url.search}`, headers: { host: url.host, ...headers } };
  return checkV4Signature(request, { email: signer, publicKey: signingKey.publicKey }) === undefined;
}

function base64url(value: string | Buffer): string {
  return Buffer.from(value).toString("base64url");
}

/** A Google-style ID token as Pub/Sub sends it, signed by the test key. */
function pushToken(claims: Record<string, unknown> = {}): string {
  const now = Math.floor(Date.now() / 1000);
  const header = base64url(JSON.stringify({ alg: "RS256", kid: "test-kid", typ: "JWT" }));
  const payload = base64url(
    JSON.stringify({ iss: "https://accounts.google.com", aud: audience, sub: "1234", email: pushAccount, email_verified: true, iat: now, exp: now + 600, ...claims }),
  );
  const signature = createSign("RSA-SHA256").update(`${header}.${payload}`).sign(pushKey.privateKey);
  return `${header}.${payload}.${base64url(signature)}`;
}

function finalizePush(objectName: string, object: { size: number; contentType: string }, eventType = "OBJECT_FINALIZE") {
  const resource = { kind: "storage#object", bucket, name: objectName, size: String(object.size), contentType: object.contentType, generation: "1" };
  return {
    message: {
      data: Buffer.from(JSON.stringify(resource)).toString("base64"),
      attributes: { eventType, bucketId: bucket, objectId: objectName, objectGeneration: "1", payloadFormat: "JSON_API_V1" },
      messageId: randomUUID(),
      publishTime: new Date().toISOString(),
    },
    subscription: "projects/demo/subscriptions/files-finalized",
  };
}

const push = (body: unknown, token: string | null = pushToken()) =>
  post(`${service.url}/push/storage-object-finalized`, body, { secret: null, headers: token ? { authorization: `Bearer ${token}` } : {} });

const createUpload = (input: Record<string, unknown>, session = userSession("alice")) =>
  post<{ fileId: string; uploadUrl: string; expiresAt: string }>(`${service.url}/actions/createUploadUrl`, actionPayload("createUploadUrl", input, session));
const createDownload = (fileId: string, session = userSession("alice")) =>
  post<{ downloadUrl: string; expiresAt: string }>(`${service.url}/actions/createDownloadUrl`, actionPayload("createDownloadUrl", { fileId }, session));

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "pulsura-files-"));
  const keyFile = path.join(tmp, "key.json");
  fs.writeFileSync(
    keyFile,
    JSON.stringify({ type: "service_account", project_id: "demo-pulsura-services", client_email: signer, private_key: signingKey.privateKey.export({ type: "pkcs8", format: "pem" }) }),
  );
  storage = await startTestStorage();
  Object.assign(process.env, {
    GOOGLE_APPLICATION_CREDENTIALS: keyFile,
    STORAGE_EMULATOR_HOST: storage.url,
    PULSURA_FILES_BUCKET: bucket,
    PULSURA_UPLOAD_CONTENT_TYPES: "image/png, application/pdf",
    PULSURA_UPLOAD_MAX_BYTES: "1000",
    PULSURA_UPLOAD_URL_SECONDS: "900",
    PULSURA_DOWNLOAD_URL_SECONDS: "300",
  });
  certificates = http.createServer((_request, response) => {
    response.writeHead(200, { "content-type": "application/json", "cache-control": "public, max-age=3600" });
    response.end(JSON.stringify({ "test-kid": pushKey.publicKey.export({ type: "spki", format: "pem" }) }));
  });
  await new Promise<void>((resolve) => certificates.listen(0, "127.0.0.1", resolve));
  const certificatesUrl = `http://127.0.0.1:${(certificates.address() as AddressInfo).port}/certs`;

  database = await startPostgres();
  sql = new Client({ connectionString: database.url });
  await sql.connect();
  await sql.query("insert into users (id, email) values ('alice', null), ('bob', null), ('otto', null)");
  await sql.query("update users set role = 'operator' where id = 'otto'");
  org = (await sql.query<{ id: string }>("insert into organizations (name, created_by) values ('Acme', 'alice') returning id")).rows[0]!.id;
  await sql.query("insert into memberships (organization_id, user_id, role) values ($1, 'alice', 'owner')", [org]);

  const core = await loadService(path.resolve(__dirname, "../../../services/core"));
  service = await startTestService({
    name: "core",
    databaseUrl: database.serviceUrl,
    routes: core.routes,
    pushTokenVerifier: createPushTokenVerifier({ audience, serviceAccount: pushAccount }, { certificatesUrl }),
  });
});

afterAll(async () => {
  await service?.close();
  await sql?.end();
  await database?.stop();
  await storage?.close();
  await new Promise((resolve) => (certificates ? certificates.close(resolve) : resolve(undefined)));
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

async function fileRow(id: string) {
  return (await sql.query("select status, object_path, content_type, size_bytes::int as size, uploaded_at from files where id = $1", [id])).rows[0];
}

describe("createUploadUrl", () => {
  it("creates a pending row and a V4 signed PUT for uploads/<object_path>, bound to the type and exact size", async () => {
    const before = Date.now();
    const answer = await createUpload({ name: "report.pdf", contentType: "application/pdf", size: 700, organizationId: org });
    expect(answer.status).toBe(200);
    const row = await fileRow(answer.body.fileId);
    expect(row).toMatchObject({ status: "pending", object_path: `organizations/${org}/${answer.body.fileId}`, content_type: "application/pdf", size: 700 });

    const url = new URL(answer.body.uploadUrl);
    expect(decodeURIComponent(url.pathname)).toBe(`/${bucket}/uploads/organizations/${org}/${answer.body.fileId}`);
    expect(url.searchParams.get("X-Goog-Algorithm")).toBe("GOOG4-RSA-SHA256");
    expect(url.searchParams.get("X-Goog-Credential")).toMatch(new RegExp(`^${signer}/\\d{8}/auto/storage/goog4_request$`));
    expect(url.searchParams.get("X-Goog-Expires")).toBe("900");
    expect(url.searchParams.get("X-Goog-SignedHeaders")!.split(";").sort()).toEqual(["content-type", "host", "x-goog-content-length-range"]);
    expect(url.searchParams.get("X-Goog-Signature")).toMatch(/^[0-9a-f]{512}$/);
    // The signature holds for a PUT of exactly that type and size, and for nothing else.
    const upload = { "content-type": "application/pdf", "x-goog-content-length-range": "700,700" };
    expect(signatureHolds(answer.body.uploadUrl, "PUT", upload)).toBe(true);
    expect(signatureHolds(answer.body.uploadUrl, "PUT", { ...upload, "content-type": "text/html" })).toBe(false);
    expect(signatureHolds(answer.body.uploadUrl, "PUT", { ...upload, "x-goog-content-length-range": "0,1000000" })).toBe(false);
    expect(signatureHolds(answer.body.uploadUrl, "GET", upload)).toBe(false);
    const expiresAt = Date.parse(answer.body.expiresAt);
    expect(expiresAt).toBeGreaterThanOrEqual(before + 900_000 - 1000);
    expect(expiresAt).toBeLessThanOrEqual(Date.now() + 900_000 + 1000);
  });

  it("refuses a content type not in PULSURA_UPLOAD_CONTENT_TYPES (415) and a size above the max (413), writing nothing", async () => {
    const count = async () => Number((await sql.query("select count(*) from files")).rows[0].count);
    const start = await count();
    expect(await createUpload({ name: "x.exe", contentType: "application/x-msdownload", size: 10 })).toMatchObject({
      status: 415,
      body: { extensions: { code: "unsupported-content-type" } },
    });
    expect(await createUpload({ name: "big.png", contentType: "image/png", size: 1001 })).toMatchObject({ status: 413, body: { extensions: { code: "file-too-large" } } });
    expect(await count()).toBe(start);
  });

  it("refuses another organization's scope (403) and roles other than user", async () => {
    expect(await createUpload({ name: "a.png", contentType: "image/png", size: 1, organizationId: org }, userSession("bob"))).toMatchObject({
      status: 403,
      body: { extensions: { code: "access-denied" } },
    });
    expect(await createUpload({ name: "a.png", contentType: "image/png", size: 1 }, { "x-hasura-role": "operator", "x-hasura-user-id": "otto" })).toMatchObject({ status: 403 });
    expect(await createUpload({ name: "a.png", contentType: "image/png", size: 1 }, { "x-hasura-role": "anonymous" })).toMatchObject({ status: 403 });
  });
});

describe("the finalize push and downloads", () => {
  it("confirms a matching upload: moves the object, marks the row uploaded, and then serves a signed GET", async () => {
    const { body } = await createUpload({ name: "me.png", contentType: "image/png", size: 42 });
    const objectPath = `users/alice/${body.fileId}`;
    // Before confirmation nobody downloads it.
    expect(await createDownload(body.fileId)).toMatchObject({ status: 404, body: { extensions: { code: "not-found" } } });

    await storage.put(`${bucket}/uploads/${objectPath}`, { size: 42, contentType: "image/png" });
    const message = finalizePush(`uploads/${objectPath}`, { size: 42, contentType: "image/png" });
    expect(await push(message)).toMatchObject({ status: 200, body: { status: "processed", result: { status: "uploaded" } } });
    expect(await storage.has(`${bucket}/${objectPath}`)).toBe(true);
    expect(await storage.has(`${bucket}/uploads/${objectPath}`)).toBe(false);
    expect(await fileRow(body.fileId)).toMatchObject({ status: "uploaded", content_type: "image/png", size: 42 });
    expect((await fileRow(body.fileId))!.uploaded_at).toBeInstanceOf(Date);

    // Pub/Sub redelivers: nothing changes, still 2xx.
    expect(await push(message)).toMatchObject({ status: 200, body: { result: { skipped: "file uploaded" } } });
    expect(await storage.has(`${bucket}/${objectPath}`)).toBe(true);

    const download = await createDownload(body.fileId);
    expect(download.status).toBe(200);
    const url = new URL(download.body.downloadUrl);
    expect(decodeURIComponent(url.pathname)).toBe(`/${bucket}/${objectPath}`);
    expect(url.searchParams.get("X-Goog-Expires")).toBe("300");
    expect(url.searchParams.get("X-Goog-SignedHeaders")).toBe("host");
    expect(signatureHolds(download.body.downloadUrl, "GET", {})).toBe(true);
    expect(signatureHolds(download.body.downloadUrl, "PUT", {})).toBe(false);
    // An operator reads it too; someone else's personal file is not found for bob.
    expect((await createDownload(body.fileId, { "x-hasura-role": "operator", "x-hasura-user-id": "otto" })).status).toBe(200);
    expect(await createDownload(body.fileId, userSession("bob"))).toMatchObject({ status: 404 });
    // A user claiming the operator role without the users row gets nothing either.
    expect(await createDownload(body.fileId, { "x-hasura-role": "operator", "x-hasura-user-id": "bob" })).toMatchObject({ status: 404 });
  });

  it("serves an organization's file to its members only", async () => {
    const { body } = await createUpload({ name: "plan.pdf", contentType: "application/pdf", size: 9, organizationId: org });
    const objectPath = `organizations/${org}/${body.fileId}`;
    await storage.put(`${bucket}/uploads/${objectPath}`, { size: 9, contentType: "application/pdf" });
    expect((await push(finalizePush(`uploads/${objectPath}`, { size: 9, contentType: "application/pdf" }))).status).toBe(200);
    expect((await createDownload(body.fileId)).status).toBe(200);
    expect(await createDownload(body.fileId, userSession("bob"))).toMatchObject({ status: 404, body: { extensions: { code: "not-found" } } });
    expect((await createDownload(body.fileId, { "x-hasura-role": "anonymous" })).status).toBe(403);
    expect(await createDownload(randomUUID())).toMatchObject({ status: 404 });
    // Bob joins as a member (files.read): now he may.
    await sql.query("insert into memberships (organization_id, user_id, role) values ($1, 'bob', 'member')", [org]);
    try {
      expect((await createDownload(body.fileId, userSession("bob"))).status).toBe(200);
    } finally {
      await sql.query("delete from memberships where organization_id = $1 and user_id = 'bob'", [org]);
    }
  });

  it("deletes a mismatching upload and marks the row failed", async () => {
    const { body } = await createUpload({ name: "o.pdf", contentType: "application/pdf", size: 10, organizationId: org });
    const objectPath = `organizations/${org}/${body.fileId}`;
    await storage.put(`${bucket}/uploads/${objectPath}`, { size: 11, contentType: "application/pdf" });
    expect(await push(finalizePush(`uploads/${objectPath}`, { size: 11, contentType: "application/pdf" }))).toMatchObject({ status: 200, body: { result: { status: "failed" } } });
    expect(await storage.has(`${bucket}/uploads/${objectPath}`)).toBe(false);
    expect(await storage.has(`${bucket}/${objectPath}`)).toBe(false);
    expect((await fileRow(body.fileId))!.status).toBe("failed");
    expect(await createDownload(body.fileId)).toMatchObject({ status: 404 });
  });

  it("refuses a push without a token, with a bad signature or audience (401) and from another account (403), even with the event secret", async () => {
    const message = finalizePush("uploads/users/alice/x", { size: 1, contentType: "image/png" });
    expect((await push(message, null)).status).toBe(401);
    expect((await post(`${service.url}/push/storage-object-finalized`, message)).status).toBe(401);
    const other = generateKeyPairSync("rsa", { modulusLength: 2048 });
    const [header, payload] = pushToken().split(".");
    const forged = `${header}.${payload}.${base64url(createSign("RSA-SHA256").update(`${header}.${payload}`).sign(other.privateKey))}`;
    expect((await push(message, forged)).status).toBe(401);
    expect((await push(message, pushToken({ aud: "https://elsewhere.example" }))).status).toBe(401);
    expect((await push(message, pushToken({ exp: Math.floor(Date.now() / 1000) - 3600, iat: Math.floor(Date.now() / 1000) - 7200 }))).status).toBe(401);
    expect((await push(message, pushToken({ email: "someone@example.com" }))).status).toBe(403);
    expect((await push(message, pushToken({ email_verified: false }))).status).toBe(403);
  });

  it("answers 500 on a transient Storage failure so Pub/Sub retries, and succeeds on the redelivery", async () => {
    const { body } = await createUpload({ name: "r.png", contentType: "image/png", size: 5 });
    const objectPath = `users/alice/${body.fileId}`;
    const message = finalizePush(`uploads/${objectPath}`, { size: 5, contentType: "image/png" });
    // The object is not there yet (rewrite answers 404) and was never confirmed: not acknowledged.
    expect((await push(message)).status).toBe(500);
    expect((await fileRow(body.fileId))!.status).toBe("pending");
    await storage.put(`${bucket}/uploads/${objectPath}`, { size: 5, contentType: "image/png" });
    expect(await push(message)).toMatchObject({ status: 200, body: { result: { status: "uploaded" } } });
  });
});

// The actions check in SQL what Hasura's files permissions say (public_files.yaml); here both are asked the same
// questions, Hasura through the permission translator on the same database (test/support/hasura-permissions.ts).
describe("the actions agree with Hasura's files permissions", () => {
  const sessions = {
    alice: userSession("alice"),
    bob: userSession("bob"),
    "otto (operator)": { "x-hasura-role": "operator", "x-hasura-user-id": "otto" },
    "bob claiming operator": { "x-hasura-role": "operator", "x-hasura-user-id": "bob" },
  };

  it("lets exactly those create a file in a scope whom the insert permission lets insert one", async () => {
    const permissions = await loadPermissions(sql, readMetadata(hasuraProjectDir));
    for (const [who, session] of Object.entries(sessions)) {
      if (session["x-hasura-role"] !== "user") continue;
      for (const organizationId of [org, null]) {
        const hasura = await permissions
          .as(sql, session as never)
          .insert("files", { name: "probe.png", content_type: "image/png", size_bytes: 1, ...(organizationId ? { organization_id: organizationId } : {}) })
          .then((rows) => (rows as Array<{ id: string }>).map((row) => row.id), () => null);
        if (hasura) await sql.query("delete from files where id = any($1)", [hasura]);
        const action = await createUpload({ name: "probe.png", contentType: "image/png", size: 1, organizationId }, session);
        expect(action.status === 200, `${who} in ${organizationId ?? "their personal scope"}`).toBe(hasura !== null);
      }
    }
  });

  it("serves a download to exactly those whom the select permission shows the row", async () => {
    const permissions = await loadPermissions(sql, readMetadata(hasuraProjectDir));
    const { rows } = await sql.query<{ id: string; status: string }>("select id, status from files");
    expect(new Set(rows.map((row) => row.status))).toEqual(new Set(["pending", "uploaded", "failed"]));
    for (const [who, session] of Object.entries(sessions)) {
      for (const row of rows) {
        const visible = await permissions.as(sql, session as never).select("files", { where: { id: { _eq: row.id } } });
        // Operators see pending and failed rows too (support); a download needs the object, so an uploaded file.
        const expected = visible.length === 1 && row.status === "uploaded";
        const action = await createDownload(row.id, session);
        expect(action.status, `${who}, ${row.status} file ${row.id}`).toBe(expected ? 200 : 404);
      }
    }
  });
});

describe("file_deleted", () => {
  it("deletes the confirmed and pending objects of a deleted row, idempotently", async () => {
    const objectPath = `users/alice/${randomUUID()}`;
    await storage.put(`${bucket}/${objectPath}`, { size: 1, contentType: "image/png" });
    await storage.put(`${bucket}/uploads/${objectPath}`, { size: 1, contentType: "image/png" });
    const delivery = eventPayload({ trigger: "file_deleted", op: "DELETE", old: { id: randomUUID(), object_path: objectPath }, table: { schema: "public", name: "files" } });
    expect(await post(`${service.url}/events/file_deleted`, delivery)).toMatchObject({ status: 200, body: { status: "processed" } });
    expect(await storage.has(`${bucket}/${objectPath}`)).toBe(false);
    expect(await storage.has(`${bucket}/uploads/${objectPath}`)).toBe(false);
    // A new delivery of the same deletion (objects gone, 404 from Storage) succeeds too.
    const again = eventPayload({ trigger: "file_deleted", op: "DELETE", old: { id: randomUUID(), object_path: objectPath }, table: { schema: "public", name: "files" } });
    expect(await post(`${service.url}/events/file_deleted`, again)).toMatchObject({ status: 200, body: { status: "processed" } });
  });
});

describe("purge_abandoned_uploads", () => {
  it("deletes pending and failed rows past the age and the upload URL's lifetime, and nothing else", async () => {
    // Upload URLs live 900 s here: the purge waits 900 + 3600 s at least, whatever olderThanHours says.
    const insert = async (status: string, ageSeconds: number) =>
      (
        await sql.query<{ id: string }>(
          `insert into files (owner_id, name, content_type, size_bytes, status, created_at)
           values ('alice', 'x.png', 'image/png', 1, $1, now() - make_interval(secs => $2)) returning id`,
          [status, ageSeconds],
        )
      ).rows[0]!.id;
    const oldPending = await insert("pending", 7200);
    const oldFailed = await insert("failed", 7200);
    const oldUploaded = await insert("uploaded", 7200);
    const pendingWithinUrlLifetime = await insert("pending", 3960);
    const answer = await post(`${service.url}/crons/purge_abandoned_uploads`, cronPayload("purge_abandoned_uploads", { olderThanHours: 1 }));
    expect(answer.status).toBe(200);
    const left = await sql.query<{ id: string }>("select id from files where id = any($1)", [[oldPending, oldFailed, oldUploaded, pendingWithinUrlLifetime]]);
    expect(new Set(left.rows.map((row) => row.id))).toEqual(new Set([oldUploaded, pendingWithinUrlLifetime]));
    // svc_core may delete only through the function: no delete on files of its own.
    const grants = await sql.query("select 1 from information_schema.role_table_grants where table_name = 'files' and privilege_type = 'DELETE' and grantee = 'pulsura_file_manager'");
    expect(grants.rowCount).toBe(0);
  });
});

describe("the files environment", () => {
  const complete = {
    PULSURA_FILES_BUCKET: bucket,
    PULSURA_UPLOAD_CONTENT_TYPES: "image/png",
    PULSURA_UPLOAD_MAX_BYTES: "1000",
    PULSURA_UPLOAD_URL_SECONDS: "900",
    PULSURA_DOWNLOAD_URL_SECONDS: "300",
  };

  it("is checked at start-up: a partial or bad set names every problem", () => {
    expect(() => checkServiceEnvironments(complete)).not.toThrow();
    let problems: string[] = [];
    try {
      checkServiceEnvironments({ ...complete, PULSURA_FILES_BUCKET: undefined, PULSURA_UPLOAD_CONTENT_TYPES: "png", PULSURA_UPLOAD_URL_SECONDS: "604801" });
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      problems = (error as ConfigError).problems;
    }
    expect(problems).toEqual([
      expect.stringContaining("PULSURA_FILES_BUCKET is required"),
      expect.stringContaining("PULSURA_UPLOAD_CONTENT_TYPES must be media types"),
      expect.stringContaining("PULSURA_UPLOAD_URL_SECONDS must be at most 604800"),
    ]);
  });

  it("may be absent as a whole (a stack without the files bucket starts)", () => {
    expect(() => checkServiceEnvironments({})).not.toThrow();
  });
});
