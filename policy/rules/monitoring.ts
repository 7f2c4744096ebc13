import type { PolicyResource } from "@pulumi/policy";
import type { PulsuraPolicy } from ".";

const UPTIME = "gcp:monitoring/uptimeCheckConfig:UptimeCheckConfig";
const ALERT = "gcp:monitoring/alertPolicy:AlertPolicy";

// Policies read plain input values; a loose view keeps the checks short.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Loose = Record<string, any>;

/** The signals a production stack must alert on, each recognised by the filters of an alert's conditions. */
const REQUIRED_ALERTS: ReadonlyArray<{ signal: string; matches: (filter: string) => boolean }> = [
  { signal: "availability (the uptime check)", matches: (f) => f.includes('"monitoring.googleapis.com/uptime_check/check_passed"') },
  { signal: "errors (Hasura's 5xx)", matches: (f) => f.includes('"run.googleapis.com/request_count"') && f.includes('response_code_class="5xx"') },
  { signal: "the database (Cloud SQL)", matches: (f) => f.includes('"cloudsql.googleapis.com/') },
];

function filtersOf(alert: PolicyResource): string[] {
  const conditions = ((alert.props as Loose).conditions ?? []) as Loose[];
  return conditions.flatMap((c) => [c.conditionThreshold?.filter, c.conditionAbsent?.filter].filter((f): f is string => typeof f === "string"));
}

const notifies = (alert: PolicyResource) => (((alert.props as Loose).notificationChannels ?? []) as unknown[]).length > 0 && (alert.props as Loose).enabled !== false;

export const monitoringPolicies: PulsuraPolicy[] = [
  {
    name: "monitoring-alerts-notify",
    description:
      "A stack has an uptime check on Hasura and enabled alert policies on availability, errors (5xx) and the database, each notifying at least one channel (pulsura:alertEmail).",
    enforcementLevel: "mandatory",
    validateStack: (args, reportViolation) => {
      const alerts = args.resources.filter((r) => r.type === ALERT);
      const uptime = args.resources.find((r) => r.type === UPTIME);
      // A missing piece is reported on a monitoring resource the stack has, so the message points at the stack's monitoring.
      const anchor = (uptime ?? alerts[0])?.urn;
      if (!uptime) reportViolation("no uptime check (gcp.monitoring.UptimeCheckConfig) on Hasura", anchor);
      for (const { signal, matches } of REQUIRED_ALERTS) {
        const found = alerts.filter((a) => filtersOf(a).some(matches));
        if (found.length === 0) reportViolation(`no alert policy on ${signal}`, anchor);
        else if (!found.some(notifies)) for (const a of found) reportViolation(`the alert on ${signal} "${a.name}" notifies no channel (set pulsura:alertEmail)`, a.urn);
      }
    },
  },
];
