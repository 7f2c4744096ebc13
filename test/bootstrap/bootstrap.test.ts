/**
 * The bootstrap program planned under Pulumi mocks with the committed example stack file
 * (infra/bootstrap/Pulumi.pulsura.yaml): the security properties of the state bucket, the secrets key, the GitHub
 * federation and the deployer account.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { DEPLOYER_PROJECT_ROLES, FORBIDDEN_ROLES, grantLimitExpression, DEFAULT_GRANTABLE_PROJECT_ROLES, PREVIEWER_PROJECT_ROLES } from "../../infra/bootstrap/deployer-roles";
import { listStackFiles } from "../../scripts/lib/stack-files";
import { readDeployStacks } from "../../infra/bootstrap/stacks";
import { planOf } from "../infra/support/plans";
import { BOOTSTRAP_DIR, MOCK_PROJECT_NUMBER, ofType, onlyOfType, planBootstrap, type BootstrapPlan } from "../../scripts/lib/bootstrap-plan";

const ADMIN_PROJECT = "pulsura-admin";
/** The example's deploy projects, as its stack file lists them (a fork adds its tenant's project there). */
const DEPLOY_PROJECTS = (parse(readFileSync(join(BOOTSTRAP_DIR, "Pulumi.pulsura.yaml"), "utf8")) as { config: Record<string, string[]> }).config["pulsura-bootstrap:deployProjects"]!;
const REPOSITORY = "pulsura/pulsura";
const DEPLOYER_EMAIL = `pulumi-deployer@${ADMIN_PROJECT}.iam.gserviceaccount.com`;
const PREVIEWER_EMAIL = `pulumi-previewer@${ADMIN_PROJECT}.iam.gserviceaccount.com`;
const POOL_NAME = `projects/${MOCK_PROJECT_NUMBER}/locations/global/workloadIdentityPools/github`;
const IAM_MEMBER_TYPES = [
  "gcp:projects/iAMMember:IAMMember",
  "gcp:serviceaccount/iAMMember:IAMMember",
  "gcp:storage/bucketIAMMember:BucketIAMMember",
  "gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember",
];

let plan: BootstrapPlan;
const deployStacks = () => readDeployStacks(DEPLOY_PROJECTS);

beforeAll(async () => {
  plan = await planBootstrap(join(BOOTSTRAP_DIR, "Pulumi.pulsura.yaml"));
});

describe("the state bucket", () => {
  it("is private: uniform access, public access prevention enforced, in the admin project", () => {
    const bucket = onlyOfType(plan, "gcp:storage/bucket:Bucket");
    expect(bucket.inputs).toMatchObject({ project: ADMIN_PROJECT, name: `${ADMIN_PROJECT}-pulumi-state`, uniformBucketLevelAccess: true, publicAccessPrevention: "enforced" });
  });

  it("keeps previous checkpoints (versioning) and expires only old versions, never the live state", () => {
    const bucket = onlyOfType(plan, "gcp:storage/bucket:Bucket");
    expect(bucket.inputs.versioning).toEqual({ enabled: true });
    const rules = bucket.inputs.lifecycleRules as Array<{ action: { type: string }; condition: Record<string, unknown> }>;
    expect(rules.length).toBeGreaterThan(0);
    for (const rule of rules) {
      expect(rule.action.type).toBe("Delete");
      // ARCHIVED = noncurrent: a rule without it would delete live state files by age.
      expect(rule.condition.withState).toBe("ARCHIVED");
    }
    expect(rules.map((r) => r.condition.daysSinceNoncurrentTime).filter(Boolean)).toEqual([90]);
    expect(rules.map((r) => r.condition.numNewerVersions).filter(Boolean)).toEqual([50]);
    expect(bucket.inputs.retentionPolicy).toBeUndefined();
    expect(bucket.inputs.softDeletePolicy).toEqual({ retentionDurationSeconds: 7 * 86400 });
  });

  it("cannot be destroyed by accident", () => {
    const bucket = onlyOfType(plan, "gcp:storage/bucket:Bucket");
    expect(bucket.protect).toBe(true);
    expect(bucket.inputs).toMatchObject({ forceDestroy: false, deletionPolicy: "PREVENT" });
  });
});

