/**
 * Every fidelity rule, with a compliant and a non-compliant set of resources each. The last test makes sure no rule of
 * the registry is left without its cases.
 */
import { describe, expect, it } from "vitest";
import { fidelityRules, formatViolations, judge, type FidelityContext, type FidelityRule, type PlannedResource } from "../../../scripts/lib/fidelity";
import { ruleCases } from "./cases";

const CONTEXT: FidelityContext = { projectNumber: "123456789012", today: "2026-12-01" };

/** Judges each resource with one rule against the ones before it, as the mocks do. */
function violationsOf(rule: FidelityRule, resources: PlannedResource[], ctx: FidelityContext) {
  return resources.flatMap((resource, i) => (rule.types.includes(resource.type) ? judge(resource, resources.slice(0, i), ctx, [rule]) : []));
}

for (const rule of fidelityRules) {
  const cases = ruleCases[rule.id];
  if (!cases) continue;
  const ctx = { ...CONTEXT, ...cases.ctx };
  describe(rule.id, () => {
    it("accepts what Google Cloud accepts", () => {
      expect(cases.pass.some((r) => rule.types.includes(r.type))).toBe(true);
      expect(violationsOf(rule, cases.pass, ctx)).toEqual([]);
    });

    it("refuses what Google Cloud refuses, naming the resource, field, constraint and source", () => {
      const violations = violationsOf(rule, cases.fail, ctx);
      expect(violations.length).toBeGreaterThan(0);
      for (const v of violations) {
        expect(v).toMatchObject({ rule: rule.id, field: rule.field, constraint: rule.constraint, source: rule.source });
        expect(cases.fail.map((r) => r.name)).toContain(v.resource);
        expect(v.problem).toMatch(cases.message);
      }
    });
  });
}

describe("the fidelity rules", () => {
  it("each have cases", () => {
    expect(Object.keys(ruleCases).sort()).toEqual(fidelityRules.map((r) => r.id).sort());
  });

  it("are reported in the same order whatever order the resources registered in", () => {
    const resources = [...ruleCases["iam/service-account-id"]!.fail, ...ruleCases["sql/pitr-retention"]!.fail, ...ruleCases["run/ingress"]!.fail];
    const violations = resources.flatMap((r) => fidelityRules.filter((rule) => rule.types.includes(r.type)).flatMap((rule) => judge(r, [], CONTEXT, [rule])));
    expect(violations.length).toBeGreaterThanOrEqual(3);
    expect(formatViolations("s", [...violations].reverse())).toBe(formatViolations("s", violations));
  });

  it("each name an https source and have a unique id", () => {
    for (const rule of fidelityRules) expect(rule.source, rule.id).toMatch(/^https:\/\//);
    const ids = fidelityRules.map((r) => r.id);
    expect(ids.filter((id, i) => ids.indexOf(id) !== i)).toEqual([]);
  });
});
