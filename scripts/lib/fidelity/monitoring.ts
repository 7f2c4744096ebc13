/**
 * Cloud Monitoring: alert policies, uptime checks, notification channels and dashboards. Every filter is parsed
 * (monitoring-filter.ts), every metric must be in the dated table (monitoring-metrics.ts) or a log-based metric the
 * plan declares, and every aggregation must suit its metric's kind and value type.
 */
import { dashboardFilters, dashboardSchema, DASHBOARD_SOURCE } from "./dashboard-schema";
import { FilterSyntaxError, metricTypeOf, parseMonitoringFilter } from "./monitoring-filter";
import { aggregationProblems, AGGREGATION_SOURCE, KNOWN_METRICS, USER_LOG_METRIC_PREFIX, type MetricInfo } from "./monitoring-metrics";
import { enumRule, show, stringAt, valueAt, type FidelityRule, type PlannedResource, type State } from "./rule";

const ALERT = "gcp:monitoring/alertPolicy:AlertPolicy";
const UPTIME = "gcp:monitoring/uptimeCheckConfig:UptimeCheckConfig";
const CHANNEL = "gcp:monitoring/notificationChannel:NotificationChannel";
const DASHBOARD = "gcp:monitoring/dashboard:Dashboard";
const LOG_METRIC = "gcp:logging/metric:Metric";

const ALERT_SOURCE = "https://cloud.google.com/monitoring/api/ref_v3/rest/v3/projects.alertPolicies";
const UPTIME_SOURCE = "https://cloud.google.com/monitoring/api/ref_v3/rest/v3/projects.uptimeCheckConfigs";
const FILTER_SOURCE = "https://cloud.google.com/monitoring/api/v3/filters";

/** The threshold conditions of an alert policy, with their index. */
function thresholds(r: PlannedResource): Array<{ at: string; threshold: State }> {
  const conditions = (valueAt(r.inputs, "conditions") as State[] | undefined) ?? [];
  return conditions.flatMap((c, i) => (c.conditionThreshold ? [{ at: `conditions[${i}]`, threshold: c.conditionThreshold as State }] : []));
}

/** The filters of an alert policy: each condition's filter and denominatorFilter with their aggregations. */
function alertFilters(r: PlannedResource): Array<{ at: string; filter: string; aggregations: State[] }> {
  return thresholds(r).flatMap(({ at, threshold }) => [
    ...(typeof threshold.filter === "string" ? [{ at: `${at}.filter`, filter: threshold.filter, aggregations: (threshold.aggregations as State[] | undefined) ?? [] }] : []),
    ...(typeof threshold.denominatorFilter === "string"
      ? [{ at: `${at}.denominatorFilter`, filter: threshold.denominatorFilter, aggregations: (threshold.denominatorAggregations as State[] | undefined) ?? [] }]
      : []),
  ]);
}

/** A metric's kind and value type: from the dated table, or from the log-based metric the plan declared earlier. */
function metricInfo(type: string, earlier: readonly PlannedResource[]): Pick<MetricInfo, "kind" | "valueType"> | undefined {
  if (KNOWN_METRICS[type]) return KNOWN_METRICS[type];
  if (!type.startsWith(USER_LOG_METRIC_PREFIX)) return undefined;
  const name = type.slice(USER_LOG_METRIC_PREFIX.length);
  const metric = earlier.find((e) => e.type === LOG_METRIC && stringAt(e.inputs, "name") === name);
  if (!metric) return undefined;
  return { kind: (stringAt(metric.inputs, "metricDescriptor.metricKind") ?? "DELTA") as MetricInfo["kind"], valueType: (stringAt(metric.inputs, "metricDescriptor.valueType") ?? "INT64") as MetricInfo["valueType"] };
}

function filterProblems(at: string, filter: string): string[] {
  try {
    const comparisons = parseMonitoringFilter(filter);
    return metricTypeOf(comparisons) ? [] : [`${at} selects no single metric.type: ${show(filter)}`];
  } catch (error) {
    if (error instanceof FilterSyntaxError) return [`${at} does not parse (${error.message}): ${show(filter)}`];
    throw error;
  }
}

