/**
 * The strict mocks on the stacks that push names and options furthest: a tenant forked with the longest name the
 * config accepts (from each committed environment), and a stack with every optional part switched on and long
 * service names. Each must plan cleanly: what the plan accepts, Google Cloud accepts.
 */
import { copyFileSync, mkdirSync, symlinkSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { repoRoot } from "../../../scripts/lib/stack-files";
import { ForkRefused, forkStack } from "../../../scripts/lib/tenant";
import { runPlanCli } from "../support/run-plan";

/** Tenant names of the longest length `pulsura:tenant` and `npm run tenant -- new` accept (22 characters). */
const LONGEST_TENANT = "northwind-traders-intl";
const LONGEST_FORKS = { dev: "northwind-traders-eu-d", prod: "northwind-traders-eu-p" } as const;
/** The longest GCP project id: 30 characters. */
const longestProject = (suffix: string) => `${LONGEST_TENANT}-${suffix}`.padEnd(30, "0").slice(0, 30);

/** A secret as `pulumi config set --secret` writes it; the plan reads it as a placeholder. */
const secure = { secure: "v1:AAAAAAAAAAAAAAAA:ZmFrZS1jaXBoZXJ0ZXh0" };

let root: string;

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), "pulsura-fidelity-"));
  for (const file of ["Pulumi.yaml", "Pulumi.dev.yaml", "Pulumi.prod.yaml"]) copyFileSync(join(repoRoot, file), join(root, file));
});

afterAll(() => {
  if (root) rmSync(root, { recursive: true, force: true });
});

describe("under the strict mocks", () => {
  it("uses tenant names as long as a fork accepts, and no longer", () => {
    for (const tenant of [LONGEST_TENANT, ...Object.values(LONGEST_FORKS)]) expect(tenant).toHaveLength(22);
    expect(() => forkStack({ tenant: `${LONGEST_TENANT}x`, from: "dev", project: longestProject("too-long"), root })).toThrow(ForkRefused);
  });

  for (const [from, tenant] of Object.entries(LONGEST_FORKS)) {
    it(`plans a tenant forked from ${from} with the longest name the config accepts`, async () => {
      const { path } = forkStack({ tenant, from, project: longestProject(from), domain: `api.${from}.northwind.example.com`, alertEmail: "ops@northwind.example.com", root });
      const run = await runPlanCli(["--config-file", path, "--json"]);
      expect(run.stderr).toBe("");
      expect([0, 2]).toContain(run.exitCode);
    });
  }

  it("plans a stack with every optional part on: VPC connector, every OAuth provider the config accepts (Apple is refused, see infra/config.ts), several long-named services", async () => {
    const path = join(root, "Pulumi.everything-on.yaml");
    const services = ["core", "notifications-dispatch", "notifications-digest", "billing-reconciliation"].map((name) => ({ name, minInstances: 1, maxInstances: 2 }));
    for (const { name } of services) expect(name.length).toBeLessThanOrEqual(22);
    const stack = {
      encryptionsalt: "v1:c2FsdHNhbHQ=:v1:AAAAAAAAAAAAAAAA:AAAAAAAAAAAAAAAAAAAAAA==",
      config: {
        "gcp:project": longestProject("all"),
        "gcp:region": "europe-west1",
        "gcp:userProjectOverride": true,
        "gcp:billingProject": longestProject("all"),
        "pulsura:environment": "prod",
        "pulsura:tenant": LONGEST_TENANT,
        "pulsura:domains": ["app.northwind.example.com"],
        "pulsura:alertEmail": "ops@northwind.example.com",
        "pulsura:network": { connector: true, nat: true },
        "pulsura:services": services,
        "pulsura:auth": {
          phone: { enabled: true },
          email: { enabled: true },
          google: { clientId: "1234567890-abc.apps.googleusercontent.com" },
          facebook: { clientId: "123456789012345" },
          smsRegions: ["BE", "NL"],
        },
        "pulsura:googleClientSecret": secure,
        "pulsura:facebookClientSecret": secure,
      },
    };
    writeFileSync(path, JSON.stringify(stack, null, 2));
    // The long-named services do not exist in this checkout: the wiring check looks at a folder that has them (and
    // this checkout's metadata), as a repository that scaffolded them would.
    const wiring = join(root, "wiring");
    for (const { name } of services) {
      mkdirSync(join(wiring, "services", name), { recursive: true });
      for (const file of ["package.json", "Dockerfile"]) copyFileSync(join(repoRoot, "services", "core", file), join(wiring, "services", name, file));
    }
    symlinkSync(join(repoRoot, "hasura"), join(wiring, "hasura"), "dir");
    const run = await runPlanCli(["--config-file", path, "--json"], { PULSURA_WIRING_ROOT: wiring });
    expect(run.stderr).toBe("");
    expect([0, 2]).toContain(run.exitCode);
    const plan = JSON.parse(run.stdout) as { resources: Array<{ type: string }> };
    const types = plan.resources.map((r) => r.type);
    expect(types).toContain("gcp:vpcaccess/connector:Connector");
    expect(types.filter((t) => t === "gcp:identityplatform/defaultSupportedIdpConfig:DefaultSupportedIdpConfig")).toHaveLength(2);
    // The services, the Hasura API and the Hasura worker.
    expect(types.filter((t) => t === "gcp:cloudrunv2/service:Service")).toHaveLength(services.length + 2);
  });
});
