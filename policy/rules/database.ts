import * as gcp from "@pulumi/gcp";
import { validateResourceOfType } from "@pulumi/policy";
import type { PulsuraPolicy } from ".";

type InstanceArgs = gcp.sql.DatabaseInstanceArgs;

// Policies read plain input values; a loose view keeps the checks short.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Loose = Record<string, any>;

function settingsOf(instance: InstanceArgs): Loose {
  return (instance.settings ?? {}) as Loose;
}

/** One rule per Cloud SQL instance check, so each shows (and can be relaxed in dev) on its own. */
function instanceRule(
  name: string,
  description: string,
  check: (settings: Loose, instance: InstanceArgs, protect: boolean) => string | undefined,
): PulsuraPolicy {
  return {
    name,
    description,
    enforcementLevel: "mandatory",
    validateResource: validateResourceOfType(gcp.sql.DatabaseInstance, (instance, args, reportViolation) => {
      const problem = check(settingsOf(instance), instance, args.opts.protect);
      if (problem) reportViolation(problem);
    }),
  };
}

/**
 * Logging flags required on PostgreSQL: CIS Google Cloud Platform Foundations Benchmark 6.2.x (log_error_verbosity,
 * log_connections, log_disconnections, log_statement, log_min_messages, log_min_error_statement,
 * log_min_duration_statement, cloudsql.enable_pgaudit) plus the older CIS/Checkov checks (log_checkpoints,
 * log_lock_waits, log_temp_files). Each entry: the flag and the values that pass.
 */
export const REQUIRED_DATABASE_FLAGS: ReadonlyArray<{ flag: string; allowed: string[]; why: string }> = [
  { flag: "log_checkpoints", allowed: ["on"], why: "checkpoints show in the logs (CIS 6.2, Checkov CKV_GCP_51)" },
  { flag: "log_connections", allowed: ["on"], why: "every connection attempt is logged (CIS 6.2.2)" },
  { flag: "log_disconnections", allowed: ["on"], why: "session ends and durations are logged (CIS 6.2.3)" },
  { flag: "log_lock_waits", allowed: ["on"], why: "long lock waits are logged (Checkov CKV_GCP_54)" },
  { flag: "log_error_verbosity", allowed: ["default", "terse"], why: "error detail stays bounded (CIS 6.2.1)" },
  { flag: "log_min_error_statement", allowed: ["error", "log", "fatal", "panic"], why: "statements causing errors are logged (CIS 6.2.6)" },
  { flag: "log_min_messages", allowed: ["warning", "error", "log", "fatal", "panic"], why: "warnings and worse are logged (CIS 6.2.5)" },
  { flag: "log_statement", allowed: ["ddl", "mod", "all"], why: "schema changes are logged (CIS 6.2.4)" },
  { flag: "log_temp_files", allowed: ["0"], why: "all temporary files are logged (Checkov CKV_GCP_53)" },
  { flag: "log_min_duration_statement", allowed: ["-1"], why: "statement text with parameters stays out of the logs (CIS 6.2.7)" },
  { flag: "cloudsql.enable_pgaudit", allowed: ["on"], why: "pgaudit records DDL and role changes (CIS 6.2.8)" },
  { flag: "pgaudit.log", allowed: ["ddl,role", "all", "ddl,role,write"], why: "pgaudit logs at least DDL and role changes" },
];

const flagRules: PulsuraPolicy[] = REQUIRED_DATABASE_FLAGS.map(({ flag, allowed, why }) =>
  instanceRule(`cloudsql-flag-${flag.replace(/[._]/g, "-")}`, `Cloud SQL PostgreSQL sets ${flag} to ${allowed.join(" or ")}: ${why}.`, (settings) => {
    const set = (settings.databaseFlags ?? []).find((f: { name: string }) => f.name === flag) as { value: string } | undefined;
    if (!set) return `database flag ${flag} is not set (expected ${allowed.join(" or ")})`;
    if (!allowed.includes(String(set.value))) return `database flag ${flag} is ${set.value} (expected ${allowed.join(" or ")})`;
    return undefined;
  }),
);

