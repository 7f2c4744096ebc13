import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import type { BudgetConfig, MonitoringThresholds } from "../config/monitoring";
import { PulsuraComponent } from "./component";

/** Hasura's health endpoint as the internet reaches it: Cloud Run's front end answers `/healthz` itself. */
export const HASURA_PUBLIC_HEALTH_PATH = "/hasura/healthz";

export interface MonitoringArgs {
  projectId: string;
  /** Project number: budgets filter on `projects/<number>`. */
  projectNumber: pulumi.Input<string>;
  /** Cloud Run service of Hasura's public API (uptime check, 5xx ratio, latency), e.g. `pulsura-hasura`. */
  hasuraService: string;
  /** Host name of Hasura's public URL, e.g. `pulsura-hasura-123456789012.europe-west1.run.app`. */
  hasuraHost: pulumi.Input<string>;
  /**
   * Cloud Run services whose Hasura logs carry event-trigger and cron deliveries: the API service, and the worker
   * (`<name>-hasura-worker`) when Hasura runs one. @default [hasuraService]
   */
  hasuraEventServices?: string[];
  /** Cloud Run service names of the microservices (5xx ratio). */
  microservices: string[];
  /** The Cloud SQL instance's name, and how many connections it accepts (tier default or `max_connections`). */
  database: { instanceName: pulumi.Input<string>; connectionLimit: number };
  /** Names of the 1st-gen functions (execution_count) and of the 2nd-gen ones (their Cloud Run services' 5xx). */
  functions: { gen1: pulumi.Input<string>[]; gen2: pulumi.Input<string>[] };
  /** E-mail recipients of every alert (one channel each). @default [] (alerts open incidents without notifying) */
  emails: string[];
  thresholds: MonitoringThresholds;
  /** A monthly billing budget on the stack's project. @default undefined (none) */
  budget?: BudgetConfig;
  /**
   * Run the uptime check on Hasura's public health path and its alert. Off, nothing calls the API on its own: a dev
   * API that scales to zero stays at zero. @default true (dev false, from config)
   */
  uptimeCheck?: boolean;
  /** Stack labels, set as user labels on policies, channels and the uptime check. */
  labels: Record<string, string>;
}

/** A condition's threshold part, as the Monitoring API takes it. */
type Threshold = gcp.types.input.monitoring.AlertPolicyConditionConditionThreshold;
type Aggregation = gcp.types.input.monitoring.AlertPolicyConditionConditionThresholdAggregation;

/** One alert: what fires it and what a responder reads first. */
interface AlertSpec {
  key: string;
  displayName: string;
  severity: "CRITICAL" | "ERROR" | "WARNING";
  conditions: Array<{ displayName: string; threshold: Threshold }>;
  /** Markdown shown with the incident: what it means, what to do first. */
  runbook: string;
}

const RUN_REVISION = 'resource.type="cloud_run_revision"';
const quoted = (value: string) => JSON.stringify(value);
/** `field="a"` for one value, `field=one_of("a", "b")` for several (Monitoring filter syntax). */
function oneOf(field: string, values: readonly string[]): string {
  return values.length === 1 ? `${field}=${quoted(values[0]!)}` : `${field}=one_of(${values.map(quoted).join(", ")})`;
}
/** Logging query language: `field="a"` or `field=("a" OR "b")`. */
function anyOf(field: string, values: readonly string[]): string {
  return values.length === 1 ? `${field}=${quoted(values[0]!)}` : `${field}=(${values.map(quoted).join(" OR ")})`;
}

/**
 * Cloud Monitoring for a stack: e-mail notification channels, an uptime check on Hasura's public health path (unless
 * `uptimeCheck` is false: a dev stack's default, since its requests would keep the scale-to-zero API up), alert
 * policies on Hasura (availability, 5xx ratio, p95 latency), Cloud SQL (CPU, memory, disk, connections against the
 * tier's limit), the user-sync functions, Hasura's event-trigger and cron deliveries (log-based metrics on Hasura's
 * own JSON logs) and the microservices' 5xx ratio, a dashboard of the same signals, and optionally a billing budget.
 */
