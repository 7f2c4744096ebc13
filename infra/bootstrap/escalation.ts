/**
 * Whether an identity the bootstrap grants roles to (the deployer, the previewer) could raise its own access: grant
 * itself or anyone a basic role, mint tokens or keys of a service account, write a custom role it can then grant, or
 * rewrite the GitHub federation. Pure functions over the grants of the bootstrap plan and the dated table of the
 * permissions in each role (./role-permissions.json, refreshed by scripts/bootstrap-role-permissions.ts).
 *
 * What it models, and what it does not:
 * - A member holds the permissions of each role granted to it, on the grant's target. Roles a member can grant through
 *   a project (folder, organization) setIamPolicy are roles it can give itself, so their permissions are added to the
 *   member on that target and analysed again, until nothing changes (the closure).
 * - Conditions are read only on grants that carry `resourcemanager.{projects,folders,organizations}.setIamPolicy`, and
 *   only in the form deployer-roles.ts `grantLimitExpression` writes. Every other condition is assumed true (a
 *   condition only narrows a grant, so assuming it true can over-report, never under-report), except on those
 *   setIamPolicy grants, where a form not understood is itself a finding.
 * - A role missing from the table is a finding: its permissions cannot be checked.
 * - Not modelled: what the service accounts a member can act as may do themselves (the "acts as" list is returned so
 *   a test can pin it to the stack's own accounts), deny policies, organization policies (e.g.
 *   iam.disableServiceAccountKeyCreation), grants made outside the bootstrap (e.g. the default compute account's own
 *   roles), and permissions a service agent holds on the member's behalf.
 */

import { readFileSync } from "node:fs";
import { join } from "node:path";

/** The dated table of role permissions (./role-permissions.json). */
export interface RolePermissionTable {
  /** The day the table was written (YYYY-MM-DD). */
  readOn: string;
  /** The export the permissions come from: an iam-dataset commit and its date, or the day of a gcloud export. */
  snapshot: { commit?: string; date: string };
  source: string;
  reference: string;
  refresh: string;
  roles: Record<string, { title: string; stage: string; permissions: string[] }>;
}

/** Reads the dated table of the permissions in each role the bootstrap grants (./role-permissions.json). */
export function readRolePermissionTable(): RolePermissionTable {
  return JSON.parse(readFileSync(join(__dirname, "role-permissions.json"), "utf8")) as RolePermissionTable;
}

/** What a grant applies to: `project`, `iam.serviceAccount`, `storage.bucket`, `cloudkms.cryptoKey`, … */
export interface GrantTarget {
  kind: string;
  name: string;
}

/** One role granted to one member on one resource. */
export interface Grant {
  member: string;
  role: string;
  target: GrantTarget;
  condition?: { expression: string };
}

export type EscalationVector =
  | "basic-role"
  | "iam-rewrite"
  | "condition-not-understood"
  | "token"
  | "key"
  | "custom-role"
  | "federation"
  | "unknown-role";

export interface Finding {
  vector: EscalationVector;
  /** The permission that opens the path ("(role)" when it is the role itself, e.g. a basic role or an unknown one). */
  permission: string;
  role: string;
  target: GrantTarget;
  /** How the member holds the role: granted, or grantable by itself through another role. */
  holding: string;
  why: string;
}

/** actAs on one service account: allowed, listed so a test can check it is exactly the stack's own accounts. */
export interface ActsAs {
  account: string;
  role: string;
  holding: string;
}

/** A resource-level setIamPolicy (not a project, folder, organization or service account): listed, not a finding. */
export interface AccessChange {
  permission: string;
  role: string;
  target: GrantTarget;
}

export interface MemberAnalysis {
  member: string;
  findings: Finding[];
  actsAs: ActsAs[];
  canChangeAccessTo: AccessChange[];
  /** Roles the member can grant (to itself or anyone) through a grant-limited project setIamPolicy. */
  canGrant: Array<{ role: string; target: GrantTarget; through: string }>;
}

/** The IAM member resource types the bootstrap uses, and the input that names what each grants on. */
const IAM_MEMBER_TARGETS: Readonly<Record<string, { kind: string; input: string }>> = {
  "gcp:projects/iAMMember:IAMMember": { kind: "project", input: "project" },
  "gcp:serviceaccount/iAMMember:IAMMember": { kind: "iam.serviceAccount", input: "serviceAccountId" },
  "gcp:storage/bucketIAMMember:BucketIAMMember": { kind: "storage.bucket", input: "bucket" },
  "gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember": { kind: "cloudkms.cryptoKey", input: "cryptoKeyId" },
};

