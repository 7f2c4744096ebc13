/**
 * Runs one of the project's TypeScript CLIs (scripts/*.ts) with tsx as a child process, the way `npm run` does.
 */
import { spawn } from "node:child_process";
import { join } from "node:path";
import { repoRoot } from "../../scripts/lib/stack-files";
import { trackProcess } from "./cleanup";

export interface ScriptRun {
  exitCode: number;
  stdout: string;
  stderr: string;
}

const tsx = join(repoRoot, "node_modules", ".bin", "tsx");

/** Runs scripts/<script> with the arguments (and extra environment variables), from the repository root, and collects its output. */
export function runScript(script: string, args: string[], env: Record<string, string> = {}): Promise<ScriptRun> {
  return new Promise((resolveRun, reject) => {
    const child = spawn(tsx, [join(repoRoot, "scripts", script), ...args], { cwd: repoRoot, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, ...env } });
    trackProcess(child, `tsx scripts/${script}`);
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolveRun({ exitCode: code ?? -1, stdout, stderr }));
  });
}
