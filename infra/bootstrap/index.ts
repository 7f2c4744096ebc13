/**
 * pulsura's bootstrap: run once per organization, with a local backend, by someone who administers the projects.
 *
 * It creates, in an admin project that no pulsura stack deploys into:
 * - the Cloud Storage bucket that holds Pulumi state for a `gs://` backend,
 * - the Cloud KMS key that encrypts stack secrets (`--secrets-provider gcpkms://…`),
 * - Workload Identity Federation for GitHub Actions, pinned to one repository,
 * - the deployer service account that the workflows impersonate: no keys, and on each deploy project only the
 *   predefined roles `pulumi up` needs (see ./deployer-roles.ts for each role and its reason).
 *
 * docs/bootstrap.md walks through running it and wiring its outputs into GitHub.
 */
import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import { GITHUB_OIDC_ISSUER, loadBootstrapConfig, type BootstrapConfig } from "./config";
import { githubAttributeCondition, githubAttributeMapping } from "./github-identity";
import { DEPLOYER_PROJECT_ROLES, grantLimitExpression } from "./deployer-roles";

const config = loadBootstrapConfig();
const labels = { "managed-by": "pulsura-bootstrap" };
const SECONDS_PER_DAY = 86_400;

/** APIs of the admin project: state, keys, federation and impersonation. */
const ADMIN_APIS = [
  "cloudkms.googleapis.com",
  "cloudresourcemanager.googleapis.com",
  "iam.googleapis.com",
  // google-github-actions/auth exchanges the GitHub token at STS, then impersonates the deployer via IAM Credentials.
  "iamcredentials.googleapis.com",
  "serviceusage.googleapis.com",
  "storage.googleapis.com",
  "sts.googleapis.com",
] as const;

/**
 * APIs each deploy project needs before the deployer can enable the rest itself (the pulsura program enables every
 * other API it uses).
 */
const DEPLOY_PROJECT_APIS = ["cloudresourcemanager.googleapis.com", "serviceusage.googleapis.com"] as const;

function enableApis(name: string, project: string, apis: readonly string[]): gcp.projects.Service[] {
  return apis.map(
    (api) =>
      new gcp.projects.Service(`${name}-api-${api.split(".")[0]}`, {
        project,
        service: api,
        // Other workloads may rely on the API in the same project: never switch it off on destroy.
        disableOnDestroy: false,
        disableDependentServices: false,
      }),
  );
}

/** The state bucket: private, versioned, old versions expire. */
function createStateBucket(cfg: BootstrapConfig, dependsOn: pulumi.Resource[]): gcp.storage.Bucket {
  const bucket = cfg.stateBucket;
  return new gcp.storage.Bucket(
    "state",
    {
      project: cfg.project,
      name: bucket.name,
      location: bucket.location,
      storageClass: "STANDARD",
      uniformBucketLevelAccess: true,
      publicAccessPrevention: "enforced",
      // Every write of a checkpoint keeps the previous one: a bad update or a deleted stack can be rolled back.
      versioning: { enabled: true },
      // No retention policy (bucket lock): it would forbid overwriting a checkpoint, which every update does.
      lifecycleRules: [
        { action: { type: "Delete" }, condition: { withState: "ARCHIVED", daysSinceNoncurrentTime: bucket.noncurrentVersionRetentionDays } },
        { action: { type: "Delete" }, condition: { withState: "ARCHIVED", numNewerVersions: bucket.noncurrentVersionsKept } },
      ],
      softDeletePolicy: { retentionDurationSeconds: bucket.softDeleteRetentionDays * SECONDS_PER_DAY },
      forceDestroy: false,
      deletionPolicy: "PREVENT",
      labels,
    },
    { protect: true, dependsOn },
  );
}

/** The key ring and the symmetric key of the `gcpkms://` secrets provider. */
function createSecretsKey(cfg: BootstrapConfig, dependsOn: pulumi.Resource[]): gcp.kms.CryptoKey {
  const keyRing = new gcp.kms.KeyRing("secrets", { project: cfg.project, name: cfg.kms.keyRingName, location: cfg.kms.location }, { protect: true, dependsOn });
  return new gcp.kms.CryptoKey(
    "secrets",
    {
      keyRing: keyRing.id,
      name: cfg.kms.cryptoKeyName,
      purpose: "ENCRYPT_DECRYPT",
      versionTemplate: { algorithm: "GOOGLE_SYMMETRIC_ENCRYPTION", protectionLevel: "SOFTWARE" },
      // Pulumi keeps the version id with each ciphertext, so older versions still decrypt after a rotation.
      rotationPeriod: `${cfg.kms.rotationDays * SECONDS_PER_DAY}s`,
      destroyScheduledDuration: `${30 * SECONDS_PER_DAY}s`,
      deletionPolicy: "PREVENT",
      labels,
    },
    { protect: true },
  );
}

