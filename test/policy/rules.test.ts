/**
 * Every rule of the policy pack, with a passing and a failing inventory each. The last test makes sure no rule is
 * left without its cases.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { runPolicies } from "../../policy/offline";
import { policies } from "../../policy/rules";
import { cloudRunCases } from "./cases/cloudrun";
import { databaseCases } from "./cases/database";
import { edgeCases } from "./cases/edge";
import { functionsCases } from "./cases/functions";
import { iamCases } from "./cases/iam";
import { jobsCases } from "./cases/jobs";
import { monitoringCases } from "./cases/monitoring";
import { networkCases } from "./cases/network";
import { projectCases } from "./cases/project";
import { storageCases } from "./cases/storage";
import type { PolicyCases } from "./cases/types";

const allCases: PolicyCases = { ...projectCases, ...networkCases, ...databaseCases, ...iamCases, ...cloudRunCases, ...functionsCases, ...monitoringCases, ...storageCases, ...edgeCases, ...jobsCases };

for (const [name, { pass, fail, message, enforcement = "mandatory", today }] of Object.entries(allCases)) {
  describe(name, () => {
    const rule = policies.filter((p) => p.name === name);
    if (today) {
      beforeEach(() => {
        vi.useFakeTimers({ now: new Date(`${today}T12:00:00Z`), toFake: ["Date"] });
      });
      afterEach(() => {
        vi.useRealTimers();
      });
    }

    it("passes a compliant inventory", async () => {
      expect(rule).toHaveLength(1);
      expect(await runPolicies(pass, "prod", rule)).toEqual([]);
    });

    it(`reports a non-compliant one as ${enforcement} in prod`, async () => {
      const violations = await runPolicies(fail, "prod", rule);
      expect(violations.length).toBeGreaterThan(0);
      for (const v of violations) {
        expect(v).toMatchObject({ policy: name, enforcement });
        expect(v.message).toMatch(message);
        expect(fail.map((r) => r.urn)).toContain(v.urn);
      }
    });
  });
}

describe("the policy cases", () => {
  it("cover every rule of the pack", () => {
    expect(Object.keys(allCases).sort()).toEqual(policies.map((p) => p.name).sort());
  });
});
