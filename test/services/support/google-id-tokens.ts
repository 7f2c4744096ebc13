/**
 * Google-style ID tokens for tests: RS256 JWTs signed by a local key whose certificate a local server publishes in the
 * shape of https://www.googleapis.com/oauth2/v1/certs (key id → PEM), where google-auth-library fetches it as it
 * fetches Google's. The services verify them through the same code path as Google-signed ones.
 */
import { createSign, generateKeyPairSync } from "node:crypto";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { onCleanup } from "../../support/cleanup";

export interface TokenIssuer {
  /** Where the certificates are (createIdTokenVerifier's certificatesUrl). */
  certificatesUrl: string;
  /** A token for `audience` with `email` (verified unless told otherwise). */
  sign(claims: { audience: string; email: string; emailVerified?: boolean; expiresInSeconds?: number; issuer?: string }): string;
  close(): Promise<void>;
}

const keyId = "test-key";

export async function startTokenIssuer(): Promise<TokenIssuer> {
  const key = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const server = http.createServer((_request, response) => {
    response.setHeader("content-type", "application/json");
    response.end(JSON.stringify({ [keyId]: key.publicKey.export({ type: "spki", format: "pem" }) }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const stop = () => new Promise<void>((resolve) => (server.listening ? server.close(() => resolve()) : resolve()));
  const done = onCleanup("token issuer", stop);
  const close = () => stop().then(done);
  const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
  return {
    certificatesUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/certs`,
    sign({ audience, email, emailVerified = true, expiresInSeconds = 3600, issuer = "https://accounts.google.com" }) {
      const now = Math.floor(Date.now() / 1000);
      const unsigned = `${encode({ alg: "RS256", kid: keyId, typ: "JWT" })}.${encode({
        iss: issuer,
        aud: audience,
        azp: email,
        sub: "1234567890",
        email,
        email_verified: emailVerified,
        iat: now,
        exp: now + expiresInSeconds,
      })}`;
      return `${unsigned}.${createSign("RSA-SHA256").update(unsigned).sign(key.privateKey).toString("base64url")}`;
    },
    close,
  };
}
