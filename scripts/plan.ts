/**
 * npm run plan -- --stack <name> [--json | --inventory] [--out <file>] [--api-certificate <status>]
 * npm run plan -- --config-file <Pulumi.<stack>.yaml> [--stack <name>] [--json]
 * npm run plan -- --stack <name> --diff <git-ref> | --diff-file <plan.json>
 * npm run plan -- --stack <name> --cost [--json] [--compare <stack>[@<git-ref>]] [--assume <key>=<value>]... [--idle] [--no-free-tier]
 *
 * Plans a stack offline: the real program under Pulumi's mocks with the stack file's config, then the policy pack.
 * `--json` prints the plan as JSON (`--out <file>` writes it there instead, without npm's banner), `--inventory` the
 * full plan record (with each resource's dependencies and protect flag) as one JSON line, and `--diff` what changes,
 * per resource and field, against the stack as planned at a git ref (or a plan saved with `--json`). `--cost` adds the
 * monthly estimate (scripts/lib/cost/): per component, always-on and usage-driven, at the dated list prices of
 * infra/prices/; with `--json` it is the plan's `cost` field, and `--compare` shows the change against another stack.
 * With `pulsura:apiDomain`, `--api-certificate` is the status Google would report for the domain's certificate, which
 * decides whether Hasura is behind the edge yet (infra/edge-cutover.ts): ACTIVE by default, ABSENT for a first `pulumi up`.
 * Exit codes: 0 clean or advisory violations only; 1 invalid config, bad arguments, a program error, or resource inputs
 * Google Cloud would refuse (the strict mocks' fidelity rules, all listed at once); 2 a mandatory policy is violated.
 */
// First: the modules below load faster after it.
import "./lib/fast-load";
import * as fs from "node:fs";
import { CERTIFICATE_STATUSES, type CertificateStatus } from "../infra/edge-cutover";
import { runCli, UsageError, type CliSpec } from "./lib/cli";
import { PlanError, planExitCode, planJson, planTree, runOfflinePlan } from "./lib/offline-plan";
import { diffPlans, planAtRef, readPlanFile, renderPlanDiff, type PlanDocument } from "./lib/plan-diff";
import { loadStackConfig, repoRoot } from "./lib/stack-files";
import { parseAssumeFlags } from "./lib/cost/assumptions";
import { loadPriceTable, MissingPriceError } from "./lib/cost/prices";
import { estimateOther, estimatePlan, parseCompareTarget, renderCost, renderCostComparison, type CostRunOptions } from "./lib/cost/report";
import { join } from "node:path";

const spec = {
  command: "npm run plan --",
  summary: "Plans a stack offline (the real program under Pulumi's mocks, then the policy pack), or shows what a change does to it.",
  usage: [
    "--stack <name> [--json | --inventory] [--out <file>]",
    "--config-file <Pulumi.<stack>.yaml> [--stack <name>] [--json]",
    "--stack <name> --diff <git-ref>",
    "--stack <name> --diff-file <plan.json>",
    "--stack <name> --cost [--json] [--compare <stack>[@<git-ref>]] [--assume <key>=<value>]... [--idle] [--no-free-tier]",
  ],
  options: {
    stack: { type: "string", value: "<name>", description: "the stack, planned from Pulumi.<name>.yaml" },
    "config-file": { type: "string", value: "<file>", description: "plan this stack file instead" },
    json: { type: "boolean", description: "print the plan as JSON (what --diff-file, flutter:configure and deploy:web --outputs read)" },
    inventory: { type: "boolean", description: "print the full plan record as one JSON line (for tests and tools)" },
    out: { type: "string", value: "<file>", description: "write the output to a file instead of stdout (no npm banner in it)" },
    diff: { type: "string", value: "<git-ref>", description: "show what changes against the stack as planned at this commit" },
    "diff-file": { type: "string", value: "<plan.json>", description: "show what changes against a plan saved with --json" },
    cost: { type: "boolean", description: "add the monthly cost estimate (with --json: the plan's cost field)" },
    compare: { type: "string", value: "<stack>[@<git-ref>]", description: "with --cost: the change per component against another stack, or this stack at a git ref" },
    assume: { type: "string", multiple: true, value: "<key>=<value>", description: "with --cost: a usage assumption for this run (apiRequests=5000000)" },
    idle: { type: "boolean", description: "with --cost: no traffic and no data (every usage assumption 0)" },
    "no-free-tier": { type: "boolean", description: "with --cost: leave out the free tiers per billing account (one more stack on an account)" },
    "api-certificate": {
      type: "string",
      value: "<status>",
      description: `with pulsura:apiDomain: the certificate status to plan with, ${CERTIFICATE_STATUSES.join(" | ")} (default ACTIVE; ABSENT is a first pulumi up)`,
    },
  },
  notes: "Exit codes: 0 clean or advisory findings only; 1 invalid config, bad arguments, a program error or inputs Google Cloud\nwould refuse; 2 a mandatory policy is violated.",
  // 2 is a mandatory policy violation.
  usageExitCode: 1,
} as const satisfies CliSpec;

