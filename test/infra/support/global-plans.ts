/**
 * Vitest global setup: plans every Pulumi.<stack>.yaml once per test run (as child processes, in parallel) and hands
 * the inventories to the infra tests through `inject("plans")`.
 */
import type { TestProject } from "vitest/node";
import { listStackFiles } from "../../../scripts/lib/stack-files";
import { runPlanCli, type PlanRun } from "./run-plan";

declare module "vitest" {
  export interface ProvidedContext {
    /** Stack name → the plan CLI's run with --inventory. */
    plans: Record<string, PlanRun>;
  }
}

export default async function setup(project: TestProject): Promise<void> {
  const stacks = listStackFiles();
  const runs = await Promise.all(stacks.map((s) => runPlanCli(["--config-file", s.path, "--inventory"])));
  project.provide("plans", Object.fromEntries(stacks.map((s, i) => [s.stack, runs[i]!])));
}
