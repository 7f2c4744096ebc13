/**
 * `npm run bench -w services/core` stands on its own: a short run from a clean checkout prints the figures of the
 * core service and of its bare node:http ceiling, with no file from outside the repository. A benchmark prints
 * figures; this only checks that it ran and printed them, never how fast anything was.
 */
import { spawn } from "node:child_process";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { trackProcess } from "../../support/cleanup";

const repoRoot = path.resolve(__dirname, "..", "..", "..");

function runBench(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn("npm", ["run", "--silent", "bench", "-w", "services/core", "--", ...args], {
      cwd: repoRoot,
      stdio: ["ignore", "pipe", "pipe"],
      // No external baseline from the environment either.
      env: { ...process.env, BENCH_BASELINE: "" },
    });
    trackProcess(child, "npm run bench -w services/core");
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

describe("npm run bench -w services/core", () => {
  it("runs without any file outside the repository and prints the core's and the ceiling's figures, as a table and with --json as one JSON document", async () => {
    // One run for both (a bench run takes most of a minute here): with --json the table goes to stderr.
    const run = await runBench(["--duration", "1", "--rounds", "1", "--cold-starts", "1", "--json"]);
    expect(run.code).toBe(0);
    const table = run.stderr;
    expect(table).toMatch(/whoami req\/s\s+p50 ms\s+p99 ms\s+createOrg req\/s\s+p50 ms\s+p99 ms\s+cold start ms/);
    expect(table).toMatch(/^pulsura core(\s+[\d,.]+){7}$/m);
    expect(table).toMatch(/^bare node:http(\s+[\d,.]+){7}$/m);
    expect(table).toMatch(/^core bundle: services\/core\/dist\/index\.js [\d,]+ bytes/m);
    expect(table).toMatch(/^ {2}(PASS|FAIL) {2}whoami >= 50 % of the bare node:http ceiling: \d+ %$/m);
    expect(table).toMatch(/^ {2}(PASS|FAIL) {2}createOrganization p99 <= 10 ms at 50 connections: [\d,.]+ ms$/m);
    expect(table).not.toMatch(/^warning:/m);
    const document = JSON.parse(run.stdout) as {
      settings: { baseline: boolean };
      results: { target: string; whoami: { requestsPerSecond: number } }[];
      goals: { goal: string; pass: boolean }[];
    };
    expect(document.settings.baseline).toBe(false);
    expect(document.results.map((result) => result.target)).toEqual(["pulsura core", "bare node:http"]);
    expect(document.results[0]!.whoami.requestsPerSecond).toBeGreaterThan(0);
    expect(document.goals.map((goal) => goal.goal)).toContain("whoami >= 50 % of the bare node:http ceiling");
    expect(table).not.toMatch(/baseline|\.\.\/shared/);
  }, 240_000);

  it("refuses a --baseline that does not exist, before starting anything, with the usage exit code", async () => {
    const run = await runBench(["--baseline", "/nonexistent/fastapi_core.py"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("--baseline /nonexistent/fastapi_core.py: /nonexistent/fastapi_core.py not found");
    expect(run.stdout).not.toContain("starting Postgres");
  }, 60_000);
});