/** IAMMember, IAMBinding, IAMPolicy, ServiceIamMember, IAMCustomRole, …: anything that changes who may do what. */
const IAM_TYPE = /IAM|Iam/;

/** A resource of a plan, as planBootstrap records it. */
export interface PlannedResource {
  type: string;
  name: string;
  inputs: Record<string, unknown>;
}

/**
 * The grants of a plan's IAM member resources. An IAM type this file does not know (a binding, a policy, another
 * resource's member) throws: ignoring it would leave a grant unchecked.
 */
export function grantsFromPlan(resources: readonly PlannedResource[]): Grant[] {
  const grants: Grant[] = [];
  for (const resource of resources) {
    const className = resource.type.slice(resource.type.lastIndexOf(":") + 1);
    if (!IAM_TYPE.test(className)) continue;
    const known = IAM_MEMBER_TARGETS[resource.type];
    if (!known) {
      throw new Error(
        `${resource.type} (${resource.name}) is an IAM resource the escalation analysis does not read: expected one of ${Object.keys(IAM_MEMBER_TARGETS).join(", ")} (add it to IAM_MEMBER_TARGETS in infra/bootstrap/escalation.ts)`,
      );
    }
    const { member, role, condition } = resource.inputs as { member?: unknown; role?: unknown; condition?: { expression?: unknown } };
    const name = resource.inputs[known.input];
    if (typeof member !== "string" || typeof role !== "string" || typeof name !== "string") {
      throw new Error(`${resource.type} (${resource.name}): expected string member, role and ${known.input}, got ${JSON.stringify({ member, role, [known.input]: name })}`);
    }
    const grant: Grant = { member, role, target: { kind: known.kind, name } };
    if (condition !== undefined) grant.condition = { expression: String(condition.expression) };
    grants.push(grant);
  }
  return grants;
}

// Basic roles hold thousands of permissions across every service, including setIamPolicy on the project
// (https://cloud.google.com/iam/docs/roles-overview#basic).
export const BASIC_ROLES: readonly string[] = ["roles/owner", "roles/editor", "roles/viewer"];

// Whoever may set the allow policy of a project, folder or organization may grant any role on it, owner included,
// unless a condition on iam.googleapis.com/modifiedGrantsByRole limits the roles it may grant and revoke
// (https://cloud.google.com/iam/docs/setting-limits-on-granting-roles).
const CONTAINER_POLICY_SET = new Set(["resourcemanager.projects.setIamPolicy", "resourcemanager.folders.setIamPolicy", "resourcemanager.organizations.setIamPolicy"]);

// Short-lived credentials of a service account: OAuth access tokens, OIDC ID tokens, signed JWTs and blobs, and the
// delegation chain through other accounts
// (https://cloud.google.com/iam/docs/service-account-impersonation, https://cloud.google.com/iam/docs/create-short-lived-credentials-direct).
const TOKEN_PERMISSIONS = new Set([
  "iam.serviceAccounts.getAccessToken",
  "iam.serviceAccounts.getOpenIdToken",
  "iam.serviceAccounts.signBlob",
  "iam.serviceAccounts.signJwt",
  "iam.serviceAccounts.implicitDelegation",
]);

// A service account key and a Cloud Storage HMAC key are long-lived credentials of the account they belong to
// (https://cloud.google.com/iam/docs/keys-create-delete, https://cloud.google.com/storage/docs/authentication/managing-hmackeys).
const KEY_PERMISSIONS = new Set(["iam.serviceAccountKeys.create", "storage.hmacKeys.create"]);

// A service account is also a resource: setting its allow policy can grant Service Account Token Creator or Service
// Account Key Admin on it to anyone (https://cloud.google.com/iam/docs/service-account-permissions).
const SERVICE_ACCOUNT_POLICY_SET = "iam.serviceAccounts.setIamPolicy";

// actAs attaches a service account to a resource (a Cloud Run service, a function, a VM) whose code then runs as that
// account. Held on a project it covers every account of the project, the default compute account included
// (https://cloud.google.com/iam/docs/service-account-permissions#user-role, https://cloud.google.com/iam/docs/attach-service-accounts).
const ACT_AS = "iam.serviceAccounts.actAs";

// A custom role can hold any permission custom roles support; whoever can write one and grant it needs no predefined
// role to escalate (https://cloud.google.com/iam/docs/creating-custom-roles). Any setIamPolicy counts as a way to grant
// it, resource-level ones included: what a role the member writes will hold cannot be known from the table.
const CUSTOM_ROLE_WRITE = new Set(["iam.roles.create", "iam.roles.update"]);

