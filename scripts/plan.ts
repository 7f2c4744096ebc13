/**
 * npm run plan -- --stack <name> [--json | --inventory] [--out <file>]
 * npm run plan -- --config-file <Pulumi.<stack>.yaml> [--stack <name>] [--json]
 * npm run plan -- --stack <name> --diff <git-ref> | --diff-file <plan.json>
 *
 * Plans a stack offline: the real program under Pulumi's mocks with the stack file's config, then the policy pack.
 * `--json` prints the plan as JSON (`--out <file>` writes it there instead, without npm's banner), `--inventory` the
 * full plan record (with each resource's dependencies and protect flag) as one JSON line, and `--diff` what changes,
 * per resource and field, against the stack as planned at a git ref (or a plan saved with `--json`).
 * Exit codes: 0 clean or advisory violations only; 1 invalid config, bad arguments, a program error, or resource inputs
 * Google Cloud would refuse (the strict mocks' fidelity rules, all listed at once); 2 a mandatory policy is violated.
 */
import * as fs from "node:fs";
import { runCli, UsageError, type CliSpec } from "./lib/cli";
import { PlanError, planExitCode, planJson, planTree, runOfflinePlan } from "./lib/offline-plan";
import { diffPlans, planAtRef, readPlanFile, renderPlanDiff, type PlanDocument } from "./lib/plan-diff";
import { repoRoot } from "./lib/stack-files";

const spec = {
  command: "npm run plan --",
  summary: "Plans a stack offline (the real program under Pulumi's mocks, then the policy pack), or shows what a change does to it.",
  usage: [
    "--stack <name> [--json | --inventory] [--out <file>]",
    "--config-file <Pulumi.<stack>.yaml> [--stack <name>] [--json]",
    "--stack <name> --diff <git-ref>",
    "--stack <name> --diff-file <plan.json>",
  ],
  options: {
    stack: { type: "string", value: "<name>", description: "the stack, planned from Pulumi.<name>.yaml" },
    "config-file": { type: "string", value: "<file>", description: "plan this stack file instead" },
    json: { type: "boolean", description: "print the plan as JSON (what --diff-file, flutter:configure and deploy:web --outputs read)" },
    inventory: { type: "boolean", description: "print the full plan record as one JSON line (for tests and tools)" },
    out: { type: "string", value: "<file>", description: "write the output to a file instead of stdout (no npm banner in it)" },
    diff: { type: "string", value: "<git-ref>", description: "show what changes against the stack as planned at this commit" },
    "diff-file": { type: "string", value: "<plan.json>", description: "show what changes against a plan saved with --json" },
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
  let plan;
  try {
    plan = await runOfflinePlan({ stack: values.stack, configFile: values["config-file"] });
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
  } else {
    // --inventory (for tests and tools) adds what policies see: dependencies, protect, the environment.
    rendered = values.inventory ? JSON.stringify(plan) : values.json ? JSON.stringify(planJson(plan), null, 2) : planTree(plan);
  }
  if (values.out) fs.writeFileSync(values.out, `${rendered}\n`);
  else process.stdout.write(`${rendered}\n`);
  return planExitCode(plan);
});
