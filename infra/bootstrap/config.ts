/**
 * The validated config of the bootstrap stack (project `pulsura-bootstrap`, run once per organization).
 *
 * Like the main program's `infra/config.ts`, validation collects every problem and throws one `StackConfigError`
 * naming each bad key, the value it got and what it expects, so `pulumi up` prints one readable message.
 */
import { join, resolve } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { describeValue, parseRawValue, problemsFromIssues, StackConfigError, type ConfigProblem } from "../config";
import { DEFAULT_GRANTABLE_PROJECT_ROLES, FORBIDDEN_ROLES } from "./deployer-roles";
import { analyseEscalation, readRolePermissionTable } from "./escalation";

/** Config namespace of the bootstrap project (`pulsura-bootstrap:<key>`). */
export const BOOTSTRAP_NAMESPACE = "pulsura-bootstrap";

/** The GitHub Actions OIDC issuer. */
export const GITHUB_OIDC_ISSUER = "https://token.actions.githubusercontent.com";

const projectId = z.string().regex(/^[a-z][a-z0-9-]{4,28}[a-z0-9]$/, "a GCP project id: 6-30 characters, lower-case letters, digits and dashes");
const resourceId = (what: string, min: number, max: number) =>
  z.string().regex(new RegExp(`^[a-z][a-z0-9-]{${min - 2},${max - 2}}[a-z0-9]$`), `${what}: ${min}-${max} lower-case letters, digits and dashes, starting with a letter`);
const days = (min: number, max: number) => z.number().int().min(min).max(max);
// A YAML number or a quoted string: GitHub's ids are positive integers (the OIDC claims carry them as strings).
const githubId = (what: string) => z.union([z.string().regex(/^[1-9]\d*$/, what), z.number().int().positive()], { error: what });

const bootstrapInput = z
  .object({
    /** The repository whose workflows may deploy, `owner/name` as GitHub spells it. */
    githubRepository: z
      .string()
      .regex(/^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})\/[A-Za-z0-9._-]{1,100}$/, "owner/repository as on GitHub, such as acme/pulsura"),
    /**
     * GitHub's numeric id of that repository (`gh api repos/OWNER/NAME --jq .id`). The provider pins tokens to it, not
     * to the name: a repository deleted and re-created under the same name by someone else gets another id.
     */
    githubRepositoryId: githubId("GitHub's numeric repository id"),
    /**
     * GitHub's numeric id of the repository's owner, user or organization (`gh api repos/OWNER/NAME --jq .owner.id`):
     * pinned too, so a repository transferred to another owner, or an owner name re-registered, cannot use the pool.
     */
    githubRepositoryOwnerId: githubId("GitHub's numeric owner id"),
    /** Projects the pulsura stacks deploy into (each `gcp:project` of a `Pulumi.<stack>.yaml`). */
    deployProjects: z.array(projectId).min(1),
    /** Name of the state bucket (globally unique). @default `<gcp:project>-pulumi-state` */
    stateBucket: z
      .string()
      .regex(/^[a-z0-9][a-z0-9_.-]{1,61}[a-z0-9]$/, "a bucket name: 3-63 lower-case letters, digits, dashes, underscores and dots")
      .refine((name) => !name.startsWith("goog") && !name.includes("google"), "a bucket name without goog/google"),
    /** Location of the state bucket: a region (europe-west1), dual- or multi-region (EU). @default gcp:region */
    stateBucketLocation: z.string().regex(/^[A-Za-z0-9-]+$/, "a Cloud Storage location such as europe-west1 or EU"),
    /** Location of the key ring: a region, a multi-region (europe) or global. @default gcp:region */
    kmsLocation: z.string().regex(/^[a-z0-9-]+$/, "a Cloud KMS location such as europe-west1, europe or global"),
    /** Days an overwritten state file version is kept. @default 90 */
    noncurrentVersionRetentionDays: days(1, 3650),
    /** Overwritten versions kept per state file (older ones are deleted even before the retention days). @default 50 */
    noncurrentVersionsKept: days(1, 1000),
    /** Soft-delete retention of the bucket in days: 0 (off) or 7-90. @default 7 */
    softDeleteRetentionDays: days(0, 90).refine((d) => d === 0 || d >= 7, "0 (off) or 7 to 90 days"),
    /** Rotation period of the secrets key in days. @default 90 */
    keyRotationDays: days(1, 3650),
    keyRingName: z.string().regex(/^[a-zA-Z0-9_-]{1,63}$/, "1-63 letters, digits, dashes and underscores"),
    cryptoKeyName: z.string().regex(/^[a-zA-Z0-9_-]{1,63}$/, "1-63 letters, digits, dashes and underscores"),
    /** A deleted pool id stays reserved for 30 days: change it to re-create the pool sooner. @default github */
    workloadIdentityPoolId: resourceId("a pool id", 4, 32).refine((id) => !id.startsWith("gcp-"), "a pool id not starting with gcp-"),
    workloadIdentityProviderId: resourceId("a provider id", 4, 32).refine((id) => !id.startsWith("gcp-"), "a provider id not starting with gcp-"),
    deployerAccountId: resourceId("a service account id", 6, 30),
    previewerAccountId: resourceId("a service account id", 6, 30),
    /** Where the pulsura stack files (Pulumi.<stack>.yaml) are, relative to infra/bootstrap. @default ../.. (the repository root) */
    stackFilesDirectory: z.string().min(1),
    /** Project roles the deployer may grant to workloads (its projectIamAdmin is conditioned on them). */
    grantableProjectRoles: z.array(z.string().regex(/^roles\/[A-Za-z0-9_.]+$/, "a predefined role such as roles/logging.logWriter")).min(1),
  })
  .partial()
  .strict();

