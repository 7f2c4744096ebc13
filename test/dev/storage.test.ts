/**
 * npm run dev's Cloud Storage: firebase-tools' Storage emulator (started by scripts/lib/dev/storage-emulator.cjs) behind
 * the front of scripts/lib/dev/storage.ts, over real sockets. URLs are signed by @google-cloud/storage itself (the
 * client the core service signs with) with the dev signer's key file; the push receiver checks the notifications'
 * tokens with the kit's own push verifier, pointed at the front's certificate, as the core service does under npm run dev.
 */
import { generateKeyPairSync } from "node:crypto";
import * as fs from "node:fs";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRequire } from "node:module";
import { createPushTokenVerifier } from "../../services/kit/src/push";
import { createDevSigner, pushCertificatesPath, startDevStorage, type DevSigner, type DevStorage, type StartDevStorageOptions } from "../../scripts/lib/dev/storage";
import { checkV4Signature, contentLengthRefusal } from "../../scripts/lib/dev/v4-signature";
import { onCleanup, trackPid } from "../support/cleanup";
import { freePort } from "../support/ports";

// The core service's own copy of the Storage client (its exact pin), not the older one firebase-admin brings to the root.
const { Storage } = createRequire(path.resolve(__dirname, "../../services/core/package.json"))("@google-cloud/storage") as typeof import("@google-cloud/storage");
type Storage = InstanceType<typeof Storage>;

const bucketName = "demo-pulsura-files";
const signerEmail = "svc-core@demo-pulsura.iam.gserviceaccount.com";
const pushAccount = "storage-push@demo-pulsura.iam.gserviceaccount.com";
const audience = "http://127.0.0.1:1/core";

interface ReceivedPush {
  authorization: string | undefined;
  body: { message: { data: string; attributes: Record<string, string>; messageId: string }; subscription: string };
}

/** The push endpoint: records each delivery; answers 503 to the first delivery of names in `refuseOnce`. */
function startReceiver() {
  const received: ReceivedPush[] = [];
  const refuseOnce = new Set<string>();
  const waiters: Array<{ name: string; count: number; resolve: (pushes: ReceivedPush[]) => void }> = [];
  const server = http.createServer((request, response) => {
    let text = "";
    request.on("data", (chunk: Buffer) => (text += chunk.toString("utf8")));
    request.on("end", () => {
      const push: ReceivedPush = { authorization: request.headers.authorization, body: JSON.parse(text) };
      received.push(push);
      const name = push.body.message.attributes.objectId!;
      if (refuseOnce.delete(name)) {
        response.writeHead(503).end();
      } else {
        response.writeHead(204).end();
      }
      for (const waiter of [...waiters]) {
        const pushes = received.filter((p) => p.body.message.attributes.objectId === waiter.name);
        if (pushes.length >= waiter.count) {
          waiters.splice(waiters.indexOf(waiter), 1);
          waiter.resolve(pushes);
        }
      }
    });
  });
  return {
    server,
    received,
    refuseOnce,
    /** Resolves with the deliveries for `name` once there are `count` of them. */
    deliveries(name: string, count = 1): Promise<ReceivedPush[]> {
      const pushes = received.filter((p) => p.body.message.attributes.objectId === name);
      if (pushes.length >= count) return Promise.resolve(pushes);
      return new Promise((resolve) => waiters.push({ name, count, resolve }));
    },
  };
}

let tmp: string;
let signer: DevSigner;
let receiver: ReturnType<typeof startReceiver>;
let storage: DevStorage;
let options: StartDevStorageOptions;
let client: Storage;

async function start(): Promise<DevStorage> {
  const started = await startDevStorage(options);
  trackPid(started.process.pid, "dev storage emulator", { group: true });
  onCleanup("dev storage", () => started.stop());
  return started;
}

function signedPut(name: string, contentType: string, size: number, expires = Date.now() + 15 * 60_000) {
  return client
    .bucket(bucketName)
    .file(name)
    .getSignedUrl({ version: "v4", action: "write", expires, contentType, extensionHeaders: { "x-goog-content-length-range": `${size},${size}` } })
    .then(([url]) => url);
}

const put = (url: string, body: Buffer, headers: Record<string, string>) => fetch(url, { method: "PUT", headers, body });

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "pulsura-dev-storage-"));
  onCleanup("dev storage dir", () => fs.rmSync(tmp, { recursive: true, force: true }));
  signer = createDevSigner(path.join(tmp, "storage"), signerEmail);
  receiver = startReceiver();
  await new Promise<void>((resolve) => receiver.server.listen(0, "127.0.0.1", resolve));
  onCleanup("push receiver", () => new Promise<void>((resolve) => receiver.server.close(() => resolve())));
  const [port, emulatorPort] = [await freePort(), await freePort()];
  options = {
    dir: path.join(tmp, "storage"),
    port,
    emulatorPort,
    projectId: "demo-pulsura",
    signer,
    notification: {
      bucket: bucketName,
      prefix: "uploads/",
      pushUrl: `http://127.0.0.1:${(receiver.server.address() as AddressInfo).port}/push/storage-object-finalized`,
      audience,
      serviceAccount: pushAccount,
      subscription: "projects/demo-pulsura/subscriptions/demo-pulsura-files-uploaded",
    },
  };
  storage = await start();
  // The core service's client as npm run dev configures it (this file's process only): the front as the emulator host,
  // the dev signer's key file as the application default credentials.
  Object.assign(process.env, { STORAGE_EMULATOR_HOST: storage.url, GOOGLE_APPLICATION_CREDENTIALS: signer.keyFile });
  client = new Storage();
}, 120_000);

