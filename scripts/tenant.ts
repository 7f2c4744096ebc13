/**
 * npm run tenant -- new <tenant> --from <stack> --project <gcp-project-id> [--region <region>] [--domain <domain>]
 * npm run tenant -- list
 *
 * `new` writes Pulumi.<tenant>.yaml from another stack's non-secret config, validates it with the program's schema,
 * lists the secrets to set and plans the new stack offline. Exit codes: 0 done; 1 refused or bad arguments (nothing
 * written); 2 written, but its offline plan violates a mandatory policy.
 */
import { parseArgs } from "node:util";
import { planExitCode, runOfflinePlan } from "./lib/offline-plan";
import { repoRoot } from "./lib/stack-files";
import { ForkRefused, forkStack, listStacks } from "./lib/tenant";

const USAGE = [
  "usage: npm run tenant -- new <tenant> --from <stack> --project <gcp-project-id> [--region <region>] [--domain <domain>]",
  "       npm run tenant -- list",
].join("\n");

function list(root: string): number {
  const rows = listStacks(root).map((s) => [s.stack, s.environment, s.project, s.region, s.domains.join(", ") || "-"]);
  const header = ["STACK", "ENVIRONMENT", "PROJECT", "REGION", "DOMAINS"];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  for (const row of [header, ...rows]) process.stdout.write(`${row.map((cell, i) => cell.padEnd(widths[i]!)).join("  ").trimEnd()}\n`);
  return 0;
}

async function fork(tenant: string | undefined, values: Record<string, string | undefined>, root: string): Promise<number> {
  if (!tenant || !values.from || !values.project) {
    process.stderr.write(`tenant new needs a tenant name, --from and --project.\n${USAGE}\n`);
    return 1;
  }
  let result;
  try {
    result = forkStack({ tenant, from: values.from, project: values.project, region: values.region, domain: values.domain, root });
  } catch (error) {
    if (error instanceof ForkRefused) {
      process.stderr.write(`Refused: ${error.message}\nNothing was written.\n`);
      return 1;
    }
    throw error;
  }
  process.stdout.write(`Wrote ${result.path}\n`);
  if (result.secretKeys.length > 0) {
    process.stdout.write(`Secrets are not copied. Set them for the new stack:\n`);
    for (const key of result.secretKeys) process.stdout.write(`  pulumi config set --secret ${key.replace(/^pulsura:/, "")} <value> --stack ${tenant}\n`);
  }
  // Planned as if the listed secrets were set, so the summary shows what the stack will be once they are.
  const plan = await runOfflinePlan({ configFile: result.path, stack: tenant, secretsToBeSet: result.secretKeys });
  const mandatory = plan.violations.filter((v) => v.enforcement === "mandatory");
  process.stdout.write(
    `Offline plan of ${tenant} (${plan.environment}): ${plan.resources.length} resources, ` +
      `${mandatory.length} mandatory and ${plan.violations.length - mandatory.length} advisory policy findings.\n`,
  );
  for (const v of plan.violations) process.stdout.write(`  [${v.enforcement}] ${v.policy}: ${v.message}\n`);
  process.stdout.write(
    `Next: add ${values.project} to deployProjects in infra/bootstrap/Pulumi.<org>.yaml and re-run the bootstrap, ` +
      `create the GitHub environment "${tenant}" with required reviewers, then: pulumi stack init ${tenant} && pulumi up --stack ${tenant}\n`,
  );
  // What the offline plan cannot check (terms of service, org policy, Firebase already on the project).
  const steps = Array.isArray(plan.outputs.nextSteps) ? (plan.outputs.nextSteps as unknown[]).map(String) : [];
  if (steps.length > 0) process.stdout.write(`Before the first pulumi up:\n${steps.map((step) => `  - ${step}\n`).join("")}`);
  return planExitCode(plan);
}

async function main(): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      allowPositionals: true,
      options: {
        from: { type: "string" },
        project: { type: "string" },
        region: { type: "string" },
        domain: { type: "string" },
        // For tests and tools: another folder holding Pulumi.yaml and stack files.
        root: { type: "string" },
      },
    });
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n${USAGE}\n`);
    return 1;
  }
  const [command, tenant, ...extra] = parsed.positionals;
  const root = parsed.values.root ?? repoRoot;
  if (command === "list" && !tenant) return list(root);
  if (command === "new" && extra.length === 0) return fork(tenant, parsed.values, root);
  process.stderr.write(`${USAGE}\n`);
  return 1;
}

main().then(
  (code) => process.stdout.write("", () => process.exit(code)),
  (error: unknown) => {
    process.stderr.write(`error: ${(error as Error).message}\n`);
    process.exit(1);
  },
);
