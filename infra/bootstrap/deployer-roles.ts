/**
 * What the deployer service account may do in each project that a pulsura stack deploys into, and why.
 *
 * Each role names the resource types of the pulsura program that need it (`neededFor`), so a test can check both
 * directions against the offline plans of every stack: every resource type the program declares is covered by a role,
 * and every role is needed by some declared resource type. Add a resource type to the program and that test tells you
 * which role to add here; stop using one and it tells you which role to drop.
 *
 * No basic role (owner, editor, viewer) appears here, and none may: see `FORBIDDEN_ROLES`.
 */

export interface DeployerRole {
  /** A predefined role, granted on each deploy project. */
  role: string;
  /** Why `pulumi up` needs it. */
  reason: string;
  /**
   * Resource types of the pulsura program that need this role: exact type tokens, or a module prefix ending in "/"
   * (e.g. `gcp:sql/` for every Cloud SQL type).
   */
  neededFor: string[];
}

/** Roles of the deployer on every deploy project. `roles/resourcemanager.projectIamAdmin` is granted with a condition. */
export const DEPLOYER_PROJECT_ROLES: readonly DeployerRole[] = [
  {
    role: "roles/serviceusage.serviceUsageAdmin",
    reason:
      "enables the Google APIs the stack uses (the program never disables them), and serviceusage.services.use for the quota project the provider names (gcp:userProjectOverride + gcp:billingProject)",
    neededFor: ["gcp:projects/service:Service"],
  },
  {
    role: "roles/iam.serviceAccountAdmin",
    reason: "creates one service account per workload (Hasura, functions, their build, each microservice)",
    neededFor: ["gcp:serviceaccount/account:Account"],
  },
  {
    role: "roles/iam.serviceAccountUser",
    reason: "deploys Cloud Run services and functions that run as those workload accounts (iam.serviceAccounts.actAs)",
    neededFor: ["gcp:cloudrunv2/service:Service", "gcp:cloudfunctions/function:Function", "gcp:cloudfunctionsv2/function:Function"],
  },
  {
    role: "roles/resourcemanager.projectIamAdmin",
    reason:
      "grants workloads their few project roles; conditioned so that it can grant or revoke only the roles in grantableProjectRoles, never owner/editor or itself",
    neededFor: ["gcp:projects/iAMMember:IAMMember"],
  },
  {
    role: "roles/compute.networkAdmin",
    reason: "the VPC, its subnet, Cloud Router, Cloud NAT and the private services range (no firewall rights)",
    neededFor: [
      "gcp:compute/network:Network",
      "gcp:compute/subnetwork:Subnetwork",
      "gcp:compute/router:Router",
      "gcp:compute/routerNat:RouterNat",
      "gcp:compute/globalAddress:GlobalAddress",
    ],
  },
  {
    role: "roles/compute.securityAdmin",
    reason: "firewall rules of the VPC (compute.networkAdmin excludes them)",
    neededFor: ["gcp:compute/firewall:Firewall"],
  },
  {
    role: "roles/vpcaccess.admin",
    reason: "the optional Serverless VPC Access connector (pulsura:network.connector true)",
    neededFor: ["gcp:vpcaccess/"],
  },
  {
    role: "roles/servicenetworking.networksAdmin",
    reason: "the private services access peering that puts Cloud SQL on a private IP",
    neededFor: ["gcp:servicenetworking/connection:Connection"],
  },
  {
    role: "roles/cloudsql.admin",
    reason: "the Cloud SQL instance, its databases and users",
    neededFor: ["gcp:sql/"],
  },
  {
    role: "roles/secretmanager.admin",
    reason: "secrets, their versions and the per-secret accessor grants",
    neededFor: ["gcp:secretmanager/"],
  },
  {
    role: "roles/artifactregistry.admin",
    reason: "the image repositories (including the remote Docker Hub proxy) and pushing the microservice images",
    neededFor: ["gcp:artifactregistry/", "docker:index/image:Image"],
  },
  {
    role: "roles/run.admin",
    reason: "the Cloud Run services and their invoker grants",
    neededFor: ["gcp:cloudrunv2/"],
  },
  {
    role: "roles/cloudfunctions.admin",
    reason: "the user-sync functions (1st and 2nd gen) and their IAM",
    neededFor: ["gcp:cloudfunctions/", "gcp:cloudfunctionsv2/"],
  },
  {
    role: "roles/storage.admin",
    reason: "the functions' source bucket, its objects and its IAM grant (the state bucket lives in the admin project, out of reach)",
    neededFor: ["gcp:storage/"],
  },
  {
    role: "roles/firebase.admin",
    reason: "adds Firebase to the project and manages the web app and the Hosting site",
    neededFor: ["gcp:firebase/"],
  },
  {
    role: "roles/identitytoolkit.admin",
    reason: "the Identity Platform (Firebase Auth) config: sign-in methods, OAuth providers, blocking function",
    neededFor: ["gcp:identityplatform/"],
  },
];

/**
 * Project roles the pulsura program itself grants to its workloads (gcp.projects.IAMMember). The deployer's
 * projectIamAdmin binding is conditioned on exactly these. A test keeps this list equal to the roles the program grants.
 */
export const DEFAULT_GRANTABLE_PROJECT_ROLES: readonly string[] = [
  "roles/artifactregistry.writer",
  "roles/firebaseauth.admin",
  "roles/logging.logWriter",
  // The functions' custom build account (https://cloud.google.com/run/docs/configuring/services/build-service-account).
  "roles/storage.objectAdmin",
];

/**
 * Roles the deployer must never hold or be able to grant: basic roles, and roles that can rewrite a project's IAM
 * policy or mint credentials (which would undo the condition on projectIamAdmin).
 */
export const FORBIDDEN_ROLES: readonly string[] = [
  "roles/owner",
  "roles/editor",
  "roles/viewer",
  "roles/resourcemanager.projectIamAdmin",
  "roles/iam.securityAdmin",
  "roles/iam.roleAdmin",
  "roles/iam.serviceAccountKeyAdmin",
  "roles/iam.serviceAccountTokenCreator",
  "roles/iam.workloadIdentityPoolAdmin",
];

/** Whether a resource type matches one of a role's `neededFor` patterns. */
export function matchesResourceType(pattern: string, type: string): boolean {
  return pattern.endsWith("/") ? type.startsWith(pattern) : type === pattern;
}

/**
 * The IAM condition that limits projectIamAdmin to granting and revoking only the given roles
 * (Google Cloud "Set limits on granting roles", attribute `iam.googleapis.com/modifiedGrantsByRole`).
 */
export function grantLimitExpression(roles: readonly string[]): string {
  const list = [...roles].sort().map((role) => `'${role}'`).join(", ");
  return `api.getAttribute('iam.googleapis.com/modifiedGrantsByRole', []).hasOnly([${list}])`;
}