// The pool and provider decide which external tokens may impersonate the deployer: rewriting the provider's attribute
// condition would let any GitHub repository in (https://cloud.google.com/iam/docs/workload-identity-federation).
// The dataset spells some of these permissions with the service name (iam.googleapis.com/workloadIdentityPools.create).
const FEDERATION_WRITE = /^iam(?:\.googleapis\.com\/|\.)workloadIdentityPool[A-Za-z]*\.(?!(?:get|list|getIamPolicy|getAttestationRules|searchPolicyBindings)$)[A-Za-z]+$/;

// setIamPolicy on any other resource (a Cloud Run service, a secret, a bucket, a repository) changes only that
// resource's allow policy: a role granted there applies to that resource and its children, so it cannot carry a basic
// role on the project (basic roles are granted on projects, folders and organizations), token creation or keys of a
// service account (checked on the service account or the project, not on that resource). It can still open the
// resource itself (e.g. allUsers as invoker): listed as "can change access to", never silent.
const RESOURCE_POLICY_SET = /\.setIamPolicy$/;

const GRANT_LIMIT = /^api\.getAttribute\('iam\.googleapis\.com\/modifiedGrantsByRole', \[\]\)\.hasOnly\(\[(.*)\]\)$/;

/**
 * The roles a grant-limit condition lets its holder grant and revoke, for the exact form deployer-roles.ts
 * `grantLimitExpression` writes; undefined for any other expression.
 */
export function parseGrantLimit(expression: string): string[] | undefined {
  const match = GRANT_LIMIT.exec(expression.trim());
  if (!match) return undefined;
  const list = match[1]!.trim();
  if (list === "") return [];
  const roles: string[] = [];
  for (const item of list.split(",")) {
    const quoted = /^'([^'\\]+)'$/.exec(item.trim());
    if (!quoted) return undefined;
    roles.push(quoted[1]!);
  }
  return roles;
}

const describeTarget = (target: GrantTarget) => `${target.kind === "iam.serviceAccount" ? "service account" : target.kind} ${target.name}`;
/** The service accounts a permission held on a target applies to. */
const accountsOf = (target: GrantTarget) => (target.kind === "iam.serviceAccount" ? describeTarget(target) : `every service account of ${describeTarget(target)}`);

/** Whether a target is the member's own service account (`projects/<p>/serviceAccounts/<email>` of `serviceAccount:<email>`). */
export function isOwnAccount(member: string, target: GrantTarget): boolean {
  if (target.kind !== "iam.serviceAccount" || !member.startsWith("serviceAccount:")) return false;
  return target.name.slice(target.name.lastIndexOf("/") + 1) === member.slice("serviceAccount:".length);
}

interface Holding {
  role: string;
  target: GrantTarget;
  condition?: { expression: string };
  holding: string;
}

/** The findings, the accounts it acts as and the access it can change, for every member of the grants. */
export function analyseEscalation(grants: readonly Grant[], table: RolePermissionTable): MemberAnalysis[] {
  const members = [...new Set(grants.map((grant) => grant.member))].sort();
  return members.map((member) => analyseMember(member, grants.filter((grant) => grant.member === member), table));
}

