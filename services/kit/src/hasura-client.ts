/** One error entry of a GraphQL answer, as Hasura returns it. */
export interface GraphQLErrorEntry {
  message: string;
  extensions?: { code?: string; path?: string; [key: string]: unknown };
}

/** A GraphQL call to Hasura failed: HTTP error, network error, or `errors` in the answer. */
export class HasuraRequestError extends Error {
  readonly status: number | undefined;
  readonly errors: GraphQLErrorEntry[];
  constructor(message: string, options: { status?: number; errors?: GraphQLErrorEntry[]; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "HasuraRequestError";
    this.status = options.status;
    this.errors = options.errors ?? [];
  }
}

export interface HasuraRequestOptions {
  operationName?: string;
  /** Abort the call after this many milliseconds. @default 30000 */
  timeoutMs?: number;
}

/** A minimal GraphQL client for Hasura's `/v1/graphql`. */
export interface HasuraClient {
  /** Runs a query or mutation and returns `data`; throws {@link HasuraRequestError} on any error. */
  request<TData = Record<string, unknown>>(
    query: string,
    variables?: Record<string, unknown>,
    options?: HasuraRequestOptions,
  ): Promise<TData>;
  /**
   * A client acting as the caller: it sends the admin secret together with the caller's `x-hasura-role`,
   * `x-hasura-user-id` and other `x-hasura-*` session variables, which Hasura then uses for permissions
   * (Hasura's documented way for a trusted backend to act on behalf of a user). Throws when the
   * request has no caller (crons).
   */
  asCaller(): HasuraClient;
}

export interface HasuraClientOptions {
  /** Full URL of `/v1/graphql`. */
  url: string;
  adminSecret: string;
  /** Session variables to forward; when set, the client acts as that session instead of as admin. */
  sessionVariables?: Readonly<Record<string, string>>;
  /** Session variables `asCaller()` switches to; undefined when there is no caller. */
  callerSessionVariables?: Readonly<Record<string, string>>;
}

/** Creates a Hasura client; as admin unless `sessionVariables` is given. */
export function createHasuraClient(options: HasuraClientOptions): HasuraClient {
  const headers: Record<string, string> = {
    "content-type": "application/json",
    "x-hasura-admin-secret": options.adminSecret,
  };
  for (const [name, value] of Object.entries(options.sessionVariables ?? {})) {
    const key = name.toLowerCase();
    if (key.startsWith("x-hasura-") && key !== "x-hasura-admin-secret") headers[key] = value;
  }

  return {
    async request<TData>(query: string, variables?: Record<string, unknown>, requestOptions: HasuraRequestOptions = {}) {
      let response: Response;
      try {
        response = await fetch(options.url, {
          method: "POST",
          headers,
          body: JSON.stringify({ query, variables: variables ?? {}, operationName: requestOptions.operationName }),
          signal: AbortSignal.timeout(requestOptions.timeoutMs ?? 30_000),
        });
      } catch (error) {
        throw new HasuraRequestError(`Hasura request failed: ${(error as Error).message}`, { cause: error });
      }
      const text = await response.text();
      let body: { data?: TData; errors?: GraphQLErrorEntry[] } | undefined;
      try {
        body = JSON.parse(text) as typeof body;
      } catch {
        body = undefined;
      }
      if (!response.ok || body === undefined) {
        throw new HasuraRequestError(`Hasura answered HTTP ${response.status}`, {
          status: response.status,
          errors: body?.errors ?? [],
        });
      }
      if (body.errors && body.errors.length > 0) {
        throw new HasuraRequestError(`Hasura returned errors: ${body.errors.map((error) => error.message).join("; ")}`, {
          status: response.status,
          errors: body.errors,
        });
      }
      return body.data as TData;
    },
    asCaller() {
      if (!options.callerSessionVariables) {
        throw new Error("asCaller(): this request has no caller (crons run without a session)");
      }
      return createHasuraClient({
        url: options.url,
        adminSecret: options.adminSecret,
        sessionVariables: options.callerSessionVariables,
        callerSessionVariables: options.callerSessionVariables,
      });
    },
  };
}
