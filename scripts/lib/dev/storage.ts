/**
 * Cloud Storage for `npm run dev`: the files bucket in firebase-tools' Storage emulator (storage-emulator.cjs), behind a
 * small front that does what the emulator leaves to Cloud Storage and Pub/Sub, so the core service's files flow works
 * unchanged on a laptop:
 *
 * - **Signed URLs.** The emulator ignores V4 signatures and has no path-style PUT (its XML API serves GET only). The
 *   front checks every signed request as Cloud Storage does (v4-signature.ts: signature, expiry, the signed
 *   Content-Type, `x-goog-content-length-range`) with the dev signer's public key, then serves a signed GET from the
 *   emulator and stores a signed PUT through the emulator's upload API. Everything unsigned (the service's JSON API
 *   calls: copy, delete, metadata) passes through unchanged.
 * - **Upload notifications.** The emulator sends none to Pub/Sub. For every object finalized under the notification's
 *   prefix (a signed PUT, an upload or a copy through the JSON API) the front pushes the message Pub/Sub would push
 *   (https://cloud.google.com/storage/docs/pubsub-notifications, JSON_API_V1 payload) to the service's push route with an
 *   OIDC token signed by a per-run key, whose public key it serves where the service's dev verifier fetches it
 *   (PULSURA_DEV_PUSH_CERTIFICATES_URL, read by the kit's runServiceFromSource only). Deliveries are retried with
 *   backoff until the route answers 2xx, as Pub/Sub does; objects still under the prefix at start-up are pushed again,
 *   so a stop between an upload and its confirmation loses nothing.
 * - **CORS** for local web origins (http://localhost:<port>, http://127.0.0.1:<port>), with the methods and headers
 *   the deployed bucket allows (infra/components/storage.ts).
 *
 * The signer is a per-run RSA key in a service-account key file the files service reads through
 * GOOGLE_APPLICATION_CREDENTIALS (on Cloud Run there is no key: IAM signBlob signs as the service's account).
 */
import { createSign, generateKeyPairSync, randomUUID, type KeyObject } from "node:crypto";
import * as fs from "node:fs";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import * as path from "node:path";
import { single } from "./auth-hook";
import { printLine, startProcess, type ManagedProcess } from "./processes";
import { checkV4Signature, contentLengthRefusal, isV4Signed, type SignatureRefusal } from "./v4-signature";

const emulatorScript = path.join(__dirname, "storage-emulator.cjs");

/** Where the push route's verifier fetches the dev push key (bucket names cannot start with `_`, so no object path collides). */
export const pushCertificatesPath = "/_pulsura/push-certificates";
const pushKeyId = "pulsura-dev-push";

/** The emulator's own body limit (130 MB, apis/gcloud.js): larger signed uploads are refused before reaching it. */
const maxUploadBodyBytes = 130 * 1024 * 1024;

/** Dev retry backoff of notifications: Pub/Sub's subscription uses 10-600 s; a developer waits for 1-30 s. */
const retryBackoffMs = { min: 1_000, max: 30_000 };

export interface DevSigner {
  email: string;
  publicKey: KeyObject;
  /** A service-account key file (type service_account) for GOOGLE_APPLICATION_CREDENTIALS. */
  keyFile: string;
}

