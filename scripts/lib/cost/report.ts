/**
 * The estimate of a plan document and how `--cost` shows it: the table per component (always-on, usage, total) with
 * its line items, the idle figure, the assumptions and the unconfirmed prices; and `--compare`, the change per
 * component against another stack (or the same stack at a git ref, which is what the pull-request comment shows).
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { CostAssumptionKey } from "../../../infra/config/cost";
import { planAtRef, readPlanFile, runPlanJson, type PlanDocument } from "../plan-diff";
import { loadStackConfig, projectName, stackConfigFromText } from "../stack-files";
import { resolveAssumptions } from "./assumptions";
import { estimateCost, type CostEstimate } from "./estimate";
import type { PriceTable } from "./prices";

export interface CostRunOptions {
  prices: PriceTable;
  assume?: Partial<Record<CostAssumptionKey, number>>;
  idle?: boolean;
  billingAccountFreeTier?: boolean;
}

/** The estimate of a plan (as `--json` prints it), with the usage its stack file assumes. */
export function estimatePlan(plan: PlanDocument, rawConfig: Record<string, string>, options: CostRunOptions): CostEstimate {
  const environment = String(plan.outputs.environment ?? "");
  const region = String(plan.outputs.region ?? rawConfig["gcp:region"] ?? "");
  return estimateCost({
    stack: plan.stack,
    region,
    environment,
    resources: plan.resources,
    assumptions: resolveAssumptions(environment, rawConfig, options.assume, options.idle),
    prices: options.prices,
    billingAccountFreeTier: options.billingAccountFreeTier,
  });
}

const usd = (value: number) => value.toFixed(2);
const signed = (value: number) => `${value > 0 ? "+" : value < 0 ? "-" : " "}${Math.abs(value).toFixed(2)}`;

/** A text table: the first column left-aligned, the others right-aligned. */
function table(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => (row[i] ?? "").length)));
  return rows.map((row) => row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join("  ").trimEnd());
}

/** The estimate as `--cost` prints it; `lineItems: false` leaves out each component's line items (a summary). */
export function renderCost(estimate: CostEstimate, { lineItems = true }: { lineItems?: boolean } = {}): string {
  const lines = [
    `Monthly cost estimate of stack ${estimate.stack} (environment ${estimate.environment}, region ${estimate.region}): ${estimate.currency} list prices read ${estimate.pricesReadOn} (infra/prices/)`,
    estimate.billingAccountFreeTier
      ? "Free tiers applied, those per billing account as if this stack alone used them (--no-free-tier: one more stack on a billing account that already uses them)."
      : "Free tiers per billing account not applied (--no-free-tier); per-project ones are.",
    "",
  ];
  const rows: string[][] = [["COMPONENT", "ALWAYS-ON", "USAGE", "TOTAL"]];
  for (const component of estimate.components) rows.push([component.component, usd(component.alwaysOn), usd(component.usage), usd(component.total)]);
  rows.push(["TOTAL", usd(estimate.totals.alwaysOn), usd(estimate.totals.usage), usd(estimate.totals.total)]);
  const [header, ...body] = table(rows);
  lines.push(header!);
  // Each component's row, then its line items (not aligned with the columns: descriptions are long).
  estimate.components.forEach((component, i) => {
    lines.push(body[i]!);
    for (const line of lineItems ? component.lines : []) {
      const free = line.free > 0 ? `, ${trim(line.free)} free` : "";
      lines.push(`    ${usd(line.usd).padStart(8)} ${line.category.padEnd(9)}  ${line.description} [${trim(line.quantity)} ${line.unit} × $${line.unitPrice}${free}]`);
    }
  });
  lines.push(body[body.length - 1]!);
  lines.push("", `Idle (no traffic): $${usd(estimate.idle)} per month, the always-on total.`);
  lines.push("", "Usage assumptions (set in pulsura:cost, or for one run with --assume <key>=<value>; --idle sets them all to 0):");
  lines.push(...table(estimate.assumptions.map((a) => [`  ${a.key}`, a.value.toLocaleString("en-US"), `  ${a.source}`])));
  lines.push("", `Model (not traffic): ${Object.entries(estimate.model).map(([k, v]) => `${k} ${typeof v === "object" ? JSON.stringify(v) : v}`).join("; ")}.`);
  if (estimate.unconfirmedPrices.length > 0) {
    lines.push("", `Prices not read from the official page (best known list prices; confirm them, infra/prices/README.md): ${estimate.unconfirmedPrices.length}`);
    for (const price of estimate.unconfirmedPrices) lines.push(`  ${price.file}:${price.key} $${price.usd} per ${price.unit} (${price.source})`);
  }
  if (estimate.notes.length > 0) lines.push("", ...estimate.notes);
  return lines.join("\n");
}

