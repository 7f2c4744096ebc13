/**
 * The one table of Cloud Run functions Node.js runtimes: which generations offer each runtime id, its release stage,
 * and its deprecation and decommission dates. The program picks the functions' runtimes from it, the policy pack
 * judges every function's runtime by it, and the tests read it; no other list of runtimes exists.
 *
 * Sources, read on {@link RUNTIMES_READ_ON}:
 * - Dates and stages: "Cloud Run functions runtimes", Node.js support schedule,
 *   https://cloud.google.com/run/docs/runtimes/function-runtimes (and "Runtime support",
 *   https://cloud.google.com/functions/docs/runtime-support). After the decommission date no function on the runtime
 *   can be created or updated; during deprecation it still deploys.
 * - Generations: "Cloud Functions execution environment" (1st gen),
 *   https://cloud.google.com/functions/1stgendocs/concepts/execution-environment: 1st gen offers Node.js up to 22;
 *   Node.js 24 and 26 are 2nd gen only.
 */

/** The day the table was read from Google's pages; a test fails when it is more than 6 months old. */
export const RUNTIMES_READ_ON = "2026-12-01";

export type FunctionGeneration = "gen1" | "gen2";

export interface NodeRuntime {
  /** Node.js major version. */
  node: number;
  /** Google's release stage of the runtime. */
  stage: "preview" | "ga";
  /** Generations that offer the runtime id. */
  generations: readonly FunctionGeneration[];
  /** Start of the deprecation period (ISO date), if published. */
  deprecation?: string;
  /** From this day (ISO date) functions on the runtime can no longer be created or updated, if published. */
  decommission?: string;
}

export const NODE_RUNTIMES: Readonly<Record<string, NodeRuntime>> = {
  nodejs26: { node: 26, stage: "preview", generations: ["gen2"] },
  nodejs24: { node: 24, stage: "ga", generations: ["gen2"], deprecation: "2028-04-30", decommission: "2028-10-31" },
  nodejs22: { node: 22, stage: "ga", generations: ["gen1", "gen2"], deprecation: "2027-04-30", decommission: "2027-10-31" },
  nodejs20: { node: 20, stage: "ga", generations: ["gen1", "gen2"], deprecation: "2026-04-30", decommission: "2026-10-30" },
  nodejs18: { node: 18, stage: "ga", generations: ["gen1", "gen2"], deprecation: "2025-04-30", decommission: "2025-10-30" },
};

/**
 * What pulsura deploys (a test checks each is {@link newestRuntime} of its generation):
 * - 2nd gen (the blocking function `beforeUserCreated`): nodejs24, GA, decommissioned 2028-10-31.
 * - 1st gen (the Firebase Auth `user.create` / `user.delete` triggers, which exist GA only in 1st gen): nodejs22,
 *   the newest 1st gen offers, decommissioned 2027-10-31. Before then these two functions must move to 2nd gen
 *   (Identity Platform's 2nd-gen auth triggers are in Preview since 2026-09-15, without an SLA).
 */
export const FUNCTION_RUNTIMES: Readonly<Record<FunctionGeneration, string>> = { gen1: "nodejs22", gen2: "nodejs24" };

/** A runtime this close to its decommission date (or closer) is reported so it gets moved in time. */
export const DECOMMISSION_WARNING_MONTHS = 6;

export type RuntimeStatus =
  | { kind: "ok"; runtime: NodeRuntime }
  | { kind: "unknown" }
  | { kind: "wrong-generation"; runtime: NodeRuntime }
  | { kind: "preview"; runtime: NodeRuntime }
  | { kind: "decommissioned"; runtime: NodeRuntime; decommission: string }
  | { kind: "decommission-soon"; runtime: NodeRuntime; decommission: string };

/** Adds months to an ISO date (UTC), as calendar months. */
function addMonths(isoDate: string, months: number): string {
  const date = new Date(`${isoDate}T00:00:00Z`);
  date.setUTCMonth(date.getUTCMonth() + months);
  return date.toISOString().slice(0, 10);
}

/** How a runtime id stands for a generation on a given day (ISO date, default today in UTC). */
export function runtimeStatus(id: string, generation: FunctionGeneration, today = new Date().toISOString().slice(0, 10)): RuntimeStatus {
  const runtime = NODE_RUNTIMES[id];
  if (!runtime) return { kind: "unknown" };
  if (!runtime.generations.includes(generation)) return { kind: "wrong-generation", runtime };
  if (runtime.stage !== "ga") return { kind: "preview", runtime };
  if (runtime.decommission && today >= runtime.decommission) return { kind: "decommissioned", runtime, decommission: runtime.decommission };
  if (runtime.decommission && addMonths(today, DECOMMISSION_WARNING_MONTHS) >= runtime.decommission) {
    return { kind: "decommission-soon", runtime, decommission: runtime.decommission };
  }
  return { kind: "ok", runtime };
}

/**
 * The newest generally available runtime a generation offers that is not decommissioned on `today`: what pulsura
 * deploys. Today that is nodejs24 for 2nd gen and nodejs22 for 1st gen (decommissioned 2027-10-31).
 */
export function newestRuntime(generation: FunctionGeneration, today = new Date().toISOString().slice(0, 10)): string {
  const candidates = Object.entries(NODE_RUNTIMES)
    .filter(([id]) => {
      const kind = runtimeStatus(id, generation, today).kind;
      return kind === "ok" || kind === "decommission-soon";
    })
    .sort(([, a], [, b]) => b.node - a.node);
  const newest = candidates[0];
  if (!newest) throw new Error(`no supported Node.js runtime for Cloud Run functions ${generation} on ${today}: update infra/runtimes.ts`);
  return newest[0];
}
