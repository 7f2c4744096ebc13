/**
 * A parser of the Logging query language (https://cloud.google.com/logging/docs/view/logging-query-language), the
 * `filter` of log-based metrics (and sinks, exclusions):
 *
 *   <query>      := <term> { ["AND" | "OR"] <term> }          (juxtaposition means AND)
 *   <term>       := ("NOT" | "-") <term> | "(" <query> ")" | <comparison> | <global restriction>
 *   <comparison> := <path> <op> <value>
 *   <op>         := "=" | "!=" | ">" | "<" | ">=" | "<=" | ":" | "=~" | "!~"
 *   <path>       := <LogEntry field> { "." (<name> | <quoted name>) }
 *   <value>      := <string> | <bare word or number> | "*" (with ":", presence) | "(" <value> { ("AND"|"OR") <value> } ")"
 *                   | <function> "(" ... ")"
 *
 * Refused: a path whose first part is no LogEntry field, `==` and other unknown operators, a missing value, an
 * unterminated string, unbalanced parentheses, a dangling AND/OR/NOT, a regular-expression operator without a quoted
 * pattern, an unknown severity name.
 */
import { readStringLiteral } from "./string-literal";

export class LoggingQueryError extends Error {}

/** LogEntry's fields (https://cloud.google.com/logging/docs/reference/v2/rest/v2/LogEntry), and the query's own. */
const LOG_ENTRY_FIELDS = new Set([
  "logName", "resource", "timestamp", "receiveTimestamp", "severity", "insertId", "httpRequest", "labels", "operation", "trace", "spanId",
  "traceSampled", "sourceLocation", "split", "protoPayload", "textPayload", "jsonPayload", "errorGroups", "apphub", "apphubDestination",
  "apphubSource",
]);
const SEVERITIES = new Set(["DEFAULT", "DEBUG", "INFO", "NOTICE", "WARNING", "ERROR", "CRITICAL", "ALERT", "EMERGENCY"]);
const FUNCTIONS = new Set(["log_id", "sample", "ip_in_net", "cast", "regexp_extract", "SEARCH"]);
const OPERATORS = ["=~", "!~", ">=", "<=", "!=", "=", ">", "<", ":"];

