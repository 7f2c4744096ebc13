/**
 * The kit's pg settings with the Cloud SQL server CA (DATABASE_CA_CERT): verify-ca over a real TLS handshake. The
 * server here is a socket that speaks Postgres's SSLRequest exchange and then TLS with a certificate named like a Cloud
 * SQL server's (the instance, not the IP dialled), signed by a throwaway CA made with openssl for this file.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import * as tls from "node:tls";
import { Client } from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { databasePoolConfig, loadConfig } from "@pulsura/kit";
import { onCleanup } from "../../support/cleanup";

interface Pem {
  caCert: string;
  otherCaCert: string;
  serverKey: string;
  serverCert: string;
}

function makeCertificates(dir: string): Pem {
  const openssl = (...args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: "pipe" });
  for (const ca of ["ca", "other-ca"]) {
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", `/CN=Test ${ca}`, "-keyout", `${ca}.key`, "-out", `${ca}.pem`);
  }
  // Cloud SQL server certificates carry the instance in the CN, not the private IP clients dial.
  openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=pulsura-dev:pulsura-instance", "-keyout", "server.key", "-out", "server.csr");
  openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-days", "2", "-out", "server.pem");
  const read = (file: string) => fs.readFileSync(path.join(dir, file), "utf8");
  return { caCert: read("ca.pem"), otherCaCert: read("other-ca.pem"), serverKey: read("server.key"), serverCert: read("server.pem") };
}

let pem: Pem;
let server: net.Server;
let port: number;
/** How each connection's TLS handshake ended on the server side. */
const handshakes: string[] = [];

beforeAll(async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pulsura-tls-"));
  const removeDir = onCleanup(`certificates in ${dir}`, () => fs.rmSync(dir, { recursive: true, force: true }));
  pem = makeCertificates(dir);
  fs.rmSync(dir, { recursive: true, force: true });
  removeDir();

  server = net.createServer((socket) => {
    socket.once("data", (request) => {
      // SSLRequest: length 8, code 80877103. Answer "S" (TLS accepted), then TLS on the same socket.
      if (request.length !== 8 || request.readInt32BE(4) !== 80877103) return socket.destroy();
      socket.write("S");
      const secure = new tls.TLSSocket(socket, { isServer: true, key: pem.serverKey, cert: pem.serverCert });
      secure.once("secure", () => {
        handshakes.push("secure");
        secure.destroy();
      });
      secure.once("error", () => handshakes.push("refused"));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  port = (server.address() as net.AddressInfo).port;
  serverClosed = onCleanup("tls test server", closeServer);
});

const closeServer = () => new Promise<void>((resolve) => (server?.listening ? server.close(() => resolve()) : resolve()));
let serverClosed: (() => void) | undefined;

afterAll(async () => {
  await closeServer();
  serverClosed?.();
});

const env = (overrides: Record<string, string>) => ({
  DATABASE_URL: `postgres://svc_core:pw@127.0.0.1:${port}/app?sslmode=require&uselibpqcompat=true`,
  PULSURA_EVENT_SECRET: "test-event-secret-0123456789abcdef",
  HASURA_GRAPHQL_URL: "http://127.0.0.1:1/v1/graphql",
  HASURA_GRAPHQL_ADMIN_SECRET: "x",
  GOOGLE_CLOUD_PROJECT: "demo-pulsura",
  ...overrides,
});

/** Connects with the kit's settings; the server drops the connection after TLS, so success is the handshake. */
async function connectError(caCert: string): Promise<string> {
  const config = databasePoolConfig(loadConfig(env({ DATABASE_CA_CERT: caCert })));
  const client = new Client(config);
  client.on("error", () => undefined);
  try {
    await client.connect();
    return "connected";
  } catch (error) {
    return (error as Error).message;
  } finally {
    await client.end().catch(() => undefined);
  }
}

describe("databasePoolConfig with DATABASE_CA_CERT", () => {
  it("verifies the server's certificate against the CA and drops the URL's weaker TLS parameters", () => {
    const config = databasePoolConfig(loadConfig(env({ DATABASE_CA_CERT: pem.caCert })));
    expect(config.ssl).toMatchObject({ ca: pem.caCert, rejectUnauthorized: true });
    expect(config.connectionString).not.toMatch(/ssl|uselibpqcompat/);
    expect(config.max).toBe(10);
  });

  it("completes the TLS handshake with a server whose certificate chains to the CA, though it names the instance, not the IP", async () => {
    handshakes.length = 0;
    const message = await connectError(pem.caCert);
    // TLS succeeded; the fake server then hangs up instead of speaking the Postgres protocol.
    expect(message).not.toMatch(/certificate|self.signed|verify/i);
    expect(handshakes).toEqual(["secure"]);
  });

  it("refuses a server whose certificate does not chain to the CA", async () => {
    handshakes.length = 0;
    const message = await connectError(pem.otherCaCert);
    expect(message).toMatch(/certificate/i);
    expect(handshakes).not.toContain("secure");
  });

  it("keeps the URL as it is without a CA (local Postgres without TLS) and refuses a CA that is no PEM", () => {
    const config = databasePoolConfig(loadConfig(env({ DATABASE_URL: "postgres://u:p@127.0.0.1:5432/app" })));
    expect(config.ssl).toBeUndefined();
    expect(config.connectionString).toBe("postgres://u:p@127.0.0.1:5432/app");
    expect(() => loadConfig(env({ DATABASE_CA_CERT: "not a certificate" }))).toThrow(/DATABASE_CA_CERT must be a PEM certificate/);
  });
});