export class Monitoring extends PulsuraComponent {
  readonly channels: gcp.monitoring.NotificationChannel[];
  /** Undefined when the stack runs none (`uptimeCheck: false`, dev). */
  readonly uptimeCheck?: gcp.monitoring.UptimeCheckConfig;
  readonly alertPolicies: Record<string, gcp.monitoring.AlertPolicy>;
  readonly dashboard: gcp.monitoring.Dashboard;
  readonly budget?: gcp.billing.Budget;

  constructor(name: string, args: MonitoringArgs, opts?: pulumi.ComponentResourceOptions) {
    super("pulsura:monitoring:Monitoring", name, opts);
    this.channels = this.createChannels(name, args);
    if (args.uptimeCheck ?? true) this.uptimeCheck = this.createUptimeCheck(name, args);
    const logMetrics = this.createLogMetrics(name, args);
    const databaseId = pulumi.interpolate`${args.projectId}:${args.database.instanceName}`;
    const functionNames = pulumi.all([pulumi.all(args.functions.gen1), pulumi.all(args.functions.gen2)]);
    const checkId = this.uptimeCheck ? this.uptimeCheck.uptimeCheckId : pulumi.output("");
    const specs = pulumi.all([databaseId, checkId, functionNames]).apply(([database, check, [gen1, gen2]]) =>
      alertSpecs(args, { database, checkId: check, gen1, gen2: gen2.map((fn) => fn.toLowerCase()), logMetrics: logMetricTypes(name) }),
    );
    this.alertPolicies = {};
    // The keys are known before the outputs resolve: the resources must be declared synchronously.
    for (const key of alertKeysOf(args)) this.alertPolicies[key] = this.createAlertPolicy(name, key, specs, args, Object.values(logMetrics));
    this.dashboard = this.createDashboard(name, args, databaseId, checkId, logMetricTypes(name), Object.values(logMetrics));
    if (args.budget) this.budget = this.createBudget(name, args, args.budget);
    this.registerOutputs({ uptimeCheckId: this.uptimeCheck?.uptimeCheckId, dashboard: this.dashboard.id });
  }

  private createChannels(name: string, args: MonitoringArgs): gcp.monitoring.NotificationChannel[] {
    return args.emails.map(
      (email, i) =>
        new gcp.monitoring.NotificationChannel(
          `${name}-alerts-email-${i}`,
          {
            project: args.projectId,
            displayName: `${name} alerts: ${email}`,
            type: "email",
            labels: { email_address: email },
            userLabels: args.labels,
            enabled: true,
          },
          this.childOptions(),
        ),
    );
  }

  private createUptimeCheck(name: string, args: MonitoringArgs): gcp.monitoring.UptimeCheckConfig {
    return new gcp.monitoring.UptimeCheckConfig(
      `${name}-hasura-uptime`,
      {
        project: args.projectId,
        displayName: `${name} Hasura ${HASURA_PUBLIC_HEALTH_PATH}`,
        period: args.thresholds.uptimeCheckPeriod,
        timeout: "10s",
        monitoredResource: { type: "uptime_url", labels: { project_id: args.projectId, host: args.hasuraHost } },
        httpCheck: {
          path: HASURA_PUBLIC_HEALTH_PATH,
          port: 443,
          useSsl: true,
          validateSsl: true,
          requestMethod: "GET",
          acceptedResponseStatusCodes: [{ statusClass: "STATUS_CLASS_2XX" }],
        },
        userLabels: args.labels,
      },
      this.childOptions(),
    );
  }

