/**
 * Monitoring as each stack declares it (the offline plan of every stack file, and the fixture with a budget).
 */
import { describe, expect, it } from "vitest";
import { ALERT_KEYS, alertKeysOf, HASURA_PUBLIC_HEALTH_PATH } from "../../infra/components/monitoring";
import { MONITORING_DEFAULTS, UPTIME_CHECK_DEFAULTS } from "../../infra/config/monitoring";
import { fixturePlanOf, onlyResourceOfType, planOf, plannedStacks, resourcesOfType } from "./support/plans";

const T = {
  alert: "gcp:monitoring/alertPolicy:AlertPolicy",
  uptime: "gcp:monitoring/uptimeCheckConfig:UptimeCheckConfig",
  channel: "gcp:monitoring/notificationChannel:NotificationChannel",
  dashboard: "gcp:monitoring/dashboard:Dashboard",
  logMetric: "gcp:logging/metric:Metric",
  budget: "gcp:billing/budget:Budget",
  api: "gcp:projects/service:Service",
} as const;

type Loose = any;
const alertOf = (plan: ReturnType<typeof planOf>, key: string): Loose => resourcesOfType(plan, T.alert).find((a) => a.name.endsWith(`-alert-${key}`))!.inputs;

describe.each(plannedStacks())("stack %s", (stack) => {
  const plan = () => planOf(stack);
  const environment = () => plan().environment as "dev" | "prod";

  it("checks Hasura's public health path on its deterministic run.app host over verified TLS, in dev only when asked", () => {
    // Off by default in dev: its requests would keep the scale-to-zero API up all month (issue 21).
    expect(resourcesOfType(plan(), T.uptime)).toHaveLength(UPTIME_CHECK_DEFAULTS[environment()] ? 1 : 0);
    if (!UPTIME_CHECK_DEFAULTS[environment()]) return;
    const check = onlyResourceOfType(plan(), T.uptime).inputs as Loose;
    expect(check.httpCheck).toMatchObject({ path: HASURA_PUBLIC_HEALTH_PATH, port: 443, useSsl: true, validateSsl: true });
    expect(check.monitoredResource.labels.host).toMatch(/^[a-z0-9-]+-hasura-\d+\.[a-z0-9-]+\.run\.app$/);
    expect(check.period).toBe(MONITORING_DEFAULTS[environment()].uptimeCheckPeriod);
  });

  it("declares every alert, each notifying the alert e-mail", () => {
    const alerts = resourcesOfType(plan(), T.alert);
    expect(alerts.map((a) => a.name.replace(/^.*-alert-/, "")).sort()).toEqual(alertKeysOf({ uptimeCheck: UPTIME_CHECK_DEFAULTS[environment()] }).sort());
    if (UPTIME_CHECK_DEFAULTS[environment()]) expect(alertKeysOf({ uptimeCheck: true })).toEqual([...ALERT_KEYS]);
    const channels = resourcesOfType(plan(), T.channel);
    // Both committed stacks set pulsura:alertEmail: one e-mail channel each.
    expect(channels).toHaveLength(1);
    expect(channels[0]!.inputs).toMatchObject({ type: "email", labels: { email_address: expect.stringMatching(/@/) } });
    for (const a of alerts) {
      expect((a.inputs as Loose).notificationChannels.length, a.name).toBe(channels.length);
      expect((a.inputs as Loose).documentation.content.length, a.name).toBeGreaterThan(40);
    }
  });

  it("alerts on open connections against the tier's connection limit", () => {
    const condition = alertOf(plan(), "database-connections").conditions[0].conditionThreshold;
    const limit = Number(/of (\d+)$/.exec(alertOf(plan(), "database-connections").displayName)![1]);
    expect(condition.filter).toContain('metric.type="cloudsql.googleapis.com/database/postgresql/num_backends"');
    expect(condition.thresholdValue).toBe(Math.floor(limit * MONITORING_DEFAULTS[environment()].databaseConnections));
  });

  it("counts failed event and cron deliveries from Hasura's own delivery logs", () => {
    const metrics = resourcesOfType(plan(), T.logMetric).map((m) => m.inputs as Loose);
    expect(metrics.map((m) => m.name.replace(/^.*\/hasura\//, "")).sort()).toEqual(["cron_failures", "event_failures", "events_fetched"]);
    expect(metrics.find((m) => m.name.endsWith("event_failures")).filter).toContain('jsonPayload.type="event-trigger"');
    expect(metrics.find((m) => m.name.endsWith("cron_failures")).filter).toContain('jsonPayload.type="scheduled-trigger"');
    for (const m of metrics) expect(m.filter).toMatch(/resource\.labels\.service_name=("[a-z0-9-]+-hasura"|\()/);
  });

  it("has a dashboard and, without a billing account, no budget and no Billing Budget API", () => {
    // Ten charts, the uptime check's only where it runs.
    expect(JSON.parse(onlyResourceOfType(plan(), T.dashboard).inputs.dashboardJson as string).mosaicLayout.tiles.length).toBeGreaterThanOrEqual(UPTIME_CHECK_DEFAULTS[environment()] ? 10 : 9);
    expect(resourcesOfType(plan(), T.budget)).toEqual([]);
    expect(resourcesOfType(plan(), T.api).map((a) => a.inputs.service)).not.toContain("billingbudgets.googleapis.com");
  });
});

describe("a stack with a billing account (the everything fixture)", () => {
  const plan = () => fixturePlanOf("everything");

  it("creates a budget on the project with the configured thresholds and a forecast warning, after enabling the Billing Budget API", () => {
    const budget = onlyResourceOfType(plan(), T.budget);
    expect(budget.inputs).toMatchObject({ billingAccount: "012345-6789AB-CDEF01", amount: { specifiedAmount: { units: "250", currencyCode: "EUR" } } });
    expect((budget.inputs as Loose).thresholdRules).toEqual([
      { thresholdPercent: 0.5, spendBasis: "CURRENT_SPEND" },
      { thresholdPercent: 0.9, spendBasis: "CURRENT_SPEND" },
      { thresholdPercent: 1, spendBasis: "CURRENT_SPEND" },
      { thresholdPercent: 1, spendBasis: "FORECASTED_SPEND" },
    ]);
    expect(resourcesOfType(plan(), T.api).map((a) => a.inputs.service)).toContain("billingbudgets.googleapis.com");
  });

  it("notifies every configured address, and takes thresholds from the stack file", () => {
    expect(resourcesOfType(plan(), T.channel).map((c) => (c.inputs as Loose).labels.email_address).sort()).toEqual(["oncall@everything.example.com", "ops@everything.example.com"]);
    expect(alertOf(plan(), "hasura-latency").conditions[0].conditionThreshold.thresholdValue).toBe(3000);
  });
});
