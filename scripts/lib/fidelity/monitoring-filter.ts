/**
 * A parser of Cloud Monitoring's filter syntax (https://cloud.google.com/monitoring/api/v3/filters), the `filter` of
 * alert conditions and dashboard charts:
 *
 *   <filter>     := <term> { ("AND" | "OR") <term> }
 *   <term>       := ["NOT"] ( "(" <filter> ")" | <comparison> )
 *   <comparison> := <selector> <operator> <value>
 *   <operator>   := "=" | "!=" | ">" | "<" | ">=" | "<=" | ":"
 *   <selector>   := project | group.id | resource.type | metric.type | resource.label(s).<key> | metric.label(s).<key>
 *                   | metadata.system_labels.<key> | metadata.user_labels.<key>
 *   <value>      := <string> | <number> | true | false | <function> "(" [<string> {"," <string>}] ")"
 *   <function>   := starts_with | ends_with | has_substring | one_of | monitoring.regex.full_match
 *
 * Strings are double-quoted with backslash escapes. What it refuses: unknown selectors, a missing or doubled operator,
 * unquoted words as values, unknown functions, unbalanced parentheses or quotes, and a dangling AND/OR/NOT.
 */
import { readStringLiteral } from "./string-literal";

export interface FilterComparison {
  selector: string;
  operator: string;
  /** A string or number value, or a function call's name and string arguments. */
  value: string | number | boolean | { fn: string; args: string[] };
}

type Token = { kind: "string" | "number" | "word" | "op" | "(" | ")" | ","; text: string; at: number };

const OPERATORS = [">=", "<=", "!=", "=", ">", "<", ":"];
const FUNCTIONS = new Set(["starts_with", "ends_with", "has_substring", "one_of", "monitoring.regex.full_match"]);
const SELECTOR = /^(project|group\.id|resource\.type|metric\.type|(resource|metric)\.labels?\.[A-Za-z_][A-Za-z0-9_]*|metadata\.(system_labels|user_labels)\.[A-Za-z_][A-Za-z0-9_]*)$/;

export class FilterSyntaxError extends Error {}

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (/\s/.test(c)) {
      i++;
    } else if (c === '"') {
      const literal = readStringLiteral(text, i);
      if (!literal) throw new FilterSyntaxError(`unterminated string at ${i}`);
      tokens.push({ kind: "string", text: literal.value, at: i });
      i = literal.end;
    } else if (c === "(" || c === ")" || c === ",") {
      tokens.push({ kind: c, text: c, at: i });
      i++;
    } else if (OPERATORS.some((op) => text.startsWith(op, i))) {
      const op = OPERATORS.find((o) => text.startsWith(o, i))!;
      tokens.push({ kind: "op", text: op, at: i });
      i += op.length;
    } else if (/[-0-9]/.test(c) && /^-?\d/.test(text.slice(i))) {
      const number = /^-?\d+(\.\d+)?([eE][-+]?\d+)?/.exec(text.slice(i))![0];
      tokens.push({ kind: "number", text: number, at: i });
      i += number.length;
    } else if (/[A-Za-z_]/.test(c)) {
      const word = /^[A-Za-z_][A-Za-z0-9_.]*/.exec(text.slice(i))![0];
      tokens.push({ kind: "word", text: word, at: i });
      i += word.length;
    } else {
      throw new FilterSyntaxError(`unexpected ${JSON.stringify(c)} at ${i}`);
    }
  }
  return tokens;
}

/** Every comparison of a Monitoring filter, in order; throws {@link FilterSyntaxError} naming what is wrong. */
export function parseMonitoringFilter(text: string): FilterComparison[] {
  const tokens = tokenize(text);
  const comparisons: FilterComparison[] = [];
  let pos = 0;
  const peek = () => tokens[pos];
  const describe = (t: Token | undefined) => (t ? `${JSON.stringify(t.text)} at ${t.at}` : "the end");

  const filter = (): void => {
    term();
    while (peek()?.kind === "word" && (peek()!.text === "AND" || peek()!.text === "OR")) {
      pos++;
      term();
    }
  };
  const term = (): void => {
    if (peek()?.kind === "word" && peek()!.text === "NOT") pos++;
    const t = peek();
    if (t?.kind === "(") {
      pos++;
      filter();
      if (peek()?.kind !== ")") throw new FilterSyntaxError(`expected ")" but got ${describe(peek())}`);
      pos++;
      return;
    }
    comparison();
  };
  const comparison = (): void => {
    const selector = tokens[pos++];
    if (selector?.kind !== "word" || ["AND", "OR", "NOT"].includes(selector.text)) throw new FilterSyntaxError(`expected a selector but got ${describe(selector)}`);
    if (!SELECTOR.test(selector.text)) throw new FilterSyntaxError(`unknown selector ${JSON.stringify(selector.text)} (project, group.id, resource.type, metric.type, resource.labels.*, metric.labels.*, metadata.*_labels.*)`);
    const operator = tokens[pos++];
    if (operator?.kind !== "op") throw new FilterSyntaxError(`expected an operator after ${selector.text} but got ${describe(operator)}`);
    comparisons.push({ selector: selector.text, operator: operator.text, value: value() });
  };
  const value = (): FilterComparison["value"] => {
    const t = tokens[pos++];
    if (t?.kind === "string") return t.text;
    if (t?.kind === "number") return Number(t.text);
    if (t?.kind === "word" && (t.text === "true" || t.text === "false")) return t.text === "true";
    if (t?.kind === "word" && peek()?.kind === "(") {
      if (!FUNCTIONS.has(t.text)) throw new FilterSyntaxError(`unknown function ${t.text} (${[...FUNCTIONS].join(", ")})`);
      pos++;
      const args: string[] = [];
      while (peek()?.kind !== ")") {
        const arg = tokens[pos++];
        if (arg?.kind !== "string") throw new FilterSyntaxError(`expected a string argument of ${t.text} but got ${describe(arg)}`);
        args.push(arg.text);
        if (peek()?.kind === ",") pos++;
        else if (peek()?.kind !== ")") throw new FilterSyntaxError(`expected "," or ")" in ${t.text}(...) but got ${describe(peek())}`);
      }
      pos++;
      if (args.length === 0) throw new FilterSyntaxError(`${t.text}() needs an argument`);
      return { fn: t.text, args };
    }
    throw new FilterSyntaxError(`expected a quoted string, a number, true/false or a function but got ${describe(t)}`);
  };

  if (tokens.length === 0) throw new FilterSyntaxError("empty filter");
  filter();
  if (pos < tokens.length) throw new FilterSyntaxError(`unexpected ${describe(peek())}`);
  return comparisons;
}

/** The metric type a filter selects (`metric.type = "..."`), or undefined when it selects none or several. */
export function metricTypeOf(comparisons: readonly FilterComparison[]): string | undefined {
  const types = comparisons.filter((c) => c.selector === "metric.type" && c.operator === "=" && typeof c.value === "string");
  return types.length === 1 ? (types[0]!.value as string) : undefined;
}
