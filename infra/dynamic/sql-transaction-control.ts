/**
 * Finds transaction control statements at the top level of a SQL script.
 *
 * Hasura runs each `run_sql` call in one transaction (Hasura.Backends.Postgres.DDL.RunSQL: `runTx` around
 * the whole text), which is what makes a migration atomic. A `COMMIT` (or `END`) inside the script would
 * commit that transaction early and run the rest outside of it, and a `BEGIN` would only warn, so scripts
 * applied through run_sql must not contain them. Function bodies are not statements of the script: dollar
 * quoted bodies, strings, quoted identifiers, comments and SQL-standard `BEGIN ATOMIC ... END` bodies are
 * skipped.
 *
 * Pure string code without imports: the dynamic providers capture it (see ./hasura-api.ts).
 */

/** One offending statement: its first keyword(s) and the 1-based line it starts on. */
export interface TransactionControlStatement {
  statement: string;
  line: number;
}

/** @returns the top-level BEGIN / START TRANSACTION / COMMIT / END / ROLLBACK / ABORT / PREPARE TRANSACTION statements */
export function findTransactionControl(sql: string): TransactionControlStatement[] {
  const statements = splitTopLevelStatements(sql);
  const found: TransactionControlStatement[] = [];
  let insideAtomicBody = false;
  for (const statement of statements) {
    const words = statement.text.trim().split(/\s+/).map((word) => word.toUpperCase());
    if (words.length === 0 || words[0] === "") continue;
    if (insideAtomicBody) {
      // The body's statements are separated by ';' too; the body ends with a bare END.
      if (words[0] === "END") insideAtomicBody = false;
      continue;
    }
    if (/\bBEGIN\s+ATOMIC\b/i.test(statement.text)) {
      insideAtomicBody = !/\bEND\s*$/i.test(statement.text.trim());
      continue;
    }
    const [first, second] = words;
    const isControl =
      first === "BEGIN" ||
      first === "COMMIT" ||
      first === "END" ||
      first === "ABORT" ||
      (first === "ROLLBACK" && second !== "TO") ||
      (first === "START" && second === "TRANSACTION") ||
      (first === "PREPARE" && second === "TRANSACTION");
    if (isControl) {
      found.push({ statement: words.slice(0, first === "START" || first === "PREPARE" ? 2 : 1).join(" "), line: statement.line });
    }
  }
  return found;
}

interface TopLevelStatement {
  /** The statement's code with comments, strings, quoted identifiers and dollar-quoted bodies blanked out. */
  text: string;
  /** 1-based line of the statement's first code character. */
  line: number;
}

/** Splits at top-level semicolons, blanking out everything that is not plain code. */
function splitTopLevelStatements(sql: string): TopLevelStatement[] {
  const statements: TopLevelStatement[] = [];
  let text = "";
  let line = 1;
  let startLine = 0;
  const emit = (piece: string, pieceLine = line) => {
    if (startLine === 0 && piece.trim() !== "") startLine = pieceLine;
    text += piece;
  };
  let i = 0;
  while (i < sql.length) {
    const char = sql[i];
    const next = sql[i + 1];
    if (char === "\n") {
      line++;
      text += " ";
      i++;
    } else if (char === "-" && next === "-") {
      while (i < sql.length && sql[i] !== "\n") i++;
    } else if (char === "/" && next === "*") {
      let depth = 0;
      do {
        if (sql[i] === "/" && sql[i + 1] === "*") {
          depth++;
          i += 2;
        } else if (sql[i] === "*" && sql[i + 1] === "/") {
          depth--;
          i += 2;
        } else {
          if (sql[i] === "\n") line++;
          i++;
        }
      } while (depth > 0 && i < sql.length);
      text += " ";
    } else if (char === "'" || char === '"') {
      // E'...' strings allow backslash escapes; '' and "" are the doubled quote in both kinds.
      const quoteLine = line;
      const backslashEscapes = char === "'" && /[eE]/.test(sql[i - 1] ?? "") && !/[A-Za-z0-9_$]/.test(sql[i - 2] ?? "");
      i++;
      while (i < sql.length) {
        if (backslashEscapes && sql[i] === "\\") {
          i += 2;
          continue;
        }
        if (sql[i] === char) {
          if (sql[i + 1] === char) {
            i += 2;
            continue;
          }
          i++;
          break;
        }
        if (sql[i] === "\n") line++;
        i++;
      }
      emit(char === "'" ? "''" : '""', quoteLine);
    } else if (char === "$" && !/[A-Za-z0-9_$]/.test(sql[i - 1] ?? "")) {
      const tag = /^\$([A-Za-z_][A-Za-z0-9_]*)?\$/.exec(sql.slice(i));
      if (!tag) {
        emit(char);
        i++;
        continue;
      }
      const end = sql.indexOf(tag[0], i + tag[0].length);
      const stop = end < 0 ? sql.length : end + tag[0].length;
      const bodyLine = line;
      for (let j = i; j < stop; j++) if (sql[j] === "\n") line++;
      emit(" $$ ", bodyLine);
      i = stop;
    } else if (char === ";") {
      if (text.trim() !== "") statements.push({ text, line: startLine });
      text = "";
      startLine = 0;
      i++;
    } else {
      emit(char);
      i++;
    }
  }
  if (text.trim() !== "") statements.push({ text, line: startLine });
  return statements;
}