  /** Counters and a distribution on Hasura's own JSON log lines (Cloud Run puts them in jsonPayload). */
  private createLogMetrics(name: string, args: MonitoringArgs): Record<LogMetricKey, gcp.logging.Metric> {
    const services = args.hasuraEventServices ?? [args.hasuraService];
    const fromHasura = `${RUN_REVISION} AND ${anyOf("resource.labels.service_name", services)}`;
    const failed = (type: string) => `${fromHasura} AND jsonPayload.type=${quoted(type)} AND (jsonPayload.detail.response.type:* OR jsonPayload.level="error")`;
    const types = logMetricNames(name);
    const counter = (key: "eventFailures" | "cronFailures", filter: string, description: string) =>
      new gcp.logging.Metric(
        `${name}-log-${key}`,
        {
          project: args.projectId,
          name: types[key],
          description,
          filter,
          metricDescriptor: { metricKind: "DELTA", valueType: "INT64", unit: "1", labels: [{ key: "trigger", valueType: "STRING", description: "event or cron trigger name" }] },
          labelExtractors: { trigger: "EXTRACT(jsonPayload.detail.event_name)" },
        },
        this.childOptions(),
      );
    return {
      // Hasura v2 logs each delivery as type "event-trigger" / "scheduled-trigger" (internal log types, always on):
      // a failed one has detail.response = {type: "status"|"client"|"internal", detail}, a delivered one {status, ...}.
      eventFailures: counter("eventFailures", failed("event-trigger"), "Hasura event-trigger deliveries that failed (non-2xx, network error, transform error)"),
      cronFailures: counter("cronFailures", failed("scheduled-trigger"), "Hasura cron / scheduled-trigger deliveries that failed (non-2xx, network error, transform error)"),
      eventBacklog: new gcp.logging.Metric(
        `${name}-log-eventBacklog`,
        {
          project: args.projectId,
          name: types.eventBacklog,
          description: "Events Hasura fetched for delivery per stats window (event-trigger-process num_events_fetched of the default source)",
          filter: `${fromHasura} AND jsonPayload.type="event-trigger-process" AND jsonPayload.detail.num_events_fetched.default:*`,
          metricDescriptor: { metricKind: "DELTA", valueType: "DISTRIBUTION", unit: "1" },
          valueExtractor: "EXTRACT(jsonPayload.detail.num_events_fetched.default)",
          bucketOptions: { exponentialBuckets: { numFiniteBuckets: 20, growthFactor: 2, scale: 1 } },
        },
        this.childOptions(),
      ),
    };
  }

  private createAlertPolicy(name: string, key: AlertKey, specs: pulumi.Output<Record<AlertKey, AlertSpec>>, args: MonitoringArgs, logMetrics: gcp.logging.Metric[]): gcp.monitoring.AlertPolicy {
    const spec = specs.apply((all) => all[key]);
    return new gcp.monitoring.AlertPolicy(
      `${name}-alert-${key}`,
      {
        project: args.projectId,
        displayName: spec.apply((s) => `${name}: ${s.displayName}`),
        severity: spec.apply((s) => s.severity),
        combiner: "OR",
        enabled: true,
        conditions: spec.apply((s) => s.conditions.map((c) => ({ displayName: c.displayName, conditionThreshold: c.threshold }))),
        notificationChannels: this.channels.map((channel) => channel.name),
        alertStrategy: { autoClose: "1800s" },
        documentation: { mimeType: "text/markdown", subject: spec.apply((s) => `[${name}] ${s.displayName}`), content: spec.apply((s) => s.runbook) },
        userLabels: args.labels,
      },
      // An alert on a log-based metric is refused until the metric exists.
      this.childOptions({ dependsOn: [...(this.uptimeCheck ? [this.uptimeCheck] : []), ...logMetrics] }),
    );
  }

  private createDashboard(
    name: string,
    args: MonitoringArgs,
    databaseId: pulumi.Output<string>,
    checkId: pulumi.Output<string>,
    logMetrics: Record<LogMetricKey, string>,
    logMetricResources: gcp.logging.Metric[],
  ): gcp.monitoring.Dashboard {
    const dashboardJson = pulumi.all([databaseId, checkId]).apply(([database, check]) => JSON.stringify(dashboardOf(name, args, { database, checkId: check, logMetrics })));
    // Its charts read the log-based metrics, which must exist first; only the uptime check's id used to make it wait
    // (nothing else orders them), and a stack without the check has none.
    return new gcp.monitoring.Dashboard(`${name}-dashboard`, { project: args.projectId, dashboardJson }, this.childOptions({ dependsOn: logMetricResources }));
  }

