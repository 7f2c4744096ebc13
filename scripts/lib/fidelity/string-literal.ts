/**
 * The double-quoted string literal that both filter languages share (Cloud Monitoring filters and the Logging query
 * language): a backslash escapes the next character.
 */

/** Reads the literal whose opening quote is at `start`: its value and the index after the closing quote, or undefined when it never closes. */
export function readStringLiteral(text: string, start: number): { value: string; end: number } | undefined {
  let value = "";
  let j = start + 1;
  for (; j < text.length && text[j] !== '"'; j++) {
    if (text[j] === "\\") j++;
    value += text[j] ?? "";
  }
  return j >= text.length ? undefined : { value, end: j + 1 };
}
