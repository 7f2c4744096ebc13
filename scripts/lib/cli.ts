/**
 * The one command-line layer of the project's CLIs (`plan`, `tenant`, `new`, `flutter:configure`, `deploy:web`, `dev`):
 * `--help`, unknown options and subcommands (with the closest known one), options given twice, missing values and
 * exit codes behave the same in each. Built on node:util's parseArgs tokens; the checks are ours so the messages can
 * name the option, what was got and what is expected.
 *
 * Exit codes: 0 done (and `--help`); 1 an error while running; `usageExitCode` (2 unless a CLI uses 2 for something
 * else) for a command line that is not understood, after which nothing was done.
 */
import { parseArgs } from "node:util";
import { closest } from "../../infra/suggest";

// Moved to infra/ (the Pulumi program suggests config keys with it); still exported here for the CLIs and their tests.
export { closest };

export interface CliOption {
  type: "string" | "boolean";
  /** One-letter alias (`-h`). */
  short?: string;
  /** May be given several times; the value is then a list. */
  multiple?: boolean;
  /** Placeholder of the value in the help (`<name>`). */
  value?: string;
  /** One line for the help. */
  description: string;
}

export interface CliSpec {
  /** How the command is run: `npm run tenant --`. */
  command: string;
  /** What it does, in one line. */
  summary: string;
  /** Usage lines after the command, e.g. `new <tenant> --from <stack> --project <id>`. */
  usage: readonly string[];
  /** Options by long name; `--help` / `-h` is added. */
  options: Readonly<Record<string, CliOption>>;
  /** When set, the first positional argument must be one of these. */
  subcommands?: readonly string[];
  /** How many positional arguments are accepted (subcommand included). @default 0 */
  maxPositionals?: number;
  /** Printed after the options in `--help`. */
  notes?: string;
  /** Exit code of a command line that is not understood. @default 2 */
  usageExitCode?: number;
}

type OptionValue<O extends CliOption> = O["type"] extends "boolean"
  ? O["multiple"] extends true
    ? boolean[]
    : boolean
  : O["multiple"] extends true
    ? string[]
    : string;

export interface ParsedArgs<S extends CliSpec> {
  values: { [K in keyof S["options"]]?: OptionValue<S["options"][K]> };
  positionals: string[];
}

/** A command line that is not understood: its message names the argument and what was expected. */
export class UsageError extends Error {}

/** `--help` was asked for: not an error, the help is printed instead of running. */
export class HelpRequested extends Error {}

const helpOption: CliOption = { type: "boolean", short: "h", description: "show this help" };

/**
 * Parses a command line against a spec.
 *
 * @throws HelpRequested when `--help` or `-h` is given (checked first, whatever else is wrong)
 * @throws UsageError for an unknown option or subcommand, a value-less string option, a value given to a flag, a
 *   single-value option given twice, or too many positional arguments
 */