function analyseMember(member: string, grants: readonly Grant[], table: RolePermissionTable): MemberAnalysis {
  const result: MemberAnalysis = { member, findings: [], actsAs: [], canChangeAccessTo: [], canGrant: [] };
  const findingKeys = new Set<string>();
  const addFinding = (finding: Finding) => {
    const key = [finding.vector, finding.permission, finding.role, describeTarget(finding.target), finding.holding].join("|");
    if (findingKeys.has(key)) return;
    findingKeys.add(key);
    result.findings.push(finding);
  };
  const held = new Set<string>();
  const queue: Holding[] = [];
  const hold = (holding: Holding) => {
    const key = `${holding.role}@${describeTarget(holding.target)}@${holding.condition?.expression ?? ""}`;
    if (held.has(key)) return;
    held.add(key);
    queue.push(holding);
  };
  for (const grant of grants) {
    hold({ role: grant.role, target: grant.target, condition: grant.condition, holding: `granted on ${describeTarget(grant.target)}` });
  }

  // Custom roles are judged once the closure is complete: writing one matters only with a way to grant it.
  const customRoleWriters: Array<{ permission: string; holding: Holding }> = [];
  const customRoleGranters: string[] = [];

  while (queue.length > 0) {
    const holding = queue.shift()!;
    const { role, target } = holding;
    const base = { role, target, holding: holding.holding };
    if (BASIC_ROLES.includes(role)) {
      addFinding({ ...base, vector: "basic-role", permission: "(role)", why: `${role} is a basic role` });
    }
    const entry = table.roles[role];
    if (!entry) {
      addFinding({ ...base, vector: "unknown-role", permission: "(role)", why: `${role} is not in infra/bootstrap/role-permissions.json, so its permissions cannot be checked (add it: scripts/bootstrap-role-permissions.ts --role ${role})` });
      continue;
    }
    for (const permission of entry.permissions) {
      const at = { ...base, permission };
      if (CONTAINER_POLICY_SET.has(permission)) {
        if (!holding.condition) {
          customRoleGranters.push(`${permission} (${role}, unconditioned)`);
          addFinding({ ...at, vector: "iam-rewrite", why: `can set the allow policy of ${describeTarget(target)} without a grant limit: grants any role, roles/owner included, to itself or anyone` });
          continue;
        }
        const limit = parseGrantLimit(holding.condition.expression);
        if (!limit) {
          customRoleGranters.push(`${permission} (${role}, condition not understood)`);
          addFinding({ ...at, vector: "condition-not-understood", why: `the condition ${JSON.stringify(holding.condition.expression)} is not the grant-limit form grantLimitExpression writes, so what it lets the member grant is unknown` });
          continue;
        }
        for (const grantable of limit) {
          result.canGrant.push({ role: grantable, target, through: role });
          if (BASIC_ROLES.includes(grantable)) {
            addFinding({ ...at, vector: "basic-role", why: `its grant limit on ${describeTarget(target)} lets it grant the basic role ${grantable} to itself or anyone` });
          }
          if (!grantable.startsWith("roles/")) customRoleGranters.push(`${permission} (${role}, limit includes ${grantable})`);
          hold({ role: grantable, target, holding: `grantable by itself on ${describeTarget(target)} through ${role} (its grant limit includes ${grantable})` });
        }
      } else if (permission === SERVICE_ACCOUNT_POLICY_SET) {
        customRoleGranters.push(`${permission} (${role})`);
        addFinding({ ...at, vector: "token", why: `can set the allow policy of ${accountsOf(target)}: grants itself or anyone Service Account Token Creator there` });
        addFinding({ ...at, vector: "key", why: `can set the allow policy of ${accountsOf(target)}: grants itself or anyone Service Account Key Admin there` });
      } else if (TOKEN_PERMISSIONS.has(permission)) {
        // Credentials of its own account give a member nothing it does not hold already (keyless signing as itself).
        if (isOwnAccount(member, target)) continue;
        addFinding({ ...at, vector: "token", why: `mints short-lived credentials of ${accountsOf(target)}` });
      } else if (permission === ACT_AS) {
        if (target.kind === "iam.serviceAccount") {
          result.actsAs.push({ account: target.name, role, holding: holding.holding });
        } else {
          addFinding({ ...at, vector: "token", why: `acts as ${accountsOf(target)} (the default compute account included): deploys code that runs as any of them` });
        }
      } else if (KEY_PERMISSIONS.has(permission)) {
        addFinding({ ...at, vector: "key", why: `creates long-lived keys of ${accountsOf(target)}` });
      } else if (CUSTOM_ROLE_WRITE.has(permission)) {
        customRoleWriters.push({ permission, holding });
      } else if (FEDERATION_WRITE.test(permission)) {
        addFinding({ ...at, vector: "federation", why: `changes Workload Identity Federation on ${describeTarget(target)}: which external identities may impersonate service accounts` });
      } else if (RESOURCE_POLICY_SET.test(permission)) {
        customRoleGranters.push(`${permission} (${role})`);
        result.canChangeAccessTo.push({ permission, role, target });
      }
    }
  }

  if (customRoleGranters.length > 0) {
    for (const { permission, holding } of customRoleWriters) {
      addFinding({
        vector: "custom-role",
        permission,
        role: holding.role,
        target: holding.target,
        holding: holding.holding,
        why: `writes custom roles with any permission and can grant them with ${customRoleGranters[0]}`,
      });
    }
  }
  return result;
}

/** One line per finding, for test failures and reports. */
export function formatFinding(member: string, finding: Finding): string {
  return `${member}: [${finding.vector}] ${finding.permission} from ${finding.role} (${finding.holding}): ${finding.why}`;
}