/** Workload Identity Federation: a pool and an OIDC provider that accepts only the configured repository's tokens. */
function createGithubFederation(cfg: BootstrapConfig, dependsOn: pulumi.Resource[]) {
  const pool = new gcp.iam.WorkloadIdentityPool(
    "github",
    {
      project: cfg.project,
      workloadIdentityPoolId: cfg.workloadIdentity.poolId,
      displayName: "GitHub Actions",
      description: `GitHub Actions workflows of ${cfg.github.repository}`,
      disabled: false,
    },
    { dependsOn },
  );
  const provider = new gcp.iam.WorkloadIdentityPoolProvider("github-actions", {
    project: cfg.project,
    workloadIdentityPoolId: pool.workloadIdentityPoolId,
    workloadIdentityPoolProviderId: cfg.workloadIdentity.providerId,
    displayName: "GitHub Actions OIDC",
    description: `Tokens of ${cfg.github.repository} only`,
    disabled: false,
    // No allowedAudiences: the default audience is the provider's own resource URL, which google-github-actions/auth requests.
    oidc: { issuerUri: GITHUB_OIDC_ISSUER },
    attributeMapping: githubAttributeMapping({ ...cfg.github, deployEnvironments: ["dev", "prod"] }),
    // Without a condition any GitHub repository could exchange a token at this provider.
    attributeCondition: githubAttributeCondition({ ...cfg.github, deployEnvironments: ["dev", "prod"] }),
  });
  /** Every workflow run of the configured repository (and nothing else). */
  const repositoryPrincipals = pulumi.interpolate`principalSet://iam.googleapis.com/${pool.name}/attribute.repository/${cfg.github.repository}`;
  return { pool, provider, repositoryPrincipals };
}

const adminApis = enableApis("admin", config.project, ADMIN_APIS);
const stateBucket = createStateBucket(config, adminApis);
const secretsKey = createSecretsKey(config, adminApis);
const github = createGithubFederation(config, adminApis);

const deployer = new gcp.serviceaccount.Account(
  "deployer",
  {
    project: config.project,
    accountId: config.deployerAccountId,
    displayName: "pulsura deployer (GitHub Actions)",
    description: `Runs pulumi preview/up for pulsura stacks from ${config.github.repository}; used only through Workload Identity, never with a key.`,
  },
  { dependsOn: adminApis },
);

// Only workflows of the configured repository may impersonate the deployer.
new gcp.serviceaccount.IAMMember("deployer-github-workload-identity", {
  serviceAccountId: deployer.name,
  role: "roles/iam.workloadIdentityUser",
  member: github.repositoryPrincipals,
});

// State and secrets: on this bucket and this key only, not on the admin project.
new gcp.storage.BucketIAMMember("deployer-state", { bucket: stateBucket.name, role: "roles/storage.objectAdmin", member: deployer.member });
new gcp.kms.CryptoKeyIAMMember("deployer-secrets", { cryptoKeyId: secretsKey.id, role: "roles/cloudkms.cryptoKeyEncrypterDecrypter", member: deployer.member });

for (const project of config.deployProjects) {
  const apis = enableApis(project, project, DEPLOY_PROJECT_APIS);
  for (const { role } of DEPLOYER_PROJECT_ROLES) {
    const limited = role === "roles/resourcemanager.projectIamAdmin";
    new gcp.projects.IAMMember(
      `${project}-deployer-${role.replace(/^roles\//, "").replace(/\./g, "-")}`,
      {
        project,
        role,
        member: deployer.member,
        // A projectIamAdmin without a limit could grant the deployer (or anyone) owner.
        condition: limited
          ? {
              title: "pulsura workload roles only",
              description: "The deployer may grant and revoke only the project roles pulsura workloads need.",
              expression: grantLimitExpression(config.grantableProjectRoles),
            }
          : undefined,
      },
      { dependsOn: apis },
    );
  }
}

/** `pulumi login` URL of the state backend. */
export const backendUrl = pulumi.interpolate`gs://${stateBucket.name}`;
/** `--secrets-provider` of every pulsura stack. */
export const secretsProvider = pulumi.interpolate`gcpkms://${secretsKey.id}`;
/** `workload_identity_provider` of google-github-actions/auth. */
export const workloadIdentityProvider = github.provider.name;
/** `service_account` of google-github-actions/auth. */
export const deployerServiceAccount = deployer.email;
export const deployProjects = config.deployProjects;
export const githubRepository = config.github.repository;
/** The GitHub repository variables the workflows read, ready for `gh variable set`. */
export const githubVariables = {
  GCP_WORKLOAD_IDENTITY_PROVIDER: workloadIdentityProvider,
  GCP_DEPLOYER_SERVICE_ACCOUNT: deployerServiceAccount,
  PULUMI_BACKEND_URL: backendUrl,
};