/** Generates the run's URL signer and writes its key file (0600) under `dir`. */
export function createDevSigner(dir: string, email: string): DevSigner {
  const { publicKey, privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  fs.mkdirSync(dir, { recursive: true });
  const keyFile = path.join(dir, "signer-key.json");
  const [, project] = /@([^.]+)\./.exec(email) ?? [];
  fs.writeFileSync(
    keyFile,
    `${JSON.stringify({ type: "service_account", project_id: project, client_email: email, private_key: privateKey.export({ type: "pkcs8", format: "pem" }) }, null, 2)}\n`,
    { mode: 0o600 },
  );
  return { email, publicKey, keyFile };
}

/** Where finalize notifications of one bucket go: the push subscription of the deployed stack, locally. */
export interface DevNotification {
  bucket: string;
  /** Object name prefix the notification is for (the stack's `uploads/`). */
  prefix: string;
  /** The push endpoint (the service's /push/<handler> URL). */
  pushUrl: string;
  /** The token's audience (the service's URL, PULSURA_PUSH_AUDIENCE). */
  audience: string;
  /** The token's email (PULSURA_PUSH_SERVICE_ACCOUNT). */
  serviceAccount: string;
  /** Subscription name in the push body. */
  subscription: string;
}

export interface StartDevStorageOptions {
  /** `<data dir>/storage`: the emulator's export and its blobs. */
  dir: string;
  /** The front's port: what the service and browsers use (STORAGE_EMULATOR_HOST). */
  port: number;
  /** The emulator's own port, behind the front. */
  emulatorPort: number;
  projectId: string;
  signer: Pick<DevSigner, "email" | "publicKey">;
  notification: DevNotification;
}

export interface DevStorage {
  /** The front's base URL (STORAGE_EMULATOR_HOST); the push key's certificate is at {@link pushCertificatesPath}. */
  url: string;
  process: ManagedProcess;
  stop(): Promise<void>;
}

/**
 * Starts the Storage emulator alone (storage-emulator.cjs) on 127.0.0.1:`port`, its blobs, config and export under `dir`;
 * resolves once it listens. Stop it with SIGINT (it exports first).
 */
export async function startStorageEmulator(options: { dir: string; port: number; projectId: string }, signal?: AbortSignal): Promise<ManagedProcess> {
  const tmp = path.join(options.dir, "tmp");
  fs.mkdirSync(tmp, { recursive: true });
  const child = startProcess({
    name: "storage",
    command: process.execPath,
    args: [emulatorScript, String(options.port), options.projectId, path.join(options.dir, "export")],
    cwd: options.dir,
    // Its blobs under the data directory (the emulator keeps them in os.tmpdir()), its config store too.
    env: { ...process.env, TMPDIR: tmp, XDG_CONFIG_HOME: path.join(options.dir, ".config"), FORCE_COLOR: "0" },
    formatLine: (line) => (line.trim() === "" ? undefined : line),
    stopSignal: "SIGINT",
  });
  try {
    await child.waitForLine(/^storage emulator ready on /, signal ? { signal } : {});
  } catch (error) {
    await child.stop({ signal: "SIGINT", graceMs: 15_000 });
    throw error;
  }
  return child;
}

/** Starts the emulator and the front; resolves once both listen and the emulator answers. */
export async function startDevStorage(options: StartDevStorageOptions, signal?: AbortSignal): Promise<DevStorage> {
  const child = await startStorageEmulator({ dir: options.dir, port: options.emulatorPort, projectId: options.projectId }, signal);
  const emulatorUrl = `http://127.0.0.1:${options.emulatorPort}`;
  const pushKey = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const notifier = new PushNotifier(options.notification, pushKey.privateKey);
  const front = http.createServer((request, response) => {
    handle(request, response, { ...options, emulatorUrl, notifier, pushPublicKey: pushKey.publicKey }).catch((error: unknown) => {
      printLine("storage", `front: ${request.method} ${request.url} failed: ${(error as Error).message}`);
      if (!response.headersSent) response.writeHead(502, { "content-type": "text/plain" });
      response.end(`the dev storage front could not reach the emulator: ${(error as Error).message}\n`);
    });
  });
  const stop = async () => {
    notifier.close();
    front.closeAllConnections();
    await new Promise<void>((resolve) => front.close(() => resolve()));
    // SIGINT: the emulator exports the bucket to the data directory, then exits.
    await child.stop({ signal: "SIGINT", graceMs: 15_000 });
  };
  try {
    await new Promise<void>((resolve, reject) => {
      front.once("error", reject);
      front.listen(options.port, "127.0.0.1", () => resolve());
    });
    const listing = await fetch(`${emulatorUrl}/storage/v1/b/${encodeURIComponent(options.notification.bucket)}/o?prefix=${encodeURIComponent(options.notification.prefix)}`, { signal });
    if (!listing.ok) throw new Error(`the Storage emulator answered HTTP ${listing.status} to a listing of ${options.notification.bucket}`);
    // Uploads a stop interrupted before their confirmation: pushed again (the handler ignores what it already decided).
    const { items = [] } = (await listing.json()) as { items?: StorageObject[] };
    for (const object of items) notifier.finalized(object);
  } catch (error) {
    await stop();
    throw error;
  }
  const url = `http://127.0.0.1:${(front.address() as AddressInfo).port}`;
  return { url, process: child, stop };
}

/** The Cloud Storage object resource, as much as notifications need. */
interface StorageObject {
  bucket: string;
  name: string;
  generation?: string;
  timeCreated?: string;
  [field: string]: unknown;
}

interface FrontContext extends StartDevStorageOptions {
  emulatorUrl: string;
  notifier: PushNotifier;
  pushPublicKey: KeyObject;
}

const corsHeaders = {
  "access-control-allow-methods": "GET, HEAD, PUT",
  "access-control-allow-headers": "content-type, x-goog-content-length-range",
  "access-control-max-age": "3600",
};

async function handle(request: http.IncomingMessage, response: http.ServerResponse, context: FrontContext): Promise<void> {
  const origin = request.headers.origin;
  const localOrigin = origin !== undefined && /^http:\/\/(localhost|127\.0\.0\.1)(:\d{1,5})?$/.test(origin);
  if (localOrigin) {
    response.setHeader("access-control-allow-origin", origin);
    response.setHeader("vary", "Origin");
  }
  // Preflights are the bucket's CORS configuration's to answer, not the emulator's (which allows every origin).
  if (request.method === "OPTIONS" && origin !== undefined) {
    response.writeHead(200, localOrigin ? corsHeaders : {}).end();
    return;
  }
  const url = request.url ?? "/";
  if (url === pushCertificatesPath) {
    response.writeHead(200, { "content-type": "application/json", "cache-control": "public, max-age=3600" });
    response.end(JSON.stringify({ [pushKeyId]: context.pushPublicKey.export({ type: "spki", format: "pem" }) }));
    return;
  }
  if (!isV4Signed(url)) {
    await passThrough(request, response, context);
    return;
  }
  const refusal = checkV4Signature({ method: request.method ?? "GET", url, headers: request.headers }, context.signer);
  if (refusal) return xmlError(response, refusal);
  const objectPath = url.split("?")[0]!;
  if (request.method === "GET" || request.method === "HEAD") {
    await forward(request.method, `${context.emulatorUrl}${objectPath}`, {}, undefined, response);
    return;
  }
  if (request.method !== "PUT") {
    return xmlError(response, { status: 400, code: "AuthorizationQueryParametersError", message: `the dev storage front serves signed GET, HEAD and PUT, not ${request.method}` });
  }
  const body = await readBody(request, maxUploadBodyBytes);
  if (!body) return xmlError(response, { status: 400, code: "AuthorizationQueryParametersError", message: `uploads over ${maxUploadBodyBytes} bytes exceed the Storage emulator's limit` });
  const lengthProblem = contentLengthRefusal(single(request.headers["x-goog-content-length-range"]), body.length);
  if (lengthProblem) return xmlError(response, { status: 400, code: "AuthorizationQueryParametersError", message: lengthProblem });
  const [, bucket, encodedName] = /^\/([^/]+)\/(.+)$/.exec(objectPath) ?? [];
  if (!bucket || !encodedName) return xmlError(response, { status: 400, code: "AuthorizationQueryParametersError", message: `${objectPath} is not /<bucket>/<object>` });
  const name = decodeURIComponent(encodedName);
  const stored = await fetch(`${context.emulatorUrl}/upload/storage/v1/b/${bucket}/o?uploadType=media&name=${encodeURIComponent(name)}`, {
    method: "POST",
    headers: { "content-type": single(request.headers["content-type"]) ?? "application/octet-stream" },
    body,
  });
  if (!stored.ok) {
    response.writeHead(stored.status, { "content-type": "text/plain" }).end(await stored.text());
    return;
  }
  const object = (await stored.json()) as StorageObject;
  // Cloud Storage's XML API answers a PUT with 200, an ETag and no body.
  response.writeHead(200, { etag: `"${String(object.md5Hash ?? object.etag ?? "")}"`, "x-goog-generation": object.generation ?? "" }).end();
  context.notifier.finalized(object);
}

/** Unsigned requests (the service's JSON API calls) go to the emulator as they are; finalized objects are notified. */
async function passThrough(request: http.IncomingMessage, response: http.ServerResponse, context: FrontContext): Promise<void> {
  const url = request.url ?? "/";
  const path = url.split("?")[0]!;
  const finalizes = request.method !== "GET" && (/^\/upload\/storage\/v1\/b\//.test(path) || /\/(rewriteTo|copyTo)\/b\//.test(path));
  const body = request.method === "GET" || request.method === "HEAD" ? undefined : await readBody(request, maxUploadBodyBytes);
  if (body === null) return xmlError(response, { status: 400, code: "AuthorizationQueryParametersError", message: `requests over ${maxUploadBodyBytes} bytes exceed the Storage emulator's limit` });
  const answer = await forward(request.method ?? "GET", `${context.emulatorUrl}${url}`, request.headers, body, finalizes ? undefined : response);
  if (!answer) return;
  response.writeHead(answer.status, { ...answer.headers, "content-length": String(answer.body.length) }).end(answer.body);
  if (answer.status !== 200 || !/json/.test(String(answer.headers["content-type"] ?? ""))) return;
  const parsed = JSON.parse(answer.body.toString("utf8")) as StorageObject & { resource?: StorageObject };
  const object = parsed.resource ?? parsed;
  if (object.name) context.notifier.finalized(object);
}

/**
 * Sends a request to the emulator. With `pipeTo` the answer streams there (and undefined is returned); without, it is
 * returned buffered.
 */
function forward(
  method: string,
  target: string,
  headers: http.IncomingHttpHeaders,
  body: Buffer | undefined,
  pipeTo: http.ServerResponse | undefined,
): Promise<{ status: number; headers: http.OutgoingHttpHeaders; body: Buffer } | undefined> {
  return new Promise((resolve, reject) => {
    const outgoing = http.request(target, { method, headers: { ...endToEnd(headers), ...(body ? { "content-length": String(body.length) } : {}) } }, (incoming) => {
      if (pipeTo) {
        pipeTo.writeHead(incoming.statusCode ?? 502, endToEnd(incoming.headers));
        incoming.pipe(pipeTo);
        incoming.on("end", () => resolve(undefined));
        incoming.on("error", reject);
        return;
      }
      const chunks: Buffer[] = [];
      incoming.on("data", (chunk: Buffer) => chunks.push(chunk));
      incoming.on("end", () => resolve({ status: incoming.statusCode ?? 502, headers: endToEnd(incoming.headers), body: Buffer.concat(chunks) }));
      incoming.on("error", reject);
    });
    outgoing.on("error", reject);
    outgoing.end(body);
  });
}

/**
 * Headers that may be relayed: not the hop-by-hop ones (RFC 9110 §7.6.1; the body is re-sent with its own length), and
 * not the emulator's CORS answers (it allows every origin; the front answers for the bucket's CORS configuration).
 */
function endToEnd(headers: http.IncomingHttpHeaders): http.OutgoingHttpHeaders {
  const hopByHop = new Set(["connection", "keep-alive", "transfer-encoding", "upgrade", "te", "trailer", "proxy-authorization", "proxy-authenticate"]);
  return Object.fromEntries(Object.entries(headers).filter(([name]) => !hopByHop.has(name) && !name.startsWith("access-control-")));
}

/** The request body, or null when it is over `limit` bytes. */
async function readBody(request: http.IncomingMessage, limit: number): Promise<Buffer | null> {
  const chunks: Buffer[] = [];
  let length = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    length += chunk.length;
    if (length > limit) return null;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/** Cloud Storage's XML error body (https://cloud.google.com/storage/docs/xml-api/reference-status). */
function xmlError(response: http.ServerResponse, refusal: SignatureRefusal): void {
  const escape = (text: string) => text.replace(/[<>&]/g, (c) => ({ "<": "&lt;", ">": "&gt;", "&": "&amp;" })[c]!);
  response.writeHead(refusal.status, { "content-type": "application/xml; charset=UTF-8" });
  response.end(`<?xml version='1.0' encoding='UTF-8'?><Error><Code>${refusal.code}</Code><Message>${escape(refusal.message)}</Message></Error>`);
}

/** Pushes OBJECT_FINALIZE messages for one bucket and prefix, each retried with backoff until it is acknowledged (2xx). */
class PushNotifier {
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly inFlight = new AbortController();
  private closed = false;

  constructor(
    private readonly notification: DevNotification,
    private readonly privateKey: KeyObject,
  ) {}

  finalized(object: StorageObject): void {
    const { bucket, prefix } = this.notification;
    if (this.closed || object.bucket !== bucket || !object.name.startsWith(prefix)) return;
    const now = new Date().toISOString();
    const messageId = randomUUID();
    const body = JSON.stringify({
      message: {
        data: Buffer.from(JSON.stringify(object)).toString("base64"),
        attributes: {
          notificationConfig: `projects/_/buckets/${bucket}/notificationConfigs/1`,
          eventType: "OBJECT_FINALIZE",
          payloadFormat: "JSON_API_V1",
          bucketId: bucket,
          objectId: object.name,
          objectGeneration: String(object.generation ?? ""),
          eventTime: object.timeCreated ?? now,
        },
        messageId,
        publishTime: now,
      },
      subscription: this.notification.subscription,
    });
    void this.deliver(object.name, body, 1);
  }

  close(): void {
    this.closed = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    this.inFlight.abort();
  }

  private async deliver(objectName: string, body: string, attempt: number): Promise<void> {
    if (this.closed) return;
    let problem: string;
    try {
      const answer = await fetch(this.notification.pushUrl, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${this.token()}` },
        body,
        signal: this.inFlight.signal,
      });
      await answer.arrayBuffer();
      if (answer.ok) return;
      problem = `HTTP ${answer.status}`;
    } catch (error) {
      if (this.closed) return;
      problem = (error as Error).message;
    }
    const delay = Math.min(retryBackoffMs.max, retryBackoffMs.min * 2 ** (attempt - 1));
    printLine("storage", `notification for ${objectName} not acknowledged (${problem}); retry ${attempt} in ${delay / 1000} s`);
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      void this.deliver(objectName, body, attempt + 1);
    }, delay);
    this.timers.add(timer);
  }

  /** A Google-style OIDC token as Pub/Sub sends with a push (RS256, issuer accounts.google.com, an hour long). */
  private token(): string {
    const now = Math.floor(Date.now() / 1000);
    const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString("base64url");
    const unsigned = `${encode({ alg: "RS256", kid: pushKeyId, typ: "JWT" })}.${encode({
      iss: "https://accounts.google.com",
      aud: this.notification.audience,
      azp: "pulsura-dev",
      sub: "pulsura-dev-push",
      email: this.notification.serviceAccount,
      email_verified: true,
      iat: now,
      exp: now + 3600,
    })}`;
    return `${unsigned}.${createSign("RSA-SHA256").update(unsigned).sign(this.privateKey).toString("base64url")}`;
  }
}