  private createBudget(name: string, args: MonitoringArgs, budget: BudgetConfig): gcp.billing.Budget {
    return new gcp.billing.Budget(
      `${name}-budget`,
      {
        billingAccount: budget.billingAccount,
        displayName: `${name} monthly`.slice(0, 60),
        budgetFilter: { projects: [pulumi.interpolate`projects/${args.projectNumber}`], calendarPeriod: "MONTH" },
        amount: { specifiedAmount: { units: String(budget.amount), ...(budget.currencyCode ? { currencyCode: budget.currencyCode } : {}) } },
        thresholdRules: [
          ...budget.thresholdPercents.map((percent) => ({ thresholdPercent: percent / 100, spendBasis: "CURRENT_SPEND" })),
          // Warn ahead: the month's forecast passing the whole amount.
          { thresholdPercent: 1, spendBasis: "FORECASTED_SPEND" },
        ],
        // A budget notifies at most 5 channels.
        allUpdatesRule: { monitoringNotificationChannels: this.channels.slice(0, 5).map((c) => c.name), disableDefaultIamRecipients: false },
      },
      this.childOptions(),
    );
  }
}

type LogMetricKey = "eventFailures" | "cronFailures" | "eventBacklog";

/** Log-based metric names (the `logging.googleapis.com/user/<name>` metric types). */
function logMetricNames(name: string): Record<LogMetricKey, string> {
  return { eventFailures: `${name}/hasura/event_failures`, cronFailures: `${name}/hasura/cron_failures`, eventBacklog: `${name}/hasura/events_fetched` };
}

function logMetricTypes(name: string): Record<LogMetricKey, string> {
  const names = logMetricNames(name);
  return { eventFailures: `logging.googleapis.com/user/${names.eventFailures}`, cronFailures: `logging.googleapis.com/user/${names.cronFailures}`, eventBacklog: `logging.googleapis.com/user/${names.eventBacklog}` };
}

/** Every alert the component creates, in order. */
export const ALERT_KEYS = [
  "uptime",
  "hasura-5xx",
  "hasura-latency",
  "database-cpu",
  "database-memory",
  "database-disk",
  "database-connections",
  "functions-errors",
  "event-failures",
  "cron-failures",
  "event-backlog",
  "services-5xx",
] as const;
export type AlertKey = (typeof ALERT_KEYS)[number];

/** The alerts a stack gets: every one, but the uptime alert only with the uptime check. */
export function alertKeysOf(args: Pick<MonitoringArgs, "uptimeCheck">): AlertKey[] {
  return ALERT_KEYS.filter((key) => key !== "uptime" || (args.uptimeCheck ?? true));
}

interface Resolved {
  database: string;
  checkId: string;
  gen1: string[];
  gen2: string[];
  logMetrics: Record<LogMetricKey, string>;
}

const runRequests = (services: readonly string[]) => `metric.type="run.googleapis.com/request_count" AND ${RUN_REVISION} AND ${oneOf("resource.labels.service_name", services)}`;
const cloudSql = (metric: string, database: string) => `metric.type="cloudsql.googleapis.com/database/${metric}" AND resource.type="cloudsql_database" AND resource.labels.database_id=${quoted(database)}`;

function aggregation(window: string, perSeriesAligner: string, crossSeriesReducer: string, groupByFields: string[]): Aggregation {
  return { alignmentPeriod: window, perSeriesAligner, crossSeriesReducer, groupByFields };
}

