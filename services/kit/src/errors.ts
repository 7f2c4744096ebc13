import type { z } from "zod";

/**
 * The error body Hasura understands for actions, and which the kit uses for every webhook answer:
 * `{ "message": "...", "extensions": { "code": "..." } }`. Hasura passes `message` and `extensions` of an
 * action's 4xx answer on to the GraphQL client.
 */
export interface HasuraErrorBody {
  message: string;
  extensions: { code: string; path?: string; [key: string]: unknown };
}

export function hasuraError(message: string, code: string, extra: Record<string, unknown> = {}): HasuraErrorBody {
  return { message, extensions: { ...extra, code } };
}

/** What any unexpected failure answers: nothing about the cause leaves the process (it is logged instead). */
export const unexpectedErrorBody: HasuraErrorBody = Object.freeze({
  message: "internal error",
  extensions: Object.freeze({ code: "unexpected" }),
}) as HasuraErrorBody;

/**
 * A domain error a handler throws on purpose, e.g. `throw new ActionError("name already taken", { code: "conflict", status: 409 })`.
 * The kit answers it with its 4xx status and `{ message, extensions: { code, ...extensions } }`.
 */
export class ActionError extends Error {
  readonly code: string;
  readonly status: number;
  readonly extensions: Record<string, unknown>;

  constructor(message: string, options: { code: string; status?: number; extensions?: Record<string, unknown> }) {
    super(message);
    this.name = "ActionError";
    const status = options.status ?? 400;
    // Hasura forwards only 4xx action errors to the client as they are; 5xx means "the service failed".
    if (!Number.isInteger(status) || status < 400 || status > 499) {
      throw new RangeError(`ActionError status must be a 4xx code, got ${status}`);
    }
    if (!/^[a-z][a-z0-9-]*$/.test(options.code)) {
      throw new RangeError(`ActionError code must be kebab-case like "not-found", got "${options.code}"`);
    }
    this.code = options.code;
    this.status = status;
    this.extensions = options.extensions ?? {};
  }

  toBody(): HasuraErrorBody {
    return hasuraError(this.message, this.code, this.extensions);
  }
}

/** `$.input.members[0].email` style JSON path, as Hasura reports paths. */
export function jsonPath(segments: readonly PropertyKey[]): string {
  let out = "$";
  for (const segment of segments) {
    if (typeof segment === "number") out += `[${segment}]`;
    else if (typeof segment === "string" && /^[A-Za-z_][A-Za-z0-9_]*$/.test(segment)) out += `.${segment}`;
    else out += `[${JSON.stringify(String(segment))}]`;
  }
  return out;
}

/** The 400 answer for a zod failure: the first issue's message and its path under `prefix`. */
export function validationFailed(error: z.ZodError, prefix: readonly PropertyKey[]): HasuraErrorBody {
  const issue = error.issues[0];
  const path = jsonPath([...prefix, ...(issue?.path ?? [])]);
  const message = issue ? `${path}: ${issue.message}` : `${path}: invalid value`;
  return hasuraError(message, "validation-failed", { path });
}