runCli(spec, async ({ values }) => {
  if (!values.stack && !values["config-file"]) throw new UsageError("name a stack with --stack or a stack file with --config-file");
  const exclusive = (["json", "inventory", "diff", "diff-file"] as const).filter((name) => values[name] !== undefined);
  if (exclusive.length > 1) throw new UsageError(`--${exclusive[0]} and --${exclusive[1]} cannot be combined: choose one output`);
  if (values.diff !== undefined && !values.stack) throw new UsageError("--diff needs --stack (the stack file is read at that commit by name)");
  const costOnly = (["compare", "assume", "idle", "no-free-tier"] as const).find((name) => values[name] !== undefined);
  if (costOnly && !values.cost) throw new UsageError(`--${costOnly} needs --cost`);
  if (values.cost && (values.inventory || values.diff !== undefined || values["diff-file"] !== undefined)) {
    throw new UsageError("--cost goes with the tree or --json, not with --inventory, --diff or --diff-file");
  }
  if (values.compare !== undefined && values.json) throw new UsageError("--compare prints a comparison table: leave out --json");
  // Read before planning, so a bad price file, region or --assume is refused in a second, not after the plan.
  let assume, compareTarget;
  try {
    assume = parseAssumeFlags(values.assume ?? []);
    compareTarget = values.compare !== undefined ? parseCompareTarget(values.compare) : undefined;
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const apiCertificate = values["api-certificate"];
  if (apiCertificate !== undefined && !(CERTIFICATE_STATUSES as readonly string[]).includes(apiCertificate)) {
    throw new UsageError(`--api-certificate: got ${JSON.stringify(apiCertificate)}, expected one of ${CERTIFICATE_STATUSES.join(", ")}`);
  }
  const cost = values.cost ? { prices: loadPriceTable(), assume, idle: values.idle, billingAccountFreeTier: !values["no-free-tier"] } : undefined;
  let plan;
  try {
    plan = await runOfflinePlan({ stack: values.stack, configFile: values["config-file"], apiCertificate: apiCertificate as CertificateStatus | undefined });
  } catch (error) {
    if (!(error instanceof PlanError)) throw error;
    process.stderr.write(`${error.kind === "config" ? "" : "error: "}${error.message}\n`);
    return 1;
  }
  let rendered: string;
  if (values.diff !== undefined || values["diff-file"] !== undefined) {
    const after = planJson(plan) as PlanDocument;
    const base = values.diff ?? values["diff-file"]!;
    const before = values.diff !== undefined ? await planAtRef(repoRoot, values.diff, plan.stack) : readPlanFile(values["diff-file"]!);
    rendered = renderPlanDiff(diffPlans(before ?? { ...after, resources: [], outputs: {}, violations: [] }, after), plan.stack, before ? base : `${base} (no stack file there)`);
  } else if (cost) {
    const document = planJson(plan) as PlanDocument;
    const configFile = values["config-file"] ?? join(repoRoot, `Pulumi.${plan.stack}.yaml`);
    const rawConfig = loadStackConfig(configFile, plan.project).config;
    let estimate;
    try {
      estimate = estimatePlan(document, rawConfig, cost);
    } catch (error) {
      if (!(error instanceof MissingPriceError)) throw error;
      process.stderr.write(`error: no estimate of stack ${plan.stack}: ${error.message}\nNothing was written.\n`);
      return 1;
    }
    if (values.json) rendered = JSON.stringify({ ...document, cost: estimate }, null, 2);
    else if (compareTarget) rendered = await compare(estimate, compareTarget, cost);
    else rendered = `${planTree(plan)}\n\n${renderCost(estimate)}`;
  } else {
    // --inventory (for tests and tools) adds what policies see: dependencies, protect, the environment.
    rendered = values.inventory ? JSON.stringify(plan) : values.json ? JSON.stringify(planJson(plan), null, 2) : planTree(plan);
  }
  if (values.out) fs.writeFileSync(values.out, `${rendered}\n`);
  else process.stdout.write(`${rendered}\n`);
  return planExitCode(plan);
});

/**
 * The change per component against the other stack (or this stack at a git ref), then this stack's estimate without
 * its line items (`--cost` alone shows them): what a pull-request comment needs first.
 */
async function compare(estimate: Parameters<typeof renderCost>[0], target: { stack: string; ref?: string }, options: CostRunOptions): Promise<string> {
  const base = await estimateOther(repoRoot, target, options);
  const baseLabel = target.ref !== undefined ? `${target.stack}@${target.ref}` : target.stack;
  const empty = { ...estimate, stack: target.stack, components: [], totals: { alwaysOn: 0, usage: 0, total: 0 }, idle: 0 };
  const comparison = renderCostComparison(base ?? empty, estimate, base ? baseLabel : `${baseLabel} (no stack file there)`, estimate.stack);
  return `${comparison}\n\n${renderCost(estimate, { lineItems: false })}`;
}
