import type { PoolConfig } from "pg";
import type { ServiceConfig } from "./config";

/** TLS parameters of a connection string that pg would let override the `ssl` option built here. */
const urlTlsParameters = ["ssl", "sslmode", "sslrootcert", "sslcert", "sslkey", "uselibpqcompat"];

/**
 * The `pg` pool settings of a service. With `databaseCaCert` (on Cloud Run: the Cloud SQL instance's server CA) the
 * connection is TLS that verifies the server's certificate chains to that CA, as libpq's `sslmode=verify-ca`: Cloud SQL
 * server certificates name the instance, not the private IP the service dials, so the host name is not compared
 * (https://cloud.google.com/sql/docs/postgres/configure-ssl-instance). TLS parameters in the URL are dropped then,
 * because pg lets the parsed URL override `ssl`. Without a CA the URL alone decides (local Postgres without TLS).
 */
export function databasePoolConfig(config: Pick<ServiceConfig, "databaseUrl" | "databasePoolMax" | "databaseCaCert">): PoolConfig {
  const base: PoolConfig = {
    max: config.databasePoolMax,
    // Fail a request (and /readyz) instead of queueing forever when the database is unreachable.
    connectionTimeoutMillis: 5_000,
    idleTimeoutMillis: 30_000,
  };
  if (!config.databaseCaCert) return { ...base, connectionString: config.databaseUrl };
  const url = new URL(config.databaseUrl);
  for (const parameter of urlTlsParameters) url.searchParams.delete(parameter);
  return {
    ...base,
    connectionString: url.toString(),
    ssl: {
      ca: config.databaseCaCert,
      rejectUnauthorized: true,
      // verify-ca: the chain is checked above; the name in the certificate is the instance's, not the IP's.
      checkServerIdentity: () => undefined,
    },
  };
}
