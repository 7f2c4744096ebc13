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
import { StackConfigError } from "../infra/config";
import { runCli, UsageError, type CliSpec, type ParsedArgs } from "./lib/cli";
import { defaultPorts, devProjectId } from "./lib/dev/options";
import { repoRoot } from "./lib/stack-files";
import { displayPath } from "./lib/web/paths";
import { OPTIONS_FILE, renderOptionsFile } from "./lib/web/dart";
import { MissingOutputsError, OutputsSourceError, clientOutputs, isOfflinePlanFile, readStackOutputs } from "./lib/web/outputs";
import { parseSignInProviders, signInProvidersFromStackFile, stackFilePath, type SignInProvider } from "./lib/web/providers";

const spec = {
  command: "npm run flutter:configure --",
  summary: "Writes the Flutter app's stack options (Firebase web options, Hasura URLs, sign-in methods) from a stack's outputs.",
  usage: ["--stack <name> [--outputs <file.json>] [--out <path>]", "--local [--out <path>]"],
  options: {
    local: { type: "boolean", description: "configure the app for the local stack of npm run dev (Auth emulator, local Hasura; default ports)" },
    stack: { type: "string", value: "<name>", description: "the stack whose outputs configure the app" },
    outputs: {
      type: "string",
      value: "<file.json>",
      description: "read the outputs from this file (pulumi stack output --json, or npm run plan -- --json --out); needed without the Pulumi CLI",
    },
    out: { type: "string", value: "<path>", description: `where to write the Dart file (default: flutter-template/${OPTIONS_FILE})` },
  },
  notes: "Exit codes: 0 written; 1 bad arguments, unreadable or missing outputs (nothing is written then).",
  usageExitCode: 1,
} as const satisfies CliSpec;

/** Where the generated file goes unless --out says otherwise. */
const DEFAULT_OPTIONS_PATH = join(repoRoot, "flutter-template", OPTIONS_FILE);

/** Writes through a temporary file so that a failure never leaves a half-written Dart file behind. */
function writeAtomically(path: string, content: string): void {
  mkdirSync(dirname(path), { recursive: true });
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, content);
  renameSync(temporary, path);
}

async function main({ values }: ParsedArgs<typeof spec>): Promise<number> {
  if (values.local) {
    if (values.stack || values.outputs) throw new UsageError("--local configures the local stack: it takes no --stack or --outputs");
    return configureLocal(values.out ? resolve(values.out) : DEFAULT_OPTIONS_PATH);
  }
  if (!values.stack) throw new UsageError("name the stack with --stack (or --local for npm run dev)");
  const stack = values.stack;
  if (values.outputs && isOfflinePlanFile(resolve(values.outputs))) {
    process.stderr.write(
      "warning: these are the offline plan's outputs: the Firebase web options are the plan's stand-ins, not a deployed app's. " +
        "The app builds with them, but sign-in and Hasura will not answer; use `pulumi stack output --json` of a deployed stack for a real build.\n",
    );
  }

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

/**
 * The local stack of `npm run dev` on its default ports: the Auth emulator of project demo-pulsura (which accepts any
 * API key), Hasura on 127.0.0.1 (plain http and ws, allowed for localhost only), the dev stack's sign-in methods.
 */
function configureLocal(out: string): number {
  const stackFile = stackFilePath("dev");
  const signInProviders = stackFile ? signInProvidersFromStackFile("dev", stackFile) : ["email" as SignInProvider];
  const hasura = `127.0.0.1:${defaultPorts.hasura}/v1/graphql`;
  writeAtomically(
    out,
    renderOptionsFile({
      stack: "local",
      firebase: {
        apiKey: "demo-api-key",
        appId: "1:000000000000:web:0000000000000000000000",
        messagingSenderId: "000000000000",
        projectId: devProjectId,
        authDomain: `${devProjectId}.firebaseapp.com`,
      },
      hasuraGraphqlUrl: `http://${hasura}`,
      hasuraWebsocketUrl: `ws://${hasura}`,
      signInProviders,
      authEmulatorHost: `127.0.0.1:${defaultPorts.auth}`,
    }),
  );
  process.stdout.write(
    `wrote ${displayPath(out)} for the local stack (Auth emulator 127.0.0.1:${defaultPorts.auth}, Hasura http://${hasura}; ` +
      `start it with npm run dev, whose Hasura needs Docker). Run npm run flutter:configure -- --stack <name> before building for a deployed stack.\n`,
  );
  return 0;
}

runCli(spec, async (args) => {
  try {
    return await main(args);
  } catch (error) {
    // Errors about the outputs or the stack file are the user's to fix and say so; anything else is a bug.
    if (!(error instanceof MissingOutputsError || error instanceof OutputsSourceError || error instanceof StackConfigError)) throw error;
    process.stderr.write(`${error.message}\n`);
    return 1;
  }
});
