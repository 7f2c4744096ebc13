/**
 * A minimal client for Hasura's GraphQL endpoint (`POST /v1/graphql`) authenticated with the admin secret.
 *
 * Hasura answers GraphQL-level failures (access denied, validation, constraint violations, Postgres errors) with
 * HTTP 200 and `{ errors: [{ message, extensions: { code, path } }] }`; anything that is not a 2xx JSON body comes
 * from the network or a proxy in front of it. Both become exceptions here so that a background function fails and
 * is retried.
 */

/** One entry of Hasura's `errors` array. */
export interface HasuraGraphqlErrorEntry {
  message: string;
  extensions?: { code?: string; path?: string; [key: string]: unknown };
}

/** Hasura answered, but with GraphQL `errors`. */
export class HasuraGraphqlError extends Error {
  override readonly name = "HasuraGraphqlError";
  constructor(
    readonly operationName: string,
    readonly errors: HasuraGraphqlErrorEntry[],
  ) {
    super(
      `Hasura rejected ${operationName}: ` +
        errors.map((e) => `${e.message}${e.extensions?.code ? ` [${e.extensions.code}]` : ""}`).join("; "),
    );
  }
}

/** The request did not reach Hasura, or something answered that is not a Hasura GraphQL response. */
export class HasuraRequestError extends Error {
  override readonly name = "HasuraRequestError";
  constructor(
    readonly operationName: string,
    message: string,
    readonly status?: number,
    options?: { cause?: unknown },
  ) {
    super(`Hasura request ${operationName} failed: ${message}`, options);
  }
}

export interface HasuraClientOptions {
  /** Full URL of Hasura's GraphQL endpoint, e.g. `https://hasura.example.com/v1/graphql`. */
  url: string;
  /** Sent as `x-hasura-admin-secret`; never logged or put into error messages. */
  adminSecret: string;
  /** Abort a request after this many milliseconds. @default 20000 */
  timeoutMs?: number;
  /** For tests. @default globalThis.fetch */
  fetch?: typeof fetch;
}

export interface HasuraClient {
  /**
   * Runs one named GraphQL operation and returns its `data`.
   * @throws HasuraGraphqlError when Hasura answers with `errors`; HasuraRequestError for transport failures.
   */
  request<TData>(operationName: string, query: string, variables: Record<string, unknown>): Promise<TData>;
}

/** How many characters of an unexpected response body to quote in an error. */
const maxQuotedBody = 300;

export function createHasuraClient(options: HasuraClientOptions): HasuraClient {
  const url = parseEndpoint(options.url);
  if (!options.adminSecret) {
    throw new Error("Hasura admin secret is empty (HASURA_GRAPHQL_ADMIN_SECRET)");
  }
  const fetchImpl = options.fetch ?? globalThis.fetch;
  const timeoutMs = options.timeoutMs ?? 20_000;

  return {
    async request<TData>(operationName: string, query: string, variables: Record<string, unknown>): Promise<TData> {
      let response: Response;
      try {
        response = await fetchImpl(url, {
          method: "POST",
          headers: {
            "content-type": "application/json",
            accept: "application/json",
            "x-hasura-admin-secret": options.adminSecret,
          },
          body: JSON.stringify({ operationName, query, variables }),
          signal: AbortSignal.timeout(timeoutMs),
        });
      } catch (error) {
        throw new HasuraRequestError(operationName, errorMessage(error), undefined, { cause: error });
      }

      const text = await response.text();
      if (!response.ok) {
        throw new HasuraRequestError(operationName, `HTTP ${response.status}: ${quote(text)}`, response.status);
      }
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        throw new HasuraRequestError(operationName, `response is not JSON: ${quote(text)}`, response.status);
      }
      if (!isObject(body)) {
        throw new HasuraRequestError(operationName, `response is not a JSON object: ${quote(text)}`, response.status);
      }
      if (Array.isArray(body.errors) && body.errors.length > 0) {
        throw new HasuraGraphqlError(operationName, body.errors.map(toErrorEntry));
      }
      if (!isObject(body.data)) {
        throw new HasuraRequestError(operationName, `response has neither data nor errors: ${quote(text)}`, response.status);
      }
      return body.data as TData;
    },
  };
}

function parseEndpoint(raw: string): URL {
  if (!raw) {
    throw new Error("Hasura GraphQL URL is empty (HASURA_GRAPHQL_URL)");
  }
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new Error("Hasura GraphQL URL is not a valid URL (HASURA_GRAPHQL_URL)");
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw new Error(`Hasura GraphQL URL must be http(s), got ${url.protocol} (HASURA_GRAPHQL_URL)`);
  }
  return url;
}

function toErrorEntry(raw: unknown): HasuraGraphqlErrorEntry {
  if (isObject(raw) && typeof raw.message === "string") {
    return {
      message: raw.message,
      ...(isObject(raw.extensions) ? { extensions: raw.extensions as HasuraGraphqlErrorEntry["extensions"] } : {}),
    };
  }
  return { message: JSON.stringify(raw) };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function quote(text: string): string {
  return JSON.stringify(text.length > maxQuotedBody ? `${text.slice(0, maxQuotedBody)}…` : text);
}

function errorMessage(error: unknown): string {
  if (error instanceof Error) {
    // undici hides the useful part (ECONNREFUSED, ENOTFOUND, …) in `cause`.
    const cause = error.cause instanceof Error ? `: ${error.cause.message}` : "";
    return `${error.message}${cause}`;
  }
  return String(error);
}
