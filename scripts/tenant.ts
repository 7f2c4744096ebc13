/**
 * npm run tenant -- new <tenant> --from <stack> --project <gcp-project-id> [--region <region>] [--domain <domain>] [--alert-email <address>]
 * npm run tenant -- list
 *
 * `new` writes Pulumi.<tenant>.yaml from another stack's non-secret config, validates it with the program's schema
 * and plans the new stack offline exactly as `npm run plan -- --stack <tenant>` will, then prints its monthly cost estimate
 * (as `npm run plan -- --stack <tenant> --cost` does, without the billing account's free tiers: the tenant shares them
 * with the stacks already there). Exit codes: 0 done; 1 refused or
 * bad arguments (nothing written); 2 written, but its offline plan violates a mandatory policy; 3 written, but it does
 * not plan until the listed secrets are set (as `npm run plan` and CI would say).
 */
import { runCli, type CliSpec, type ParsedArgs } from "./lib/cli";
import { PlanError, planExitCode, planJson, runOfflinePlan } from "./lib/offline-plan";
import type { PlanDocument } from "./lib/plan-diff";
import { loadPriceTable, MissingPriceError } from "./lib/cost/prices";
import { estimatePlan, renderCost } from "./lib/cost/report";
import { loadStackConfig } from "./lib/stack-files";
import { repoRoot } from "./lib/stack-files";
import { ForkRefused, forkStack, listStacks } from "./lib/tenant";

const spec = {
  command: "npm run tenant --",
  summary: "Forks a stack file for a new tenant, or lists the stacks.",
  usage: [
    "new <tenant> --from <stack> --project <gcp-project-id> [--region <region>] [--domain <domain>] [--alert-email <address>]",
    "list",
  ],
  subcommands: ["new", "list"],
  maxPositionals: 2,
  options: {
    from: { type: "string", value: "<stack>", description: "the stack whose non-secret config the tenant starts from" },
    project: { type: "string", value: "<gcp-project-id>", description: "the tenant's own Google Cloud project" },
    region: { type: "string", value: "<region>", description: "the tenant's region (default: the source's)" },
    domain: { type: "string", value: "<domain>", description: "the tenant's app domain (default: none)" },
    "alert-email": { type: "string", value: "<address>", description: "where the tenant's alerts go (required for a prod tenant; never copied)" },
    // For tests and tools: another folder holding Pulumi.yaml and stack files.
    root: { type: "string", value: "<dir>", description: "folder with Pulumi.yaml and the stack files (default: this repository)" },
  },
  notes: "Exit codes: 0 done; 1 refused or bad arguments (nothing written); 2 written, a mandatory policy is violated;\n3 written, it does not plan until the listed secrets are set.",
  usageExitCode: 1,
} as const satisfies CliSpec;

type Args = ParsedArgs<typeof spec>;

/** Exit code of a fork written but not plannable until its secrets are set. */
const NEEDS_SECRETS = 3;

function list(root: string): number {
  const rows = listStacks(root).map((s) => [s.stack, s.environment, s.project, s.region, s.domains.join(", ") || "-"]);
  const header = ["STACK", "ENVIRONMENT", "PROJECT", "REGION", "DOMAINS"];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  for (const row of [header, ...rows]) process.stdout.write(`${row.map((cell, i) => cell.padEnd(widths[i]!)).join("  ").trimEnd()}\n`);
  return 0;
}

