/**
 * Runs `npm run plan`'s script as a child process, the way a user does, and parses its answer.
 */
import { runScript, type ScriptRun } from "../../support/run-script";

export type PlanRun = ScriptRun;

/** Runs scripts/plan.ts with the given arguments. */
export function runPlanCli(args: string[]): Promise<PlanRun> {
  return runScript("plan.ts", args);
}
