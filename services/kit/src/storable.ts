/**
 * Input that Postgres cannot store, or that JavaScript cannot hold faithfully, refused once for every handler
 * (server.ts runs this on action input, event rows and cron payloads before their zod schemas) instead of failing
 * in the handler's query as a 500:
 *
 * - text with a NUL character (U+0000): Postgres `text`, `varchar` and `jsonb` refuse it;
 * - text with a lone UTF-16 surrogate (`"\ud800"` is valid JSON): it has no UTF-8 encoding, and the database's
 *   encoding is UTF-8;
 * - numbers beyond ±Number.MAX_SAFE_INTEGER (2^53 − 1): JSON.parse already rounded them (9007199254740993 arrives as
 *   9007199254740992), so no column would get what the client sent; this includes values of float columns that
 *   large, which are then sent as strings;
 * - numbers that are not finite: JSON has no NaN or Infinity, but `1e400` parses to Infinity.
 *
 * Not covered, because it depends on the column, which the kit does not know: a safe integer beyond a smaller
 * column's range (int4's ±2^31, int2's), a string longer than a varchar(n), a numeric's precision. A handler's zod
 * schema states those (`z.number().int().min(-2147483648).max(2147483647)`, `z.string().max(n)`).
 * Object keys are checked like strings (they end up in jsonb). The walk is iterative: a deeply nested body cannot
 * overflow the stack.
 */

export interface UnstorableValue {
  /** Path segments below the walked value. */
  path: PropertyKey[];
  /** Why, e.g. "contains a NUL character (U+0000), which Postgres cannot store". */
  reason: string;
}

interface Visit {
  value: unknown;
  parent: Visit | undefined;
  key: PropertyKey | undefined;
}

/** The first value in `value` (parsed JSON) that cannot be stored faithfully, or undefined when all can. */
export function findUnstorable(value: unknown): UnstorableValue | undefined {
  // Each visit links to its parent rather than copying its path: a path is only built for the one problem found.
  const stack: Visit[] = [{ value, parent: undefined, key: undefined }];
  while (stack.length > 0) {
    const visit = stack.pop()!;
    const current = visit.value;
    if (typeof current === "string") {
      const reason = stringProblem(current);
      if (reason) return { path: pathOf(visit), reason };
    } else if (typeof current === "number") {
      const reason = numberProblem(current);
      if (reason) return { path: pathOf(visit), reason };
    } else if (Array.isArray(current)) {
      // Pushed in reverse so that the first problem in document order is found first.
      for (let index = current.length - 1; index >= 0; index--) stack.push({ value: current[index], parent: visit, key: index });
    } else if (current !== null && typeof current === "object") {
      const entries = Object.entries(current);
      for (let index = entries.length - 1; index >= 0; index--) {
        const [key, child] = entries[index]!;
        const keyReason = stringProblem(key);
        if (keyReason) return { path: [...pathOf(visit), key], reason: `has a key that ${keyReason}` };
        stack.push({ value: child, parent: visit, key });
      }
    }
  }
  return undefined;
}

function pathOf(visit: Visit): PropertyKey[] {
  const path: PropertyKey[] = [];
  for (let at: Visit | undefined = visit; at?.key !== undefined; at = at.parent) path.push(at.key);
  return path.reverse();
}

/** With the u flag a surrogate pair is one code point, so only an unpaired surrogate is a \p{Surrogate}. */
const loneSurrogate = /\p{Surrogate}/u;

function stringProblem(text: string): string | undefined {
  if (text.includes("\u0000")) return "contains a NUL character (U+0000), which Postgres cannot store";
  if (loneSurrogate.test(text)) return "contains a lone UTF-16 surrogate, which has no UTF-8 encoding and Postgres cannot store";
  return undefined;
}

function numberProblem(number: number): string | undefined {
  if (!Number.isFinite(number)) return "is not a finite number";
  if (Math.abs(number) > Number.MAX_SAFE_INTEGER) {
    return "is beyond ±9007199254740991 (2^53 - 1), where JSON numbers lose precision: send it as a string";
  }
  return undefined;
}
