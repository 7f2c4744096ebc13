import * as gcp from "@pulumi/gcp";
import { validateResourceOfType, type PolicyResource } from "@pulumi/policy";
import type { PulsuraPolicy } from ".";

const BASIC_ROLES = ["roles/owner", "roles/editor", "roles/viewer"];
/** Roles that let a principal act as any service account of the project (CIS 1.6). */
const IMPERSONATION_ROLES = ["roles/iam.serviceAccountUser", "roles/iam.serviceAccountTokenCreator"];
const DEFAULT_ACCOUNTS = /(-compute@developer\.gserviceaccount\.com|@appspot\.gserviceaccount\.com)$/;

/** IAM resources of any kind: `*IamMember`, `*IamBinding`, `*IamPolicy`, `projects.IAMMember`… */
function isIamGrant(type: string): boolean {
  return /:(IAMMember|IAMBinding|IamMember|IamBinding)$/.test(type);
}

function membersOf(resource: PolicyResource): string[] {
  const props = resource.props as { member?: string; members?: string[] };
  return [...(props.member ? [props.member] : []), ...(props.members ?? [])];
}

export const iamPolicies: PulsuraPolicy[] = [
  {
    name: "iam-no-basic-roles",
    description: "No grant of the basic roles owner, editor or viewer (CIS 1.5 spirit): every workload gets narrow predefined roles.",
    enforcementLevel: "mandatory",
    validateStack: (args, reportViolation) => {
      for (const r of args.resources) {
        if (isIamGrant(r.type) && BASIC_ROLES.includes(String(r.props.role))) reportViolation(`${r.name} grants the basic role ${r.props.role}`, r.urn);
      }
    },
  },
  {
    name: "iam-no-project-impersonation",
    description: "No project-wide Service Account User or Token Creator grant (CIS 1.6).",
    enforcementLevel: "mandatory",
    validateStack: (args, reportViolation) => {
      for (const r of args.resources) {
        if (r.type.startsWith("gcp:projects/") && isIamGrant(r.type) && IMPERSONATION_ROLES.includes(String(r.props.role))) {
          reportViolation(`${r.name} grants ${r.props.role} on the whole project`, r.urn);
        }
      }
    },
  },
  {
    name: "iam-no-project-secret-access",
    description: "Secret Manager access is granted per secret, never project-wide.",
    enforcementLevel: "mandatory",
    validateStack: (args, reportViolation) => {
      for (const r of args.resources) {
        if (r.type.startsWith("gcp:projects/") && isIamGrant(r.type) && String(r.props.role).startsWith("roles/secretmanager.")) {
          reportViolation(`${r.name} grants ${r.props.role} on the whole project; grant it on each secret instead`, r.urn);
        }
      }
    },
  },
  {
    name: "iam-no-default-service-accounts",
    description: "Nothing is granted to the default compute or App Engine service accounts (CIS 4.1/4.2 spirit).",
    enforcementLevel: "mandatory",
    validateStack: (args, reportViolation) => {
      for (const r of args.resources) {
        if (!isIamGrant(r.type)) continue;
        for (const member of membersOf(r)) if (DEFAULT_ACCOUNTS.test(member)) reportViolation(`${r.name} grants to the default account ${member}`, r.urn);
      }
    },
  },
  {
    name: "iam-no-service-account-keys",
    description: "No service-account keys: workloads run as their accounts, CI uses Workload Identity Federation (CIS 1.4).",
    enforcementLevel: "mandatory",
    validateResource: validateResourceOfType(gcp.serviceaccount.Key, (_key, _args, reportViolation) => {
      reportViolation("service-account keys are not allowed");
    }),
  },
  {
    name: "secret-accessor-per-secret",
    description: "Each secret accessor grant names one secret and one service account (no bindings of many members, no users or groups).",
    enforcementLevel: "mandatory",
    validateStack: (args, reportViolation) => {
      for (const r of args.resources) {
        if (r.type === "gcp:secretmanager/secretIamBinding:SecretIamBinding" || r.type === "gcp:secretmanager/secretIamPolicy:SecretIamPolicy") {
          reportViolation(`${r.name}: use one SecretIamMember per service account instead of ${r.type.split(":").pop()}`, r.urn);
          continue;
        }
        if (r.type !== "gcp:secretmanager/secretIamMember:SecretIamMember") continue;
        const member = String(r.props.member ?? "");
        if (!member.startsWith("serviceAccount:")) reportViolation(`${r.name} grants secret access to ${member}; only service accounts may read secrets`, r.urn);
        if (!r.props.secretId) reportViolation(`${r.name} names no secret`, r.urn);
      }
    },
  },
];
