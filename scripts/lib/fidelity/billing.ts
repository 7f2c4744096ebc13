/**
 * Cloud Billing budgets (Billing Budget API v1).
 */
import { show, valueAt, type FidelityRule, type State } from "./rule";

const BUDGET = "gcp:billing/budget:Budget";
const SOURCE = "https://cloud.google.com/billing/docs/reference/budget/rest/v1/billingAccounts.budgets";

export const billingRules: FidelityRule[] = [
  {
    id: "billing/budget-thresholds",
    types: [BUDGET],
    field: "thresholdRules",
    constraint: "each thresholdPercent a non-negative number (1.0 = 100 %), spendBasis CURRENT_SPEND or FORECASTED_SPEND",
    source: `${SOURCE}#ThresholdRule`,
    check(r) {
      const rules = (valueAt(r.inputs, "thresholdRules") as State[] | undefined) ?? [];
      return rules.flatMap((rule, i) => [
        ...(typeof rule.thresholdPercent === "number" && rule.thresholdPercent >= 0 ? [] : [`thresholdRules[${i}].thresholdPercent: got ${show(rule.thresholdPercent)}`]),
        ...(rule.spendBasis === undefined || ["CURRENT_SPEND", "FORECASTED_SPEND"].includes(rule.spendBasis as string) ? [] : [`thresholdRules[${i}].spendBasis: got ${show(rule.spendBasis)}`]),
      ]);
    },
  },
  {
    id: "billing/budget-account",
    types: [BUDGET],
    field: "billingAccount",
    constraint: "a billing account id XXXXXX-XXXXXX-XXXXXX; displayName at most 60 characters; at most 5 monitoring notification channels",
    source: `${SOURCE}#Budget`,
    check(r) {
      const problems: string[] = [];
      const account = valueAt(r.inputs, "billingAccount");
      if (account !== undefined && !(typeof account === "string" && /^[0-9A-F]{6}-[0-9A-F]{6}-[0-9A-F]{6}$/.test(account))) problems.push(`billingAccount: got ${show(account)}`);
      const name = valueAt(r.inputs, "displayName");
      if (typeof name === "string" && name.length > 60) problems.push(`displayName: ${name.length} characters`);
      const channels = valueAt(r.inputs, "allUpdatesRule.monitoringNotificationChannels");
      if (Array.isArray(channels) && channels.length > 5) problems.push(`${channels.length} monitoringNotificationChannels`);
      return problems;
    },
  },
];
