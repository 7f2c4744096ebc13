/**
 * Runs test/support/load-like-pulumi.cjs (the program loaded as `pulumi up` loads it: ts-node type-checking the
 * whole program) as a child process, without blocking this test process, so vitest's own deadlines still work.
 */
import { execFile } from "node:child_process";
import { join } from "node:path";
import { repoRoot } from "../../scripts/lib/stack-files";
import { trackProcess } from "./cleanup";

export interface LoadLikePulumiResult {
  status: number | null;
  stderr: string;
  result: { error?: string; resources?: number; outputs?: Record<string, unknown>; tsNode?: string };
}

/**
 * Type-checking every file of the program is CPU-bound work (about 10 s of CPU here, unloaded): on a machine busy
 * with other work it takes several times that, so tests that call this give it LOAD_LIKE_PULUMI_TIMEOUT_MS.
 */
export const LOAD_LIKE_PULUMI_TIMEOUT_MS = 240_000;

export function loadLikePulumi(projectDir: string, stackFile: string): Promise<LoadLikePulumiResult> {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      [join(repoRoot, "test/support/load-like-pulumi.cjs"), projectDir, stackFile],
      { encoding: "utf8", timeout: LOAD_LIKE_PULUMI_TIMEOUT_MS - 10_000, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const last = stdout.trim().split("\n").pop() ?? "{}";
        let result: LoadLikePulumiResult["result"];
        try {
          result = JSON.parse(last) as LoadLikePulumiResult["result"];
        } catch {
          result = { error: `no JSON result (${error?.message ?? "exit 0"}):\n${stdout.slice(-2000)}` };
        }
        resolve({ status: child.exitCode, stderr, result });
      },
    );
    trackProcess(child, `load-like-pulumi ${stackFile}`);
  });
}
