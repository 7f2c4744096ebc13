import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { planExitCode, type PlanResult } from "../../scripts/lib/offline-plan";
import { repoRoot } from "../../scripts/lib/stack-files";
import { runPlanCli } from "./support/run-plan";

const fixture = (name: string) => join(repoRoot, "test", "infra", "fixtures", name);

describe("npm run plan", () => {
  it("prints the documented JSON for the prod stack, listing the enabled APIs", async () => {
    const run = await runPlanCli(["--stack", "prod", "--json"]);
    expect(run.exitCode).toBe(0);
    const plan = JSON.parse(run.stdout) as Record<string, unknown>;
    expect(Object.keys(plan)).toEqual(["stack", "project", "resources", "outputs", "violations"]);
    expect(plan).toMatchObject({ stack: "prod", project: "pulsura" });
    const resources = plan.resources as Array<Record<string, unknown>>;
    for (const r of resources) expect(Object.keys(r)).toEqual(["urn", "type", "name", "parent", "inputs"]);
    const apis = resources.filter((r) => r.type === "gcp:projects/service:Service").map((r) => (r.inputs as { service: string }).service);
    expect(apis).toContain("sqladmin.googleapis.com");
    expect((plan.outputs as { enabledApis: string[] }).enabledApis).toEqual(apis.sort());
  });

  it("prints a readable tree by default", async () => {
    const run = await runPlanCli(["--stack", "dev"]);
    expect(run.exitCode).toBe(0);
    expect(run.stdout).toMatch(/^Offline plan of stack dev \(project pulsura, environment dev\): \d+ resources/);
    expect(run.stdout).toMatch(/^[├└]─ pulsura:core:Project  pulsura$/m);
    expect(run.stdout).toContain("gcp:projects/service:Service  pulsura-api-sqladmin");
  });

  it("exits 1 naming all three bad keys of a stack file, without a stack trace", async () => {
    const run = await runPlanCli(["--config-file", fixture("Pulumi.three-bad-keys.yaml")]);
    expect(run.exitCode).toBe(1);
    expect(run.stderr).toContain('Stack "three-bad-keys" has 3 invalid config values');
    expect(run.stderr).toContain('pulsura:environment: got "staging", expected one of "dev" | "prod"');
    expect(run.stderr).toContain('pulsura:database.tier: got "db-huge", expected a Cloud SQL tier');
    expect(run.stderr).toContain("pulsura:hasura.maxInstances: got -1, expected a number >= 1");
    expect(run.stderr).not.toMatch(/^\s+at /m);
    expect(run.stdout).toBe("");
  });

  it("exits 1 with usage for missing or unknown arguments, and for a missing stack file", async () => {
    expect((await runPlanCli([])).exitCode).toBe(1);
    const unknown = await runPlanCli(["--stak", "dev"]);
    expect(unknown.exitCode).toBe(1);
    expect(unknown.stderr).toContain("npm run plan: unknown option --stak (did you mean --stack?)");
    expect(unknown.stderr).toContain("Run npm run plan -- --help for details.");
    const missing = await runPlanCli(["--stack", "nope"]);
    expect(missing.exitCode).toBe(1);
    expect(missing.stderr).toContain("Pulumi.nope.yaml does not exist");
  });

  it("prints secret config values as [secret]", async () => {
    const run = await runPlanCli(["--config-file", fixture("Pulumi.with-secret.yaml"), "--json"]);
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.stdout).not.toContain("v1:");
  });

  it("exits 1 for a connection budget over the database's limit, naming the numbers", async () => {
    const run = await runPlanCli(["--config-file", fixture("Pulumi.over-budget.yaml")]);
    expect(run.exitCode).toBe(1);
    expect(run.stderr).toContain("pulsura:database.tier: got 68 connections at full scale");
    expect(run.stderr).toContain('pulsura:hasura.poolSize (Hasura source "default") maxInstances 4 × 10 = 40');
    expect(run.stderr).toContain("pulsura:hasura.metadataPoolSize (Hasura metadata database) maxInstances 4 × 2 = 8");
    expect(run.stderr).toContain("at most 40 = 50 allowed by tier db-g1-small minus 10 headroom");
  });

  it("exits 1 for every config mistake of a stack file at once, cross-field checks included", async () => {
    const run = await runPlanCli(["--config-file", fixture("Pulumi.many-mistakes.yaml")]);
    expect(run.exitCode).toBe(1);
    expect(run.stdout).toBe("");
    expect(run.stderr).toMatch(/^Stack "many-mistakes" has 10 invalid config values:$/m);
    for (const key of ["tenant", "domains[0]", "alertEmail", "network.subnetCidr", "database.tier", "database.retainedBackups", "hasura.version", "hasura.memory", "services[0].cpu"]) {
      expect(run.stderr).toContain(`  - pulsura:${key}: got `);
    }
    expect(run.stderr).toContain("pulsura:functions.minInstances: got 10, expected at most maxInstances (5)");
    // cpu: 2, a YAML number, is Cloud Run's "2".
    expect(run.stderr).not.toContain("pulsura:hasura.cpu");
  });

  it("exits 1 for a client secret in plain text, saying how to set it as a secret, without printing it", async () => {
    const run = await runPlanCli(["--config-file", fixture("Pulumi.plain-secret.yaml")]);
    expect(run.exitCode).toBe(1);
    expect(run.stderr).toContain(
      "pulsura:googleClientSecret: got a value in plain text (not shown), expected a Pulumi secret: delete the plain value from the stack file (Pulumi.plain-secret.yaml), then set it with: pulumi config set --secret googleClientSecret <value> --stack plain-secret",
    );
    expect(run.stderr).not.toContain("GOCSPX");
  });

  it("exits 1 for a misspelled namespace or key, suggesting the closest", async () => {
    const run = await runPlanCli(["--config-file", fixture("Pulumi.misspelled-keys.yaml")]);
    expect(run.exitCode).toBe(1);
    expect(run.stderr).toMatch(/^Stack "misspelled-keys" has 2 invalid config values:$/m);
    expect(run.stderr).toContain('pulsra:hasura: got {"maxInstances":3}, expected a key of a namespace this program or its providers read');
    expect(run.stderr).toContain("did you mean pulsura:hasura?");
    expect(run.stderr).toContain("pulsura:hasura.minInstance: got 1, expected no such key (unknown setting); did you mean pulsura:hasura.minInstances?");
  });

  it("exits 1 when the stack drops core while the metadata calls it, naming each handler, the service and the stack", async () => {
    const run = await runPlanCli(["--config-file", fixture("Pulumi.drops-core.yaml")]);
    expect(run.exitCode).toBe(1);
    expect(run.stdout).toBe("");
    const handlers = run.stderr.split("\n").filter((line) => line.startsWith('  - pulsura:services: got ["billing"], expected the service "core" that '));
    // Every handler of core in hasura/metadata: actions, event triggers, cron triggers.
    expect(handlers.length).toBeGreaterThanOrEqual(3);
    expect(run.stderr).toContain("action whoami calls ({{PULSURA_SERVICE_CORE_URL}}/actions/whoami in hasura/metadata/actions.yaml)");
    expect(run.stderr).toContain("event trigger user_role_changed on table public.users calls");
    expect(run.stderr).toContain("cron trigger purge_processed_deliveries calls");
    expect(run.stderr).toContain('stack "drops-core" deploys no service "core", so Hasura has no PULSURA_SERVICE_CORE_URL');
    // billing has no folder in this repository either.
    expect(run.stderr).toContain('pulsura:services[0].name: got "billing", expected a service folder services/billing/ with package.json and Dockerfile');
  });

  it("exits 1 for a service without its folder", async () => {
    const run = await runPlanCli(["--config-file", fixture("Pulumi.missing-service-folder.yaml")]);
    expect(run.exitCode).toBe(1);
    expect(run.stderr).toContain(
      'Stack "missing-service-folder" has 1 invalid config value:\n  - pulsura:services[1].name: got "reports", expected a service folder services/reports/ with package.json and Dockerfile (missing: services/reports/package.json, services/reports/Dockerfile); stack "missing-service-folder" would build its image from it. Scaffold it with: npm run new -- service reports',
    );
  });

  it("exits 1 for inputs Google Cloud refuses, naming every resource, field, constraint and source in a stable order", async () => {
    const run = await runPlanCli(["--config-file", fixture("Pulumi.refused-by-google.yaml")]);
    expect(run.exitCode).toBe(1);
    expect(run.stdout).toBe("");
    expect(run.stderr).toMatch(/^error: Stack "refused-by-google" declares \d+ resource inputs that Google Cloud refuses \(pulumi up would fail\):$/m);
    const instance = 'gcp:sql/databaseInstance:DatabaseInstance "refused-instance"';
    const pitr = `${instance} settings.backupConfiguration.transactionLogRetentionDays: got 14 on ENTERPRISE (at most 7); expected 1-7 days on Enterprise, 1-35 on Enterprise Plus [sql/pitr-retention] (https://cloud.google.com/sql/docs/postgres/backup-recovery/configure-pitr)`;
    const tier = `${instance} settings.tier: got "db-custom-3-3840": 3 vCPUs (1 or an even number up to 96)`;
    expect(run.stderr).toContain(pitr);
    expect(run.stderr).toContain(tier);
    // Every violation at once, sorted by resource and rule, whatever order the registrations completed in.
    const lines = run.stderr.split("\n").filter((line) => line.startsWith("  - "));
    expect(lines.length).toBeGreaterThanOrEqual(2);
    expect(lines.findIndex((l) => l.includes("[sql/pitr-retention]"))).toBeLessThan(lines.findIndex((l) => l.includes("[sql/tier-for-edition]")));
    expect(run.stderr).not.toMatch(/^\s+at /m);
  });

  it("exits 2 when a prod stack violates a mandatory policy", async () => {
    const run = await runPlanCli(["--config-file", fixture("Pulumi.prod-unprotected.yaml"), "--json"]);
    expect(run.exitCode).toBe(2);
    const plan = JSON.parse(run.stdout) as { violations: Array<{ policy: string; enforcement: string }> };
    expect(plan.violations).toContainEqual(expect.objectContaining({ policy: "cloudsql-deletion-protection", enforcement: "mandatory" }));
  });

  it("exits 2 only for mandatory violations", () => {
    const plan = (enforcement: "mandatory" | "advisory"): PlanResult => ({
      stack: "s", project: "pulsura", environment: "dev", resources: [], outputs: {},
      violations: [{ policy: "p", enforcement, urn: "urn", message: "m" }],
    });
    expect(planExitCode(plan("mandatory"))).toBe(2);
    expect(planExitCode(plan("advisory"))).toBe(0);
  });
});