/** The alerts of a stack, from its thresholds and the names only known once resources resolve. */
function alertSpecs(args: MonitoringArgs, r: Resolved): Record<AlertKey, AlertSpec> {
  const t = args.thresholds;
  const w = t.alertWindow;
  const byService = ["resource.label.service_name"];
  const ratio = (services: readonly string[], threshold: number): Threshold => ({
    filter: `${runRequests(services)} AND metric.labels.response_code_class="5xx"`,
    denominatorFilter: runRequests(services),
    aggregations: [aggregation(w, "ALIGN_RATE", "REDUCE_SUM", byService)],
    denominatorAggregations: [aggregation(w, "ALIGN_RATE", "REDUCE_SUM", byService)],
    comparison: "COMPARISON_GT",
    thresholdValue: threshold,
    duration: w,
    trigger: { count: 1 },
  });
  const level = (metric: string, threshold: number): Threshold => ({
    filter: cloudSql(metric, r.database),
    aggregations: [aggregation(w, "ALIGN_MEAN", "REDUCE_MAX", ["resource.label.database_id"])],
    comparison: "COMPARISON_GT",
    thresholdValue: threshold,
    duration: w,
    trigger: { count: 1 },
  });
  const logCount = (metric: string, threshold: number): Threshold => ({
    filter: `metric.type=${quoted(metric)} AND ${RUN_REVISION}`,
    aggregations: [aggregation(w, "ALIGN_SUM", "REDUCE_SUM", [])],
    comparison: "COMPARISON_GT",
    thresholdValue: threshold,
    duration: "0s",
    trigger: { count: 1 },
  });
  const connections = Math.floor(args.database.connectionLimit * t.databaseConnections);
  const percent = (fraction: number) => `${Math.round(fraction * 1000) / 10} %`;
  return {
    uptime: {
      key: "uptime",
      displayName: `Hasura unreachable (${HASURA_PUBLIC_HEALTH_PATH})`,
      severity: "CRITICAL",
      conditions: [
        {
          displayName: "uptime check failing from more than one region",
          // Google's documented uptime alert: fires when more than one checker region fails.
          threshold: {
            filter: `metric.type="monitoring.googleapis.com/uptime_check/check_passed" AND resource.type="uptime_url" AND metric.labels.check_id=${quoted(r.checkId)}`,
            aggregations: [aggregation("1200s", "ALIGN_NEXT_OLDER", "REDUCE_COUNT_FALSE", ["resource.label.project_id", "resource.label.host"])],
            comparison: "COMPARISON_GT",
            thresholdValue: 1,
            duration: "60s",
            trigger: { count: 1 },
          },
        },
      ],
      runbook:
        "The public GraphQL API does not answer its health check: clients cannot sign in to data or load anything.\n\n" +
        `First: open the Cloud Run service \`${args.hasuraService}\` (revisions, logs). A failed revision or a crash loop shows there; ` +
        "Hasura also fails its health check when its metadata database (Cloud SQL) is unreachable, so check the database alerts next.",
    },
    "hasura-5xx": {
      key: "hasura-5xx",
      displayName: `Hasura 5xx above ${percent(t.hasuraErrorRatio)}`,
      severity: "ERROR",
      conditions: [{ displayName: "5xx / all requests", threshold: ratio([args.hasuraService], t.hasuraErrorRatio) }],
      runbook:
        `More than ${percent(t.hasuraErrorRatio)} of requests to \`${args.hasuraService}\` answered 5xx for ${w}.\n\n` +
        "First: Hasura's http-log lines with a 5xx status in Cloud Logging (`jsonPayload.type=\"http-log\"`). A 503 from Cloud Run means no instance " +
        "could take the request (max instances, cold starts); a 500 from Hasura usually means Postgres (connections, a failing migration).",
    },
    "hasura-latency": {
      key: "hasura-latency",
      displayName: `Hasura p95 latency above ${t.hasuraLatencyP95Ms} ms`,
      severity: "WARNING",
      conditions: [
        {
          displayName: "p95 request latency",
          threshold: {
            filter: `metric.type="run.googleapis.com/request_latencies" AND ${RUN_REVISION} AND ${oneOf("resource.labels.service_name", [args.hasuraService])}`,
            aggregations: [aggregation(w, "ALIGN_PERCENTILE_95", "REDUCE_MAX", byService)],
            comparison: "COMPARISON_GT",
            thresholdValue: t.hasuraLatencyP95Ms,
            duration: w,
            trigger: { count: 1 },
          },
        },
      ],
      runbook:
        `95 % of Hasura requests take longer than ${t.hasuraLatencyP95Ms} ms. Cloud Run counts a GraphQL subscription (a WebSocket) as one request as long as ` +
        "the connection: an app that uses subscriptions needs a higher `pulsura:monitoring.hasuraLatencyP95Ms`.\n\n" +
        "First: Cloud SQL CPU and connections (a slow query or a full pool), then Query Insights for the slowest statements.",
    },
    "database-cpu": {
      key: "database-cpu",
      displayName: `Cloud SQL CPU above ${percent(t.databaseCpu)}`,
      severity: "WARNING",
      conditions: [{ displayName: "CPU utilization", threshold: level("cpu/utilization", t.databaseCpu) }],
      runbook: "The database is busy for longer than the window. First: Query Insights (top queries by time); then consider a larger `pulsura:database.tier`.",
    },
    "database-memory": {
      key: "database-memory",
      displayName: `Cloud SQL memory above ${percent(t.databaseMemory)}`,
      severity: "WARNING",
      conditions: [{ displayName: "memory utilization", threshold: level("memory/utilization", t.databaseMemory) }],
      runbook: "Postgres is close to the tier's memory; out-of-memory restarts drop every connection. First: connection count (each backend costs memory), then the tier.",
    },
    "database-disk": {
      key: "database-disk",
      displayName: `Cloud SQL disk above ${percent(t.databaseDisk)}`,
      severity: "ERROR",
      conditions: [{ displayName: "disk utilization", threshold: level("disk/utilization", t.databaseDisk) }],
      runbook:
        "The data disk is filling up; a full disk stops writes. First: raise `pulsura:database.diskSizeGb` (disks grow, never shrink) and check Hasura's " +
        "event log tables (`hdb_catalog.event_log`, `event_invocation_logs`), which grow with every event unless cleaned up.",
    },
    "database-connections": {
      key: "database-connections",
      displayName: `Cloud SQL connections above ${connections} of ${args.database.connectionLimit}`,
      severity: "ERROR",
      conditions: [
        {
          displayName: "open connections (num_backends)",
          threshold: {
            filter: cloudSql("postgresql/num_backends", r.database),
            aggregations: [aggregation(w, "ALIGN_MEAN", "REDUCE_SUM", ["resource.label.database_id"])],
            comparison: "COMPARISON_GT",
            thresholdValue: connections,
            duration: w,
            trigger: { count: 1 },
          },
        },
      ],
      runbook:
        `Open connections passed ${percent(t.databaseConnections)} of the instance's limit (${args.database.connectionLimit}); at the limit new connections fail. ` +
        "The config's connection budget sized the pools for full scale: first look for a service scaled past its maxInstances or a leaking client, then raise " +
        "the tier or `pulsura:database.maxConnections` and re-run the budget check (`pulumi preview`).",
    },
    "functions-errors": {
      key: "functions-errors",
      displayName: `User-sync functions failing (more than ${t.functionErrors} per ${w})`,
      severity: "ERROR",
      conditions: [
        {
          displayName: "1st gen: executions not ok",
          threshold: {
            filter: `metric.type="cloudfunctions.googleapis.com/function/execution_count" AND resource.type="cloud_function" AND ${oneOf("resource.labels.function_name", r.gen1)} AND metric.labels.status!="ok"`,
            aggregations: [aggregation(w, "ALIGN_SUM", "REDUCE_SUM", ["resource.label.function_name"])],
            comparison: "COMPARISON_GT",
            thresholdValue: t.functionErrors,
            duration: "0s",
            trigger: { count: 1 },
          },
        },
        {
          displayName: "2nd gen (blocking): 5xx responses",
          threshold: {
            filter: `${runRequests(r.gen2)} AND metric.labels.response_code_class="5xx"`,
            aggregations: [aggregation(w, "ALIGN_SUM", "REDUCE_SUM", byService)],
            comparison: "COMPARISON_GT",
            thresholdValue: t.functionErrors,
            duration: "0s",
            trigger: { count: 1 },
          },
        },
      ],
      runbook:
        "Firebase Auth's user-sync functions fail: new users get no row (onUserCreated, retried until it succeeds) or sign-up itself fails (beforeUserCreated, " +
        "a 5xx blocks the sign-up). First: the functions' logs in Cloud Logging; a Hasura outage or a rotated admin secret is the usual cause.",
    },
    "event-failures": {
      key: "event-failures",
      displayName: `Hasura event-trigger deliveries failing (more than ${t.eventFailures} per ${w})`,
      severity: "ERROR",
      conditions: [{ displayName: "failed deliveries (log-based)", threshold: logCount(r.logMetrics.eventFailures, t.eventFailures) }],
      runbook:
        "Hasura could not deliver event triggers to a microservice (non-2xx answer, network error or a request transform error); Hasura retries as the " +
        "trigger's retry_conf says, then gives up. First: the metric's `trigger` label names the trigger; the service's logs say why it refused, and " +
        "`hdb_catalog.event_invocation_logs` keeps each attempt's response.",
    },
    "cron-failures": {
      key: "cron-failures",
      displayName: `Hasura cron deliveries failing (more than ${t.cronFailures} per ${w})`,
      severity: "ERROR",
      conditions: [{ displayName: "failed deliveries (log-based)", threshold: logCount(r.logMetrics.cronFailures, t.cronFailures) }],
      runbook:
        "A cron or scheduled trigger's webhook failed. First: the microservice's logs at the trigger's time, and `hdb_catalog.hdb_cron_event_invocation_logs`.",
    },
    "event-backlog": {
      key: "event-backlog",
      displayName: `Hasura event backlog (more than ${t.eventBacklog} events fetched per stats window)`,
      severity: "WARNING",
      conditions: [
        {
          displayName: "events fetched for delivery (log-based, p99)",
          threshold: {
            filter: `metric.type=${quoted(r.logMetrics.eventBacklog)} AND ${RUN_REVISION}`,
            aggregations: [aggregation(w, "ALIGN_PERCENTILE_99", "REDUCE_MAX", [])],
            comparison: "COMPARISON_GT",
            thresholdValue: t.eventBacklog,
            duration: "0s",
            trigger: { count: 1 },
          },
        },
      ],
      runbook:
        "Hasura is fetching events faster than usual: a burst of writes or a delivery backlog building up behind a slow or failing service. First: the " +
        "event-failures alert and the services' latency; `SELECT count(*) FROM hdb_catalog.event_log WHERE delivered = false AND error = false` counts what waits.",
    },
    "services-5xx": {
      key: "services-5xx",
      displayName: `Microservice 5xx above ${percent(t.servicesErrorRatio)}`,
      severity: "ERROR",
      conditions: [{ displayName: "5xx / all requests, per service", threshold: ratio(args.microservices, t.servicesErrorRatio) }],
      runbook:
        "A microservice (actions, events, crons, jobs) answers 5xx. The incident names the service; its JSON logs carry the error and the trace. " +
        "Actions fail for the user; events and crons are retried by Hasura.",
    },
  };
}