afterAll(async () => {
  await storage?.stop();
});

describe("the V4 signature check", () => {
  const signed = (action: "read" | "write", extra: object = {}) =>
    client.bucket(bucketName).file("uploads/a b+c.png").getSignedUrl({ version: "v4", action, expires: Date.now() + 60_000, ...extra }).then(([url]) => url);
  const request = (url: string, method: string, headers: Record<string, string> = {}) => {
    const parsed = new URL(url);
    return { method, url: `${parsed.pathname}${parsed.search}`, headers: { host: parsed.host, ...headers } };
  };

  it("holds for the request the Storage client signed, and for nothing else", async () => {
    const write = await signed("write", { contentType: "image/png", extensionHeaders: { "x-goog-content-length-range": "5,5" } });
    const headers = { "content-type": "image/png", "x-goog-content-length-range": "5,5" };
    expect(checkV4Signature(request(write, "PUT", headers), signer)).toBeUndefined();
    expect(checkV4Signature(request(write, "PUT", { ...headers, "content-type": "text/html" }), signer)).toMatchObject({ status: 403, code: "SignatureDoesNotMatch" });
    expect(checkV4Signature(request(write, "PUT", { ...headers, "x-goog-content-length-range": "0,9999" }), signer)).toMatchObject({ code: "SignatureDoesNotMatch" });
    expect(checkV4Signature(request(write, "GET", headers), signer)).toMatchObject({ code: "SignatureDoesNotMatch" });
    expect(checkV4Signature(request(write.replace("a%20b", "a%20c"), "PUT", headers), signer)).toMatchObject({ code: "SignatureDoesNotMatch" });
    const other = generateKeyPairSync("rsa", { modulusLength: 2048 }).publicKey;
    expect(checkV4Signature(request(write, "PUT", headers), { email: signerEmail, publicKey: other })).toMatchObject({ code: "SignatureDoesNotMatch" });
    expect(checkV4Signature(request(write, "PUT", headers), { ...signer, email: "someone@demo-pulsura.iam.gserviceaccount.com" })).toMatchObject({ code: "SignatureDoesNotMatch" });
  });

  it("refuses an expired URL, and a request without the signature's parameters", async () => {
    const read = await signed("read");
    expect(checkV4Signature(request(read, "GET"), signer, Date.now() + 59_000)).toBeUndefined();
    expect(checkV4Signature(request(read, "GET"), signer, Date.now() + 61_000)).toMatchObject({ status: 400, code: "ExpiredToken" });
    const stripped = new URL(read);
    stripped.searchParams.delete("X-Goog-Credential");
    expect(checkV4Signature(request(stripped.toString(), "GET"), signer)).toMatchObject({ status: 400, code: "MissingSecurityHeader" });
  });

  it("checks the upload's length against x-goog-content-length-range", () => {
    expect(contentLengthRefusal("5,5", 5)).toBeUndefined();
    expect(contentLengthRefusal(undefined, 5)).toBeUndefined();
    expect(contentLengthRefusal("5,5", 6)).toBe("the upload is 6 bytes; x-goog-content-length-range allows 5-5");
    expect(contentLengthRefusal("5", 5)).toMatch(/is not <min>,<max>/);
  });
});

