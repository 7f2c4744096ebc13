import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { repoRoot } from "../../scripts/lib/stack-files";
import { LOAD_LIKE_PULUMI_TIMEOUT_MS, loadLikePulumi } from "../support/load-like-pulumi";
import { planOf } from "./support/plans";

describe("pulumi up's TypeScript loading path", () => {
  it("loads and type-checks the program with the ts-node that @pulumi/pulumi's run.js registers", { timeout: LOAD_LIKE_PULUMI_TIMEOUT_MS }, async () => {
    const run = await loadLikePulumi(repoRoot, join(repoRoot, "Pulumi.prod.yaml"));
    const { result } = run;
    expect(result.error).toBeUndefined();
    expect(run.status).toBe(0);
    expect(result.tsNode).toBe("7.0.1");
    expect(result.resources).toBe(planOf("prod").resources.length);
    expect(result.outputs?.environment).toBe("prod");
  });
});
