/**
 * npm run plan:bootstrap -- [--stack-file <infra/bootstrap/Pulumi.<org>.yaml>] [--json]
 *
 * Plans the bootstrap offline (infra/bootstrap/index.ts under Pulumi's mocks, with the fidelity rules) and prints what
 * `pulumi preview` there would create, then the two CI identities: which GitHub tokens may get each (the Workload
 * Identity provider's condition and identity mapping, in full), every role each holds and where, the accounts the
 * deployer may act as, and the escalation analysis against the dated role table (infra/bootstrap/role-permissions.json):
 * whether either could grant itself or anyone a basic role, token creation or a key.
 * Exit codes: 0 planned, neither identity can escalate; 1 bad arguments, invalid config, a program error or inputs
 * Google Cloud would refuse; 2 planned, but an identity has a path to escalate (listed).
 */
import { join } from "node:path";
import { formatFinding } from "../infra/bootstrap/escalation";
import { BOOTSTRAP_DIR, ciIdentities, planBootstrap, planBootstrapExitCode, type BootstrapPlan } from "./lib/bootstrap-plan";
import { runCli, type CliSpec } from "./lib/cli";
import { PlanError } from "./lib/offline-plan";

const spec = {
  command: "npm run plan:bootstrap --",
  summary: "Plans the bootstrap offline and shows who may get the deployer and the previewer, and what each may do.",
  usage: ["[--stack-file <file>] [--json]"],
  options: {
    "stack-file": { type: "string", value: "<file>", description: "the bootstrap stack file (default infra/bootstrap/Pulumi.pulsura.yaml, the example)" },
    json: { type: "boolean", description: "print the resources, outputs and identities as JSON" },
  },
  notes: "Exit codes: 0 planned, no identity can escalate; 1 bad arguments, invalid config, a program error or inputs Google Cloud\nwould refuse; 2 an identity has a path to a basic role, token creation or a key.",
  usageExitCode: 1,
} as const satisfies CliSpec;

function render(plan: BootstrapPlan, summary: ReturnType<typeof ciIdentities>): string {
  const counts = new Map<string, number>();
  for (const r of plan.resources) counts.set(r.type, (counts.get(r.type) ?? 0) + 1);
  const lines = [`Bootstrap stack ${plan.stack}: ${plan.resources.length} resources`, ...[...counts].sort().map(([type, n]) => `  ${String(n).padStart(3)} ${type}`), ""];
  lines.push("GitHub tokens exchanged (the provider's attributeCondition):", `  ${summary.condition}`, "");
  lines.push("Identity of an exchanged token (attributeMapping):");
  for (const [attribute, expression] of Object.entries(summary.mapping)) lines.push(`  ${attribute} = ${expression}`);
  for (const identity of summary.identities) {
    lines.push("", `${identity.name} ${identity.email}`, "  who may get it:", ...identity.principals.map((p) => `    ${p}`), "  roles, by what they are granted on:");
    const targets = [...new Set(identity.grants.map((g) => g.on))];
    for (const target of targets) {
      lines.push(`    ${target}`);
      for (const grant of identity.grants.filter((g) => g.on === target)) lines.push(`      ${grant.role}${grant.condition ? `, only if ${grant.condition}` : ""}`);
    }
    const { findings, actsAs } = identity.analysis;
    lines.push(`  acts as (runs workloads as): ${actsAs.length === 0 ? "no account" : `${actsAs.length} accounts, each granted on itself (above)`}`);
    lines.push(
      findings.length === 0
        ? "  escalation: none found (no path to a basic role, token creation, a key, a custom role or the federation)"
        : `  escalation: ${findings.length} path(s)\n${findings.map((f) => `    ${formatFinding(identity.email, f)}`).join("\n")}`,
    );
  }
  return lines.join("\n");
}

runCli(spec, async ({ values }) => {
  let plan: BootstrapPlan;
  try {
    plan = await planBootstrap(values["stack-file"] ?? join(BOOTSTRAP_DIR, "Pulumi.pulsura.yaml"));
  } catch (error) {
    if (!(error instanceof PlanError)) throw error;
    process.stderr.write(`${error.kind === "config" ? "" : "error: "}${error.message}\n`);
    return 1;
  }
  const summary = ciIdentities(plan);
  process.stdout.write(`${values.json ? JSON.stringify({ stack: plan.stack, resources: plan.resources, outputs: plan.outputs, ...summary }, null, 2) : render(plan, summary)}\n`);
  return planBootstrapExitCode(summary);
});
