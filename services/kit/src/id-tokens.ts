import { OAuth2Client } from "google-auth-library";

/** A refused token: 401 for a missing or invalid token, 403 for a valid token of someone else, 503 when nothing can be checked. */
export class IdTokenError extends Error {
  constructor(
    message: string,
    readonly status: 401 | 403 | 503,
  ) {
    super(message);
    this.name = "IdTokenError";
  }
}

/** Checks Google-signed ID tokens (the OIDC tokens of Pub/Sub pushes, Cloud Tasks and service-to-service calls). */
export interface IdTokenVerifier {
  /**
   * Resolves with the token's email when `authorization` is `Bearer <Google-signed ID token>` for `audience` whose
   * verified email is one of `accounts`; rejects with an {@link IdTokenError} otherwise.
   */
  verify(authorization: string | undefined, expected: { audience: string; accounts: readonly string[] }): Promise<string>;
}

/**
 * Verifies Google-signed ID tokens with google-auth-library: the signature against Google's certificates (fetched and
 * cached from `oauth2FederatedSignonPemCertsUrl`), the issuer (accounts.google.com), the expiry and the audience; then
 * the `email` claim, which must be verified (`email_verified`) and one of the expected accounts
 * (https://cloud.google.com/run/docs/authenticating/service-to-service, https://cloud.google.com/tasks/docs/creating-http-target-tasks).
 * @param options.certificatesUrl where the signing certificates are (PEM by key id). @default Google's
 *   (https://www.googleapis.com/oauth2/v1/certs); tests serve their own key's there
 * @param options.certificates the certificates themselves instead (npm run dev's per-run key)
 */
export function createIdTokenVerifier(options: { certificatesUrl?: string; certificates?: Record<string, string> } = {}): IdTokenVerifier {
  const client = new OAuth2Client(options.certificatesUrl ? { endpoints: { oauth2FederatedSignonPemCertsUrl: options.certificatesUrl } } : {});
  // npm run dev's per-run key: the library's own check (verifyIdToken does the same once it has fetched Google's).
  const verifyIdToken = options.certificates
    ? async ({ idToken, audience }: { idToken: string; audience: string }) =>
        client.verifySignedJwtWithCertsAsync(idToken, options.certificates!, audience, ["accounts.google.com", "https://accounts.google.com"])
    : (request: { idToken: string; audience: string }) => client.verifyIdToken(request);
  return {
    async verify(authorization, expected) {
      const match = /^Bearer ([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)$/.exec(authorization ?? "");
      if (!match) throw new IdTokenError("this route needs Authorization: Bearer <Google-signed ID token>", 401);
      let payload;
      try {
        payload = (await verifyIdToken({ idToken: match[1]!, audience: expected.audience })).getPayload();
      } catch (error) {
        throw new IdTokenError(`the ID token is not valid: ${(error as Error).message}`, 401);
      }
      if (!payload?.email || payload.email_verified !== true || !expected.accounts.includes(payload.email)) {
        throw new IdTokenError(`the ID token is not from ${expected.accounts.join(" or ") || "(no allowed account)"}`, 403);
      }
      return payload.email;
    },
  };
}
