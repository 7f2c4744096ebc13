/**
 * Runs the project's CLIs (scripts/*.ts) as child processes the way `npm run` does, with a chosen environment, and
 * computes the offline plan's outputs of a stack with the real `scripts/plan.ts`.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { repoRoot } from "../../../scripts/lib/stack-files";
import { trackProcess } from "../../support/cleanup";
import { stackPlanRun } from "../../infra/support/plans";

export interface CliRun {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** tsx's CLI started with this Node binary: works whatever PATH the child gets. */
const TSX_CLI = join(repoRoot, "node_modules", "tsx", "dist", "cli.mjs");

/** Runs scripts/<script> from the repository root with `args` and the environment `env` (default: this process's). */
export function runCli(script: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<CliRun> {
  return new Promise((resolveRun, reject) => {
    const child = spawn(process.execPath, [TSX_CLI, join(repoRoot, "scripts", script), ...args], {
      cwd: repoRoot,
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    trackProcess(child, `tsx scripts/${script}`);
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolveRun({ exitCode: code ?? -1, stdout, stderr }));
  });
}

/**
 * The offline plan's outputs of a stack, as `tsx scripts/plan.ts --stack <stack> --json` prints them: taken from the
 * test run's plan of the stack file (test/infra/support/plans.ts, the same CLI with --inventory, whose record has the
 * very same `outputs`), so no stack is planned twice in a run.
 */
export async function planOutputs(stack: string): Promise<Record<string, unknown>> {
  const run = stackPlanRun(stack);
  // Exit 2 means a mandatory policy is violated; the outputs are still complete.
  if (run.exitCode !== 0 && run.exitCode !== 2) throw new Error(`plan of stack ${stack} failed (exit ${run.exitCode}):\n${run.stderr}`);
  return (JSON.parse(run.stdout) as { outputs: Record<string, unknown> }).outputs;
}

const temporaryDirectories: string[] = [];

/** A fresh temporary directory for one test; `removeTemporaryDirectories` deletes them all. */
export function temporaryDirectory(prefix = "pulsura-web-"): string {
  const directory = mkdtempSync(join(tmpdir(), prefix));
  temporaryDirectories.push(directory);
  return directory;
}

/** Deletes every directory `temporaryDirectory` made in this test file. */
export function removeTemporaryDirectories(): void {
  for (const directory of temporaryDirectories.splice(0)) rmSync(directory, { recursive: true, force: true });
}

/** Writes `value` as JSON into `directory/name` and returns the path. */
export function writeJson(directory: string, name: string, value: unknown): string {
  const path = join(directory, name);
  writeFileSync(path, JSON.stringify(value, null, 2));
  return path;
}
