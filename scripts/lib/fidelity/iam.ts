/**
 * IAM: service-account ids, principals, which roles exist and can be granted on which resource types, and the limits
 * of a Workload Identity provider's attribute condition and mapping.
 */
import { attributeConditionProblems, attributeMappingProblems, PROVIDER_REFERENCE } from "../../../infra/bootstrap/github-identity";
import { patternRule, projectScope, show, stringAt, uniqueRule, valueAt, type FidelityRule } from "./rule";

const ACCOUNT = "gcp:serviceaccount/account:Account";
const POOL_PROVIDER = "gcp:iam/workloadIdentityPoolProvider:WorkloadIdentityPoolProvider";

/**
 * Resource types an IAM member resource grants on. A role can always be granted on the project (or higher); below
 * the project only on the resource types IAM lists as the role's "lowest-level resources".
 */
export const IAM_MEMBER_TARGETS: Readonly<Record<string, string>> = {
  "gcp:projects/iAMMember:IAMMember": "project",
  "gcp:secretmanager/secretIamMember:SecretIamMember": "secretmanager.secret",
  "gcp:cloudrunv2/serviceIamMember:ServiceIamMember": "run.service",
  "gcp:storage/bucketIAMMember:BucketIAMMember": "storage.bucket",
  "gcp:artifactregistry/repositoryIamMember:RepositoryIamMember": "artifactregistry.repository",
  "gcp:serviceaccount/iAMMember:IAMMember": "iam.serviceAccount",
  "gcp:cloudfunctions/functionIamMember:FunctionIamMember": "cloudfunctions.function",
  "gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember": "cloudkms.cryptoKey",
  "gcp:pubsub/topicIAMMember:TopicIAMMember": "pubsub.topic",
  "gcp:cloudtasks/queueIamMember:QueueIamMember": "cloudtasks.queue",
};

/** The day {@link GRANTABLE_ROLES} was read from IAM's role reference. */
export const ROLES_READ_ON = "2026-12-01";

/** Where a role's lowest-level resources are listed: IAM's role reference, one page per service. */
const rolesPage = (service: string) => `https://cloud.google.com/iam/docs/roles-permissions/${service}`;

/**
 * The predefined roles the program and the bootstrap grant, with the resource types below the project each can be
 * granted on ("Lowest-level resources where you can grant this role" on the role's page; what one resource accepts:
 * https://cloud.google.com/iam/docs/viewing-grantable-roles). Read on {@link ROLES_READ_ON}. The stored copies of the
 * role pages keep the headings but not always the resource lists, so only the levels the program grants below the
 * project are recorded, each from Google's own description of the role; `below: undefined` means "granted on the
 * project only by pulsura, lower levels not recorded": granting such a role lower fails here until the level is looked
 * up and added. A role the program starts to grant must be added, with its page.
 */
