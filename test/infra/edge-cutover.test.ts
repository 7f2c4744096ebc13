/**
 * How the program learns whether the API domain's certificate serves (infra/edge-cutover.ts): Compute Engine's
 * sslCertificates.get through google-auth-library, answered here by a local HTTP server in Compute Engine's documented
 * shapes (https://cloud.google.com/compute/docs/reference/rest/v1/sslCertificates/get), since no Google API is
 * reachable from this machine. The plans that follow from each status are in test/infra/edge.test.ts.
 */
import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import { OAuth2Client } from "google-auth-library";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEPLOYER_PROJECT_ROLES, PREVIEWER_PROJECT_ROLES } from "../../infra/bootstrap/deployer-roles";
import { readRolePermissionTable } from "../../infra/bootstrap/escalation";
import {
  CERTIFICATE_STATUSES,
  certificateServes,
  computeApiReader,
  edgeCertificateName,
  readCertificateStatus,
  setCertificateStatusReader,
  type AuthorizedClient,
} from "../../infra/edge-cutover";

interface Answer {
  status: number;
  body: unknown;
}

let answer: Answer = { status: 200, body: {} };
const seen: Array<{ url: string; headers: IncomingHttpHeaders }> = [];
const server = createServer((request, response) => {
  seen.push({ url: request.url ?? "", headers: request.headers });
  response.writeHead(answer.status, { "content-type": "application/json" });
  response.end(JSON.stringify(answer.body));
});
let rootUrl = "";