describe("the secrets key", () => {
  it("is a rotated symmetric key in a key ring of the admin project", () => {
    const ring = onlyOfType(plan, "gcp:kms/keyRing:KeyRing");
    expect(ring.inputs).toMatchObject({ project: ADMIN_PROJECT, location: "europe-west1", name: "pulumi" });
    const key = onlyOfType(plan, "gcp:kms/cryptoKey:CryptoKey");
    expect(key.inputs).toMatchObject({
      keyRing: `projects/${ADMIN_PROJECT}/locations/europe-west1/keyRings/pulumi`,
      purpose: "ENCRYPT_DECRYPT",
      versionTemplate: { algorithm: "GOOGLE_SYMMETRIC_ENCRYPTION" },
      rotationPeriod: `${90 * 86400}s`,
    });
    expect(key.protect && ring.protect).toBe(true);
    expect(key.inputs.deletionPolicy).toBe("PREVENT");
  });
});

describe("Workload Identity Federation for GitHub Actions", () => {
  it("trusts only GitHub's OIDC issuer, and only tokens of the configured repository", () => {
    const provider = onlyOfType(plan, "gcp:iam/workloadIdentityPoolProvider:WorkloadIdentityPoolProvider");
    expect(provider.inputs.oidc).toEqual({ issuerUri: "https://token.actions.githubusercontent.com" });
    // Pinned by the example's numeric ids; deploy tokens only in an environment named after a stack file (the
    // condition's semantics are tested with CEL in github-identity.test.ts).
    const condition = provider.inputs.attributeCondition as string;
    expect(condition).toMatch(/^assertion\.repository_id == "812345678" && assertion\.repository_owner_id == "198765432" && /);
    const environments = listStackFiles().map((f) => JSON.stringify(f.stack)).join(", ");
    expect(condition).toContain(`assertion.environment in [${environments}]`);
    expect(condition).toContain(`assertion.workflow_ref == "${REPOSITORY}/.github/workflows/deploy.yml@refs/heads/main"`);
    expect((provider.inputs.attributeMapping as Record<string, string>)["attribute.pulsura_identity"]).toContain(`assertion.environment in [${environments}]`);
    expect(provider.inputs.attributeMapping).toMatchObject({ "google.subject": "assertion.sub", "attribute.repository": "assertion.repository" });
    expect(provider.inputs.disabled).toBe(false);
    expect(onlyOfType(plan, "gcp:iam/workloadIdentityPool:WorkloadIdentityPool").inputs).toMatchObject({ project: ADMIN_PROJECT, workloadIdentityPoolId: "github" });
  });

  it("lets the deployer identity impersonate only the deployer, and the previewer identity only the previewer", () => {
    const bindings = ofType(plan, "gcp:serviceaccount/iAMMember:IAMMember").filter((b) => b.inputs.role === "roles/iam.workloadIdentityUser");
    expect(bindings.map((b) => b.inputs)).toEqual([
      {
        serviceAccountId: `projects/${ADMIN_PROJECT}/serviceAccounts/${DEPLOYER_EMAIL}`,
        role: "roles/iam.workloadIdentityUser",
        member: `principalSet://iam.googleapis.com/${POOL_NAME}/attribute.pulsura_identity/deployer`,
      },
      {
        serviceAccountId: `projects/${ADMIN_PROJECT}/serviceAccounts/${PREVIEWER_EMAIL}`,
        role: "roles/iam.workloadIdentityUser",
        member: `principalSet://iam.googleapis.com/${POOL_NAME}/attribute.pulsura_identity/previewer`,
      },
    ]);
  });

  it("enables the token exchange and impersonation APIs in the admin project, and never disables an API", () => {
    const services = ofType(plan, "gcp:projects/service:Service");
    const admin = services.filter((s) => s.inputs.project === ADMIN_PROJECT).map((s) => s.inputs.service);
    expect(admin).toEqual(expect.arrayContaining(["sts.googleapis.com", "iamcredentials.googleapis.com", "iam.googleapis.com", "cloudkms.googleapis.com", "storage.googleapis.com"]));
    for (const s of services) expect(s.inputs.disableOnDestroy).toBe(false);
  });
});

