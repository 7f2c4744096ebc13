/**
 * IAM: service-account ids, principals, and which roles exist and can be granted on which resource types.
 */
import { patternRule, projectScope, show, stringAt, uniqueRule, type FidelityRule } from "./rule";

const ACCOUNT = "gcp:serviceaccount/account:Account";

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
};

/** The day {@link GRANTABLE_ROLES} was read from IAM's role reference. */
export const ROLES_READ_ON = "2026-12-01";

/**
 * The predefined roles the program grants, with the resource types below the project each can be granted on
 * ("Lowest-level resources where you can grant this role" in https://cloud.google.com/iam/docs/roles-permissions/<service>;
 * what a given resource accepts: https://cloud.google.com/iam/docs/viewing-grantable-roles). Read on
 * {@link ROLES_READ_ON}. A role the program starts to grant must be added here, with its page.
 */
export const GRANTABLE_ROLES: Readonly<Record<string, { below: readonly string[]; source: string }>> = {
  "roles/run.invoker": { below: ["run.service", "run.job"], source: "https://cloud.google.com/iam/docs/roles-permissions/run" },
  "roles/secretmanager.secretAccessor": { below: ["secretmanager.secret"], source: "https://cloud.google.com/iam/docs/roles-permissions/secretmanager" },
  "roles/storage.objectViewer": { below: ["storage.bucket", "storage.managedFolder"], source: "https://cloud.google.com/iam/docs/roles-permissions/storage" },
  "roles/storage.objectAdmin": { below: ["storage.bucket", "storage.managedFolder"], source: "https://cloud.google.com/iam/docs/roles-permissions/storage" },
  "roles/artifactregistry.writer": { below: ["artifactregistry.repository"], source: "https://cloud.google.com/iam/docs/roles-permissions/artifactregistry" },
  "roles/artifactregistry.reader": { below: ["artifactregistry.repository"], source: "https://cloud.google.com/iam/docs/roles-permissions/artifactregistry" },
  // The role pages list Project as the lowest level for these.
  "roles/logging.logWriter": { below: [], source: "https://cloud.google.com/iam/docs/roles-permissions/logging" },
  "roles/firebaseauth.admin": { below: [], source: "https://cloud.google.com/iam/docs/roles-permissions/firebaseauth" },
  "roles/iam.serviceAccountUser": { below: ["iam.serviceAccount"], source: "https://cloud.google.com/iam/docs/roles-permissions/iam" },
  "roles/cloudfunctions.invoker": { below: ["cloudfunctions.function"], source: "https://cloud.google.com/iam/docs/roles-permissions/cloudfunctions" },
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
      if (target !== "project" && !grantable.below.includes(target)) {
        return [`got ${show(role)} on a ${target}; it can be granted on the project${grantable.below.length ? ` or on ${grantable.below.join(", ")}` : " only"} (${grantable.source})`];
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
];
