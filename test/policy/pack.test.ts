import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { DEV_EXCEPTIONS, EARLY_WARNINGS, policyPackConfig } from "../../policy/environments";
import { policies } from "../../policy/rules";
import { repoRoot } from "../../scripts/lib/stack-files";

describe("policy pack", () => {
  it("gives every rule a unique name, a description and mandatory enforcement (advisory only as a written early warning)", () => {
    const names = policies.map((p) => p.name);
    expect(new Set(names).size).toBe(names.length);
    for (const p of policies) {
      expect(p.name).toMatch(/^[a-z0-9-]+$/);
      expect(p.description.length).toBeGreaterThan(20);
      expect(p.enforcementLevel, p.name).toBe(EARLY_WARNINGS[p.name] ? "advisory" : "mandatory");
    }
    for (const name of Object.keys(EARLY_WARNINGS)) expect(names).toContain(name);
  });

  it("relaxes a rule in dev only with a written reason, and only for rules that exist", () => {
    for (const [name, exception] of Object.entries(DEV_EXCEPTIONS)) {
      expect(names()).toContain(name);
      expect(exception.reason.length).toBeGreaterThan(20);
    }
  });

  it("ships policy-pack config files that match the enforcement table", () => {
    for (const environment of ["dev", "prod"]) {
      const file = JSON.parse(readFileSync(join(repoRoot, "policy", `config.${environment}.json`), "utf8")) as unknown;
      expect(file).toEqual(policyPackConfig(environment));
    }
  });
});

function names(): string[] {
  return policies.map((p) => p.name);
}
