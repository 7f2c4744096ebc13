/**
 * A small Dart lexer for tests, written from the Dart language specification's lexical rules: comments (nested block
 * comments), string literals (single, double and triple quotes, raw strings, every escape form, `$name` and `${…}`
 * interpolation), identifiers, numbers and punctuation, with brackets checked for balance.
 *
 * The Flutter SDK is not available on the build machines, so this is how tests check that generated Dart is well
 * formed and that each string literal holds exactly the intended value. It is not a parser: grammar beyond tokens
 * and brackets is left to `flutter analyze` in CI.
 */

export type DartToken =
  | { kind: "string"; value: string; raw: string; interpolations: number; line: number }
  | { kind: "identifier"; text: string; line: number }
  | { kind: "number"; text: string; line: number }
  | { kind: "punctuation"; text: string; line: number };

export class DartLexError extends Error {
  constructor(message: string, line: number, column: number) {
    super(`${message} at line ${line}, column ${column}`);
  }
}

const IDENTIFIER_START = /[A-Za-z_$]/;
const IDENTIFIER_PART = /[A-Za-z0-9_$]/;
const PUNCTUATION = "(){}[];,.:?!~^&|+-*/%<>=@#";
const CLOSING: Record<string, string> = { ")": "(", "]": "[", "}": "{" };

/** Lexes Dart source; throws DartLexError on malformed strings, comments, escapes, characters or brackets. */
export function lexDart(source: string): DartToken[] {
  return new Lexer(source).run();
}

class Lexer {
  private index = 0;
  private line = 1;
  private lineStart = 0;
  private readonly tokens: DartToken[] = [];
  private readonly brackets: { char: string; line: number; column: number }[] = [];

  constructor(private readonly source: string) {}

  run(): DartToken[] {
    this.lexUntil(undefined);
    if (this.brackets.length > 0) {
      const open = this.brackets[this.brackets.length - 1]!;
      throw new DartLexError(`unclosed "${open.char}"`, open.line, open.column);
    }
    return this.tokens;
  }

  private fail(message: string): never {
    throw new DartLexError(message, this.line, this.index - this.lineStart + 1);
  }

  private peek(offset = 0): string {
    return this.source[this.index + offset] ?? "";
  }

  private advance(): string {
    const char = this.source[this.index++]!;
    if (char === "\n") {
      this.line++;
      this.lineStart = this.index;
    }
    return char;
  }

  /**
   * Lexes tokens until `stopAtBrace` depth returns to zero (inside `${…}`), or to the end of the source. Returns the
   * tokens of an interpolation so that they are checked but not mixed with the outer token stream.
   */
  private lexUntil(interpolationDepth: number | undefined): void {
    let depth = 0;
    while (this.index < this.source.length) {
      const char = this.peek();
      if (char === "\n" || char === " " || char === "\t" || char === "\r") {
        this.advance();
      } else if (char === "/" && this.peek(1) === "/") {
        while (this.index < this.source.length && this.peek() !== "\n") this.advance();
      } else if (char === "/" && this.peek(1) === "*") {
        this.blockComment();
      } else if (char === "'" || char === '"' || ((char === "r" || char === "R") && (this.peek(1) === "'" || this.peek(1) === '"'))) {
        this.stringLiteral();
      } else if (IDENTIFIER_START.test(char)) {
        const line = this.line;
        let text = "";
        while (IDENTIFIER_PART.test(this.peek())) text += this.advance();
        this.tokens.push({ kind: "identifier", text, line });
      } else if (/[0-9]/.test(char) || (char === "." && /[0-9]/.test(this.peek(1)))) {
        this.number();
      } else if (PUNCTUATION.includes(char)) {
        const line = this.line;
        const column = this.index - this.lineStart + 1;
        this.advance();
        if (char === "(" || char === "[" || char === "{") {
          this.brackets.push({ char, line, column });
          if (char === "{") depth++;
        } else if (char in CLOSING) {
          if (char === "}" && interpolationDepth !== undefined && depth === 0) return; // end of `${…}`
          const open = this.brackets.pop();
          if (!open || open.char !== CLOSING[char]) {
            throw new DartLexError(open ? `"${char}" closes "${open.char}" opened at line ${open.line}` : `"${char}" closes nothing`, line, column);
          }
          if (char === "}") depth--;
        }
        this.tokens.push({ kind: "punctuation", text: char, line });
      } else {
        this.fail(`unexpected character ${JSON.stringify(char)}`);
      }
    }
    if (interpolationDepth !== undefined) this.fail("unterminated ${…} interpolation");
  }

  private blockComment(): void {
    let nesting = 0;
    do {
      if (this.index >= this.source.length) this.fail("unterminated /* comment");
      if (this.peek() === "/" && this.peek(1) === "*") {
        nesting++;
        this.advance();
        this.advance();
      } else if (this.peek() === "*" && this.peek(1) === "/") {
        nesting--;
        this.advance();
        this.advance();
      } else {
        this.advance();
      }
    } while (nesting > 0);
  }

