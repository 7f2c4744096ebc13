/**
 * npm run deploy:web -- --stack <name> [--outputs <file.json>] [--dry-run] [--web-dir <path>]
 *
 * Deploys the Flutter web build (flutter-template/build/web) to the stack's Firebase Hosting site with the installed
 * firebase-tools, using a firebase.json generated for the stack (SPA rewrite, caching, security headers with a
 * Content-Security-Policy that allows the stack's Hasura and Firebase Auth origins; see scripts/lib/web/hosting.ts).
 * The firebase.json lives in a temporary directory: nothing in the repository is written.
 *
 * --dry-run prints the firebase.json and the firebase-tools command instead of running it.
 * PULSURA_FIREBASE_BIN replaces the firebase-tools executable (default: node_modules/.bin/firebase).
 *
 * Exit codes: 0 deployed (or dry run); 1 bad arguments, missing outputs, no build; otherwise firebase-tools' own code.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { runCli, UsageError, type CliSpec, type ParsedArgs } from "./lib/cli";
import { repoRoot } from "./lib/stack-files";
import { displayPath } from "./lib/web/paths";
import { firebaseDeployArgs, firebaseJson, hostingSiteOf } from "./lib/web/hosting";
import { MissingOutputsError, OutputsSourceError, hostingOutputs, readStackOutputs } from "./lib/web/outputs";

const spec = {
  command: "npm run deploy:web --",
  summary: "Deploys the Flutter web build to the stack's Firebase Hosting site.",
  usage: ["--stack <name> [--outputs <file.json>] [--dry-run] [--web-dir <path>]"],
  options: {
    stack: { type: "string", value: "<name>", description: "the stack whose Hosting site receives the build" },
    outputs: {
      type: "string",
      value: "<file.json>",
      description: "read the outputs from this file; without the Pulumi CLI on PATH it is required, --dry-run included",
    },
    "dry-run": { type: "boolean", description: "print the firebase.json and the firebase-tools command instead of running it" },
    "web-dir": { type: "string", value: "<path>", description: "the web build to deploy (default: flutter-template/build/web)" },
  },
  notes: "Exit codes: 0 deployed (or dry run); 1 bad arguments, missing outputs, no build; otherwise firebase-tools' own code.",
  usageExitCode: 1,
} as const satisfies CliSpec;

/** Where `flutter build web` puts the app. */
const DEFAULT_WEB_DIR = join(repoRoot, "flutter-template", "build", "web");
const BUILD_COMMAND = "cd flutter-template && flutter build web --release --csp --no-web-resources-cdn";

/** A user-facing problem: printed without a stack trace, exit code 1. */
class DeployError extends Error {
  override name = "DeployError";
}

/** Quotes an argument for display in a POSIX shell. */
function shellQuote(argument: string): string {
  return /^[\w@%+=:,./-]+$/.test(argument) ? argument : `'${argument.replaceAll("'", `'"'"'`)}'`;
}

function requireBuild(webDir: string): void {
  const shown = displayPath(webDir);
  if (!existsSync(webDir) || !statSync(webDir).isDirectory()) {
    throw new DeployError(`${shown} does not exist: build the web app first (${BUILD_COMMAND}), then deploy again.`);
  }
  if (!existsSync(join(webDir, "index.html"))) {
    throw new DeployError(`${shown} has no index.html, so it is not a Flutter web build: run ${BUILD_COMMAND} and deploy again.`);
  }
}

function firebaseExecutable(): string {
  const configured = process.env.PULSURA_FIREBASE_BIN;
  const executable = configured || join(repoRoot, "node_modules", ".bin", "firebase");
  if (!existsSync(executable)) {
    throw new DeployError(
      configured ? `PULSURA_FIREBASE_BIN points to ${configured}, which does not exist.` : `firebase-tools is not installed (${executable}): run npm ci.`,
    );
  }
  return executable;
}

/** Runs firebase-tools in `cwd` with the terminal attached; resolves with its exit code. */
function run(executable: string, args: string[], cwd: string): Promise<number> {
  return new Promise((resolveRun, reject) => {
    const child = spawn(executable, args, { cwd, stdio: "inherit" });
    child.on("error", reject);
    child.on("close", (code, signal) => resolveRun(code ?? (signal ? 128 : 1)));
  });
}

async function main({ values }: ParsedArgs<typeof spec>): Promise<number> {
  if (!values.stack) throw new UsageError("name the stack with --stack");
  const stack = values.stack;

  const outputs = await readStackOutputs({ stack, outputsFile: values.outputs && resolve(values.outputs) });
  const hosting = hostingOutputs(outputs.values, stack);
  const site = hostingSiteOf(hosting);
  const webDir = values["web-dir"] ? resolve(values["web-dir"]) : DEFAULT_WEB_DIR;
  requireBuild(webDir);

  const config = `${JSON.stringify(firebaseJson(site, webDir), null, 2)}\n`;
  const executable = firebaseExecutable();
  const args = firebaseDeployArgs(site);
  const commandLine = [executable, ...args].map(shellQuote).join(" ");

  if (values["dry-run"]) {
    process.stdout.write(`firebase.json:\n${config}\ncommand (run in the directory of that firebase.json):\n  ${commandLine}\n`);
    return 0;
  }

  // firebase-tools reads firebase.json from its working directory; `public` is absolute, so the build stays in place.
  const workDir = mkdtempSync(join(tmpdir(), "pulsura-hosting-"));
  try {
    writeFileSync(join(workDir, "firebase.json"), config);
    process.stdout.write(`deploying ${displayPath(webDir)} to hosting site ${site.siteId} of project ${site.gcpProject}\n  ${commandLine}\n`);
    return await run(executable, args, workDir);
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
}

runCli(spec, async (args) => {
  try {
    return await main(args);
  } catch (error) {
    if (!(error instanceof DeployError || error instanceof MissingOutputsError || error instanceof OutputsSourceError)) throw error;
    process.stderr.write(`${error.message}\n`);
    return 1;
  }
});
