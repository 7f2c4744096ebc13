/**
 * Runs `npm run plan`'s script as a child process, the way a user does, and parses its answer.
 */
import { runScript, type ScriptRun } from "../../support/run-script";

export type PlanRun = ScriptRun;

/** Runs scripts/plan.ts with the given arguments (and extra environment variables). */
export function runPlanCli(args: string[], env: Record<string, string> = {}): Promise<PlanRun> {
  return runScript("plan.ts", args, env);
}