  private number(): void {
    const line = this.line;
    let text = "";
    if (this.peek() === "0" && (this.peek(1) === "x" || this.peek(1) === "X")) {
      text += this.advance() + this.advance();
      while (/[0-9a-fA-F_]/.test(this.peek())) text += this.advance();
    } else {
      while (/[0-9_.]/.test(this.peek()) && !(this.peek() === "." && !/[0-9]/.test(this.peek(1)))) text += this.advance();
      if ((this.peek() === "e" || this.peek() === "E") && /[0-9+-]/.test(this.peek(1))) {
        text += this.advance() + this.advance();
        while (/[0-9]/.test(this.peek())) text += this.advance();
      }
    }
    this.tokens.push({ kind: "number", text, line });
  }

  private stringLiteral(): void {
    const line = this.line;
    const start = this.index;
    const raw = this.peek() === "r" || this.peek() === "R";
    if (raw) this.advance();
    const quote = this.advance();
    const triple = this.peek() === quote && this.peek(1) === quote;
    if (triple) {
      this.advance();
      this.advance();
    }
    let value = "";
    let interpolations = 0;
    for (;;) {
      if (this.index >= this.source.length) this.fail("unterminated string literal");
      const char = this.peek();
      if (triple ? char === quote && this.peek(1) === quote && this.peek(2) === quote : char === quote) {
        this.advance();
        if (triple) {
          this.advance();
          this.advance();
        }
        break;
      }
      if (!triple && (char === "\n" || char === "\r")) this.fail("line break inside a single-line string literal");
      if (char === "\\" && !raw) {
        this.advance();
        value += this.escape();
      } else if (char === "$" && !raw) {
        this.advance();
        interpolations++;
        if (this.peek() === "{") {
          this.advance();
          this.lexUntil(1);
        } else if (/[A-Za-z_]/.test(this.peek())) {
          while (/[A-Za-z0-9_]/.test(this.peek())) this.advance();
        } else {
          this.fail("a $ that starts no interpolation must be escaped");
        }
      } else {
        value += this.advance();
      }
    }
    this.tokens.push({ kind: "string", value, raw: this.source.slice(start, this.index), interpolations, line });
  }

  /** One escape sequence after the backslash, as its character(s). */
  private escape(): string {
    const char = this.advance();
    switch (char) {
      case "n":
        return "\n";
      case "r":
        return "\r";
      case "f":
        return "\f";
      case "b":
        return "\b";
      case "t":
        return "\t";
      case "v":
        return "\v";
      case "x": {
        const hex = this.source.slice(this.index, this.index + 2);
        if (!/^[0-9a-fA-F]{2}$/.test(hex)) this.fail("\\x needs two hex digits");
        this.index += 2;
        return String.fromCharCode(parseInt(hex, 16));
      }
      case "u": {
        if (this.peek() === "{") {
          const end = this.source.indexOf("}", this.index);
          const hex = end === -1 ? "" : this.source.slice(this.index + 1, end);
          if (!/^[0-9a-fA-F]{1,6}$/.test(hex)) this.fail("\\u{…} needs 1 to 6 hex digits");
          const codePoint = parseInt(hex, 16);
          if (codePoint > 0x10ffff) this.fail("\\u{…} beyond U+10FFFF");
          this.index = end + 1;
          // Surrogate code points stay single code units, as in Dart's UTF-16 strings.
          return codePoint >= 0xd800 && codePoint <= 0xdfff ? String.fromCharCode(codePoint) : String.fromCodePoint(codePoint);
        }
        const hex = this.source.slice(this.index, this.index + 4);
        if (!/^[0-9a-fA-F]{4}$/.test(hex)) this.fail("\\u needs four hex digits or {…}");
        this.index += 4;
        return String.fromCharCode(parseInt(hex, 16));
      }
      case "\n":
      case "\r":
        return this.fail("a backslash cannot escape a line break");
      case "":
        return this.fail("unterminated string literal");
      default:
        // Any other escaped character stands for itself (\\, \', \", \$ …).
        return char;
    }
  }
}

/** The string literals of a token stream, in order. */
export function stringLiterals(tokens: DartToken[]): Extract<DartToken, { kind: "string" }>[] {
  return tokens.filter((t): t is Extract<DartToken, { kind: "string" }> => t.kind === "string");
}

/** `name: 'value'` pairs of named arguments whose value is one string literal. */
export function namedStringArguments(tokens: DartToken[]): Map<string, string> {
  const pairs = new Map<string, string>();
  for (let i = 0; i + 2 < tokens.length; i++) {
    const [name, colon, value] = [tokens[i]!, tokens[i + 1]!, tokens[i + 2]!];
    if (name.kind === "identifier" && colon.kind === "punctuation" && colon.text === ":" && value.kind === "string") {
      if (pairs.has(name.text)) throw new Error(`named argument ${name.text} appears twice`);
      pairs.set(name.text, value.value);
    }
  }
  return pairs;
}