/** A chart on the dashboard: one xyChart widget of one or two series. */
function chart(title: string, dataSets: object[], thresholds: Array<{ value: number; label: string }> = []) {
  return { title, xyChart: { dataSets, ...(thresholds.length ? { thresholds: thresholds.map((t) => ({ value: t.value, label: t.label, color: "RED", direction: "ABOVE" })) } : {}), yAxis: { scale: "LINEAR" } } };
}

function series(filter: string, perSeriesAligner: string, crossSeriesReducer: string, groupByFields: string[]) {
  return { plotType: "LINE", timeSeriesQuery: { timeSeriesFilter: { filter, aggregation: { alignmentPeriod: "60s", perSeriesAligner, crossSeriesReducer, groupByFields } } } };
}

function ratioSeries(services: readonly string[]) {
  const aggregation = { alignmentPeriod: "60s", perSeriesAligner: "ALIGN_RATE", crossSeriesReducer: "REDUCE_SUM", groupByFields: ["resource.label.service_name"] };
  return {
    plotType: "LINE",
    timeSeriesQuery: {
      timeSeriesFilterRatio: {
        numerator: { filter: `${runRequests(services)} AND metric.labels.response_code_class="5xx"`, aggregation },
        denominator: { filter: runRequests(services), aggregation },
      },
    },
  };
}

