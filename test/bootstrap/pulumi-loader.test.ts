/**
 * `pulumi up` in infra/bootstrap loads index.ts with the ts-node that @pulumi/pulumi's run.js registers, from the
 * bootstrap directory (which has no package.json or tsconfig.json of its own: it uses the root node_modules).
 */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { LOAD_LIKE_PULUMI_TIMEOUT_MS, loadLikePulumi } from "../support/load-like-pulumi";
import { BOOTSTRAP_DIR, planBootstrap } from "../../scripts/lib/bootstrap-plan";

describe("pulumi up's TypeScript loading path for the bootstrap", () => {
  it("loads and type-checks the program from infra/bootstrap with the root node_modules", { timeout: LOAD_LIKE_PULUMI_TIMEOUT_MS }, async () => {
    const stackFile = join(BOOTSTRAP_DIR, "Pulumi.pulsura.yaml");
    const run = await loadLikePulumi(BOOTSTRAP_DIR, stackFile);
    const { result } = run;
    expect(result.error).toBeUndefined();
    expect(run.status).toBe(0);
    expect(result.tsNode).toBe("7.0.1");
    expect(result.resources).toBe((await planBootstrap(stackFile)).resources.length);
    expect(result.outputs?.deployerServiceAccount).toBe("pulumi-deployer@pulsura-admin.iam.gserviceaccount.com");
  });
});
