/**
 * Hasura's authentication webhook for local development: turns Firebase Auth EMULATOR ID tokens into Hasura
 * session variables.
 *
 * Why a webhook and not Hasura's JWT mode, as deployed stacks use: the Auth emulator issues unsigned tokens
 * (`"alg": "none"`, empty signature), and Hasura v2 verifies a signature in every JWT mode. A
 * `HASURA_GRAPHQL_JWT_SECRET` of `{"type":"RS256","jwk_url":…}` (the deployed config) or any HS/RS key fails
 * with `JWSError JWSNoSignatures`, and Hasura has no option to accept unsigned tokens
 * (https://github.com/hasura/graphql-engine/issues/6338, open). Webhook mode (`HASURA_GRAPHQL_AUTH_HOOK`) is
 * the documented alternative: Hasura forwards the client's headers, and this hook answers with the session.
 *
 * The hook applies the rules Hasura's JWT mode applies to the deployed tokens, so clients behave the same:
 * the session comes from the `https://hasura.io/jwt/claims` claims (put there by the beforeUserCreated
 * function), `x-hasura-role` picks one of `x-hasura-allowed-roles` (default `x-hasura-default-role`), the issuer
 * and audience must be the emulator project's, and the token must not be expired. Without an Authorization
 * header the request gets the unauthorized role, `anonymous`, like HASURA_GRAPHQL_UNAUTHORIZED_ROLE does.
 * It accepts ONLY unsigned emulator tokens: it must never run in front of a real Firebase project.
 *
 * Spec: https://hasura.io/docs/latest/auth/authentication/webhook/ (GET mode: the client's headers arrive as
 * the hook request's headers; 200 with a JSON object of session variables, or 401 to deny).
 */
import * as http from "node:http";
import type { AddressInfo } from "node:net";

/** The Hasura claims namespace (Hasura's default, as in functions/src/claims.ts). */
export const hasuraClaimsNamespace = "https://hasura.io/jwt/claims";
/** The role of requests without a token, as HASURA_GRAPHQL_UNAUTHORIZED_ROLE is on deployed stacks. */
export const unauthorizedRole = "anonymous";
/** Hasura's built-in full-access role: the admin secret's, never a token's. */
const hasuraAdminRole = "admin";
/** Path Hasura calls. */
export const authHookPath = "/hasura/auth";

export type AuthHookResult =
  | { status: 200; session: Record<string, string> }
  | { status: 401; message: string };

/**
 * Decides one webhook call from the client's headers. Pure, so it can be tested without a server.
 * @param headers the headers Hasura forwarded (lower-case names, as node:http delivers them)
 * @param projectId the Firebase project of the Auth emulator
 * @param nowSeconds the current time, seconds since the epoch
 */
export function authenticate(
  headers: Record<string, string | string[] | undefined>,
  projectId: string,
  nowSeconds = Math.floor(Date.now() / 1000),
): AuthHookResult {
  const authorization = single(headers.authorization);
  if (!authorization) return { status: 200, session: { "X-Hasura-Role": unauthorizedRole } };
  const match = /^Bearer\s+(\S+)$/i.exec(authorization.trim());
  if (!match) return deny("the Authorization header is not `Bearer <Firebase ID token>`");

  const parts = match[1]!.split(".");
  if (parts.length !== 3) return deny("the bearer token is not a JWT");
  const header = decodePart(parts[0]!);
  const payload = decodePart(parts[1]!);
  if (!header || !payload) return deny("the bearer token is not a JWT (undecodable header or payload)");
  if (header.alg !== "none" || parts[2] !== "") {
    return deny("only unsigned Auth emulator tokens are accepted locally (this token is signed: is the app using the emulator?)");
  }
  const issuer = `https://securetoken.google.com/${projectId}`;
  if (payload.iss !== issuer) return deny(`token issuer ${JSON.stringify(payload.iss)} is not ${issuer}`);
  if (payload.aud !== projectId) return deny(`token audience ${JSON.stringify(payload.aud)} is not ${projectId}`);
  if (typeof payload.exp !== "number" || payload.exp <= nowSeconds) return deny("the token has expired");
  if (typeof payload.sub !== "string" || payload.sub === "") return deny("the token has no subject (uid)");

  const claims = payload[hasuraClaimsNamespace];
  if (!claims || typeof claims !== "object" || Array.isArray(claims)) {
    return deny(`the token has no ${hasuraClaimsNamespace} claims (users created before the functions ran have none)`);
  }
  const session = claims as Record<string, unknown>;
  const defaultRole = session["x-hasura-default-role"];
  const allowedRoles = session["x-hasura-allowed-roles"];
  if (typeof defaultRole !== "string" || !Array.isArray(allowedRoles) || !allowedRoles.every((role) => typeof role === "string")) {
    return deny("the Hasura claims lack x-hasura-default-role or x-hasura-allowed-roles");
  }
  if (!allowedRoles.includes(defaultRole)) return deny("x-hasura-default-role is not one of x-hasura-allowed-roles");
  // Hasura's JWT mode would grant a token naming `admin` full access (metadata API, run_sql): no token of this stack
  // names it (services/kit/src/claims.ts), and a token that does is refused rather than trusted.
  if (allowedRoles.includes(hasuraAdminRole)) return deny(`the token's allowed roles name ${hasuraAdminRole}, Hasura's built-in role for the admin secret alone`);
  const requestedRole = single(headers["x-hasura-role"]);
  if (requestedRole !== undefined && !allowedRoles.includes(requestedRole)) {
    return deny(`x-hasura-role ${JSON.stringify(requestedRole)} is not one of the token's allowed roles ${JSON.stringify(allowedRoles)}`);
  }

  // Like JWT mode: every other x-hasura-* claim becomes a session variable (values as strings).
  const result: Record<string, string> = {};
  for (const [key, value] of Object.entries(session)) {
    const lower = key.toLowerCase();
    if (!lower.startsWith("x-hasura-") || lower === "x-hasura-default-role" || lower === "x-hasura-allowed-roles") continue;
    result[key] = typeof value === "string" ? value : JSON.stringify(value);
  }
  result["X-Hasura-Role"] = requestedRole ?? defaultRole;
  return { status: 200, session: result };
}

function deny(message: string): AuthHookResult {
  return { status: 401, message };
}

/** The first value of a header node:http may deliver as a list. */
export function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function decodePart(part: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(part, "base64url").toString("utf8"));
    return value && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

export interface AuthHookServer {
  /** The URL Hasura calls from this machine, e.g. http://127.0.0.1:8079/hasura/auth. */
  url: string;
  close(): Promise<void>;
}

/** Serves {@link authenticate} at `GET /hasura/auth` (and answers 404 elsewhere). */
export async function startAuthHook(options: { port: number; host: string; projectId: string }): Promise<AuthHookServer> {
  const server = http.createServer((request, response) => {
    const pathname = new URL(request.url ?? "/", "http://localhost").pathname;
    if (pathname !== authHookPath) {
      response.writeHead(404, { "content-type": "application/json" }).end(JSON.stringify({ message: "not found" }));
      return;
    }
    if (request.method !== "GET") {
      response.writeHead(405, { allow: "GET", "content-type": "application/json" }).end(JSON.stringify({ message: "use GET" }));
      return;
    }
    const result = authenticate(request.headers, options.projectId);
    const body = result.status === 200 ? result.session : { message: result.message };
    response.writeHead(result.status, { "content-type": "application/json" }).end(JSON.stringify(body));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}${authHookPath}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
