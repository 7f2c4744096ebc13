/**
 * Vitest global setup: plans every Pulumi.<stack>.yaml once per test run (as child processes, in parallel) and hands
 * the inventories to the infra tests through `inject("plans")`.
 */
import type { TestProject } from "vitest/node";
import { join } from "node:path";
import { listStackFiles, repoRoot } from "../../../scripts/lib/stack-files";
import { runPlanCli, type PlanRun } from "./run-plan";

declare module "vitest" {
  export interface ProvidedContext {
    /** Stack name → the plan CLI's run with --inventory. */
    plans: Record<string, PlanRun>;
    /** Fixture stack name (test/infra/fixtures/Pulumi.<name>.yaml in PLANNED_FIXTURES) → its plan run. */
    fixturePlans: Record<string, PlanRun>;
  }
}

/**
 * Fixture stacks planned with the real ones: `everything` has every optional part on and the longest tenant name;
 * `edge` is prod with its API at its own domain (load balancer, certificate, Cloud Armor enforced).
 */
export const PLANNED_FIXTURES = ["everything", "edge"] as const;

/** Fixtures with a reviewed inventory (test/infra/inventory/fixture-<name>.yaml), beside every stack file's. */
export const INVENTORIED_FIXTURES = ["edge"] as const;

export default async function setup(project: TestProject): Promise<void> {
  const stacks = listStackFiles();
  const fixtures = PLANNED_FIXTURES.map((name) => join(repoRoot, "test", "infra", "fixtures", `Pulumi.${name}.yaml`));
  const runs = await Promise.all([...stacks.map((s) => s.path), ...fixtures].map((path) => runPlanCli(["--config-file", path, "--inventory"])));
  project.provide("plans", Object.fromEntries(stacks.map((s, i) => [s.stack, runs[i]!])));
  project.provide("fixturePlans", Object.fromEntries(PLANNED_FIXTURES.map((name, i) => [name, runs[stacks.length + i]!])));
}
