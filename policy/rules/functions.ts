import * as gcp from "@pulumi/gcp";
import { validateResourceOfType } from "@pulumi/policy";
import { DECOMMISSION_WARNING_MONTHS, type FunctionGeneration, NODE_RUNTIMES, runtimeStatus } from "../../infra/runtimes";
import type { PulsuraPolicy } from ".";
import { isSecretEnvName } from "./secret-names";

const GEN1 = "gcp:cloudfunctions/function:Function";
const GEN2 = "gcp:cloudfunctionsv2/function:Function";
const DEFAULT_ACCOUNTS = /(-compute@developer\.gserviceaccount\.com|@appspot\.gserviceaccount\.com)$/;

// Policies read plain input values; a loose view keeps the checks short.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Loose = Record<string, any>;

function generationOf(type: string): FunctionGeneration {
  return type === GEN1 ? "gen1" : "gen2";
}

function runtimeIds(): string {
  return Object.keys(NODE_RUNTIMES).join(", ");
}

/** The settings both generations share, read from either shape. */
function settingsOf(type: string, props: Loose) {
  if (type === GEN1) {
    return {
      runtime: props.runtime as string | undefined,
      serviceAccount: props.serviceAccountEmail as string | undefined,
      env: { ...(props.environmentVariables ?? {}), ...(props.buildEnvironmentVariables ?? {}) } as Record<string, string>,
      secretEnv: (props.secretEnvironmentVariables ?? []) as Array<{ key: string; version?: string }>,
    };
  }
  return {
    runtime: props.buildConfig?.runtime as string | undefined,
    serviceAccount: props.serviceConfig?.serviceAccountEmail as string | undefined,
    env: { ...(props.serviceConfig?.environmentVariables ?? {}), ...(props.buildConfig?.environmentVariables ?? {}) } as Record<string, string>,
    secretEnv: (props.serviceConfig?.secretEnvironmentVariables ?? []) as Array<{ key: string; version?: string }>,
  };
}

function functionRule(
  name: string,
  description: string,
  check: (settings: ReturnType<typeof settingsOf>, props: Loose, type: string) => string[],
  enforcementLevel: PulsuraPolicy["enforcementLevel"] = "mandatory",
): PulsuraPolicy {
  return {
    name,
    description,
    enforcementLevel,
    validateStack: (args, reportViolation) => {
      for (const r of args.resources) {
        if (r.type !== GEN1 && r.type !== GEN2) continue;
        for (const problem of check(settingsOf(r.type, r.props), r.props, r.type)) reportViolation(`${r.name}: ${problem}`, r.urn);
      }
    },
  };
}

export const functionsPolicies: PulsuraPolicy[] = [
  functionRule("functions-secrets-by-reference", "Function secrets come from Secret Manager by pinned version, never as plain env values.", (s) => [
    ...Object.keys(s.env).filter(isSecretEnvName).map((key) => `env ${key} holds a secret as a plain value; use secretEnvironmentVariables`),
    ...s.secretEnv.filter((e) => !e.version || e.version === "latest").map((e) => `secret env ${e.key} reads version ${e.version ?? "unset"}; pin a version`),
  ]),
  functionRule("functions-dedicated-service-account", "Every function runs as a dedicated service account, never a default one.", (s) =>
    !s.serviceAccount ? ["no service account set (it would run as a default account)"] : DEFAULT_ACCOUNTS.test(s.serviceAccount) ? [`runs as the default account ${s.serviceAccount}`] : [],
  ),
  functionRule(
    "functions-supported-runtime",
    "Functions run on a generally available Node.js runtime that their generation offers and that is not decommissioned (infra/runtimes.ts).",
    (s, _props, type) => {
      const status = runtimeStatus(String(s.runtime), generationOf(type));
      const runtime = `runtime ${s.runtime ?? "unset"}`;
      switch (status.kind) {
        case "unknown":
          return [`${runtime} is not a Node.js runtime of Cloud Run functions (infra/runtimes.ts lists ${runtimeIds()})`];
        case "wrong-generation":
          return [`${runtime} is not offered by ${generationOf(type)} functions (only ${status.runtime.generations.join(", ")})`];
        case "preview":
          return [`${runtime} is in Preview, without an SLA; use a GA runtime`];
        case "decommissioned":
          return [`${runtime} was decommissioned on ${status.decommission}: functions on it can no longer be created or updated`];
        default:
          return [];
      }
    },
  ),
  functionRule(
    "functions-runtime-not-expiring",
    `No function runs on a runtime within ${DECOMMISSION_WARNING_MONTHS} months of its decommission date (infra/runtimes.ts).`,
    (s, _props, type) => {
      const status = runtimeStatus(String(s.runtime), generationOf(type));
      return status.kind === "decommission-soon" ? [`runtime ${s.runtime} is decommissioned on ${status.decommission}; move to a newer runtime before then`] : [];
    },
    "advisory",
  ),
  functionRule("functions-event-ingress-internal", "Event-triggered gen1 functions accept no HTTP traffic from outside.", (_s, props, type) =>
    type === GEN1 && props.eventTrigger && props.ingressSettings !== "ALLOW_INTERNAL_ONLY" ? [`ingressSettings is ${props.ingressSettings ?? "unset"}; expected ALLOW_INTERNAL_ONLY`] : [],
  ),
  {
    name: "functions-no-public-invoker",
    description: "No Cloud Function grants its invoker role to allUsers or allAuthenticatedUsers (the blocking function is public through its Cloud Run service only, see cloudrun-no-public-invoker).",
    enforcementLevel: "mandatory",
    validateStack: (args, reportViolation) => {
      for (const r of args.resources) {
        if (!/^gcp:cloudfunctions(v2)?\/function(IamMember|IamBinding|IamPolicy):/.test(r.type)) continue;
        const members = [r.props.member, ...((r.props.members as string[] | undefined) ?? [])].filter(Boolean) as string[];
        if (members.some((m) => m === "allUsers" || m === "allAuthenticatedUsers")) reportViolation(`${r.name} makes a function public`, r.urn);
      }
    },
  },
  {
    name: "storage-bucket-private",
    description: "Buckets use uniform bucket-level access and enforce public access prevention (CIS 5.1, 5.2).",
    enforcementLevel: "mandatory",
    validateResource: validateResourceOfType(gcp.storage.Bucket, (bucket, _args, reportViolation) => {
      if (bucket.uniformBucketLevelAccess !== true) reportViolation("uniformBucketLevelAccess must be true");
      if (bucket.publicAccessPrevention !== "enforced") reportViolation('publicAccessPrevention must be "enforced"');
    }),
  },
];
