/**
 * `pulsura:monitoring`: the thresholds of the stack's alerts, extra alert recipients and the optional billing budget,
 * with their defaults per environment. infra/config.ts reads it with the rest of the stack config (every problem named
 * by its key); infra/components/monitoring.ts receives the resolved {@link MonitoringConfig} through index.ts.
 */
import { z } from "zod";

/** How often the uptime check runs: UptimeCheckConfig.period accepts only these (https://cloud.google.com/monitoring/api/ref_v3/rest/v3/projects.uptimeCheckConfigs). */
export const UPTIME_CHECK_PERIODS = ["60s", "300s", "600s", "900s"] as const;

/** How long a condition must hold before an alert opens; also the alignment window of the count alerts. */
export const ALERT_WINDOWS = ["60s", "300s", "600s", "900s", "1800s", "3600s"] as const;

const ratio = (what: string) => z.number().gt(0, `${what}: a fraction above 0, such as 0.05 for 5 %`).max(1, `${what}: a fraction of at most 1 (1 is 100 %)`);
const count = z.number().int().min(0);

const budgetInput = z
  .object({
    /** Billing account id, `XXXXXX-XXXXXX-XXXXXX` (upper-case hex); the deployer needs roles/billing.costsManager on it. */
    billingAccount: z.string().regex(/^[0-9A-F]{6}-[0-9A-F]{6}-[0-9A-F]{6}$/, "a billing account id such as 012345-6789AB-CDEF01 (gcloud billing accounts list)"),
    /** Monthly amount in whole units of the billing account's currency. */
    amount: z.number().int().min(1),
    /** ISO 4217 code; must equal the billing account's currency. @default the account's currency */
    currencyCode: z.string().regex(/^[A-Z]{3}$/, "an ISO 4217 currency code such as EUR, the billing account's currency"),
    /** Percent of the amount at which an e-mail goes out (100 = the whole budget). */
    thresholdPercents: z.array(z.number().gt(0, "a percent above 0").max(1000, "a percent of at most 1000")).min(1).max(10),
  })
  .partial({ currencyCode: true, thresholdPercents: true })
  .strict();

/** What a stack file may say under `pulsura:monitoring`; every field optional. */
export const monitoringInput = z
  .object({
    /** More alert recipients beside `pulsura:alertEmail` (e-mail channels only: Slack and PagerDuty need secrets). */
    extraEmails: z.array(z.email("an e-mail address")).max(10),
    /**
     * The uptime check on Hasura's public health path and its alert (default: prod true, dev false; refused false in
     * prod). Its requests are traffic: from 6 locations every period they keep one instance of the dev API, which scales
     * to zero and is billed by instance (CPU always allocated), up all month, about $47 at list price (issue 21). A dev
     * stack that wants the availability alert sets `pulsura:monitoring.uptimeCheck: true` and pays that instance.
     */
    uptimeCheck: z.boolean(),
    uptimeCheckPeriod: z.enum(UPTIME_CHECK_PERIODS),
    /** How long a rate or level condition must hold before the alert opens, and the window of the count alerts. */
    alertWindow: z.enum(ALERT_WINDOWS),
    /** Share of Hasura's API requests answered 5xx. */
    hasuraErrorRatio: ratio("hasuraErrorRatio"),
    /** 95th percentile of Hasura's request latency, in milliseconds. */
    hasuraLatencyP95Ms: z.number().int().min(50).max(3_600_000),
    /** Share of a microservice's requests answered 5xx. */
    servicesErrorRatio: ratio("servicesErrorRatio"),
    databaseCpu: ratio("databaseCpu"),
    databaseMemory: ratio("databaseMemory"),
    databaseDisk: ratio("databaseDisk"),
    /** Open connections as a share of the instance's connection limit (tier default or database.maxConnections). */
    databaseConnections: ratio("databaseConnections"),
    /** Failed executions of the user-sync functions per window above which the alert opens. */
    functionErrors: count,
    /** Failed event-trigger deliveries per window above which the alert opens. */
    eventFailures: count,
    /** Failed cron (scheduled trigger) deliveries per window above which the alert opens. */
    cronFailures: count,
    /** Events Hasura fetched for delivery in one of its stats windows above which the backlog alert opens. */
    eventBacklog: z.number().int().min(1),
    /** A monthly billing budget; off unless a billing account is named. */
    budget: budgetInput,
  })
  .partial()
  .strict();