export const GRANTABLE_ROLES: Readonly<Record<string, { below?: readonly string[]; source: string }>> = {
  // "Can invoke Cloud Run services and execute Cloud Run jobs."
  "roles/run.invoker": { below: ["run.service", "run.job"], source: rolesPage("run") },
  "roles/run.admin": { source: rolesPage("run") },
  "roles/secretmanager.secretAccessor": { below: ["secretmanager.secret"], source: rolesPage("secretmanager") },
  "roles/secretmanager.admin": { source: rolesPage("secretmanager") },
  "roles/storage.objectViewer": { below: ["storage.bucket", "storage.managedFolder"], source: rolesPage("storage") },
  "roles/storage.objectAdmin": { below: ["storage.bucket", "storage.managedFolder"], source: rolesPage("storage") },
  "roles/storage.admin": { source: rolesPage("storage") },
  "roles/artifactregistry.writer": { below: ["artifactregistry.repository"], source: rolesPage("artifactregistry") },
  "roles/artifactregistry.reader": { below: ["artifactregistry.repository"], source: rolesPage("artifactregistry") },
  "roles/artifactregistry.admin": { source: rolesPage("artifactregistry") },
  "roles/logging.logWriter": { source: rolesPage("logging") },
  // The deployer, for the log exclusion on the _Default sink.
  "roles/logging.configWriter": { source: rolesPage("logging") },
  // "Full access to all Serverless VPC Access resources" (the deployer, for stacks with network.connector).
  "roles/vpcaccess.admin": { source: rolesPage("vpcaccess") },
  "roles/firebaseauth.admin": { source: rolesPage("firebaseauth") },
  "roles/firebase.admin": { source: rolesPage("firebase") },
  "roles/identitytoolkit.admin": { source: rolesPage("identitytoolkit") },
  "roles/iam.serviceAccountUser": { below: ["iam.serviceAccount"], source: rolesPage("iam") },
  "roles/iam.serviceAccountAdmin": { source: rolesPage("iam") },
  // Keyless signed URLs: a workload signs blobs as itself, granted on its own account by the bootstrap.
  "roles/iam.serviceAccountTokenCreator": { below: ["iam.serviceAccount"], source: rolesPage("iam") },
  // The files bucket's upload notifications: the Cloud Storage agent publishes to the one topic; the deployer manages
  // Pub/Sub, the previewer reads its configuration.
  "roles/pubsub.publisher": { below: ["pubsub.topic"], source: rolesPage("pubsub") },
  "roles/pubsub.admin": { source: rolesPage("pubsub") },
  "roles/pubsub.viewer": { source: rolesPage("pubsub") },
  // Workload Identity Federation: granted on the service account that the federated identity impersonates.
  "roles/iam.workloadIdentityUser": { below: ["iam.serviceAccount"], source: rolesPage("iam") },
  "roles/cloudfunctions.invoker": { below: ["cloudfunctions.function"], source: rolesPage("cloudfunctions") },
  "roles/cloudfunctions.admin": { source: rolesPage("cloudfunctions") },
  "roles/cloudsql.admin": { source: rolesPage("cloudsql") },
  "roles/compute.networkAdmin": { source: rolesPage("compute") },
  "roles/compute.securityAdmin": { source: rolesPage("compute") },
  "roles/compute.loadBalancerAdmin": { source: rolesPage("compute") },
  "roles/resourcemanager.projectIamAdmin": { source: rolesPage("resourcemanager") },
  "roles/servicenetworking.networksAdmin": { source: rolesPage("servicenetworking") },
  "roles/serviceusage.serviceUsageAdmin": { source: rolesPage("serviceusage") },
  "roles/cloudkms.cryptoKeyEncrypterDecrypter": { below: ["cloudkms.cryptoKey"], source: rolesPage("cloudkms") },
  // The previewer's read-only roles (infra/bootstrap/deployer-roles.ts PREVIEWER_PROJECT_ROLES), granted on the project,
  // and its decrypt-only role on the secrets key. Each exists in IAM's role reference (and in
  // infra/bootstrap/role-permissions.json, the dated copy of their permissions).
  "roles/cloudkms.cryptoKeyDecrypter": { below: ["cloudkms.cryptoKey"], source: rolesPage("cloudkms") },
  "roles/serviceusage.serviceUsageConsumer": { source: rolesPage("serviceusage") },
  "roles/iam.securityReviewer": { source: rolesPage("iam") },
  "roles/compute.networkViewer": { source: rolesPage("compute") },
  "roles/vpcaccess.viewer": { source: rolesPage("vpcaccess") },
  "roles/secretmanager.viewer": { source: rolesPage("secretmanager") },
  "roles/run.viewer": { source: rolesPage("run") },
  "roles/cloudfunctions.viewer": { source: rolesPage("cloudfunctions") },
  "roles/storage.bucketViewer": { source: rolesPage("storage") },
  "roles/firebasehosting.viewer": { source: rolesPage("firebasehosting") },
  // Monitoring: the deployer's editor and the previewer's viewer role per resource type, log-based metrics, and the
  // budget role an admin grants on the billing account (never by the bootstrap).
  "roles/monitoring.alertPolicyEditor": { source: rolesPage("monitoring") },
  "roles/monitoring.uptimeCheckConfigEditor": { source: rolesPage("monitoring") },
  "roles/monitoring.notificationChannelEditor": { source: rolesPage("monitoring") },
  "roles/monitoring.dashboardEditor": { source: rolesPage("monitoring") },
  "roles/monitoring.alertPolicyViewer": { source: rolesPage("monitoring") },
  "roles/monitoring.uptimeCheckConfigViewer": { source: rolesPage("monitoring") },
  "roles/monitoring.notificationChannelViewer": { source: rolesPage("monitoring") },
  "roles/monitoring.dashboardViewer": { source: rolesPage("monitoring") },
  "roles/billing.costsManager": { source: rolesPage("billing") },
  // Jobs: a service's account enqueues to its own queue ("Lowest-level resources where you can grant this role: Queue";
  // a Beta role, like every Cloud Tasks role); the deployer manages the queues and their IAM.
  "roles/cloudtasks.enqueuer": { below: ["cloudtasks.queue"], source: rolesPage("cloudtasks") },
  "roles/cloudtasks.queueAdmin": { source: rolesPage("cloudtasks") },
};

// Source: https://cloud.google.com/iam/docs/principal-identifiers (allow-policy principal formats).
const PRINCIPAL = /^(allUsers|allAuthenticatedUsers|(user|serviceAccount|group|domain|principal|principalSet):[^\s]+)$/;

