/**
 * The usage a stack's estimate assumes, and where each figure comes from: the environment's default
 * (infra/config/cost.ts), the stack file's `pulsura:cost`, or `--assume <key>=<value>` on the command line.
 */
import { COST_DEFAULTS, costInput, type CostAssumptionKey } from "../../../infra/config/cost";
import { parseRawValue, type Environment } from "../../../infra/config";
import { closest } from "../../../infra/suggest";
import type { AssumptionUse } from "./estimate";

export const ASSUMPTION_KEYS = Object.keys(COST_DEFAULTS.dev) as CostAssumptionKey[];

/** Every assumption zero: the stack with no traffic and no data (`--idle`). */
export const IDLE: Readonly<Record<CostAssumptionKey, number>> = Object.fromEntries(ASSUMPTION_KEYS.map((key) => [key, 0])) as Record<CostAssumptionKey, number>;

/**
 * Parses `--assume` values (`apiRequests=5000000`).
 * @throws Error naming the value, what was got and what is expected (the known keys, the closest one)
 */
export function parseAssumeFlags(values: readonly string[]): Partial<Record<CostAssumptionKey, number>> {
  const parsed: Partial<Record<CostAssumptionKey, number>> = {};
  for (const value of values) {
    const match = /^([A-Za-z]+)=(.+)$/.exec(value);
    if (!match) throw new Error(`--assume ${JSON.stringify(value)}: expected <key>=<number>, e.g. apiRequests=5000000 (keys: ${ASSUMPTION_KEYS.join(", ")})`);
    const [, key, raw] = match;
    if (!(ASSUMPTION_KEYS as string[]).includes(key!)) {
      const suggestion = closest(key!, ASSUMPTION_KEYS);
      throw new Error(`--assume ${key}: no such assumption${suggestion ? ` (did you mean ${suggestion}?)` : ""}; expected one of ${ASSUMPTION_KEYS.join(", ")}`);
    }
    const number = Number(raw!.replace(/_/g, ""));
    if (!Number.isFinite(number) || number < 0) throw new Error(`--assume ${key}=${raw}: expected a number >= 0`);
    parsed[key as CostAssumptionKey] = number;
  }
  return parsed;
}

/**
 * The assumptions of a stack: its environment's defaults, the stack file's `pulsura:cost` (raw config as the language
 * host passes it), then the command line's.
 * @throws Error naming `pulsura:cost.<key>` when the stack file's value is not valid (the plan refuses it too)
 */
export function resolveAssumptions(environment: string, rawConfig: Record<string, string>, flags: Partial<Record<CostAssumptionKey, number>> = {}, idle = false): AssumptionUse[] {
  const env: Environment = environment === "prod" ? "prod" : "dev";
  const raw = rawConfig["pulsura:cost"];
  const parsed = costInput.safeParse(raw === undefined ? {} : parseRawValue(raw));
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new Error(`pulsura:cost${issue.path.length ? `.${issue.path.join(".")}` : ""}: ${issue.message} (keys: ${ASSUMPTION_KEYS.join(", ")}, each a number >= 0)`);
  }
  const fromStack = parsed.data;
  return ASSUMPTION_KEYS.map((key) => {
    if (idle) return { key, value: 0, source: "--idle" };
    if (flags[key] !== undefined) return { key, value: flags[key]!, source: "--assume" };
    if (fromStack[key] !== undefined) return { key, value: fromStack[key]!, source: "pulsura:cost" };
    return { key, value: COST_DEFAULTS[env][key], source: `default (${env})` };
  });
}
