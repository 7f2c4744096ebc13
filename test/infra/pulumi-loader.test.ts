import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { repoRoot } from "../../scripts/lib/stack-files";
import { planOf } from "./support/plans";

describe("pulumi up's TypeScript loading path", () => {
  it("loads and type-checks the program with the ts-node that @pulumi/pulumi's run.js registers", () => {
    const run = spawnSync(process.execPath, [join(repoRoot, "test/support/load-like-pulumi.cjs"), repoRoot, join(repoRoot, "Pulumi.prod.yaml")], {
      encoding: "utf8",
      timeout: 120_000,
    });
    const result = JSON.parse(run.stdout.trim().split("\n").pop() ?? "{}") as { error?: string; resources?: number; outputs?: Record<string, unknown>; tsNode?: string };
    expect(result.error).toBeUndefined();
    expect(run.status).toBe(0);
    expect(result.tsNode).toBe("7.0.1");
    expect(result.resources).toBe(planOf("prod").resources.length);
    expect(result.outputs?.environment).toBe("prod");
  });
});