describe("the deployer service account", () => {
  it("has no key, of any kind", () => {
    const admin = ofType(plan, "gcp:serviceaccount/account:Account").filter((a) => a.inputs.project === ADMIN_PROJECT);
    expect(admin.map((a) => a.inputs.accountId)).toEqual(["pulumi-deployer", "pulumi-previewer"]);
    expect(plan.resources.filter((r) => /key:Key$|hmacKey/i.test(r.type))).toEqual([]);
  });

  it("may write state in the state bucket only; the previewer may only read it", () => {
    const grants = ofType(plan, "gcp:storage/bucketIAMMember:BucketIAMMember");
    expect(grants.map((g) => g.inputs)).toEqual([
      { bucket: `${ADMIN_PROJECT}-pulumi-state`, role: "roles/storage.objectAdmin", member: `serviceAccount:${DEPLOYER_EMAIL}` },
      { bucket: `${ADMIN_PROJECT}-pulumi-state`, role: "roles/storage.objectViewer", member: `serviceAccount:${PREVIEWER_EMAIL}` },
    ]);
  });

  it("may encrypt and decrypt with the secrets key only; the previewer may only decrypt", () => {
    const grants = ofType(plan, "gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember");
    expect(grants.map((g) => g.inputs)).toEqual([
      {
        cryptoKeyId: `projects/${ADMIN_PROJECT}/locations/europe-west1/keyRings/pulumi/cryptoKeys/pulumi-secrets`,
        role: "roles/cloudkms.cryptoKeyEncrypterDecrypter",
        member: `serviceAccount:${DEPLOYER_EMAIL}`,
      },
      {
        cryptoKeyId: `projects/${ADMIN_PROJECT}/locations/europe-west1/keyRings/pulumi/cryptoKeys/pulumi-secrets`,
        role: "roles/cloudkms.cryptoKeyDecrypter",
        member: `serviceAccount:${PREVIEWER_EMAIL}`,
      },
    ]);
  });

  it("holds no role on the admin project itself", () => {
    expect(ofType(plan, "gcp:projects/iAMMember:IAMMember").filter((g) => g.inputs.project === ADMIN_PROJECT)).toEqual([]);
  });

  it("gets exactly the listed deployer roles on each deploy project, and the previewer the listed read-only roles", () => {
    const grants = ofType(plan, "gcp:projects/iAMMember:IAMMember");
    expect(new Set(grants.map((g) => g.inputs.member))).toEqual(new Set([`serviceAccount:${DEPLOYER_EMAIL}`, `serviceAccount:${PREVIEWER_EMAIL}`]));
    for (const project of DEPLOY_PROJECTS) {
      const roles = (email: string) => grants.filter((g) => g.inputs.project === project && g.inputs.member === `serviceAccount:${email}`).map((g) => g.inputs.role);
      expect(roles(DEPLOYER_EMAIL).sort()).toEqual(DEPLOYER_PROJECT_ROLES.map((r) => r.role).sort());
      expect(roles(PREVIEWER_EMAIL).sort()).toEqual(PREVIEWER_PROJECT_ROLES.map((r) => r.role).sort());
    }
    expect(new Set(grants.map((g) => g.inputs.project))).toEqual(new Set(DEPLOY_PROJECTS));
  });

  it("holds no project-wide right over service accounts: no serviceAccountAdmin, serviceAccountUser or account creation", () => {
    const deployerGrants = ofType(plan, "gcp:projects/iAMMember:IAMMember").filter((g) => g.inputs.member === `serviceAccount:${DEPLOYER_EMAIL}`);
    expect(deployerGrants.length).toBeGreaterThan(0);
    for (const g of deployerGrants) expect(g.inputs.role as string, g.name).not.toMatch(/^roles\/iam\./);
  });

  it("can grant only the workload roles: projectIamAdmin is conditioned on them", () => {
    const iamAdmin = ofType(plan, "gcp:projects/iAMMember:IAMMember").filter((g) => g.inputs.role === "roles/resourcemanager.projectIamAdmin");
    expect(iamAdmin).toHaveLength(DEPLOY_PROJECTS.length);
    const expression = grantLimitExpression(DEFAULT_GRANTABLE_PROJECT_ROLES);
    expect(expression).toBe(
      "api.getAttribute('iam.googleapis.com/modifiedGrantsByRole', []).hasOnly(['roles/artifactregistry.writer', 'roles/firebaseauth.admin', 'roles/logging.logWriter', 'roles/storage.objectAdmin'])",
    );
    for (const g of iamAdmin) expect(g.inputs.condition).toMatchObject({ expression });
    const others = ofType(plan, "gcp:projects/iAMMember:IAMMember").filter((g) => g.inputs.role !== "roles/resourcemanager.projectIamAdmin");
    for (const g of others) expect(g.inputs.condition).toBeUndefined();
  });

  it("holds no basic role and no role that could rewrite IAM without a limit, anywhere", () => {
    const bindings = plan.resources.filter((r) => IAM_MEMBER_TYPES.includes(r.type));
    expect(bindings.length).toBeGreaterThan(DEPLOY_PROJECTS.length);
    for (const b of bindings) {
      const role = b.inputs.role as string;
      if (role === "roles/resourcemanager.projectIamAdmin") expect(b.inputs.condition, b.name).toBeDefined();
      // actAs on one workload account (checked below), never on a project.
      else if (role === "roles/iam.serviceAccountUser") expect(b.type, b.name).toBe("gcp:serviceaccount/iAMMember:IAMMember");
      // Keyless signing: token creation on a workload's own account, to that account (checked below), never on a project.
      else if (role === "roles/iam.serviceAccountTokenCreator" && b.type === "gcp:serviceaccount/iAMMember:IAMMember") {
        expect(String(b.inputs.serviceAccountId).split("/").at(-1), b.name).toBe(String(b.inputs.member).replace(/^serviceAccount:/, ""));
      } else expect(FORBIDDEN_ROLES, `${b.name} grants ${role}`).not.toContain(role);
    }
    expect(plan.resources.filter((r) => /iam(Binding|Policy)/i.test(r.type)), "authoritative bindings would remove others' grants").toEqual([]);
  });
});

