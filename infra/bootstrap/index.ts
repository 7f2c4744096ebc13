/**
 * pulsura's bootstrap: run once per organization, with a local backend, by someone who administers the projects.
 *
 * It creates, in an admin project that no pulsura stack deploys into:
 * - the Cloud Storage bucket that holds Pulumi state for a `gs://` backend,
 * - the Cloud KMS key that encrypts stack secrets (`--secrets-provider gcpkms://…`),
 * - Workload Identity Federation for GitHub Actions, pinned to one repository,
 * - the deployer service account that `deploy.yml` impersonates: no keys, on each deploy project only the predefined
 *   roles `pulumi up` needs (see ./deployer-roles.ts for each role and its reason), and actAs on the stacks' own
 *   workload accounts only;
 * - the previewer service account that the pull-request workflow impersonates: read-only, for `pulumi preview`;
 * - in each deploy project, the workload accounts of every stack that deploys there (infra/workloads.ts), so the
 *   deployer never needs the right to create or change accounts.
 *
 * docs/bootstrap.md walks through running it and wiring its outputs into GitHub.
 */
import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import { GITHUB_OIDC_ISSUER, loadBootstrapConfig, type BootstrapConfig } from "./config";
import { DEPLOYER_PROJECT_ROLES, grantLimitExpression, PREVIEWER_PROJECT_ROLES, type DeployerRole } from "./deployer-roles";
import { githubAttributeCondition, githubAttributeMapping, identityPrincipalSet } from "./github-identity";
import { readDeployStacks } from "./stacks";

const config = loadBootstrapConfig();
const deployStacks = readDeployStacks(config.deployProjects, config.stackFilesDirectory);
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
 * other API it uses), and IAM's, for the workload accounts the bootstrap creates there.
 */
const DEPLOY_PROJECT_APIS = ["cloudresourcemanager.googleapis.com", "iam.googleapis.com", "serviceusage.googleapis.com"] as const;

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
function createGithubFederation(cfg: BootstrapConfig, deployEnvironments: readonly string[], dependsOn: pulumi.Resource[]) {
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
    attributeMapping: githubAttributeMapping({ ...cfg.github, deployEnvironments }),
    // Without a condition any GitHub repository could exchange a token at this provider; this one admits only this
    // repository's deploy tokens (deploy.yml on main, in a stack's environment) and pull-request tokens.
    attributeCondition: githubAttributeCondition({ ...cfg.github, deployEnvironments }),
  });
  /** The workflow runs the provider's mapping gives one of the two identities (deployer or previewer). */
  const principalSet = (identity: "deployer" | "previewer") => pool.name.apply((name) => identityPrincipalSet(name, identity));
  return { pool, provider, principalSet };
}

const adminApis = enableApis("admin", config.project, ADMIN_APIS);
const stateBucket = createStateBucket(config, adminApis);
const secretsKey = createSecretsKey(config, adminApis);
// deploy.yml deploys each stack through the GitHub environment named after it.
const github = createGithubFederation(config, deployStacks.map((s) => s.stack), adminApis);

/** A service account of the admin project that GitHub Actions impersonates through the pool: never a key. */
function ciAccount(id: "deployer" | "previewer", accountId: string, description: string): gcp.serviceaccount.Account {
  const account = new gcp.serviceaccount.Account(
    id,
    { project: config.project, accountId, displayName: `pulsura ${id} (GitHub Actions)`, description },
    { dependsOn: adminApis },
  );
  new gcp.serviceaccount.IAMMember(`${id}-github-workload-identity`, {
    serviceAccountId: account.name,
    role: "roles/iam.workloadIdentityUser",
    member: github.principalSet(id),
  });
  return account;
}

const deployer = ciAccount(
  "deployer",
  config.deployerAccountId,
  `Runs pulumi up for pulsura stacks from deploy.yml of ${config.github.repository} on main; used only through Workload Identity, never with a key.`,
);
const previewer = ciAccount(
  "previewer",
  config.previewerAccountId,
  `Runs pulumi preview for pull requests of ${config.github.repository}: read-only; used only through Workload Identity, never with a key.`,
);

// State and secrets: on this bucket and this key only, not on the admin project. The previewer reads state and
// decrypts its secrets; Pulumi's DIY backend writes nothing on preview unless PULUMI_SELF_MANAGED_STATE_LOCKING is set.
new gcp.storage.BucketIAMMember("deployer-state", { bucket: stateBucket.name, role: "roles/storage.objectAdmin", member: deployer.member });
new gcp.kms.CryptoKeyIAMMember("deployer-secrets", { cryptoKeyId: secretsKey.id, role: "roles/cloudkms.cryptoKeyEncrypterDecrypter", member: deployer.member });
new gcp.storage.BucketIAMMember("previewer-state", { bucket: stateBucket.name, role: "roles/storage.objectViewer", member: previewer.member });
new gcp.kms.CryptoKeyIAMMember("previewer-secrets", { cryptoKeyId: secretsKey.id, role: "roles/cloudkms.cryptoKeyDecrypter", member: previewer.member });

