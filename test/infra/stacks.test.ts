import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { parseBootstrapConfig, secretsProviderUrl } from "../../infra/bootstrap/config";
import { SECRET_CONFIG_KEYS } from "../../infra/config";
import { listStackFiles, loadStackConfig, projectName, repoRoot } from "../../scripts/lib/stack-files";
import { planOf, plannedStacks } from "./support/plans";

describe("every stack file", () => {
  it("finds the committed stack files", () => {
    expect(plannedStacks()).toEqual(listStackFiles().map((s) => s.stack));
    expect(plannedStacks()).toEqual(expect.arrayContaining(["dev", "prod"]));
  });

  for (const { stack, path } of listStackFiles()) {
    describe(stack, () => {
      it("plans with zero mandatory policy violations", () => {
        const plan = planOf(stack);
        expect(plan.resources.length).toBeGreaterThan(0);
        expect(plan.violations.filter((v) => v.enforcement === "mandatory")).toEqual([]);
      });

      it("parents every resource to a resource of the plan, or to none", () => {
        const plan = planOf(stack);
        const urns = new Set(plan.resources.map((r) => r.urn));
        for (const r of plan.resources) if (r.parent !== null) expect(urns, `${r.urn} has an unknown parent`).toContain(r.parent);
        expect(urns.size).toBe(plan.resources.length);
      });

      it("names each cloud resource once, so inventories and reviews can refer to it by name", () => {
        // Components share the tenant's name by design (children are `${name}-<role>`); cloud resources must not.
        const names = planOf(stack).resources.filter((r) => r.custom).map((r) => r.name);
        expect(names.filter((n, i) => names.indexOf(n) !== i)).toEqual([]);
      });

      it("carries the bootstrap's KMS key as its secrets provider, so CI never falls back to a passphrase prompt", () => {
        // Every bootstrap stack of the repository (one per organization) names the key; this repository has one.
        const bootstrapFiles = listStackFiles(join(repoRoot, "infra", "bootstrap"));
        expect(bootstrapFiles.length).toBeGreaterThan(0);
        const providers = bootstrapFiles.map(({ stack: org, path: file }) =>
          secretsProviderUrl(parseBootstrapConfig(org, loadStackConfig(file, projectName(join(repoRoot, "infra", "bootstrap"))).config)),
        );
        const document = parse(readFileSync(path, "utf8")) as { secretsprovider?: unknown };
        expect(providers).toContain(document.secretsprovider);
      });

      it("keeps secret values out of the stack file", () => {
        const document = parse(readFileSync(path, "utf8")) as { config?: Record<string, unknown> };
        const config = document.config ?? {};
        for (const key of SECRET_CONFIG_KEYS) {
          const value = config[`pulsura:${key}`];
          if (value !== undefined) expect(value, `pulsura:${key} must be set with --secret`).toMatchObject({ secure: expect.any(String) });
        }
        const plainSecrets = Object.keys(config).filter((k) => /secret|password|token|private.?key/i.test(k) && !(config[k] as { secure?: string })?.secure);
        expect(plainSecrets).toEqual([]);
      });

      it("enables the APIs it needs and never disables one on destroy", () => {
        const plan = planOf(stack);
        const services = plan.resources.filter((r) => r.type === "gcp:projects/service:Service");
        expect(plan.outputs.enabledApis).toEqual(services.map((s) => s.inputs.service).sort());
        expect(services.map((s) => s.inputs.service)).toEqual(expect.arrayContaining(["sqladmin.googleapis.com", "run.googleapis.com", "secretmanager.googleapis.com"]));
        for (const s of services) expect(s.inputs.disableOnDestroy).toBe(false);
      });
    });
  }
});
