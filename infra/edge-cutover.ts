/**
 * When Hasura's API moves behind the edge (issue 19): its ingress is narrowed to the load balancer only once the API
 * domain's Google-managed certificate serves, because until then the deploy itself could not reach Hasura.
 *
 * The deploy's migrations, seeds and metadata run from wherever `pulumi up` runs (outside the VPC), through Hasura's
 * API. Behind the narrowed ingress the run.app URL answers the internet 404, so the only way in is the domain, and
 * HTTPS on the domain works only once its managed certificate is ACTIVE, which takes 15-60 minutes after the user's
 * DNS record resolves (https://cloud.google.com/load-balancing/docs/ssl-certificates/google-managed-certs). A stack's
 * first `pulumi up` creates that certificate, so it cannot wait for it. So the program reads the certificate's status
 * from Google before it declares anything, in preview as in up:
 *
 * - not created yet, or still provisioning (or failed to): Hasura keeps ingress `all`, the deploy and the functions
 *   call it at its run.app URL, and the API service carries the label {@link CUTOVER_LABEL}; the edge is built and
 *   waiting. The policy pack reports it (advisory `edge-cutover-pending`) on every preview until it is over.
 * - ACTIVE (or RENEWAL_FAILED, where "the existing cert is still serving"): the ingress is narrowed to the load
 *   balancer, and the deploy and the functions go through the domain. The next `pulumi up` after the certificate
 *   turns ACTIVE makes the cut; nothing in the stack file changes.
 *
 * The read fails the program instead of guessing when Google answers anything else: a stack that is already behind
 * its edge must not fall back to an open run.app URL because of a permission or a network error.
 */
import { createHash } from "node:crypto";

/**
 * A managed certificate's `managed.status`, as Compute Engine reports it (sslCertificates resource,
 * https://cloud.google.com/compute/docs/reference/rest/v1/sslCertificates), or `ABSENT` when there is no such
 * certificate in the project (or Compute Engine is not enabled there yet, so there can be none).
 */
export const CERTIFICATE_STATUSES = [
  "ABSENT",
  "PROVISIONING",
  "PROVISIONING_FAILED",
  "PROVISIONING_FAILED_PERMANENTLY",
  "RENEWAL_FAILED",
  "ACTIVE",
  "MANAGED_CERTIFICATE_STATUS_UNSPECIFIED",
] as const;
export type CertificateStatus = (typeof CERTIFICATE_STATUSES)[number];

/**
 * Where the certificate serves HTTPS: ACTIVE, and RENEWAL_FAILED ("The existing cert is still serving; however, it
 * will expire shortly", the Status enum of SslCertificateManagedSslCertificate in Google's Compute v1 reference).
 */
export function certificateServes(status: CertificateStatus): boolean {
  return status === "ACTIVE" || status === "RENEWAL_FAILED";
}

/** Label on Hasura's API service while the edge waits for its certificate (policy/rules/edge.ts reads it). */
export const CUTOVER_LABEL = { key: "pulsura-api-cutover", value: "awaiting-certificate" } as const;

/**
 * The managed certificate's name: fixed per domain, so the program can read its status before declaring it, and a
 * new domain gets a new certificate (created before the old one is deleted: the proxy is never without one).
 * `<tenant>-edge-cert-<8 hex>`: at most 41 characters for a 22-character tenant, within Compute Engine's 63.
 */
export function edgeCertificateName(tenant: string, domain: string): string {
  return `${tenant}-edge-cert-${createHash("sha256").update(domain).digest("hex").slice(0, 8)}`;
}

export interface CertificateLookup {
  project: string;
  name: string;
  /** The provider's `gcp:billingProject` when `gcp:userProjectOverride` is on: the quota project of the call. */
  quotaProject?: string;
}

/** Reads a managed certificate's status. */
export type CertificateStatusReader = (lookup: CertificateLookup) => Promise<CertificateStatus>;

/** Anything that sends an authenticated request the way google-auth-library's clients do. */
export interface AuthorizedClient {
  request<T>(options: { url: string; method: "GET"; headers?: Record<string, string>; validateStatus?: (status: number) => boolean }): Promise<{ status: number; data: T }>;
}

interface ComputeError {
  error?: { code?: number; message?: string; status?: string; errors?: Array<{ reason?: string }>; details?: Array<{ reason?: string }> };
}

/** Compute Engine answers 403 with reason accessNotConfigured (its own) or SERVICE_DISABLED (ErrorInfo) while the API is off. */
function isApiDisabled(body: ComputeError): boolean {
  const reasons = [...(body.error?.errors ?? []), ...(body.error?.details ?? [])].map((entry) => entry.reason);
  return reasons.includes("accessNotConfigured") || reasons.includes("SERVICE_DISABLED");
}

/**
 * `GET compute/v1/projects/{project}/global/sslCertificates/{name}` with the caller's Application Default Credentials
 * (what the Google provider uses too: google-github-actions/auth sets them in CI). The previewer reads it through
 * roles/compute.networkViewer (compute.sslCertificates.get), the deployer through roles/compute.loadBalancerAdmin.
 */
export function computeApiReader(client: () => Promise<AuthorizedClient>, rootUrl = "https://compute.googleapis.com"): CertificateStatusReader {
  return async ({ project, name, quotaProject }) => {
    const url = `${rootUrl}/compute/v1/projects/${encodeURIComponent(project)}/global/sslCertificates/${encodeURIComponent(name)}`;
    let response: { status: number; data: { managed?: { status?: string } } & ComputeError };
    try {
      response = await (await client()).request({
        url,
        method: "GET",
        ...(quotaProject ? { headers: { "x-goog-user-project": quotaProject } } : {}),
        validateStatus: () => true,
      });
    } catch (error) {
      throw new Error(`could not read the API certificate ${name} in project ${project} (${url}): ${(error as Error).message}`);
    }
    if (response.status === 404 || (response.status === 403 && isApiDisabled(response.data))) return "ABSENT";
    if (response.status !== 200) {
      const reason = response.data?.error?.message ?? `HTTP ${response.status}`;
      const permission = response.status === 403 ? " The caller needs compute.sslCertificates.get on the project (the previewer and the deployer roles of infra/bootstrap hold it)." : "";
      throw new Error(`could not read the API certificate ${name} in project ${project}: ${reason}.${permission} Hasura's ingress depends on it, so nothing was planned.`);
    }
    const status = response.data.managed?.status ?? "MANAGED_CERTIFICATE_STATUS_UNSPECIFIED";
    if (!(CERTIFICATE_STATUSES as readonly string[]).includes(status)) throw new Error(`the API certificate ${name} in project ${project} has a status this program does not know: ${status}`);
    return status as CertificateStatus;
  };
}

// Loaded when a status is read, so the policy pack (which reads CUTOVER_LABEL) does not load Google's auth library.
const defaultReader = computeApiReader(async () => {
  const { GoogleAuth } = await import("google-auth-library");
  return (await new GoogleAuth({ scopes: ["https://www.googleapis.com/auth/cloud-platform"] }).getClient()) as unknown as AuthorizedClient;
});
let reader: CertificateStatusReader = defaultReader;

/**
 * Replaces the reader for this process: the offline plan (scripts/lib/offline-plan.ts) has no Google credentials and
 * plans a certificate status it is told. Set before the program is imported.
 */
export function setCertificateStatusReader(replacement: CertificateStatusReader | undefined): void {
  reader = replacement ?? defaultReader;
}

/** The managed certificate's status, by the reader of this process. */
export function readCertificateStatus(lookup: CertificateLookup): Promise<CertificateStatus> {
  return reader(lookup);
}
