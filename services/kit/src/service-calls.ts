import { GoogleAuth, type IdTokenClient } from "google-auth-library";
import { ServiceCallError, type ServiceCaller } from "./definitions";

/** An ID token for an audience (the target service's URL). */
export type IdTokenSource = (audience: string) => Promise<string>;

/**
 * Google-signed ID tokens of the service's own account, from Application Default Credentials: on Cloud Run the
 * metadata server mints them for any audience (https://cloud.google.com/run/docs/authenticating/service-to-service).
 * google-auth-library caches each audience's token until shortly before it expires.
 */
export function googleIdTokens(auth: GoogleAuth = new GoogleAuth()): IdTokenSource {
  const clients = new Map<string, Promise<IdTokenClient>>();
  return async (audience) => {
    let client = clients.get(audience);
    if (!client) {
      client = auth.getIdTokenClient(audience);
      clients.set(audience, client);
      // A failed lookup (no credentials yet) is not cached.
      client.catch(() => clients.delete(audience));
    }
    const authorization = (await (await client).getRequestHeaders()).get("authorization");
    if (!authorization?.startsWith("Bearer ")) throw new Error(`no ID token for ${audience} from the service's credentials`);
    return authorization.slice("Bearer ".length);
  };
}

export interface ServiceCallerOptions {
  /** Services' URLs by name (PULSURA_SERVICE_<NAME>_URL). */
  urls: Readonly<Record<string, string>>;
  idTokens: IdTokenSource;
  /** @default 30 s */
  timeoutMs?: number;
}

/** `services.call`: a JSON POST to another service's internal route with an ID token for that service's URL. */
export function createServiceCaller(options: ServiceCallerOptions): ServiceCaller {
  return {
    async call<T>(service: string, path: string, body?: unknown): Promise<T> {
      const base = options.urls[service];
      if (!base) {
        throw new Error(
          `services.call("${service}"): no URL for service "${service}" (PULSURA_SERVICE_${service.toUpperCase().replace(/-/g, "_")}_URL is not set); ` +
            `the infrastructure sets it for the services whose internal routes name this service as a caller`,
        );
      }
      if (!/^\/internal\/[a-z][a-z0-9-]*$/.test(path)) throw new Error(`services.call("${service}", "${path}"): the path must be /internal/<name>`);
      const audience = base.replace(/\/$/, "");
      const token = await options.idTokens(audience);
      const response = await fetch(`${audience}${path}`, {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: JSON.stringify(body ?? null),
        signal: AbortSignal.timeout(options.timeoutMs ?? 30_000),
      });
      const text = await response.text();
      let parsed: unknown = text;
      try {
        parsed = text ? JSON.parse(text) : null;
      } catch {
        // Not JSON (a proxy's error page): kept as text for the error.
      }
      if (!response.ok) throw new ServiceCallError(`services.call("${service}", "${path}") answered ${response.status}`, response.status, parsed);
      return parsed as T;
    },
  };
}