describe("npm run dev's Storage emulator and its front", () => {
  it("stores a signed PUT of the signed type and size, and pushes its OBJECT_FINALIZE with a token the push verifier accepts", async () => {
    const name = "uploads/users/alice/one.png";
    const bytes = Buffer.from("\x89PNG-one");
    const url = await signedPut(name, "image/png", bytes.length);
    expect(url.startsWith(`${storage.url}/${bucketName}/uploads/users/alice/one.png?`)).toBe(true);
    const answer = await put(url, bytes, { "content-type": "image/png", "x-goog-content-length-range": `${bytes.length},${bytes.length}` });
    expect(answer.status).toBe(200);

    const [push] = await receiver.deliveries(name);
    const verifier = createPushTokenVerifier({ audience, serviceAccount: pushAccount }, { certificatesUrl: `${storage.url}${pushCertificatesPath}` });
    await expect(verifier.verify(push!.authorization)).resolves.toBeUndefined();
    await expect(createPushTokenVerifier({ audience: "http://elsewhere", serviceAccount: pushAccount }, { certificatesUrl: `${storage.url}${pushCertificatesPath}` }).verify(push!.authorization)).rejects.toThrow(/not valid/);
    expect(push!.body.subscription).toBe(options.notification.subscription);
    expect(push!.body.message.attributes).toMatchObject({ eventType: "OBJECT_FINALIZE", payloadFormat: "JSON_API_V1", bucketId: bucketName, objectId: name });
    const object = JSON.parse(Buffer.from(push!.body.message.data, "base64").toString("utf8"));
    expect(object).toMatchObject({ bucket: bucketName, name, size: String(bytes.length), contentType: "image/png" });

    const [metadata] = await client.bucket(bucketName).file(name).getMetadata();
    expect(metadata).toMatchObject({ size: String(bytes.length), contentType: "image/png" });
  });

  it("refuses what Cloud Storage refuses for a signed PUT, storing nothing: another type, another size, another method, a forged signature", async () => {
    const name = "uploads/users/alice/refused.png";
    const bytes = Buffer.from("12345");
    const url = await signedPut(name, "image/png", bytes.length);
    const headers = { "content-type": "image/png", "x-goog-content-length-range": "5,5" };
    const typed = await put(url, bytes, { ...headers, "content-type": "text/html" });
    expect(typed.status).toBe(403);
    expect(await typed.text()).toContain("<Code>SignatureDoesNotMatch</Code>");
    expect((await put(url, Buffer.from("123456"), headers)).status).toBe(400);
    expect((await fetch(url)).status).toBe(403);
    const forged = new URL(url);
    forged.searchParams.set("X-Goog-Signature", "00".repeat(256));
    expect((await put(forged.toString(), bytes, headers)).status).toBe(403);
    const [exists] = await client.bucket(bucketName).file(name).exists();
    expect(exists).toBe(false);
    expect(receiver.received.some((p) => p.body.message.attributes.objectId === name)).toBe(false);
  });

  it("serves a signed GET of a stored object, and refuses it unsigned-for: a GET signed for another object", async () => {
    const name = "users/alice/readable.txt";
    await client.bucket(bucketName).file(name).save("hello files", { contentType: "text/plain" });
    const [url] = await client.bucket(bucketName).file(name).getSignedUrl({ version: "v4", action: "read", expires: Date.now() + 60_000 });
    const answer = await fetch(url);
    expect(answer.status).toBe(200);
    expect(await answer.text()).toBe("hello files");
    expect((await fetch(url.replace("readable.txt", "other.txt"))).status).toBe(403);
  });

  it("notifies objects finalized under the prefix by any path (an upload or a copy through the JSON API), and nothing outside it", async () => {
    const bucket = client.bucket(bucketName);
    await bucket.file("users/alice/outside.txt").save("outside", { contentType: "text/plain" });
    await bucket.file("users/alice/outside.txt").copy(bucket.file("uploads/users/alice/copied.txt"));
    const [copied] = await receiver.deliveries("uploads/users/alice/copied.txt");
    expect(JSON.parse(Buffer.from(copied!.body.message.data, "base64").toString("utf8"))).toMatchObject({ size: "7", contentType: "text/plain" });
    expect(receiver.received.some((p) => p.body.message.attributes.objectId === "users/alice/outside.txt")).toBe(false);
  });

  it("retries a push that is not acknowledged until it is", async () => {
    const name = "uploads/users/alice/retried.png";
    receiver.refuseOnce.add(name);
    const bytes = Buffer.from("retry");
    await put(await signedPut(name, "image/png", bytes.length), bytes, { "content-type": "image/png", "x-goog-content-length-range": "5,5" });
    const pushes = await receiver.deliveries(name, 2);
    expect(pushes.map((p) => p.body.message.messageId)).toEqual([pushes[0]!.body.message.messageId, pushes[0]!.body.message.messageId]);
  });

  it("answers the CORS preflight of a local web origin with the deployed bucket's methods and headers, and no other origin", async () => {
    const preflight = (origin: string) =>
      fetch(`${storage.url}/${bucketName}/uploads/x`, { method: "OPTIONS", headers: { origin, "access-control-request-method": "PUT" } });
    const local = await preflight("http://localhost:5173");
    expect(local.headers.get("access-control-allow-origin")).toBe("http://localhost:5173");
    expect(local.headers.get("access-control-allow-methods")).toBe("GET, HEAD, PUT");
    expect(local.headers.get("access-control-allow-headers")).toBe("content-type, x-goog-content-length-range");
    expect((await preflight("https://evil.example")).headers.get("access-control-allow-origin")).not.toBe("https://evil.example");
  });

  it("keeps the bucket across a restart, and pushes again what is still waiting under the prefix", async () => {
    const before = receiver.received.filter((p) => p.body.message.attributes.objectId === "uploads/users/alice/one.png").length;
    await storage.stop();
    expect(fs.existsSync(path.join(options.dir, "export", "storage_export", "buckets.json"))).toBe(true);
    storage = await start();
    const [text] = await client.bucket(bucketName).file("users/alice/readable.txt").download();
    expect(text.toString("utf8")).toBe("hello files");
    // one.png was never confirmed (nobody moved it out of uploads/): it is notified again.
    const pushes = await receiver.deliveries("uploads/users/alice/one.png", before + 1);
    expect(pushes.length).toBe(before + 1);
  }, 60_000);
});