export function parseCli<S extends CliSpec>(spec: S, argv: readonly string[] = process.argv.slice(2)): ParsedArgs<S> {
  const options = { ...spec.options, help: helpOption };
  const { tokens } = parseArgs({
    args: [...argv],
    options: Object.fromEntries(
      Object.entries(options).map(([name, option]) => [name, { type: option.type, multiple: true, ...(option.short ? { short: option.short } : {}) }]),
    ),
    strict: false,
    allowPositionals: true,
    tokens: true,
  });
  const shortToLong = new Map(Object.entries(options).flatMap(([name, option]) => (option.short ? [[option.short, name] as const] : [])));
  if (tokens.some((token) => token.kind === "option" && (token.name === "help" || token.name === "h"))) throw new HelpRequested();

  const values: Record<string, unknown> = {};
  const positionals: string[] = [];
  const longNames = Object.keys(spec.options);
  for (const token of tokens) {
    if (token.kind === "option-terminator") continue;
    if (token.kind === "positional") {
      positionals.push(token.value);
      continue;
    }
    const name = token.rawName.startsWith("--") ? token.name : (shortToLong.get(token.name) ?? token.name);
    const option = spec.options[name];
    if (!option) {
      const suggestion = closest(token.name, longNames);
      throw new UsageError(`unknown option ${token.rawName}${suggestion ? ` (did you mean --${suggestion}?)` : ""}`);
    }
    let value: string | boolean;
    if (option.type === "boolean") {
      if (token.value !== undefined) throw new UsageError(`--${name} takes no value (got ${JSON.stringify(token.value)})`);
      value = true;
    } else {
      if (token.value === undefined || (token.inlineValue === false && token.value.startsWith("-") && token.value.length > 1)) {
        throw new UsageError(`--${name} needs a value${option.value ? ` (${option.value})` : ""}`);
      }
      value = token.value;
    }
    if (option.multiple) {
      values[name] = [...((values[name] as unknown[]) ?? []), value];
    } else if (name in values) {
      throw new UsageError(`--${name} was given twice (${JSON.stringify(values[name])} and ${JSON.stringify(value)}): give it once`);
    } else {
      values[name] = value;
    }
  }

  if (spec.subcommands) {
    const [subcommand] = positionals;
    if (subcommand === undefined) throw new UsageError(`name a subcommand: ${spec.subcommands.join(", ")}`);
    if (!spec.subcommands.includes(subcommand)) {
      const suggestion = closest(subcommand, spec.subcommands);
      throw new UsageError(`unknown subcommand ${JSON.stringify(subcommand)}${suggestion ? ` (did you mean ${suggestion}?)` : ""}; expected one of ${spec.subcommands.join(", ")}`);
    }
  }
  const maxPositionals = spec.maxPositionals ?? 0;
  if (positionals.length > maxPositionals) {
    const extra = positionals.slice(maxPositionals).map((p) => JSON.stringify(p)).join(" ");
    throw new UsageError(maxPositionals === 0 ? `unexpected argument ${extra}` : `unexpected argument ${extra} (at most ${maxPositionals})`);
  }
  return { values: values as ParsedArgs<S>["values"], positionals };
}

/** The `--help` text: summary, usage lines, options, notes. */
export function helpText(spec: CliSpec): string {
  const options = { ...spec.options, help: helpOption };
  const flags = Object.entries(options).map(([name, option]) => {
    const flag = `${option.short ? `-${option.short}, ` : ""}--${name}${option.type === "string" ? ` ${option.value ?? "<value>"}` : ""}`;
    return [flag, `${option.description}${option.multiple ? " (may be repeated)" : ""}`] as const;
  });
  const width = Math.max(...flags.map(([flag]) => flag.length));
  return [
    spec.summary,
    "",
    "Usage:",
    ...spec.usage.map((line) => `  ${spec.command} ${line}`),
    "",
    "Options:",
    ...flags.map(([flag, description]) => `  ${flag.padEnd(width)}  ${description}`),
    ...(spec.notes ? ["", spec.notes.trimEnd()] : []),
  ].join("\n");
}

/** The short reminder printed after a usage error. */
export function usageText(spec: CliSpec): string {
  return ["Usage:", ...spec.usage.map((line) => `  ${spec.command} ${line}`), `Run ${spec.command} --help for details.`].join("\n");
}

/**
 * Runs a CLI: parses the command line, prints the help or the usage error, runs `main`, and exits with its code once
 * stdout and stderr are flushed (a large output written to a pipe would otherwise be cut short). An error thrown by
 * `main` is printed as `error: <message>` with exit code 1; a UsageError thrown by `main` counts as a usage error.
 */
export function runCli<S extends CliSpec>(spec: S, main: (args: ParsedArgs<S>) => Promise<number> | number, argv?: readonly string[]): void {
  const exit = (code: number): void => {
    process.stdout.write("", () => process.stderr.write("", () => process.exit(code)));
  };
  const usageError = (error: UsageError) => {
    process.stderr.write(`${spec.command.replace(/ --$/, "")}: ${error.message}\n${usageText(spec)}\n`);
    exit(spec.usageExitCode ?? 2);
  };
  let args: ParsedArgs<S>;
  try {
    args = parseCli(spec, argv);
  } catch (error) {
    if (error instanceof HelpRequested) {
      process.stdout.write(`${helpText(spec)}\n`);
      return exit(0);
    }
    if (error instanceof UsageError) return usageError(error);
    throw error;
  }
  Promise.resolve()
    .then(() => main(args))
    .then(exit, (error: unknown) => {
      if (error instanceof UsageError) return usageError(error);
      process.stderr.write(`error: ${(error as Error).message}\n`);
      exit(1);
    });
}