function metricProblems(at: string, filter: string, aggregations: State[], earlier: readonly PlannedResource[]): string[] {
  let type: string | undefined;
  try {
    type = metricTypeOf(parseMonitoringFilter(filter));
  } catch {
    return []; // the syntax rule reports it
  }
  if (!type) return [];
  const info = metricInfo(type, earlier);
  if (!info) return [`${at} reads ${show(type)}, which is neither in scripts/lib/fidelity/monitoring-metrics.ts nor a log-based metric declared before it`];
  return aggregations.flatMap((a, i) => aggregationProblems(info, a).map((p) => `${at} aggregation ${i}: ${p}`));
}

/** Whole seconds, as the provider writes durations ("60s"). */
const seconds = (value: unknown): number | undefined => (typeof value === "string" && /^\d+s$/.test(value) ? Number(value.slice(0, -1)) : undefined);

function dashboardOf(r: PlannedResource): { dashboard?: ReturnType<typeof dashboardSchema.parse>; problems: string[] } {
  const json = stringAt(r.inputs, "dashboardJson");
  if (json === undefined) return { problems: [] };
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    return { problems: ["dashboardJson is not JSON"] };
  }
  const parsed = dashboardSchema.safeParse(value);
  if (!parsed.success) return { problems: parsed.error.issues.map((i) => `dashboardJson.${i.path.join(".")}: ${i.message}`) };
  return { dashboard: parsed.data, problems: [] };
}