const gcpInput = z
  .object({
    /** The admin project that holds the state bucket, the key, the pool and the deployer account. */
    project: projectId,
    region: z.string().regex(/^[a-z]+-[a-z]+\d+$/, "a GCP region such as europe-west1"),
  })
  .required();

export interface BootstrapConfig {
  stack: string;
  /** The admin project. */
  project: string;
  region: string;
  /** The repository, and GitHub's numeric ids of it and of its owner (as strings, as the OIDC claims carry them). */
  github: { repository: string; repositoryId: string; repositoryOwnerId: string };
  deployProjects: string[];
  stateBucket: { name: string; location: string; noncurrentVersionRetentionDays: number; noncurrentVersionsKept: number; softDeleteRetentionDays: number };
  kms: { location: string; keyRingName: string; cryptoKeyName: string; rotationDays: number };
  workloadIdentity: { poolId: string; providerId: string };
  deployerAccountId: string;
  previewerAccountId: string;
  /** Absolute path of the folder with the pulsura stack files. */
  stackFilesDirectory: string;
  grantableProjectRoles: string[];
}

/** Raw config as Pulumi hands it to the program: fully-qualified keys, values as strings (objects as JSON). */
export type RawConfig = Record<string, string>;

/**
 * Validates raw bootstrap config and fills in defaults.
 *
 * @throws StackConfigError naming every invalid key.
 */
