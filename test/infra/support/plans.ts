import { inject } from "vitest";
import type { PlanResult } from "../../../scripts/lib/offline-plan";
import type { InventoryResource } from "../../../policy/offline";

/** The plan of a stack from the global setup; fails the test with the CLI's message when planning failed. */
export function planOf(stack: string): PlanResult {
  const run = inject("plans")[stack];
  if (!run) throw new Error(`no stack file Pulumi.${stack}.yaml`);
  if (run.exitCode !== 0 && run.exitCode !== 2) throw new Error(`planning ${stack} failed (exit ${run.exitCode}):\n${run.stderr}`);
  return JSON.parse(run.stdout) as PlanResult;
}

/** The plan of a fixture stack (test/infra/fixtures/Pulumi.<name>.yaml, listed in PLANNED_FIXTURES). */
export function fixturePlanOf(name: "everything" | "edge"): PlanResult {
  const run = inject("fixturePlans")[name];
  if (!run) throw new Error(`fixture ${name} is not planned: add it to PLANNED_FIXTURES in test/infra/support/global-plans.ts`);
  if (run.exitCode !== 0 && run.exitCode !== 2) throw new Error(`planning fixture ${name} failed (exit ${run.exitCode}):\n${run.stderr}`);
  return JSON.parse(run.stdout) as PlanResult;
}

/** Names of every planned stack. */
export function plannedStacks(): string[] {
  return Object.keys(inject("plans")).sort();
}

/** Resources of a type in a plan. */
export function resourcesOfType(plan: PlanResult, type: string): InventoryResource[] {
  return plan.resources.filter((r) => r.type === type);
}

/** The one resource of a type in a plan (fails when there are none or several). */
export function onlyResourceOfType(plan: PlanResult, type: string): InventoryResource {
  const found = resourcesOfType(plan, type);
  if (found.length !== 1) throw new Error(`expected one ${type} in ${plan.stack}, found ${found.length}`);
  return found[0]!;
}