/** The change per component from `base` to `estimate`. */
export function renderCostComparison(base: CostEstimate, estimate: CostEstimate, baseLabel: string, label: string): string {
  const names = [...new Set([...estimate.components, ...base.components].map((c) => c.component))];
  const of = (e: CostEstimate, name: string) => e.components.find((c) => c.component === name);
  const rows: string[][] = [["COMPONENT", `${baseLabel}`, `${label}`, "CHANGE"]];
  for (const name of names) {
    const [before, after] = [of(base, name)?.total ?? 0, of(estimate, name)?.total ?? 0];
    rows.push([name, usd(before), usd(after), signed(after - before)]);
  }
  rows.push(["TOTAL", usd(base.totals.total), usd(estimate.totals.total), signed(estimate.totals.total - base.totals.total)]);
  rows.push(["  always-on (idle)", usd(base.totals.alwaysOn), usd(estimate.totals.alwaysOn), signed(estimate.totals.alwaysOn - base.totals.alwaysOn)]);
  rows.push(["  usage", usd(base.totals.usage), usd(estimate.totals.usage), signed(estimate.totals.usage - base.totals.usage)]);
  return [
    `Monthly cost of ${label} against ${baseLabel} (${estimate.currency}, list prices read ${estimate.pricesReadOn}, the same prices and this checkout's estimator for both):`,
    ...table(rows),
  ].join("\n");
}

/** `<stack>` or `<stack>@<git-ref>`, as `--compare` takes it. */
export function parseCompareTarget(value: string): { stack: string; ref?: string } {
  const at = value.indexOf("@");
  const [stack, ref] = at < 0 ? [value, undefined] : [value.slice(0, at), value.slice(at + 1)];
  if (!/^[A-Za-z0-9_.-]+$/.test(stack) || ref === "") throw new Error(`--compare ${JSON.stringify(value)}: expected <stack> or <stack>@<git-ref>, e.g. prod or dev@main`);
  return { stack, ref };
}

/**
 * The estimate of another stack of this checkout, or of a stack as it is at a git ref (planned in a child process; a
 * stack without a stack file at that ref costs nothing there).
 */
export async function estimateOther(repoRoot: string, target: { stack: string; ref?: string }, options: CostRunOptions): Promise<CostEstimate | undefined> {
  const project = projectName(repoRoot);
  if (target.ref !== undefined) {
    const plan = await planAtRef(repoRoot, target.ref, target.stack);
    if (!plan) return undefined;
    const text = execFileSync("git", ["-C", repoRoot, "show", `${target.ref}:Pulumi.${target.stack}.yaml`], { encoding: "utf8" });
    return estimatePlan(plan, stackConfigFromText(text, project).config, options);
  }
  const file = path.join(repoRoot, `Pulumi.${target.stack}.yaml`);
  if (!fs.existsSync(file)) throw new Error(`--compare ${target.stack}: no stack file ${file}`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pulsura-cost-"));
  try {
    const out = path.join(dir, "plan.json");
    await runPlanJson(repoRoot, target.stack, out, repoRoot);
    return estimatePlan(readPlanFile(out), loadStackConfig(file, project).config, options);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** A quantity for a line: up to 4 significant decimals, thousands separated. */
function trim(value: number): string {
  return value.toLocaleString("en-US", { maximumSignificantDigits: 6 });
}
