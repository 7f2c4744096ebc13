/**
 * `pulsura:monitoring`: defaults per environment, and every problem named by its key.
 */
import { describe, expect, it } from "vitest";
import type { RawConfig } from "../../infra/config";
import { configProblems, parseWithSecrets, PROD_RAW } from "./support/config";
import { MONITORING_DEFAULTS } from "../../infra/config/monitoring";

const base = PROD_RAW;
const parse = parseWithSecrets;

const problemsOf = (raw: RawConfig) => configProblems(() => parse(raw));

describe("pulsura:monitoring", () => {
  it("takes the environment's thresholds, alertEmail as the first recipient, and no budget by default", () => {
    const prod = parse(base).monitoring;
    expect(prod).toEqual({ emails: ["ops@example.com"], uptimeCheck: true, thresholds: MONITORING_DEFAULTS.prod });
    expect(parse({ ...base, "pulsura:environment": "dev" }).monitoring.thresholds).toEqual(MONITORING_DEFAULTS.dev);
  });

  it("runs the uptime check in prod always, and in dev only when the stack asks (its requests keep the API up)", () => {
    expect(parse({ ...base, "pulsura:environment": "dev" }).monitoring.uptimeCheck).toBe(false);
    expect(parse({ ...base, "pulsura:environment": "dev", "pulsura:monitoring": '{"uptimeCheck":true}' }).monitoring.uptimeCheck).toBe(true);
    expect(problemsOf({ ...base, "pulsura:monitoring": '{"uptimeCheck":false}' })).toEqual([
      "pulsura:monitoring.uptimeCheck: got false, expected true in prod: the uptime check is the alert that the public API is down",
    ]);
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