/** The stack's dashboard (Dashboard API JSON, mosaic layout of 48 columns, two charts a row). */
function dashboardOf(name: string, args: MonitoringArgs, r: Pick<Resolved, "database" | "checkId" | "logMetrics">) {
  const t = args.thresholds;
  const widgets = [
    ...(r.checkId
      ? [chart("Hasura uptime check (checks passed)", [series(`metric.type="monitoring.googleapis.com/uptime_check/check_passed" AND resource.type="uptime_url" AND metric.labels.check_id=${quoted(r.checkId)}`, "ALIGN_FRACTION_TRUE", "REDUCE_MEAN", [])])]
      : []),
    chart("Hasura 5xx ratio", [ratioSeries([args.hasuraService])], [{ value: t.hasuraErrorRatio, label: "alert" }]),
    chart("Hasura p95 latency (ms)", [series(`metric.type="run.googleapis.com/request_latencies" AND ${RUN_REVISION} AND ${oneOf("resource.labels.service_name", [args.hasuraService])}`, "ALIGN_PERCENTILE_95", "REDUCE_MAX", ["resource.label.service_name"])], [{ value: t.hasuraLatencyP95Ms, label: "alert" }]),
    chart("Microservices 5xx ratio", [ratioSeries(args.microservices)], [{ value: t.servicesErrorRatio, label: "alert" }]),
    chart("Cloud SQL CPU", [series(cloudSql("cpu/utilization", r.database), "ALIGN_MEAN", "REDUCE_MAX", [])], [{ value: t.databaseCpu, label: "alert" }]),
    chart("Cloud SQL memory", [series(cloudSql("memory/utilization", r.database), "ALIGN_MEAN", "REDUCE_MAX", [])], [{ value: t.databaseMemory, label: "alert" }]),
    chart("Cloud SQL disk", [series(cloudSql("disk/utilization", r.database), "ALIGN_MEAN", "REDUCE_MAX", [])], [{ value: t.databaseDisk, label: "alert" }]),
    chart(`Cloud SQL connections (limit ${args.database.connectionLimit})`, [series(cloudSql("postgresql/num_backends", r.database), "ALIGN_MEAN", "REDUCE_SUM", [])], [
      { value: Math.floor(args.database.connectionLimit * t.databaseConnections), label: "alert" },
    ]),
    chart("Hasura event-trigger and cron delivery failures", [
      series(`metric.type=${quoted(r.logMetrics.eventFailures)} AND ${RUN_REVISION}`, "ALIGN_SUM", "REDUCE_SUM", ["metric.label.trigger"]),
      series(`metric.type=${quoted(r.logMetrics.cronFailures)} AND ${RUN_REVISION}`, "ALIGN_SUM", "REDUCE_SUM", ["metric.label.trigger"]),
    ]),
    chart("Hasura events fetched per stats window (p99)", [series(`metric.type=${quoted(r.logMetrics.eventBacklog)} AND ${RUN_REVISION}`, "ALIGN_PERCENTILE_99", "REDUCE_MAX", [])], [{ value: t.eventBacklog, label: "alert" }]),
  ];
  return {
    displayName: `pulsura ${name}`,
    mosaicLayout: { columns: 48, tiles: widgets.map((widget, i) => ({ xPos: (i % 2) * 24, yPos: Math.floor(i / 2) * 16, width: 24, height: 16, widget })) },
  };
}