export function parseBootstrapConfig(stack: string, raw: RawConfig): BootstrapConfig {
  const own: Record<string, unknown> = {};
  const gcp: Record<string, unknown> = {};
  for (const [fullKey, value] of Object.entries(raw)) {
    const [namespace, key] = fullKey.split(":", 2) as [string, string];
    if (namespace === BOOTSTRAP_NAMESPACE) own[key] = parseRawValue(value);
    else if (namespace === "gcp" && (key === "project" || key === "region")) gcp[key] = value;
  }

  const problems: ConfigProblem[] = [];
  const gcpResult = gcpInput.safeParse(gcp);
  if (!gcpResult.success) problems.push(...problemsFromIssues("gcp", gcp, gcpResult.error.issues));
  const input = bootstrapInput.safeParse(own);
  if (!input.success) problems.push(...problemsFromIssues(BOOTSTRAP_NAMESPACE, own, input.error.issues));
  if (!gcpResult.success || !input.success) throw new StackConfigError(stack, problems);

  const { project, region } = gcpResult.data;
  const settings = input.data;
  const required = (key: "githubRepository" | "githubRepositoryId" | "githubRepositoryOwnerId" | "deployProjects", expected: string) => {
    if (settings[key] === undefined) problems.push({ key: `${BOOTSTRAP_NAMESPACE}:${key}`, got: "nothing", expected: `${expected} (required)` });
  };
  required("githubRepository", "owner/repository as on GitHub, such as acme/pulsura");
  required("githubRepositoryId", "GitHub's numeric repository id (gh api repos/OWNER/NAME --jq .id)");
  required("githubRepositoryOwnerId", "GitHub's numeric owner id (gh api repos/OWNER/NAME --jq .owner.id)");
  required("deployProjects", "the list of GCP projects the pulsura stacks deploy into");

  const deployProjects = settings.deployProjects ?? [];
  // The deployer gets storage.admin on every deploy project: the state bucket must not be in one of them.
  if (deployProjects.includes(project)) {
    problems.push({
      key: `${BOOTSTRAP_NAMESPACE}:deployProjects`,
      got: `a list containing the admin project ${project}`,
      expected: "only projects other than gcp:project (keep the state bucket and the key in an admin project no stack deploys into)",
    });
  }
  const deployerId = settings.deployerAccountId ?? "pulumi-deployer";
  if ((settings.previewerAccountId ?? "pulumi-previewer") === deployerId) {
    problems.push({ key: `${BOOTSTRAP_NAMESPACE}:previewerAccountId`, got: deployerId, expected: "an account id other than the deployer's (the previewer must not hold the deployer's rights)" });
  }
  const duplicate = deployProjects.find((p, i) => deployProjects.indexOf(p) !== i);
  if (duplicate) problems.push({ key: `${BOOTSTRAP_NAMESPACE}:deployProjects`, got: `${duplicate} twice`, expected: "each project once" });

  const grantableProjectRoles = settings.grantableProjectRoles ?? [...DEFAULT_GRANTABLE_PROJECT_ROLES];
  const forbidden = grantableProjectRoles.filter((role) => FORBIDDEN_ROLES.includes(role));
  if (forbidden.length > 0) {
    problems.push({
      key: `${BOOTSTRAP_NAMESPACE}:grantableProjectRoles`,
      got: describeValue(forbidden),
      expected: "roles that cannot rewrite project IAM or mint credentials (no basic roles, no IAM admin roles)",
    });
  }
  // Beyond the list: the deployer can grant these roles to itself, so none may open a path the escalation analysis
  // finds (project-wide workloadIdentityUser or hmacKeyAdmin would mint tokens or keys), judged from the dated table.
  const table = readRolePermissionTable();
  const unsafe = grantableProjectRoles
    .filter((role) => !forbidden.includes(role))
    .map((role) => ({ role, paths: table.roles[role] ? analyseEscalation([{ member: "deployer", role, target: { kind: "project", name: "p" } }], table)[0]!.findings : undefined }))
    .filter(({ paths }) => paths === undefined || paths.length > 0);
  if (unsafe.length > 0) {
    problems.push({
      key: `${BOOTSTRAP_NAMESPACE}:grantableProjectRoles`,
      got: unsafe.map(({ role, paths }) => (paths ? `${role} (${[...new Set(paths.map((f) => `${f.vector}: ${f.permission}`))].join(", ")})` : `${role} (not in infra/bootstrap/role-permissions.json)`)).join("; "),
      expected: "roles with no path to token creation, a key or an IAM rewrite, listed in the dated role table (scripts/bootstrap-role-permissions.ts adds one)",
    });
  }
  if (problems.length > 0) throw new StackConfigError(stack, problems);

  return {
    stack,
    project,
    region,
    github: { repository: settings.githubRepository!, repositoryId: String(settings.githubRepositoryId!), repositoryOwnerId: String(settings.githubRepositoryOwnerId!) },
    deployProjects,
    stateBucket: {
      name: settings.stateBucket ?? `${project}-pulumi-state`,
      location: settings.stateBucketLocation ?? region,
      noncurrentVersionRetentionDays: settings.noncurrentVersionRetentionDays ?? 90,
      noncurrentVersionsKept: settings.noncurrentVersionsKept ?? 50,
      softDeleteRetentionDays: settings.softDeleteRetentionDays ?? 7,
    },
    kms: {
      location: settings.kmsLocation ?? region,
      keyRingName: settings.keyRingName ?? "pulumi",
      cryptoKeyName: settings.cryptoKeyName ?? "pulumi-secrets",
      rotationDays: settings.keyRotationDays ?? 90,
    },
    workloadIdentity: { poolId: settings.workloadIdentityPoolId ?? "github", providerId: settings.workloadIdentityProviderId ?? "github-actions" },
    deployerAccountId: settings.deployerAccountId ?? "pulumi-deployer",
    previewerAccountId: settings.previewerAccountId ?? "pulumi-previewer",
    stackFilesDirectory: resolve(__dirname, settings.stackFilesDirectory ?? join("..", "..")),
    grantableProjectRoles: [...new Set(grantableProjectRoles)].sort(),
  };
}

/**
 * The `secretsprovider` every pulsura stack file carries: the bootstrap's Cloud KMS key, so `pulumi preview` and
 * `pulumi up` in CI decrypt with it and never fall back to a passphrase prompt. The key's id has Cloud KMS's resource
 * name format (projects/…/locations/…/keyRings/…/cryptoKeys/…, https://cloud.google.com/kms/docs/resource-hierarchy),
 * which is what index.ts exports as `secretsProvider`.
 */
export function secretsProviderUrl(config: Pick<BootstrapConfig, "project" | "kms">): string {
  return `gcpkms://projects/${config.project}/locations/${config.kms.location}/keyRings/${config.kms.keyRingName}/cryptoKeys/${config.kms.cryptoKeyName}`;
}

/** Reads this stack's bootstrap config from the Pulumi runtime. */
export function loadBootstrapConfig(): BootstrapConfig {
  return parseBootstrapConfig(pulumi.getStack(), pulumi.runtime.allConfig());
}
