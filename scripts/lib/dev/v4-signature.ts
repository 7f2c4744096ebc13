/**
 * Checks a Cloud Storage V4 signed URL request the way Cloud Storage does
 * (https://cloud.google.com/storage/docs/authentication/signatures#signing-process): the canonical request (method,
 * path, query without the signature, the signed headers as the request carries them, UNSIGNED-PAYLOAD), the string to
 * sign, RSA-SHA256 against the signer's public key, and the expiry. The dev storage front (storage.ts) refuses what
 * Cloud Storage would refuse with it; the files tests check the core service's URLs with it.
 */
import { createHash, createVerify, type KeyObject } from "node:crypto";

/** Why Cloud Storage refuses a signed request: its XML error code and HTTP status. */
export interface SignatureRefusal {
  status: 400 | 403;
  code: "MissingSecurityHeader" | "AuthorizationQueryParametersError" | "ExpiredToken" | "SignatureDoesNotMatch";
  message: string;
}

export interface SignedRequest {
  method: string;
  /** The request target as sent: the percent-encoded path and the query. */
  url: string;
  /** Request headers, names in any case. */
  headers: Record<string, string | string[] | undefined>;
}

/** The longest validity of a V4 signature: 7 days (https://cloud.google.com/storage/docs/access-control/signed-urls#types). */
const maxExpiresSeconds = 604_800;

/** RFC 3986 encoding, as the Storage client encodes query names and values when it signs. */
const encodeRfc3986 = (value: string) => encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

/** `20261202T081500Z` → epoch milliseconds, or NaN. */
function parseGoogDate(value: string): number {
  const match = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  if (!match) return Number.NaN;
  const [, y, mo, d, h, mi, s] = match.map(Number) as [number, number, number, number, number, number, number];
  return Date.UTC(y, mo - 1, d, h, mi, s);
}

/** Whether this is a V4 signed URL request (it carries X-Goog-Signature), which {@link checkV4Signature} then decides. */
export function isV4Signed(url: string): boolean {
  return new URL(url, "http://x").searchParams.has("X-Goog-Signature");
}

/**
 * Decides a V4 signed request: undefined when it holds for `signer` (an account email) and `publicKey` at `now`, else
 * the refusal Cloud Storage answers.
 */
export function checkV4Signature(request: SignedRequest, signer: { email: string; publicKey: KeyObject }, now = Date.now()): SignatureRefusal | undefined {
  const target = new URL(request.url, "http://x");
  const query = target.searchParams;
  const required = ["X-Goog-Algorithm", "X-Goog-Credential", "X-Goog-Date", "X-Goog-Expires", "X-Goog-SignedHeaders", "X-Goog-Signature"];
  const missing = required.filter((name) => !query.has(name));
  if (missing.length > 0) return { status: 400, code: "MissingSecurityHeader", message: `missing ${missing.join(", ")}` };
  if (query.get("X-Goog-Algorithm") !== "GOOG4-RSA-SHA256") {
    return { status: 400, code: "AuthorizationQueryParametersError", message: `X-Goog-Algorithm ${query.get("X-Goog-Algorithm")} is not GOOG4-RSA-SHA256` };
  }
  const [email, ...scopeParts] = query.get("X-Goog-Credential")!.split("/");
  const scope = scopeParts.join("/");
  const date = query.get("X-Goog-Date")!;
  const signedAt = parseGoogDate(date);
  const expires = Number(query.get("X-Goog-Expires"));
  if (!/^\d{8}\/auto\/storage\/goog4_request$/.test(scope) || scope.slice(0, 8) !== date.slice(0, 8)) {
    return { status: 400, code: "AuthorizationQueryParametersError", message: `X-Goog-Credential scope ${scope} is not <date>/auto/storage/goog4_request for ${date}` };
  }
  if (Number.isNaN(signedAt) || !Number.isInteger(expires) || expires < 1 || expires > maxExpiresSeconds) {
    return { status: 400, code: "AuthorizationQueryParametersError", message: `X-Goog-Date ${date} or X-Goog-Expires ${query.get("X-Goog-Expires")} is malformed (expiry 1-${maxExpiresSeconds} s)` };
  }
  if (now > signedAt + expires * 1000) return { status: 400, code: "ExpiredToken", message: "Invalid argument. The provided token has expired." };

  const headers = Object.fromEntries(Object.entries(request.headers).map(([name, value]) => [name.toLowerCase(), Array.isArray(value) ? value.join(",") : value]));
  // The Storage client signs `host` as the endpoint's host name without a port (signer.ts: `fqdn.hostname`), which is
  // what Cloud Storage's own host carries; an endpoint on a port (the emulator's) gets the port in the Host header.
  if (headers.host) headers.host = new URL(`http://${headers.host}`).hostname;
  const signedHeaders = query.get("X-Goog-SignedHeaders")!;
  const canonicalHeaders = signedHeaders
    .split(";")
    .map((name) => `${name}:${(headers[name] ?? "").trim().replace(/\s+/g, " ")}\n`)
    .join("");
  const canonicalQuery = [...query.entries()]
    .filter(([name]) => name !== "X-Goog-Signature")
    .map(([name, value]) => [encodeRfc3986(name), encodeRfc3986(value)] as const)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, value]) => `${name}=${value}`)
    .join("&");
  const path = request.url.split("?")[0]!;
  const canonicalRequest = [request.method.toUpperCase(), path, canonicalQuery, canonicalHeaders, signedHeaders, "UNSIGNED-PAYLOAD"].join("\n");
  const stringToSign = ["GOOG4-RSA-SHA256", date, scope, createHash("sha256").update(canonicalRequest).digest("hex")].join("\n");
  const signature = Buffer.from(query.get("X-Goog-Signature")!, "hex");
  const holds = email === signer.email && createVerify("RSA-SHA256").update(stringToSign).verify(signer.publicKey, signature);
  if (!holds) {
    return { status: 403, code: "SignatureDoesNotMatch", message: "The request signature we calculated does not match the signature you provided. Check your Google secret key and signing method." };
  }
  return undefined;
}

/**
 * The `x-goog-content-length-range: <min>,<max>` check of a signed upload
 * (https://cloud.google.com/storage/docs/xml-api/reference-headers#xgoogcontentlengthrange): outside the range, Cloud
 * Storage fails the request with 400. Undefined when the length fits or no range was sent.
 */
export function contentLengthRefusal(rangeHeader: string | undefined, length: number): string | undefined {
  if (rangeHeader === undefined) return undefined;
  const match = /^\s*(\d+)\s*,\s*(\d+)\s*$/.exec(rangeHeader);
  if (!match) return `x-goog-content-length-range "${rangeHeader}" is not <min>,<max>`;
  const [min, max] = [Number(match[1]), Number(match[2])];
  return length < min || length > max ? `the upload is ${length} bytes; x-goog-content-length-range allows ${min}-${max}` : undefined;
}
