/** Env names that carry secrets and must come from Secret Manager. */
export const SECRET_ENV = /(SECRET|PASSWORD|TOKEN|PRIVATE_KEY|CREDENTIALS|DATABASE_URL|_DSN)$/;

/**
 * Names that match SECRET_ENV but hold no secret: Hasura's JWT config for Firebase names Google's public key URL,
 * the audience and the issuer (a shared HMAC key would be a secret; the hasura-jwt-audience rule rejects one).
 */
export const PUBLIC_ENV = new Set(["HASURA_GRAPHQL_JWT_SECRET"]);

/** Whether a plain env value with this name would be a secret in plain text. */
export function isSecretEnvName(name: string): boolean {
  return SECRET_ENV.test(name) && !PUBLIC_ENV.has(name);
}
