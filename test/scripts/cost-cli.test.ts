import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { estimatePlan } from "../../scripts/lib/cost/report";
import { loadPriceTable } from "../../scripts/lib/cost/prices";
import type { PlanDocument } from "../../scripts/lib/plan-diff";
import { loadStackConfig, repoRoot } from "../../scripts/lib/stack-files";
import { planOf } from "../infra/support/plans";
import { runPlanCli } from "../infra/support/run-plan";

const prices = loadPriceTable();
const estimateOf = (stack: string) => estimatePlan(planOf(stack) as unknown as PlanDocument, loadStackConfig(join(repoRoot, `Pulumi.${stack}.yaml`), "pulsura").config, { prices });

describe("npm run plan -- --cost", () => {
  it("adds the estimate under cost in --json, and changes nothing else of the plan JSON", async () => {
    const [plain, costed] = await Promise.all([runPlanCli(["--stack", "dev", "--json"]), runPlanCli(["--stack", "dev", "--json", "--cost"])]);
    expect(costed.exitCode, costed.stderr).toBe(0);
    const { cost, ...rest } = JSON.parse(costed.stdout) as Record<string, unknown>;
    expect(rest).toEqual(JSON.parse(plain.stdout));
    expect(Object.keys(JSON.parse(costed.stdout) as object)).toEqual(["stack", "project", "resources", "outputs", "violations", "cost"]);
    expect(cost).toMatchObject({ stack: "dev", region: "europe-west1", currency: "USD", pricesReadOn: prices.readOn, totals: estimateOf("dev").totals });
  });

  it("prints the tree, then the estimate per component with the table's date, the idle figure and the assumptions", async () => {
    const run = await runPlanCli(["--stack", "dev", "--cost"]);
    expect(run.exitCode, run.stderr).toBe(0);
    const dev = estimateOf("dev");
    expect(run.stdout).toMatch(/^Offline plan of stack dev/);
    expect(run.stdout).toContain(`Monthly cost estimate of stack dev (environment dev, region europe-west1): USD list prices read ${prices.readOn} (infra/prices/)`);
    expect(run.stdout).toMatch(new RegExp(`^COMPONENT +ALWAYS-ON +USAGE +TOTAL$`, "m"));
    expect(run.stdout).toMatch(new RegExp(`^TOTAL +${dev.totals.alwaysOn.toFixed(2)} +${dev.totals.usage.toFixed(2)} +${dev.totals.total.toFixed(2)}$`, "m"));
    expect(run.stdout).toContain(`Idle (no traffic): $${dev.idle.toFixed(2)} per month, the always-on total.`);
    expect(run.stdout).toMatch(/^ {2}apiRequests +100,000 + default \(dev\)$/m);
  });

  // Two plans (one in a child process), or a plan in a temporary worktree: slower than one plan on a busy machine.
  it("compares with another stack per component, the change being the difference of the two estimates", { timeout: 180_000 }, async () => {
    const run = await runPlanCli(["--stack", "prod", "--cost", "--compare", "dev"]);
    expect(run.exitCode, run.stderr).toBe(0);
    const [dev, prod] = [estimateOf("dev"), estimateOf("prod")];
    expect(run.stdout).toContain("Monthly cost of prod against dev");
    const change = (prod.totals.total - dev.totals.total).toFixed(2);
    expect(run.stdout).toMatch(new RegExp(`^TOTAL +${dev.totals.total.toFixed(2)} +${prod.totals.total.toFixed(2)} +\\+${change}$`, "m"));
    const database = (e: typeof dev) => e.components.find((c) => c.component === "pulsura:data:Database pulsura")!.total;
    expect(run.stdout).toMatch(new RegExp(`^pulsura:data:Database pulsura +${database(dev).toFixed(2)} +${database(prod).toFixed(2)} +\\+${(database(prod) - database(dev)).toFixed(2)}$`, "m"));
  });

  it("compares a stack with itself at a git ref (what the pull-request comment shows)", { timeout: 180_000 }, async () => {
    const run = await runPlanCli(["--stack", "dev", "--cost", "--compare", "dev@HEAD"]);
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.stdout).toContain("Monthly cost of dev against dev@HEAD");
    expect(run.stdout).toMatch(/^TOTAL +\d+\.\d\d +\d+\.\d\d +[+ -]\d+\.\d\d$/m);
  });

  it("refuses cost options without --cost, --cost with --inventory or --diff, and an unknown assumption, before planning", async () => {
    const runs = await Promise.all([
      runPlanCli(["--stack", "dev", "--idle"]),
      runPlanCli(["--stack", "dev", "--cost", "--inventory"]),
      runPlanCli(["--stack", "dev", "--cost", "--assume", "apiRequest=5"]),
      runPlanCli(["--stack", "dev", "--cost", "--compare", "dev@"]),
    ]);
    for (const run of runs) expect(run.exitCode).toBe(1);
    expect(runs[0]!.stderr).toContain("--idle needs --cost");
    expect(runs[1]!.stderr).toContain("--cost goes with the tree or --json, not with --inventory, --diff or --diff-file");
    expect(runs[2]!.stderr).toContain("--assume apiRequest: no such assumption (did you mean apiRequests?)");
    expect(runs[3]!.stderr).toContain('--compare "dev@": expected <stack> or <stack>@<git-ref>');
    for (const run of runs) expect(run.stdout).toBe("");
  });
});