export const monitoringRules: FidelityRule[] = [
  enumRule({ id: "monitoring/alert-combiner", types: [ALERT], field: "combiner", source: `${ALERT_SOURCE}#conditioncombinertype`, values: ["AND", "OR", "AND_WITH_MATCHING_RESOURCE"] }),
  enumRule({ id: "monitoring/alert-severity", types: [ALERT], field: "severity", source: `${ALERT_SOURCE}#severity`, values: ["CRITICAL", "ERROR", "WARNING"] }),
  {
    id: "monitoring/alert-conditions",
    types: [ALERT],
    field: "conditions",
    constraint: "1 to 6 conditions, each with a displayName",
    source: `${ALERT_SOURCE}#AlertPolicy`,
    check(r) {
      const conditions = valueAt(r.inputs, "conditions");
      if (conditions === undefined) return [];
      if (!Array.isArray(conditions) || conditions.length < 1 || conditions.length > 6) return [`got ${Array.isArray(conditions) ? conditions.length : show(conditions)} conditions`];
      return conditions.flatMap((c: State, i) => (typeof c.displayName === "string" && c.displayName.length > 0 ? [] : [`conditions[${i}] has no displayName`]));
    },
  },
  {
    id: "monitoring/alert-filter-syntax",
    types: [ALERT],
    field: "conditions[].conditionThreshold.filter",
    constraint: "a Monitoring filter that parses and selects one metric.type",
    source: FILTER_SOURCE,
    check: (r) => alertFilters(r).flatMap(({ at, filter }) => filterProblems(at, filter)),
  },
  {
    id: "monitoring/alert-metric-known",
    types: [ALERT],
    field: "conditions[].conditionThreshold.filter",
    constraint: "a metric type of the dated table (scripts/lib/fidelity/monitoring-metrics.ts) or a log-based metric the plan declares first, aggregated with an aligner and reducer valid for its kind and value type",
    source: AGGREGATION_SOURCE,
    check: (r, earlier) => alertFilters(r).flatMap(({ at, filter, aggregations }) => metricProblems(at, filter, aggregations, earlier)),
  },
  {
    id: "monitoring/alert-threshold",
    types: [ALERT],
    field: "conditions[].conditionThreshold",
    constraint:
      "comparison one of COMPARISON_GT, COMPARISON_GE, COMPARISON_LT, COMPARISON_LE, COMPARISON_EQ, COMPARISON_NE; duration a whole number of minutes (0s, 60s, 120s…); each alignmentPeriod at least 60s",
    source: `${ALERT_SOURCE}#MetricThreshold`,
    check(r) {
      const comparisons = ["COMPARISON_GT", "COMPARISON_GE", "COMPARISON_LT", "COMPARISON_LE", "COMPARISON_EQ", "COMPARISON_NE"];
      return thresholds(r).flatMap(({ at, threshold }) => {
        const problems: string[] = [];
        if (!comparisons.includes(threshold.comparison as string)) problems.push(`${at} comparison: got ${show(threshold.comparison)}`);
        if (threshold.duration !== undefined) {
          const s = seconds(threshold.duration);
          if (s === undefined || s % 60 !== 0) problems.push(`${at} duration: got ${show(threshold.duration)}`);
        }
        for (const a of [...((threshold.aggregations as State[] | undefined) ?? []), ...((threshold.denominatorAggregations as State[] | undefined) ?? [])]) {
          const s = seconds(a.alignmentPeriod);
          if (a.alignmentPeriod !== undefined && (s === undefined || s < 60)) problems.push(`${at} alignmentPeriod: got ${show(a.alignmentPeriod)}`);
        }
        if (threshold.denominatorFilter !== undefined && threshold.denominatorAggregations === undefined) problems.push(`${at} has a denominatorFilter without denominatorAggregations`);
        return problems;
      });
    },
  },
  enumRule({ id: "monitoring/uptime-period", types: [UPTIME], field: "period", source: `${UPTIME_SOURCE}#UptimeCheckConfig`, values: ["60s", "300s", "600s", "900s"] }),
  {
    id: "monitoring/uptime-timeout",
    types: [UPTIME],
    field: "timeout",
    constraint: "between 1s and 60s",
    source: `${UPTIME_SOURCE}#UptimeCheckConfig`,
    check(r) {
      const value = valueAt(r.inputs, "timeout");
      if (value === undefined) return [];
      const s = seconds(value);
      return s !== undefined && s >= 1 && s <= 60 ? [] : [`got ${show(value)}`];
    },
  },
  {
    id: "monitoring/uptime-http-check",
    types: [UPTIME],
    field: "httpCheck",
    constraint: "a path starting with /, a port 1-65535, a monitored resource uptime_url with project_id and host",
    source: `${UPTIME_SOURCE}#HttpCheck`,
    check(r) {
      const problems: string[] = [];
      const path = valueAt(r.inputs, "httpCheck.path");
      if (path !== undefined && (typeof path !== "string" || !path.startsWith("/"))) problems.push(`path: got ${show(path)}`);
      const port = valueAt(r.inputs, "httpCheck.port");
      if (port !== undefined && !(typeof port === "number" && Number.isInteger(port) && port >= 1 && port <= 65535)) problems.push(`port: got ${show(port)}`);
      const resource = valueAt(r.inputs, "monitoredResource") as State | undefined;
      if (resource && (resource.type !== "uptime_url" || !valueAt(resource, "labels.host") || !valueAt(resource, "labels.project_id"))) problems.push(`monitoredResource: got ${show(resource)}`);
      return problems;
    },
  },
  {
    id: "monitoring/notification-channel",
    types: [CHANNEL],
    field: "type",
    constraint: "a channel type Monitoring offers; an email channel has labels.email_address, an address",
    source: "https://cloud.google.com/monitoring/support/notification-options",
    check(r) {
      const type = valueAt(r.inputs, "type");
      if (type === undefined) return [];
      const types = ["email", "sms", "slack", "pagerduty", "webhook_tokenauth", "webhook_basicauth", "pubsub", "mobile", "google_chat"];
      if (!types.includes(type as string)) return [`got ${show(type)}`];
      if (type === "email") {
        const address = valueAt(r.inputs, "labels.email_address");
        if (typeof address !== "string" || !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(address)) return [`email channel without an address in labels.email_address (got ${show(address)})`];
      }
      return [];
    },
  },
  {
    id: "monitoring/dashboard-json",
    types: [DASHBOARD],
    field: "dashboardJson",
    constraint: "Dashboard API JSON (mosaic layout of xyChart widgets; no unknown field), each filter parsing and reading a known metric with a valid aggregation",
    source: DASHBOARD_SOURCE,
    check(r, earlier) {
      const { dashboard, problems } = dashboardOf(r);
      if (!dashboard) return problems;
      return dashboardFilters(dashboard).flatMap(({ filter, aggregation }, i) => {
        const syntax = filterProblems(`filter ${i}`, filter);
        return syntax.length > 0 ? syntax : metricProblems(`filter ${i}`, filter, aggregation ? [aggregation] : [], earlier);
      });
    },
  },
];

