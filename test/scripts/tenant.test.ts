import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { repoRoot } from "../../scripts/lib/stack-files";
import { runScript } from "../support/run-script";

let root: string;

async function tenant(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const run = await runScript("tenant.ts", [...args, "--root", root]);
  return { code: run.exitCode, stdout: run.stdout, stderr: run.stderr };
}

/** A scratch copy of the project's stack files, plus a dev stack with an encrypted OAuth secret. */
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), "pulsura-tenant-"));
  for (const file of ["Pulumi.yaml", "Pulumi.dev.yaml", "Pulumi.prod.yaml"]) copyFileSync(join(repoRoot, file), join(root, file));
  writeFileSync(
    join(root, "Pulumi.oauth.yaml"),
    [
      "encryptionsalt: v1:c2FsdA==:v1:AAAA:BBBB",
      "config:",
      "  gcp:project: pulsura-oauth",
      "  gcp:region: europe-west1",
      "  pulsura:environment: dev",
      "  pulsura:tenant: oauth",
      "  pulsura:domains: [oauth.example.com]",
      "  pulsura:auth:",
      "    google:",
      "      clientId: 123-abc.apps.googleusercontent.com",
      "  pulsura:googleClientSecret:",
      "    secure: v1:AAAAAAAA:ZmFrZQ==",
      "",
    ].join("\n"),
  );
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

const stackFiles = () => readdirSync(root).filter((f) => /^Pulumi\..+\.yaml$/.test(f)).sort();