describe("the stacks' workload accounts", () => {
  const workloadAccounts = () => ofType(plan, "gcp:serviceaccount/account:Account").filter((a) => a.inputs.project !== ADMIN_PROJECT);

  it("are exactly the accounts each stack's program runs its workloads as (its offline plan's serviceAccounts output)", () => {
    const stacks = listStackFiles().map((f) => f.stack);
    expect(stacks.length).toBeGreaterThan(1);
    const created = workloadAccounts().map((a) => `${a.inputs.accountId}@${a.inputs.project}.iam.gserviceaccount.com`).sort();
    const used = stacks.flatMap((stack) => Object.values(planOf(stack).outputs.serviceAccounts as Record<string, string>)).sort();
    expect(created).toEqual(used);
    expect(plan.outputs.workloadAccounts).toEqual(Object.fromEntries(stacks.map((stack) => [stack, planOf(stack).outputs.serviceAccounts])));
  });

  it("are the only accounts the deployer may act as, one grant on each account, none on a project", () => {
    const actAs = plan.resources.filter((r) => IAM_MEMBER_TYPES.includes(r.type) && r.inputs.role === "roles/iam.serviceAccountUser" && r.inputs.member === `serviceAccount:${DEPLOYER_EMAIL}`);
    expect(actAs).toHaveLength(workloadAccounts().length);
    expect(actAs.map((g) => g.inputs.serviceAccountId).sort()).toEqual(workloadAccounts().map((a) => `projects/${a.inputs.project}/serviceAccounts/${a.inputs.accountId}@${a.inputs.project}.iam.gserviceaccount.com`).sort());
  });

  it("let a service act as its own jobs invoker only (to name it in the tasks it creates), and no workload act as any other account", () => {
    const workloadActAs = plan.resources.filter((r) => IAM_MEMBER_TYPES.includes(r.type) && r.inputs.role === "roles/iam.serviceAccountUser" && r.inputs.member !== `serviceAccount:${DEPLOYER_EMAIL}`);
    const expected = deployStacks().flatMap(({ project, accounts }) =>
      accounts.flatMap((account) =>
        (account.actsAs ?? []).map((target) => {
          const invoker = accounts.find((a) => a.id === target)!;
          return `serviceAccount:${account.email} on projects/${project}/serviceAccounts/${invoker.email}`;
        }),
      ),
    );
    // Every stack file runs core, which has jobs (services/core/src/jobs/).
    expect(expected.length).toBeGreaterThan(0);
    expect(expected.every((grant) => /-svc-core@.* on .*-svc-core-tasks@/.test(grant))).toBe(true);
    expect(workloadActAs.map((g) => `${g.inputs.member} on ${g.inputs.serviceAccountId}`).sort()).toEqual(expected.sort());
  });

  it("grant token creation only to the accounts that sign as themselves (svc-core's signed URLs), each on its own account", () => {
    const tokenCreator = plan.resources.filter((r) => IAM_MEMBER_TYPES.includes(r.type) && r.inputs.role === "roles/iam.serviceAccountTokenCreator");
    const signers = deployStacks().flatMap(({ project, accounts }) => accounts.filter((a) => a.signsAsItself).map((a) => ({ project, email: a.email })));
    // Every stack file runs core, whose account is `<tenant>-svc-core` (the tenant from each stack's own plan).
    expect(signers.map((s) => s.email.split("@")[0]), "every stack file runs core").toEqual(listStackFiles().map(({ stack }) => `${String(planOf(stack).outputs.tenant)}-svc-core`));
    expect(tokenCreator.map((g) => g.type)).toEqual(signers.map(() => "gcp:serviceaccount/iAMMember:IAMMember"));
    expect(tokenCreator.map((g) => g.inputs).sort((a, b) => String(a.member).localeCompare(String(b.member)))).toEqual(
      signers
        .map(({ project, email }) => ({ serviceAccountId: `projects/${project}/serviceAccounts/${email}`, role: "roles/iam.serviceAccountTokenCreator", member: `serviceAccount:${email}` }))
        .sort((a, b) => a.member.localeCompare(b.member)),
    );
  });

  it("every account a stack's Cloud Run service or function runs as is one the bootstrap creates", () => {
    const created = new Set(workloadAccounts().map((a) => `${a.inputs.accountId}@${a.inputs.project}.iam.gserviceaccount.com`));
    for (const { stack } of listStackFiles()) {
      const runAs = planOf(stack)
        .resources.flatMap((r) => [(r.inputs.template as { serviceAccount?: string } | undefined)?.serviceAccount, r.inputs.serviceAccountEmail, (r.inputs.serviceConfig as { serviceAccountEmail?: string } | undefined)?.serviceAccountEmail, r.inputs.buildServiceAccount])
        .filter((v): v is string => typeof v === "string");
      expect(runAs.length, stack).toBeGreaterThan(2);
      for (const email of runAs) expect(created, `${stack} runs as ${email}`).toContain(email.replace(/^projects\/[^/]+\/serviceAccounts\//, ""));
    }
  });
});

describe("outputs", () => {
  it("give the backend URL, the secrets provider, the workload identity provider and the two identities' emails", () => {
    expect(plan.outputs).toMatchObject({
      backendUrl: `gs://${ADMIN_PROJECT}-pulumi-state`,
      secretsProvider: `gcpkms://projects/${ADMIN_PROJECT}/locations/europe-west1/keyRings/pulumi/cryptoKeys/pulumi-secrets`,
      workloadIdentityProvider: `${POOL_NAME}/providers/github-actions`,
      deployerServiceAccount: DEPLOYER_EMAIL,
      previewerServiceAccount: PREVIEWER_EMAIL,
      deployProjects: DEPLOY_PROJECTS,
    });
    expect(plan.outputs.githubVariables).toEqual({
      GCP_WORKLOAD_IDENTITY_PROVIDER: `${POOL_NAME}/providers/github-actions`,
      GCP_DEPLOYER_SERVICE_ACCOUNT: DEPLOYER_EMAIL,
      GCP_PREVIEWER_SERVICE_ACCOUNT: PREVIEWER_EMAIL,
      PULUMI_BACKEND_URL: `gs://${ADMIN_PROJECT}-pulumi-state`,
    });
  });
});
