/**
 * Enforcement per environment. Every rule is mandatory in prod. A rule may be advisory in dev only with the reason
 * written here; `pulumi preview` gets the same levels from `policy/config.<environment>.json`
 * (`--policy-pack-config`), which a test keeps equal to this table.
 */
import type { EnforcementLevel } from "@pulumi/policy";
import type { PulsuraPolicy } from "./rules";

export interface DevException {
  enforcement: Exclude<EnforcementLevel, "mandatory">;
  reason: string;
}

/** Rules that are only advisory in dev, and why. */
export const DEV_EXCEPTIONS: Readonly<Record<string, DevException>> = {
  "cloudsql-point-in-time-recovery": {
    enforcement: "advisory",
    reason: "dev data is disposable and re-seeded; daily automated backups (still mandatory) are enough there, and WAL retention costs storage",
  },
  "cloudsql-high-availability": {
    enforcement: "advisory",
    reason: "a standby doubles the dev database bill; a dev outage during a zonal failure is acceptable",
  },
  "cloudsql-dedicated-core": {
    enforcement: "advisory",
    reason: "shared-core tiers keep an idle dev stack cheap; the SLA they lack matters only for production",
  },
  "cloudsql-deletion-protection": {
    enforcement: "advisory",
    reason: "dev stacks are torn down and rebuilt with `pulumi destroy`; protection would block that on purpose-built throwaway data",
  },
  "cloudsql-query-insights": {
    enforcement: "advisory",
    reason: "query insights is a production tuning aid; dev runs without it to stay on the smallest tier",
  },
  "storage-files-recoverable": {
    enforcement: "advisory",
    reason: "dev files are test uploads: versions and soft-deleted copies would only be billed (pulsura:storage.versioning and softDeleteDays are required in prod)",
  },
  "edge-armor-enforced": {
    enforcement: "advisory",
    reason:
      "a dev stack runs its Cloud Armor rules in preview (pulsura:edge.preview, refused in prod) to see in the load balancer's logs what they would block before prod enforces them, and without Adaptive Protection, which learns from production traffic",
  },
  "hasura-worker-present": {
    enforcement: "advisory",
    reason:
      "a dev stack runs without the Hasura worker by default (pulsura:hasura.worker.enabled, refused false in prod) to save its always-on instance; its API instances process events, crons and async actions, which are then delivered only while one runs",
  },
  "monitoring-alerts-notify": {
    enforcement: "advisory",
    reason:
      "a dev stack may run without alert recipients (pulsura:alertEmail is required in prod only), its alerts still opening incidents in the console, and without the uptime check (pulsura:monitoring.uptimeCheck, off by default in dev): its requests every minute or so would keep the scale-to-zero API, billed by instance, up all month",
  },
};

/** Rules that are advisory everywhere because they warn ahead of a mandatory rule, and why. */
export const EARLY_WARNINGS: Readonly<Record<string, string>> = {
  "functions-runtime-not-expiring":
    "it warns months before a runtime's decommission date; on that date the mandatory functions-supported-runtime refuses the runtime",
  "edge-cutover-pending":
    "it reports the wait for the API domain's certificate, which the pulumi up after the certificate turns ACTIVE ends by itself; the mandatory edge-hasura-not-on-run-app refuses every other ingress behind the edge",
};

export function enforcementFor(policy: PulsuraPolicy, environment: string): EnforcementLevel {
  if (environment === "dev" && DEV_EXCEPTIONS[policy.name]) return DEV_EXCEPTIONS[policy.name]!.enforcement;
  return policy.enforcementLevel ?? "mandatory";
}

/** The policy-pack config file content for an environment (`pulumi preview --policy-pack-config`). */
export function policyPackConfig(environment: string): Record<string, EnforcementLevel> {
  if (environment !== "dev") return {};
  return Object.fromEntries(Object.entries(DEV_EXCEPTIONS).map(([name, exception]) => [name, exception.enforcement]));
}
