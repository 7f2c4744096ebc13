/**
 * `pulsura:monitoring`: defaults per environment, and every problem named by its key.
 */
import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { parseStackConfig, StackConfigError, type RawConfig } from "../../infra/config";
import { MONITORING_DEFAULTS } from "../../infra/config/monitoring";

const base: RawConfig = {
  "gcp:project": "pulsura-test",
  "gcp:region": "europe-west1",
  "gcp:userProjectOverride": "true",
  "gcp:billingProject": "pulsura-test",
  "pulsura:environment": "prod",
  "pulsura:tenant": "acme",
  "pulsura:alertEmail": "ops@example.com",
};
const parse = (raw: RawConfig) => parseStackConfig("test", raw, () => pulumi.secret("x"));

function problemsOf(raw: RawConfig): string[] {
  try {
    parse(raw);
  } catch (error) {
    expect(error).toBeInstanceOf(StackConfigError);
    return (error as StackConfigError).problems.map((p) => `${p.key}: got ${p.got}, expected ${p.expected}`);
  }
  throw new Error("expected the config to be rejected");
}

describe("pulsura:monitoring", () => {
  it("takes the environment's thresholds, alertEmail as the first recipient, and no budget by default", () => {
    const prod = parse(base).monitoring;
    expect(prod).toEqual({ emails: ["ops@example.com"], thresholds: MONITORING_DEFAULTS.prod });
    expect(parse({ ...base, "pulsura:environment": "dev" }).monitoring.thresholds).toEqual(MONITORING_DEFAULTS.dev);
  });

  it("overrides single thresholds, adds recipients once, and defaults the budget's thresholds to 50, 90, 100 %", () => {
    const config = parse({
      ...base,
      "pulsura:monitoring": JSON.stringify({ hasuraErrorRatio: 0.01, extraEmails: ["oncall@example.com", "ops@example.com"], budget: { billingAccount: "012345-6789AB-CDEF01", amount: 100 } }),
    }).monitoring;
    expect(config.thresholds).toEqual({ ...MONITORING_DEFAULTS.prod, hasuraErrorRatio: 0.01 });
    expect(config.emails).toEqual(["ops@example.com", "oncall@example.com"]);
    expect(config.budget).toEqual({ billingAccount: "012345-6789AB-CDEF01", amount: 100, thresholdPercents: [50, 90, 100] });
  });

  it("names every bad key at once", () => {
    const problems = problemsOf({
      ...base,
      "pulsura:monitoring": JSON.stringify({ hasuraErrorRatio: 5, uptimeCheckPeriod: "30s", extraEmails: ["nope"], budget: { billingAccount: "abc" }, databaseCpus: 0.5 }),
    });
    const keys = problems.map((p) => p.split(": got")[0]);
    expect(keys).toEqual(
      expect.arrayContaining([
        "pulsura:monitoring.hasuraErrorRatio",
        "pulsura:monitoring.uptimeCheckPeriod",
        "pulsura:monitoring.extraEmails[0]",
        "pulsura:monitoring.budget.billingAccount",
        "pulsura:monitoring.budget.amount",
      ]),
    );
    expect(problems.join("\n")).toMatch(/databaseCpus/);
  });
});