async function fork(tenant: string | undefined, values: Args["values"], root: string): Promise<number> {
  if (!tenant || !values.from || !values.project) {
    process.stderr.write("tenant new needs a tenant name, --from and --project.\n");
    return 1;
  }
  let result;
  try {
    result = forkStack({ tenant, from: values.from, project: values.project, region: values.region, domain: values.domain, alertEmail: values["alert-email"], root });
  } catch (error) {
    if (error instanceof ForkRefused) {
      process.stderr.write(`Refused: ${error.message}\nNothing was written.\n`);
      return 1;
    }
    throw error;
  }
  process.stdout.write(`Wrote ${result.path}\n`);
  if (result.droppedAlertEmail) {
    process.stdout.write(`Not copied: pulsura:alertEmail (${result.droppedAlertEmail} alerts the source's team); pass --alert-email to set the tenant's.\n`);
  }

  // The plan `npm run plan -- --stack <tenant>` and CI run next: no secret is assumed to be set.
  let code: number;
  try {
    const plan = await runOfflinePlan({ configFile: result.path, stack: tenant });
    const mandatory = plan.violations.filter((v) => v.enforcement === "mandatory");
    process.stdout.write(
      `Offline plan of ${tenant} (${plan.environment}): ${plan.resources.length} resources, ` +
        `${mandatory.length} mandatory and ${plan.violations.length - mandatory.length} advisory policy findings.\n`,
    );
    for (const v of plan.violations) process.stdout.write(`  [${v.enforcement}] ${v.policy}: ${v.message}\n`);
    code = planExitCode(plan);
    printEstimate(planJson(plan) as PlanDocument, result.path);
    const steps = Array.isArray(plan.outputs.nextSteps) ? (plan.outputs.nextSteps as unknown[]).map(String) : [];
    printNextSteps(tenant, values.project, result.secretKeys, result.secretsProvider);
    // What the offline plan cannot check (terms of service, org policy, Firebase already on the project).
    if (steps.length > 0) process.stdout.write(`Before the first pulumi up:\n${steps.map((step) => `  - ${step}\n`).join("")}`);
  } catch (error) {
    if (!(error instanceof PlanError && error.kind === "config")) throw error;
    process.stdout.write(`Offline plan of ${tenant}: does not run yet, as npm run plan -- --stack ${tenant} and CI will say until the secrets are set:\n${error.message}\n`);
    printNextSteps(tenant, values.project, result.secretKeys, result.secretsProvider);
    code = NEEDS_SECRETS;
  }
  return code;
}

/**
 * What the tenant will cost per month. Without the billing account's free tiers: a tenant usually joins a billing account
 * whose free tiers the other stacks already use, so this is what it adds. No estimate is not a failed fork.
 */
function printEstimate(plan: PlanDocument, stackFile: string): void {
  try {
    const estimate = estimatePlan(plan, loadStackConfig(stackFile, plan.project).config, { prices: loadPriceTable(), billingAccountFreeTier: false });
    process.stdout.write(`${renderCost(estimate, { lineItems: false })}\nLine items: npm run plan -- --stack ${plan.stack} --cost\n`);
  } catch (error) {
    if (!(error instanceof MissingPriceError)) throw error;
    process.stdout.write(`No cost estimate: ${error.message}\n`);
  }
}

function printNextSteps(tenant: string, project: string, secretKeys: readonly string[], secretsProvider: string | undefined): void {
  const steps = [
    `add ${project} to deployProjects in infra/bootstrap/Pulumi.<org>.yaml and re-run the bootstrap (it creates the tenant's workload accounts and admits deploy.yml's "${tenant}" environment)`,
    `create the GitHub environment "${tenant}" with required reviewers`,
    `pulumi stack init ${tenant} --secrets-provider ${secretsProvider ?? "<the bootstrap's secretsProvider output, gcpkms://…>"}`,
    ...secretKeys.map((key) => `pulumi config set --secret ${key.replace(/^pulsura:/, "")} <value> --stack ${tenant}   (secrets are never copied)`),
    `npm run plan -- --stack ${tenant}, then npm run test:update-inventory (writes test/infra/inventory/${tenant}.yaml, which the tests compare against) and commit both files`,
    `pulumi up --stack ${tenant}`,
  ];
  process.stdout.write(`Next:\n${steps.map((step, i) => `  ${i + 1}. ${step}\n`).join("")}`);
}

runCli(spec, async ({ values, positionals }) => {
  const [command, tenant] = positionals;
  const root = values.root ?? repoRoot;
  if (command === "list") return tenant === undefined ? list(root) : (process.stderr.write("tenant list takes no arguments.\n"), 1);
  return fork(tenant, values, root);
});