type Token = { kind: "string" | "word" | "op" | "(" | ")" | "," | "-"; text: string; at: number };

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (/\s/.test(c)) i++;
    else if (c === '"') {
      const literal = readStringLiteral(text, i);
      if (!literal) throw new LoggingQueryError(`unterminated string at ${i}`);
      tokens.push({ kind: "string", text: literal.value, at: i });
      i = literal.end;
    } else if (c === "(" || c === ")" || c === ",") {
      tokens.push({ kind: c, text: c, at: i });
      i++;
    } else if (text.startsWith("==", i)) {
      throw new LoggingQueryError(`"==" at ${i} is no operator (use "=")`);
    } else if (OPERATORS.some((op) => text.startsWith(op, i))) {
      const op = OPERATORS.find((o) => text.startsWith(o, i))!;
      tokens.push({ kind: "op", text: op, at: i });
      i += op.length;
    } else if (c === "-" && (i === 0 || /[\s(]/.test(text[i - 1]!)) && /[A-Za-z("]/.test(text[i + 1] ?? "")) {
      tokens.push({ kind: "-", text: "-", at: i });
      i++;
    } else {
      // A word: a path (dots, quoted parts), a bare value, a number, "*" or a timestamp, up to a delimiter.
      let j = i;
      while (j < text.length && !/[\s()=!<>:,]/.test(text[j]!)) {
        if (text[j] === '"') {
          const end = text.indexOf('"', j + 1);
          if (end < 0) throw new LoggingQueryError(`unterminated string at ${j}`);
          j = end + 1;
        } else j++;
      }
      // A timestamp value (2026-01-01T00:00:00Z) holds colons: take them along after a comparison operator.
      if (tokens[tokens.length - 1]?.kind === "op") while (j < text.length && /[^\s()]/.test(text[j]!)) j++;
      tokens.push({ kind: "word", text: text.slice(i, j), at: i });
      i = j;
    }
  }
  return tokens;
}

export interface QueryComparison {
  path: string;
  operator: string;
  value: string;
}

/** Every comparison of a Logging query, in order; throws {@link LoggingQueryError} naming what is wrong. */
export function parseLoggingQuery(text: string): QueryComparison[] {
  const tokens = tokenize(text);
  const comparisons: QueryComparison[] = [];
  let pos = 0;
  const peek = () => tokens[pos];
  const describe = (t: Token | undefined) => (t ? `${JSON.stringify(t.text)} at ${t.at}` : "the end");
  const isKeyword = (t: Token | undefined, ...words: string[]) => t?.kind === "word" && words.includes(t.text);
  const startsTerm = (t: Token | undefined) => t !== undefined && (t.kind === "(" || t.kind === "-" || t.kind === "string" || (t.kind === "word" && !isKeyword(t, "AND", "OR")));

  const query = (): void => {
    term();
    for (;;) {
      if (isKeyword(peek(), "AND", "OR")) {
        pos++;
        if (!startsTerm(peek())) throw new LoggingQueryError(`expected a term after ${tokens[pos - 1]!.text} but got ${describe(peek())}`);
        term();
      } else if (startsTerm(peek())) term();
      else return;
    }
  };
  const term = (): void => {
    const t = peek();
    if (isKeyword(t, "NOT") || t?.kind === "-") {
      pos++;
      if (!startsTerm(peek())) throw new LoggingQueryError(`expected a term after ${t!.text} but got ${describe(peek())}`);
      return term();
    }
    if (t?.kind === "(") {
      pos++;
      query();
      if (peek()?.kind !== ")") throw new LoggingQueryError(`expected ")" but got ${describe(peek())}`);
      pos++;
      return;
    }
    if (t?.kind === "string") {
      pos++; // a global restriction: text searched in every field
      return;
    }
    if (t?.kind !== "word") throw new LoggingQueryError(`expected a term but got ${describe(t)}`);
    pos++;
    if (FUNCTIONS.has(t.text) && peek()?.kind === "(") return skipCall(t);
    if (peek()?.kind !== "op") return; // a bare word: a global restriction
    const operator = tokens[pos++]!;
    const root = t.text.split(".")[0]!;
    if (!LOG_ENTRY_FIELDS.has(root)) throw new LoggingQueryError(`unknown field ${JSON.stringify(t.text)}: a path starts with a LogEntry field (${[...LOG_ENTRY_FIELDS].slice(0, 12).join(", ")}, ...)`);
    const value = comparisonValue(operator);
    if (t.text === "severity" && !/^\d+$/.test(value) && !SEVERITIES.has(value)) throw new LoggingQueryError(`unknown severity ${JSON.stringify(value)} (${[...SEVERITIES].join(", ")})`);
    comparisons.push({ path: t.text, operator: operator.text, value });
  };
  const comparisonValue = (operator: Token): string => {
    const t = peek();
    if (operator.text === "=~" || operator.text === "!~") {
      if (t?.kind !== "string") throw new LoggingQueryError(`${operator.text} takes a quoted regular expression, got ${describe(t)}`);
      pos++;
      return t.text;
    }
    if (t?.kind === "string" || (t?.kind === "word" && !isKeyword(t, "AND", "OR", "NOT"))) {
      pos++;
      if (t.kind === "word" && peek()?.kind === "(" && FUNCTIONS.has(t.text)) skipCall(t);
      return t.text;
    }
    if (t?.kind === "(") {
      pos++;
      const values: string[] = [];
      for (;;) {
        const v = tokens[pos++];
        if (v?.kind !== "string" && v?.kind !== "word") throw new LoggingQueryError(`expected a value in the list but got ${describe(v)}`);
        values.push(v.text);
        if (isKeyword(peek(), "AND", "OR")) pos++;
        else if (peek()?.kind === ")") break;
        else throw new LoggingQueryError(`expected OR, AND or ")" in the value list but got ${describe(peek())}`);
      }
      pos++;
      return values.join("|");
    }
    throw new LoggingQueryError(`expected a value after ${operator.text} but got ${describe(t)}`);
  };
  const skipCall = (fn: Token): void => {
    pos++; // "("
    let depth = 1;
    while (depth > 0) {
      const t = tokens[pos++];
      if (!t) throw new LoggingQueryError(`unclosed ${fn.text}(`);
      if (t.kind === "(") depth++;
      if (t.kind === ")") depth--;
    }
  };

  if (tokens.length === 0) throw new LoggingQueryError("empty query");
  query();
  if (pos < tokens.length) throw new LoggingQueryError(`unexpected ${describe(peek())}`);
  return comparisons;
}