export const iamRules: FidelityRule[] = [
  // Source: https://cloud.google.com/iam/docs/reference/rest/v1/projects.serviceAccounts/create ("accountId ... must be
  // 6-30 characters long, and match the regular expression [a-z]([-a-z0-9]*[a-z0-9])"); the provider validates the
  // same (verify.ServiceAccountNameRegex, google/verify/validation.go).
  patternRule({
    id: "iam/service-account-id",
    types: [ACCOUNT],
    field: "accountId",
    constraint: "6-30 characters matching ^[a-z](?:[-a-z0-9]{4,28}[a-z0-9])$",
    source: "https://cloud.google.com/iam/docs/reference/rest/v1/projects.serviceAccounts/create",
    pattern: /^[a-z](?:[-a-z0-9]{4,28}[a-z0-9])$/,
    min: 6,
    max: 30,
  }),
  // Same page: the account id is unique within the project (the email is <accountId>@<project>.iam.gserviceaccount.com).
  uniqueRule({
    id: "iam/service-account-id-unique",
    types: [ACCOUNT],
    field: "accountId",
    source: "https://cloud.google.com/iam/docs/reference/rest/v1/projects.serviceAccounts/create",
    read: (r) => stringAt(r.inputs, "accountId"),
    scope: projectScope,
    scopeName: "project",
  }),
  // Source: the IAM API's ServiceAccount resource (https://cloud.google.com/iam/docs/reference/rest/v1/projects.serviceAccounts):
  // "displayName: Optional. A user-specified, human-readable name for the service account. The maximum length is 100
  // UTF-8 bytes." and "description: Optional. A user-specified, human-readable description of the service account. The
  // maximum length is 256 UTF-8 bytes." (the bootstrap's descriptions name the repository, up to 140 characters).
  {
    id: "iam/service-account-text",
    types: [ACCOUNT],
    field: "displayName, description",
    constraint: "displayName at most 100 UTF-8 bytes, description at most 256",
    source: "https://cloud.google.com/iam/docs/reference/rest/v1/projects.serviceAccounts",
    check(resource) {
      const limits = { displayName: 100, description: 256 } as const;
      return (Object.keys(limits) as Array<keyof typeof limits>).flatMap((field) => {
        const value = stringAt(resource.inputs, field);
        const bytes = value === undefined ? 0 : Buffer.byteLength(value, "utf8");
        return bytes > limits[field] ? [`${field} is ${bytes} UTF-8 bytes, at most ${limits[field]}: ${show(value)}`] : [];
      });
    },
  },
  {
    id: "iam/role-grantable",
    types: Object.keys(IAM_MEMBER_TARGETS),
    field: "role",
    constraint: `a predefined role (table read on ${ROLES_READ_ON}) that can be granted on the resource type`,
    source: "https://cloud.google.com/iam/docs/viewing-grantable-roles",
    check(resource) {
      const role = stringAt(resource.inputs, "role");
      if (role === undefined) return [];
      const target = IAM_MEMBER_TARGETS[resource.type]!;
      const grantable = GRANTABLE_ROLES[role];
      if (!grantable) return [`got ${show(role)}, not in the table of roles (add it with its IAM page, or fix the name)`];
      if (target !== "project" && !grantable.below?.includes(target)) {
        const levels = grantable.below ? `the project or ${grantable.below.join(", ")}` : "the project (lower levels not recorded: look them up and add them)";
        return [`got ${show(role)} on a ${target}; the table lets it be granted on ${levels} (${grantable.source})`];
      }
      return [];
    },
  },
  patternRule({
    id: "iam/member-format",
    types: Object.keys(IAM_MEMBER_TARGETS),
    field: "member",
    constraint: "allUsers, allAuthenticatedUsers or <kind>:<identifier> (user, serviceAccount, group, domain, principal, principalSet)",
    source: "https://cloud.google.com/iam/docs/principal-identifiers",
    pattern: PRINCIPAL,
  }),
  // The limits are Google's, quoted with their source in infra/bootstrap/github-identity.ts (WORKLOAD_IDENTITY_LIMITS),
  // which checks them when it builds the condition; here they judge whatever the plan registers.
  {
    id: "iam/wif-attribute-condition",
    types: [POOL_PROVIDER],
    field: "attributeCondition",
    constraint: "a CEL expression of at most 4096 characters",
    source: PROVIDER_REFERENCE,
    check(resource) {
      const condition = stringAt(resource.inputs, "attributeCondition");
      return condition === undefined ? [] : attributeConditionProblems(condition).map((problem) => `the condition ${problem}`);
    },
  },
  {
    id: "iam/wif-attribute-mapping",
    types: [POOL_PROVIDER],
    field: "attributeMapping",
    constraint: "google.subject mapped; at most 50 custom attributes named attribute.<[a-z0-9_]{1,100}>; each expression at most 2048 characters",
    source: PROVIDER_REFERENCE,
    check(resource) {
      const mapping = valueAt(resource.inputs, "attributeMapping");
      if (mapping === undefined || mapping === null || typeof mapping !== "object") return [];
      const expressions = Object.fromEntries(Object.entries(mapping as Record<string, unknown>).map(([key, value]) => [key, String(value)]));
      return attributeMappingProblems(expressions).map((problem) => `the mapping ${problem}`);
    },
  },
];