export type MonitoringInput = z.infer<typeof monitoringInput>;

export interface MonitoringThresholds {
  uptimeCheckPeriod: (typeof UPTIME_CHECK_PERIODS)[number];
  alertWindow: (typeof ALERT_WINDOWS)[number];
  hasuraErrorRatio: number;
  hasuraLatencyP95Ms: number;
  servicesErrorRatio: number;
  databaseCpu: number;
  databaseMemory: number;
  databaseDisk: number;
  databaseConnections: number;
  functionErrors: number;
  eventFailures: number;
  cronFailures: number;
  eventBacklog: number;
}

export interface BudgetConfig {
  billingAccount: string;
  amount: number;
  currencyCode?: string;
  thresholdPercents: number[];
}

/** The resolved monitoring settings a stack's Monitoring component receives. */
export interface MonitoringConfig {
  /** Alert recipients: `alertEmail` first, then `monitoring.extraEmails`, each once. */
  emails: string[];
  /** Run the uptime check on Hasura (and its alert): prod always, dev only when the stack asks (its requests keep the API up). */
  uptimeCheck: boolean;
  thresholds: MonitoringThresholds;
  budget?: BudgetConfig;
}

/** Budget e-mails at half, most and all of the amount, and when the month's forecast passes it. */
export const DEFAULT_BUDGET_THRESHOLD_PERCENTS = [50, 90, 100] as const;

/** Defaults per environment: dev alerts only on what blocks the team, prod on what users would notice. */
export const MONITORING_DEFAULTS: Record<"dev" | "prod", MonitoringThresholds> = {
  dev: {
    uptimeCheckPeriod: "300s",
    alertWindow: "600s",
    hasuraErrorRatio: 0.1,
    hasuraLatencyP95Ms: 5000,
    servicesErrorRatio: 0.1,
    databaseCpu: 0.9,
    // Shared-core tiers run close to their memory: only a near-full instance is news.
    databaseMemory: 0.95,
    databaseDisk: 0.9,
    databaseConnections: 0.9,
    functionErrors: 5,
    eventFailures: 10,
    cronFailures: 5,
    eventBacklog: 5000,
  },
  prod: {
    uptimeCheckPeriod: "60s",
    alertWindow: "300s",
    hasuraErrorRatio: 0.02,
    hasuraLatencyP95Ms: 2000,
    servicesErrorRatio: 0.05,
    databaseCpu: 0.8,
    databaseMemory: 0.9,
    databaseDisk: 0.8,
    databaseConnections: 0.8,
    // A failed user sync leaves a user without a row until its retry succeeds: every failure is news.
    functionErrors: 0,
    eventFailures: 0,
    cronFailures: 0,
    eventBacklog: 1000,
  },
};

/** Whether a stack runs the uptime check unless its file says: prod yes; dev no, its requests would keep the API up. */
export const UPTIME_CHECK_DEFAULTS: Record<"dev" | "prod", boolean> = { dev: false, prod: true };

/** The monitoring settings of a stack: its input over the environment's defaults. */
export function resolveMonitoring(environment: "dev" | "prod", alertEmail: string | undefined, input: MonitoringInput = {}): MonitoringConfig {
  const { extraEmails = [], budget, uptimeCheck = UPTIME_CHECK_DEFAULTS[environment], ...thresholds } = input;
  const emails = [...new Set([...(alertEmail ? [alertEmail] : []), ...extraEmails])];
  return {
    emails,
    uptimeCheck,
    thresholds: { ...MONITORING_DEFAULTS[environment], ...thresholds },
    ...(budget ? { budget: { ...budget, thresholdPercents: budget.thresholdPercents ?? [...DEFAULT_BUDGET_THRESHOLD_PERCENTS] } } : {}),
  };
}
