/**
 * npm run flutter:configure -- --stack <name> [--outputs <file.json>] [--out <path>]
 *
 * Writes flutter-template/lib/pulsura_options.dart (Firebase web options, Hasura HTTP and WebSocket URLs, enabled
 * sign-in methods) from a stack's outputs: `pulumi stack output --json --stack <name>` when the Pulumi CLI is on PATH,
 * otherwise the --outputs file (that command's JSON, or the offline plan's `--json` output).
 *
 * Exit codes: 0 written; 1 bad arguments, unreadable or missing outputs (nothing is written then).
 */
import { mkdirSync, renameSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { StackConfigError } from "../infra/config";
import { repoRoot } from "./lib/stack-files";
import { displayPath } from "./lib/web/paths";
import { OPTIONS_FILE, renderOptionsFile } from "./lib/web/dart";
import { MissingOutputsError, OutputsSourceError, clientOutputs, readStackOutputs } from "./lib/web/outputs";
import { parseSignInProviders, signInProvidersFromStackFile, stackFilePath, type SignInProvider } from "./lib/web/providers";

const USAGE = "usage: npm run flutter:configure -- --stack <name> [--outputs <file.json>] [--out <path>]";

/** Where the generated file goes unless --out says otherwise. */
const DEFAULT_OPTIONS_PATH = join(repoRoot, "flutter-template", OPTIONS_FILE);

/** Writes through a temporary file so that a failure never leaves a half-written Dart file behind. */
function writeAtomically(path: string, content: string): void {
  mkdirSync(dirname(path), { recursive: true });
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, content);
  renameSync(temporary, path);
}

async function main(): Promise<number> {
  let values: { stack?: string; outputs?: string; out?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      options: { stack: { type: "string" }, outputs: { type: "string" }, out: { type: "string" }, help: { type: "boolean", short: "h" } },
      strict: true,
    }));
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n${USAGE}\n`);
    return 1;
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (!values.stack) {
    process.stderr.write(`Name the stack with --stack.\n${USAGE}\n`);
    return 1;
  }
  const stack = values.stack;

  const outputs = await readStackOutputs({ stack, outputsFile: values.outputs && resolve(values.outputs) });
  const client = clientOutputs(outputs.values, stack);

  let signInProviders: SignInProvider[];
  if (client.signInProviders !== undefined) {
    const parsed = parseSignInProviders(client.signInProviders);
    if ("reason" in parsed) throw new MissingOutputsError(stack, "flutter:configure", [{ output: "signInProviders", reason: parsed.reason }]);
    signInProviders = parsed.providers;
  } else {
    // Programs that predate the signInProviders output: the stack file holds the same settings.
    const stackFile = stackFilePath(stack);
    if (!stackFile) {
      throw new MissingOutputsError(stack, "flutter:configure", [
        { output: "signInProviders", reason: `missing, and there is no Pulumi.${stack}.yaml to read the enabled sign-in methods from` },
      ]);
    }
    signInProviders = signInProvidersFromStackFile(stack, stackFile);
    process.stderr.write(`note: the outputs have no signInProviders; read the enabled sign-in methods from ${displayPath(stackFile)}\n`);
  }

  const out = values.out ? resolve(values.out) : DEFAULT_OPTIONS_PATH;
  writeAtomically(
    out,
    renderOptionsFile({
      stack,
      firebase: client.firebaseWebOptions,
      hasuraGraphqlUrl: client.hasuraGraphqlUrl,
      hasuraWebsocketUrl: client.hasuraWebsocketUrl,
      signInProviders,
    }),
  );
  process.stdout.write(
    `wrote ${displayPath(out)} for stack "${stack}" from ${outputs.source} ` +
      `(sign-in: ${signInProviders.length > 0 ? signInProviders.join(", ") : "none"})\n`,
  );
  return 0;
}

/** Exits once stdout and stderr are flushed. */
function exitAfterFlush(code: number): void {
  process.stdout.write("", () => process.stderr.write("", () => process.exit(code)));
}

main().then(exitAfterFlush, (error: unknown) => {
  // Errors about the outputs or the stack file are the user's to fix and say so; anything else is a bug.
  const expected = error instanceof MissingOutputsError || error instanceof OutputsSourceError || error instanceof StackConfigError;
  process.stderr.write(`${expected ? "" : "error: "}${(error as Error).message}\n`);
  exitAfterFlush(1);
});