describe("npm run tenant -- new", () => {
  it("prints the new tenant's monthly estimate without the billing account's free tiers, or why there is none", async () => {
    const priced = await tenant("new", "acme", "--from", "dev", "--project", "acme-dev-42");
    expect(priced.code, priced.stderr).toBe(0);
    expect(priced.stdout).toContain("Monthly cost estimate of stack acme (environment dev, region europe-west1)");
    expect(priced.stdout).toContain("Free tiers per billing account not applied");
    expect(priced.stdout).toMatch(/^Idle \(no traffic\): \$\d+\.\d\d per month/m);
    const unpriced = await tenant("new", "beta", "--from", "dev", "--project", "beta-dev-42", "--region", "europe-west3");
    expect(unpriced.code, unpriced.stderr).toBe(0);
    expect(unpriced.stdout).toMatch(/No cost estimate: region europe-west3 has no price "[^"]+" in \S*infra\/prices\/[a-z-]+\.json/);
  });

  it("prints its help with every option and exit code", async () => {
    const run = await tenant("--help");
    expect(run.code).toBe(0);
    for (const option of ["--from", "--project", "--region", "--domain", "--alert-email", "--root", "--help"]) expect(run.stdout).toContain(option);
    expect(run.stdout).toContain("3 written, it does not plan until the listed secrets are set");
  });

  it("forks a prod stack for a tenant and plans it with zero mandatory violations", async () => {
    const run = await tenant("new", "acme", "--from", "prod", "--project", "acme-prod-42", "--region", "europe-west3", "--domain", "app.acme.example.com", "--alert-email", "ops@acme.example.com");
    expect(run.stderr).not.toContain("Refused");
    expect(run.code).toBe(0);
    const written = parse(readFileSync(join(root, "Pulumi.acme.yaml"), "utf8")) as { config: Record<string, unknown> };
    const source = parse(readFileSync(join(root, "Pulumi.prod.yaml"), "utf8")) as { config: Record<string, unknown> };
    expect(written.config).toEqual({
      ...source.config,
      "gcp:project": "acme-prod-42",
      "gcp:region": "europe-west3",
      "gcp:billingProject": "acme-prod-42",
      "pulsura:tenant": "acme",
      "pulsura:domains": ["app.acme.example.com"],
      "pulsura:alertEmail": "ops@acme.example.com",
    });
    expect(run.stdout).toMatch(/Offline plan of acme \(prod\): \d+ resources, 0 mandatory and 0 advisory policy findings\./);
    // The source's header describes the source: the fork carries only its own.
    const text = readFileSync(join(root, "Pulumi.acme.yaml"), "utf8");
    expect(text).toMatch(/^# Stack for tenant "acme", forked from "prod"/);
    expect(text).not.toContain("# Production.");
    for (const step of ["npm run test:update-inventory", "test/infra/inventory/acme.yaml", "pulumi up --stack acme"]) expect(run.stdout).toContain(step);
    // The organization's KMS key is kept (stack init and CI use it); the stack's own data key is not.
    const provider = (parse(readFileSync(join(root, "Pulumi.prod.yaml"), "utf8")) as { secretsprovider: string }).secretsprovider;
    expect(provider).toMatch(/^gcpkms:\/\//);
    expect((parse(text) as { secretsprovider: string }).secretsprovider).toBe(provider);
    expect(run.stdout).toContain(`pulumi stack init acme --secrets-provider ${provider}`);
  });

  it("never copies the source's alert address: refused for a prod tenant without --alert-email, left out of a dev one", async () => {
    const refused = await tenant("new", "acme", "--from", "prod", "--project", "acme-prod-42");
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("A prod tenant needs its own alert address: pass --alert-email <address> (the source's, platform@pulsura.example.com, alerts the source's team)");
    expect(existsSync(join(root, "Pulumi.acme.yaml"))).toBe(false);
    const dev = await tenant("new", "acme", "--from", "dev", "--project", "acme-dev-42");
    expect(dev.code).toBe(0);
    expect(readFileSync(join(root, "Pulumi.acme.yaml"), "utf8")).not.toContain("alertEmail");
    expect(dev.stdout).toContain("Not copied: pulsura:alertEmail (platform-dev@pulsura.example.com alerts the source's team)");
  });

  it("says a fork with secrets to set does not plan yet, exactly as npm run plan then says, and exits 3", async () => {
    const run = await tenant("new", "beta", "--from", "oauth", "--project", "beta-dev-42");
    expect(run.code).toBe(3);
    expect(run.stdout).toContain("Offline plan of beta: does not run yet");
    const plan = await runScript("plan.ts", ["--config-file", join(root, "Pulumi.beta.yaml"), "--stack", "beta"]);
    expect(plan.exitCode).toBe(1);
    expect(plan.stderr.trim().length).toBeGreaterThan(0);
    expect(run.stdout).toContain(plan.stderr.trim());
    expect(run.stdout).toContain("pulumi config set --secret googleClientSecret <value> --stack beta");
  });

  it("bills Identity Platform and Firebase quota to the tenant's own project", async () => {
    const run = await tenant("new", "beta", "--from", "dev", "--project", "beta-dev-42");
    expect(run.code).toBe(0);
    const written = parse(readFileSync(join(root, "Pulumi.beta.yaml"), "utf8")) as { config: Record<string, unknown> };
    expect(written.config).toMatchObject({ "gcp:userProjectOverride": true, "gcp:billingProject": "beta-dev-42" });
    // The plan's next steps: what the offline plan cannot check for the new project.
    expect(run.stdout).toContain("Before the first pulumi up:");
    expect(run.stdout).toContain("pulsura:firebase.adoptExisting");
  });

  it("never copies encrypted values or the source's encryption settings, and lists the secrets to set", async () => {
    const run = await tenant("new", "beta", "--from", "oauth", "--project", "beta-dev-42");
    expect(run.code).toBe(3);
    const text = readFileSync(join(root, "Pulumi.beta.yaml"), "utf8");
    expect(text).not.toContain("secure:");
    expect(text).not.toContain("encryptionsalt");
    expect(text).not.toContain("oauth.example.com");
    expect(run.stdout).toContain("pulumi config set --secret googleClientSecret <value> --stack beta");
  });

  it("lists every stack with environment, project, region and domains", async () => {
    const run = await tenant("list");
    expect(run.code).toBe(0);
    const lines = run.stdout.trim().split("\n").map((l) => l.split(/\s{2,}/));
    expect(lines[0]).toEqual(["STACK", "ENVIRONMENT", "PROJECT", "REGION", "DOMAINS"]);
    expect(lines.slice(1)).toEqual([
      ["dev", "dev", "pulsura-dev", "europe-west1", "dev.pulsura.example.com"],
      ["oauth", "dev", "pulsura-oauth", "europe-west1", "oauth.example.com"],
      ["prod", "prod", "pulsura-prod", "europe-west1", "app.pulsura.example.com"],
    ]);
  });

  const refusals: Array<[string, string[], RegExp]> = [
    ["an invalid tenant name", ["new", "Acme_1", "--from", "prod", "--project", "acme-prod-42"], /Invalid tenant name "Acme_1"/],
    ["an existing stack file", ["new", "dev", "--from", "prod", "--project", "acme-prod-42"], /Pulumi.dev.yaml already exists/],
    ["a project of another stack", ["new", "acme", "--from", "prod", "--project", "pulsura-dev"], /GCP project pulsura-dev already belongs to stack "dev"/],
    ["a domain of another stack", ["new", "acme", "--from", "prod", "--project", "acme-prod-42", "--domain", "dev.pulsura.example.com"], /Domain dev.pulsura.example.com already belongs to stack "dev"/],
    ["a missing source stack", ["new", "acme", "--from", "staging", "--project", "acme-prod-42"], /No stack "staging" to fork from/],
    ["a config the schema rejects", ["new", "acme", "--from", "prod", "--project", "acme-prod-42", "--region", "mars", "--alert-email", "ops@acme.example.com"], /gcp:region: got "mars"/],
    ["missing arguments", ["new", "acme", "--from", "prod"], /needs a tenant name, --from and --project/],
    ["a misspelled option, suggesting the right one", ["new", "acme", "--from", "prod", "--projct", "acme-prod-42"], /unknown option --projct \(did you mean --project\?\)/],
    ["a misspelled subcommand, suggesting the right one", ["lst"], /unknown subcommand "lst" \(did you mean list\?\)/],
    ["a single-value option given twice", ["new", "acme", "--from", "prod", "--project", "acme-prod-42", "--domain", "a.example.com", "--domain", "b.example.com"], /--domain was given twice/],
  ];
  for (const [what, args, message] of refusals) {
    it(`refuses ${what} and writes nothing`, async () => {
      const before = stackFiles().map((f) => [f, readFileSync(join(root, f), "utf8")]);
      const run = await tenant(...args);
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(message);
      expect(stackFiles().map((f) => [f, readFileSync(join(root, f), "utf8")])).toEqual(before);
      expect(existsSync(join(root, "Pulumi.acme.yaml"))).toBe(false);
    });
  }
});
