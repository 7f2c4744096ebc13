import { createIdTokenVerifier, IdTokenError } from "./id-tokens";

/** Who signed a push request's token, once verified. */
export interface PushTokenVerifier {
  /**
   * Resolves for a Google-signed ID token for `audience` whose verified email is `serviceAccount`; rejects with a
   * {@link PushTokenError} (401 for a missing or invalid token, 403 for a valid token of someone else).
   */
  verify(authorization: string | undefined): Promise<void>;
}

/** The error push routes answer with; the same as every ID-token route's. */
export const PushTokenError = IdTokenError;

/**
 * Verifies the OIDC token Pub/Sub sends with each push (https://cloud.google.com/pubsub/docs/authenticate-push-subscriptions):
 * `Authorization: Bearer <Google-signed JWT>`, its `aud` the push endpoint's audience, `email` the subscription's
 * service account with `email_verified` (id-tokens.ts, which the job and internal routes share).
 * @param options.certificatesUrl where the signing certificates are (PEM by key id). @default Google's
 *   (https://www.googleapis.com/oauth2/v1/certs); tests serve their own key's there
 */
export function createPushTokenVerifier(
  expected: { audience: string; serviceAccount: string },
  options: { certificatesUrl?: string } = {},
): PushTokenVerifier {
  const verifier = createIdTokenVerifier(options);
  return {
    async verify(authorization) {
      await verifier.verify(authorization, { audience: expected.audience, accounts: [expected.serviceAccount] });
    },
  };
}
