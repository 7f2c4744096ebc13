/**
 * `pulumi up` in infra/bootstrap loads index.ts with the ts-node that @pulumi/pulumi's run.js registers, from the
 * bootstrap directory (which has no package.json or tsconfig.json of its own: it uses the root node_modules).
 */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { repoRoot } from "../../scripts/lib/stack-files";
import { BOOTSTRAP_DIR, planBootstrap } from "./support/plan-bootstrap";

describe("pulumi up's TypeScript loading path for the bootstrap", () => {
  it("loads and type-checks the program from infra/bootstrap with the root node_modules", async () => {
    const stackFile = join(BOOTSTRAP_DIR, "Pulumi.pulsura.yaml");
    const run = spawnSync(process.execPath, [join(repoRoot, "test/support/load-like-pulumi.cjs"), BOOTSTRAP_DIR, stackFile], { encoding: "utf8", timeout: 120_000 });
    const result = JSON.parse(run.stdout.trim().split("\n").pop() ?? "{}") as { error?: string; resources?: number; outputs?: Record<string, unknown>; tsNode?: string };
    expect(result.error).toBeUndefined();
    expect(run.status).toBe(0);
    expect(result.tsNode).toBe("7.0.1");
    expect(result.resources).toBe((await planBootstrap(stackFile)).resources.length);
    expect(result.outputs?.deployerServiceAccount).toBe("pulumi-deployer@pulsura-admin.iam.gserviceaccount.com");
  });
});
