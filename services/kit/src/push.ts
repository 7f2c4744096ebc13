import { OAuth2Client } from "google-auth-library";

/** Who signed a push request's token, once verified. */
export interface PushTokenVerifier {
  /**
   * Resolves for a Google-signed ID token for `audience` whose verified email is `serviceAccount`; rejects with a
   * {@link PushTokenError} (401 for a missing or invalid token, 403 for a valid token of someone else).
   */
  verify(authorization: string | undefined): Promise<void>;
}

export class PushTokenError extends Error {
  constructor(
    message: string,
    readonly status: 401 | 403 | 503,
  ) {
    super(message);
    this.name = "PushTokenError";
  }
}

/**
 * Verifies the OIDC token Pub/Sub sends with each push (https://cloud.google.com/pubsub/docs/authenticate-push-subscriptions):
 * `Authorization: Bearer <Google-signed JWT>`, its `aud` the push endpoint's audience, `email` the subscription's
 * service account with `email_verified`. google-auth-library checks the signature against Google's certificates
 * (fetched and cached from `oauth2FederatedSignonPemCertsUrl`), the issuer (accounts.google.com) and the expiry.
 * @param options.certificatesUrl where the signing certificates are (PEM by key id). @default Google's
 *   (https://www.googleapis.com/oauth2/v1/certs); tests serve their own key's there
 */
export function createPushTokenVerifier(
  expected: { audience: string; serviceAccount: string },
  options: { certificatesUrl?: string } = {},
): PushTokenVerifier {
  const client = new OAuth2Client(options.certificatesUrl ? { endpoints: { oauth2FederatedSignonPemCertsUrl: options.certificatesUrl } } : {});
  return {
    async verify(authorization) {
      const match = /^Bearer ([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)$/.exec(authorization ?? "");
      if (!match) throw new PushTokenError("a push needs Authorization: Bearer <Google-signed OIDC token>", 401);
      let payload;
      try {
        payload = (await client.verifyIdToken({ idToken: match[1]!, audience: expected.audience })).getPayload();
      } catch (error) {
        throw new PushTokenError(`the push token is not valid: ${(error as Error).message}`, 401);
      }
      if (!payload || payload.email !== expected.serviceAccount || payload.email_verified !== true) {
        throw new PushTokenError(`the push token is not from ${expected.serviceAccount}`, 403);
      }
    },
  };
}