export const databasePolicies: PulsuraPolicy[] = [
  instanceRule("cloudsql-no-public-ip", "Cloud SQL has no public IPv4 address (CIS 6.6): it is reached on its private IP only.", (s) =>
    s.ipConfiguration?.ipv4Enabled === false ? undefined : "settings.ipConfiguration.ipv4Enabled must be false",
  ),
  instanceRule("cloudsql-private-network", "Cloud SQL is attached to the stack's VPC through private services access.", (s) =>
    s.ipConfiguration?.privateNetwork ? undefined : "settings.ipConfiguration.privateNetwork must name the VPC",
  ),
  instanceRule("cloudsql-no-authorized-networks", "Cloud SQL allows no authorized networks (CIS 6.5): nobody is allow-listed from the internet.", (s) =>
    (s.ipConfiguration?.authorizedNetworks ?? []).length === 0 ? undefined : "settings.ipConfiguration.authorizedNetworks must be empty",
  ),
  instanceRule("cloudsql-ssl-required", "Cloud SQL accepts encrypted connections only (CIS 6.4).", (s) =>
    ["ENCRYPTED_ONLY", "TRUSTED_CLIENT_CERTIFICATE_REQUIRED"].includes(s.ipConfiguration?.sslMode) ? undefined : `sslMode is ${s.ipConfiguration?.sslMode ?? "unset"}; expected ENCRYPTED_ONLY`,
  ),
  instanceRule("cloudsql-automated-backups", "Cloud SQL takes automated backups and keeps at least 7 (CIS 6.7).", (s) => {
    if (s.backupConfiguration?.enabled !== true) return "settings.backupConfiguration.enabled must be true";
    const kept = s.backupConfiguration?.backupRetentionSettings?.retainedBackups;
    return typeof kept === "number" && kept >= 7 ? undefined : `retainedBackups is ${kept ?? "unset"}; expected at least 7`;
  }),
  instanceRule("cloudsql-point-in-time-recovery", "Cloud SQL can be restored to any point in time (write-ahead log retention).", (s) =>
    s.backupConfiguration?.pointInTimeRecoveryEnabled === true ? undefined : "settings.backupConfiguration.pointInTimeRecoveryEnabled must be true",
  ),
  instanceRule("cloudsql-high-availability", "Cloud SQL runs regional (HA) with a standby in a second zone.", (s) =>
    s.availabilityType === "REGIONAL" ? undefined : `availabilityType is ${s.availabilityType ?? "unset"}; expected REGIONAL`,
  ),
  instanceRule("cloudsql-dedicated-core", "Cloud SQL runs on a dedicated-core tier (shared-core tiers have no SLA).", (s) =>
    /^db-(f1-micro|g1-small)$/.test(String(s.tier)) ? `tier ${s.tier} is shared-core` : undefined,
  ),
  instanceRule("cloudsql-deletion-protection", "Cloud SQL is protected from deletion by Pulumi (protect and deletionProtection) and by the Cloud SQL API.", (s, instance, protect) => {
    const missing = [
      ...(instance.deletionProtection === true ? [] : ["deletionProtection"]),
      ...(s.deletionProtectionEnabled === true ? [] : ["settings.deletionProtectionEnabled"]),
      ...(protect ? [] : ["the protect resource option"]),
    ];
    return missing.length === 0 ? undefined : `not protected from deletion: ${missing.join(", ")} must be set`;
  }),
  instanceRule("cloudsql-maintenance-window", "Cloud SQL has a maintenance window on the stable update track.", (s) =>
    s.maintenanceWindow?.updateTrack === "stable" && s.maintenanceWindow?.day !== undefined ? undefined : "settings.maintenanceWindow needs a day and updateTrack stable",
  ),
  instanceRule("cloudsql-query-insights", "Cloud SQL records query insights without client addresses.", (s) => {
    if (s.insightsConfig?.queryInsightsEnabled !== true) return "settings.insightsConfig.queryInsightsEnabled must be true";
    return s.insightsConfig?.recordClientAddress === true ? "query insights must not record client addresses" : undefined;
  }),
  ...flagRules,
  {
    name: "cloudsql-no-postgres-user",
    description: "No workload uses Cloud SQL's built-in postgres superuser: each workload gets its own database user.",
    enforcementLevel: "mandatory",
    validateResource: validateResourceOfType(gcp.sql.User, (user, _args, reportViolation) => {
      if (user.name === "postgres") reportViolation("do not manage or hand out the built-in postgres user; create a user per workload");
    }),
  },
];
