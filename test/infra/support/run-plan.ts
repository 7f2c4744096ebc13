/**
 * Runs `npm run plan`'s script as a child process, the way a user does, and parses its answer.
 */
import { spawn } from "node:child_process";
import { join } from "node:path";
import type { PlanResult } from "../../../scripts/lib/offline-plan";
import { repoRoot } from "../../../scripts/lib/stack-files";

export interface PlanRun {
  exitCode: number;
  stdout: string;
  stderr: string;
}

const tsx = join(repoRoot, "node_modules", ".bin", "tsx");

/** Runs scripts/plan.ts with the given arguments. */
export function runPlanCli(args: string[]): Promise<PlanRun> {
  return new Promise((resolvePlan, reject) => {
    const child = spawn(tsx, [join(repoRoot, "scripts", "plan.ts"), ...args], { cwd: repoRoot, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolvePlan({ exitCode: code ?? -1, stdout, stderr }));
  });
}

/** Plans a stack file and returns the full inventory; throws with the CLI's message when the plan fails. */
export async function planInventory(stackFile: string): Promise<PlanResult> {
  const run = await runPlanCli(["--config-file", stackFile, "--inventory"]);
  if (run.exitCode !== 0 && run.exitCode !== 2) throw new Error(`plan of ${stackFile} failed (exit ${run.exitCode}):\n${run.stderr}`);
  return JSON.parse(run.stdout) as PlanResult;
}