const roleSuffix = (role: string) => role.replace(/^roles\//, "").replace(/\./g, "-");

function grantProjectRoles(project: string, who: "deployer" | "previewer", member: pulumi.Output<string>, roles: readonly DeployerRole[], dependsOn: pulumi.Resource[]) {
  for (const { role } of roles) {
    const limited = role === "roles/resourcemanager.projectIamAdmin";
    new gcp.projects.IAMMember(
      `${project}-${who}-${roleSuffix(role)}`,
      {
        project,
        role,
        member,
        // A projectIamAdmin without a limit could grant the deployer (or anyone) owner.
        condition: limited
          ? {
              title: "pulsura workload roles only",
              description: "The deployer may grant and revoke only the project roles pulsura workloads need.",
              expression: grantLimitExpression(config.grantableProjectRoles),
            }
          : undefined,
      },
      { dependsOn },
    );
  }
}

const deployProjectApis: Record<string, gcp.projects.Service[]> = {};
for (const project of config.deployProjects) {
  const apis = enableApis(project, project, DEPLOY_PROJECT_APIS);
  deployProjectApis[project] = apis;
  grantProjectRoles(project, "deployer", deployer.member, DEPLOYER_PROJECT_ROLES, apis);
  grantProjectRoles(project, "previewer", previewer.member, PREVIEWER_PROJECT_ROLES, apis);
}

/** Each stack's workload accounts, and the deployer's right to run workloads as them (and as no other account). */
const workloadAccounts: Record<string, Record<string, pulumi.Output<string>>> = {};
for (const { stack, project, accounts } of deployStacks) {
  workloadAccounts[stack] = {};
  const created: Record<string, gcp.serviceaccount.Account> = {};
  for (const workload of accounts) {
    const account = new gcp.serviceaccount.Account(
      `${stack}-${workload.id}`,
      {
        project,
        accountId: workload.accountId,
        displayName: workload.displayName,
        description: `pulsura workload identity of stack ${stack}: ${workload.id}`,
      },
      { dependsOn: deployProjectApis[project] },
    );
    new gcp.serviceaccount.IAMMember(`${stack}-${workload.id}-deployer-act-as`, {
      serviceAccountId: account.name,
      role: "roles/iam.serviceAccountUser",
      member: deployer.member,
    });
    if (workload.signsAsItself) {
      // Keyless signed URLs: IAM Credentials signBlob as itself. On its own account only, never on the project, so it
      // mints credentials of no other account (infra/bootstrap/escalation.ts treats this self-grant as no finding).
      new gcp.serviceaccount.IAMMember(`${stack}-${workload.id}-signs-as-itself`, {
        serviceAccountId: account.name,
        role: "roles/iam.serviceAccountTokenCreator",
        member: account.member,
      });
    }
    workloadAccounts[stack][workload.id] = account.email;
    created[workload.id] = account;
  }
  // After every account of the stack exists: a workload that acts as another (a service naming its jobs invoker in the
  // tasks it creates) gets serviceAccountUser on that account only.
  for (const workload of accounts) {
    for (const target of workload.actsAs ?? []) {
      new gcp.serviceaccount.IAMMember(`${stack}-${workload.id}-acts-as-${target}`, {
        serviceAccountId: created[target]!.name,
        role: "roles/iam.serviceAccountUser",
        member: created[workload.id]!.member,
      });
    }
  }
}

/** `pulumi login` URL of the state backend. */
export const backendUrl = pulumi.interpolate`gs://${stateBucket.name}`;
/** `--secrets-provider` of every pulsura stack. */
export const secretsProvider = pulumi.interpolate`gcpkms://${secretsKey.id}`;
/** `workload_identity_provider` of google-github-actions/auth. */
export const workloadIdentityProvider = github.provider.name;
/** `service_account` of google-github-actions/auth in deploy.yml. */
export const deployerServiceAccount = deployer.email;
/** `service_account` of google-github-actions/auth in the pull-request workflow. */
export const previewerServiceAccount = previewer.email;
/** The accounts this bootstrap created for each stack's workloads. */
export { workloadAccounts };
export const deployProjects = config.deployProjects;
export const githubRepository = config.github.repository;
/** The GitHub repository variables the workflows read, ready for `gh variable set`. */
export const githubVariables = {
  GCP_WORKLOAD_IDENTITY_PROVIDER: workloadIdentityProvider,
  GCP_DEPLOYER_SERVICE_ACCOUNT: deployerServiceAccount,
  GCP_PREVIEWER_SERVICE_ACCOUNT: previewerServiceAccount,
  PULUMI_BACKEND_URL: backendUrl,
};
