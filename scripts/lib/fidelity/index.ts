/**
 * The fidelity layer's registry: every rule of every Google service module, and the rules of each Pulumi type token.
 * scripts/lib/mocks.ts judges each registered resource with {@link judge} before it answers; the offline plan fails
 * with every violation (scripts/lib/offline-plan.ts), as `pulumi up` would fail at the first.
 */
import { artifactRegistryRules } from "./artifactregistry";
import { billingRules } from "./billing";
import { cloudTasksRules } from "./cloudtasks";
import { computeRules } from "./compute";
import { firebaseRules } from "./firebase";
import { functionsRules } from "./functions";
import { iamRules } from "./iam";
import { identityPlatformRules } from "./identityplatform";
import { labelRules } from "./labels";
import { loadBalancingRules } from "./loadbalancing";
import { loggingRules } from "./logging";
import { monitoringRules } from "./monitoring";
import type { FidelityContext, FidelityRule, FidelityViolation, PlannedResource } from "./rule";
import { pubsubRules } from "./pubsub";
import { runRules } from "./run";
import { secretManagerRules } from "./secretmanager";
import { sqlRules } from "./sql";
import { storageRules } from "./storage";
import { vpcAccessRules } from "./vpcaccess";

export type { FidelityContext, FidelityRule, FidelityViolation, PlannedResource } from "./rule";

/** Every rule, by service module. */
export const fidelityRules: readonly FidelityRule[] = [
  ...iamRules,
  ...runRules,
  ...vpcAccessRules,
  ...artifactRegistryRules,
  ...secretManagerRules,
  ...storageRules,
  ...pubsubRules,
  // Jobs: a Cloud Tasks queue per service with src/jobs/.
  ...cloudTasksRules,
  ...functionsRules,
  ...computeRules,
  // The edge: load balancer and Cloud Armor (pulsura:apiDomain).
  ...loadBalancingRules,
  ...sqlRules,
  ...firebaseRules,
  ...identityPlatformRules,
  ...labelRules,
  // Monitoring (alerts, uptime check, dashboard); log exclusions and log-based metrics; budgets.
  ...monitoringRules,
  ...loggingRules,
  ...billingRules,
];

/** Pulumi type token → the rules that judge it. */
export const rulesByType: ReadonlyMap<string, readonly FidelityRule[]> = (() => {
  const byType = new Map<string, FidelityRule[]>();
  for (const rule of fidelityRules) for (const type of rule.types) byType.set(type, [...(byType.get(type) ?? []), rule]);
  return byType;
})();

/** Violations of one resource, judged against the resources registered before it. */
export function judge(resource: PlannedResource, earlier: readonly PlannedResource[], ctx: FidelityContext, rules = rulesByType.get(resource.type) ?? []): FidelityViolation[] {
  return rules.flatMap((rule) =>
    rule.check(resource, earlier, ctx).map((problem) => ({
      rule: rule.id,
      type: resource.type,
      resource: resource.name,
      field: rule.field,
      problem,
      constraint: rule.constraint,
      source: rule.source,
    })),
  );
}

/** Violations in a stable order (resource, rule, problem), whatever order registrations completed in. */
export function sortViolations(violations: readonly FidelityViolation[]): FidelityViolation[] {
  const key = (v: FidelityViolation) => [v.resource, v.type, v.rule, v.problem];
  return [...violations].sort((a, b) => {
    const [ka, kb] = [key(a), key(b)];
    for (let i = 0; i < ka.length; i++) if (ka[i] !== kb[i]) return ka[i]! < kb[i]! ? -1 : 1;
    return 0;
  });
}

/** The plan's error message: every violation with its resource, field, constraint and source. */
export function formatViolations(stack: string, violations: readonly FidelityViolation[]): string {
  const lines = sortViolations(violations).map(
    (v) => `  - ${v.type} "${v.resource}" ${v.field}: ${v.problem}; expected ${v.constraint} [${v.rule}] (${v.source})`,
  );
  return [
    `Stack "${stack}" declares ${violations.length} resource input${violations.length === 1 ? "" : "s"} that Google Cloud refuses (pulumi up would fail):`,
    ...lines,
  ].join("\n");
}