beforeAll(async () => {
  await new Promise<void>((listening) => server.listen(0, "127.0.0.1", listening));
  rootUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((closed) => server.close(() => closed())));

/** google-auth-library's own client with a token already in hand: it sends the Authorization header as with ADC. */
function client(): AuthorizedClient {
  const oauth = new OAuth2Client();
  oauth.setCredentials({ access_token: "test-token", expiry_date: Date.now() + 3_600_000 });
  return oauth as unknown as AuthorizedClient;
}
const read = (reply: Answer, quotaProject?: string) => {
  answer = reply;
  return computeApiReader(async () => client(), rootUrl)({ project: "pulsura-edge", name: "pulsura-edge-cert-130726d9", ...(quotaProject ? { quotaProject } : {}) });
};
const computeError = (code: number, message: string, extra: Record<string, unknown> = {}) => ({ error: { code, message, ...extra } });

describe("reading the API certificate's status from Compute Engine", () => {
  it("asks for the named global certificate with the caller's token and the quota project, and returns its managed status", async () => {
    seen.length = 0;
    await expect(read({ status: 200, body: { name: "pulsura-edge-cert-130726d9", type: "MANAGED", managed: { domains: ["api.pulsura.example.com"], status: "ACTIVE" } } }, "pulsura-edge")).resolves.toBe("ACTIVE");
    expect(seen).toHaveLength(1);
    expect(seen[0]!.url).toBe("/compute/v1/projects/pulsura-edge/global/sslCertificates/pulsura-edge-cert-130726d9");
    expect(seen[0]!.headers).toMatchObject({ authorization: "Bearer test-token", "x-goog-user-project": "pulsura-edge" });
    await expect(read({ status: 200, body: { managed: { status: "PROVISIONING", domainStatus: { "api.pulsura.example.com": "PROVISIONING" } } } })).resolves.toBe("PROVISIONING");
  });

  it("answers ABSENT where the certificate does not exist yet, or Compute Engine is not enabled (so there is none)", async () => {
    await expect(read({ status: 404, body: computeError(404, "The resource 'projects/pulsura-edge/global/sslCertificates/pulsura-edge-cert-130726d9' was not found", { errors: [{ reason: "notFound" }] }) })).resolves.toBe("ABSENT");
    const disabled = "Compute Engine API has not been used in project 123456789012 before or it is disabled.";
    await expect(read({ status: 403, body: computeError(403, disabled, { errors: [{ reason: "accessNotConfigured", domain: "usageLimits" }] }) })).resolves.toBe("ABSENT");
    await expect(read({ status: 403, body: computeError(403, disabled, { status: "PERMISSION_DENIED", details: [{ "@type": "type.googleapis.com/google.rpc.ErrorInfo", reason: "SERVICE_DISABLED" }] }) })).resolves.toBe("ABSENT");
  });

  it("refuses to guess on a missing permission, a server error, an unknown status or no connection, naming what it needs", async () => {
    await expect(read({ status: 403, body: computeError(403, "Required 'compute.sslCertificates.get' permission for 'projects/pulsura-edge/global/sslCertificates/x'", { errors: [{ reason: "forbidden" }] }) })).rejects.toThrow(
      /could not read the API certificate pulsura-edge-cert-130726d9 in project pulsura-edge: Required 'compute.sslCertificates.get'.*The caller needs compute.sslCertificates.get.*nothing was planned/s,
    );
    await expect(read({ status: 503, body: computeError(503, "Internal error. Please try again") })).rejects.toThrow(/Internal error. Please try again\..*nothing was planned/s);
    await expect(read({ status: 200, body: { managed: { status: "SOMETHING_NEW" } } })).rejects.toThrow(/a status this program does not know: SOMETHING_NEW/);
    const closed = computeApiReader(async () => client(), "http://127.0.0.1:9");
    await expect(closed({ project: "pulsura-edge", name: "c" })).rejects.toThrow(/could not read the API certificate c in project pulsura-edge \(http:\/\/127\.0\.0\.1:9\/compute\/v1\/projects\/pulsura-edge\/global\/sslCertificates\/c\)/);
  });
});

describe("the program's own reader (Application Default Credentials)", () => {
  it("stops with the reason when it has no usable credentials, rather than guessing a status", async () => {
    const saved = process.env.GOOGLE_APPLICATION_CREDENTIALS;
    process.env.GOOGLE_APPLICATION_CREDENTIALS = "/nonexistent/pulsura-test-credentials.json";
    try {
      setCertificateStatusReader(undefined);
      await expect(readCertificateStatus({ project: "pulsura-edge", name: "pulsura-edge-cert-130726d9" })).rejects.toThrow(
        /could not read the API certificate pulsura-edge-cert-130726d9 in project pulsura-edge \(https:\/\/compute\.googleapis\.com\/.*\): .*pulsura-test-credentials\.json/,
      );
    } finally {
      if (saved === undefined) delete process.env.GOOGLE_APPLICATION_CREDENTIALS;
      else process.env.GOOGLE_APPLICATION_CREDENTIALS = saved;
    }
  });
});

describe("what the status decides", () => {
  it("puts Hasura behind the edge only while the certificate serves HTTPS (ACTIVE, or RENEWAL_FAILED with the old one still serving)", () => {
    const serving = CERTIFICATE_STATUSES.filter(certificateServes);
    expect(serving).toEqual(["RENEWAL_FAILED", "ACTIVE"]);
  });

  it("names the certificate per domain, within Compute Engine's name format for the longest tenant", () => {
    const longest = "a".repeat(22);
    const name = edgeCertificateName(longest, "api.example.com");
    // RFC 1035, at most 63: https://cloud.google.com/compute/docs/naming-resources#resource-name-format
    expect(name).toMatch(/^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/);
    expect(edgeCertificateName("pulsura", "api.example.com")).toBe(edgeCertificateName("pulsura", "api.example.com"));
    expect(edgeCertificateName("pulsura", "api.example.com")).not.toBe(edgeCertificateName("pulsura", "api.example.org"));
  });
});

describe("who may read it", () => {
  it("is readable by the previewer (pull-request previews) and the deployer, by the dated role table", () => {
    const table = readRolePermissionTable();
    const holds = (roles: ReadonlyArray<{ role: string }>) => roles.filter(({ role }) => table.roles[role]?.permissions.includes("compute.sslCertificates.get")).map(({ role }) => role);
    expect(holds(PREVIEWER_PROJECT_ROLES)).toContain("roles/compute.networkViewer");
    expect(holds(DEPLOYER_PROJECT_ROLES).length).toBeGreaterThan(0);
  });
});
