/**
 * The bootstrap program planned under Pulumi mocks with a stack file that sets the optional keys: the configured
 * repository, its and its owner's numeric ids, names, locations and retention reach the resources.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MOCK_PROJECT_NUMBER, ofType, onlyOfType, planBootstrap, type BootstrapPlan } from "../../scripts/lib/bootstrap-plan";

const dir = mkdtempSync(join(tmpdir(), "pulsura-bootstrap-"));
const stackFile = join(dir, "Pulumi.acme.yaml");
// The organization's pulsura stacks: one tenant stack in the deploy project, with a second microservice.
const stacks = join(dir, "stacks");
mkdirSync(stacks);
writeFileSync(join(stacks, "Pulumi.yaml"), "name: pulsura\nruntime: nodejs\n");
writeFileSync(
  join(stacks, "Pulumi.acme-prod.yaml"),
  `config:
  gcp:project: acme-backend-prod
  gcp:region: us-central1
  gcp:userProjectOverride: true
  gcp:billingProject: acme-backend-prod
  pulsura:environment: prod
  pulsura:tenant: acme
  pulsura:domains: [app.acme.example]
  pulsura:alertEmail: ops@acme.example
  pulsura:services: [{ name: core }, { name: billing, maxInstances: 2 }]
`,
);
writeFileSync(
  stackFile,
  `config:
  gcp:project: acme-platform-admin
  gcp:region: us-central1
  pulsura-bootstrap:githubRepository: Acme-Corp/backend
  pulsura-bootstrap:githubRepositoryId: 987654321
  pulsura-bootstrap:githubRepositoryOwnerId: "4242"
  pulsura-bootstrap:deployProjects: [acme-backend-prod]
  pulsura-bootstrap:stateBucket: acme-pulumi-state
  pulsura-bootstrap:stateBucketLocation: US
  pulsura-bootstrap:kmsLocation: us
  pulsura-bootstrap:noncurrentVersionRetentionDays: 30
  pulsura-bootstrap:noncurrentVersionsKept: 10
  pulsura-bootstrap:keyRotationDays: 30
  pulsura-bootstrap:workloadIdentityPoolId: github-actions-2
  pulsura-bootstrap:deployerAccountId: acme-deployer
  pulsura-bootstrap:previewerAccountId: acme-previewer
  pulsura-bootstrap:stackFilesDirectory: ${stacks}
  pulsura-bootstrap:grantableProjectRoles: [roles/logging.logWriter]
`,
);

let plan: BootstrapPlan;
beforeAll(async () => {
  plan = await planBootstrap(stackFile);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("a bootstrap with every optional key set", () => {
  it("pins the provider to the repository's and its owner's numeric ids, and its workflows by the configured name", () => {
    const provider = onlyOfType(plan, "gcp:iam/workloadIdentityPoolProvider:WorkloadIdentityPoolProvider");
    const condition = provider.inputs.attributeCondition as string;
    expect(condition).toMatch(/^assertion\.repository_id == "987654321" && assertion\.repository_owner_id == "4242" && /);
    expect(condition).toContain('assertion.workflow_ref == "Acme-Corp/backend/.github/workflows/deploy.yml@refs/heads/main"');
    expect(condition).toContain('assertion.workflow_ref.startsWith("Acme-Corp/backend/.github/workflows/pull-request.yml@")');
    const pool = `projects/${MOCK_PROJECT_NUMBER}/locations/global/workloadIdentityPools/github-actions-2`;
    const federated = ofType(plan, "gcp:serviceaccount/iAMMember:IAMMember").filter((b) => b.inputs.role === "roles/iam.workloadIdentityUser");
    expect(federated.map((b) => b.inputs.member)).toEqual([`principalSet://iam.googleapis.com/${pool}/attribute.pulsura_identity/deployer`, `principalSet://iam.googleapis.com/${pool}/attribute.pulsura_identity/previewer`]);
  });

  it("uses the configured bucket, locations, retention and rotation", () => {
    const bucket = onlyOfType(plan, "gcp:storage/bucket:Bucket");
    expect(bucket.inputs).toMatchObject({ name: "acme-pulumi-state", location: "US", project: "acme-platform-admin" });
    const conditions = (bucket.inputs.lifecycleRules as Array<{ condition: Record<string, unknown> }>).map((r) => r.condition);
    expect(conditions).toEqual([
      { withState: "ARCHIVED", daysSinceNoncurrentTime: 30 },
      { withState: "ARCHIVED", numNewerVersions: 10 },
    ]);
    expect(onlyOfType(plan, "gcp:kms/cryptoKey:CryptoKey").inputs.rotationPeriod).toBe(`${30 * 86400}s`);
    expect(plan.outputs.secretsProvider).toBe("gcpkms://projects/acme-platform-admin/locations/us/keyRings/pulumi/cryptoKeys/pulumi-secrets");
    expect(plan.outputs.backendUrl).toBe("gs://acme-pulumi-state");
    expect(plan.outputs.deployerServiceAccount).toBe("acme-deployer@acme-platform-admin.iam.gserviceaccount.com");
  });

  it("creates the accounts of the stacks in stackFilesDirectory, with their services, and lets the deployer act as them", () => {
    const accounts = ofType(plan, "gcp:serviceaccount/account:Account").map((a) => `${a.inputs.project}/${a.inputs.accountId}`);
    expect(accounts.sort()).toEqual(
      ["acme-platform-admin/acme-deployer", "acme-platform-admin/acme-previewer", ...["hasura", "functions", "functions-build", "svc-core", "svc-core-tasks", "svc-billing", "storage-push"].map((w) => `acme-backend-prod/acme-${w}`)].sort(),
    );
    const actAs = ofType(plan, "gcp:serviceaccount/iAMMember:IAMMember").filter((b) => b.inputs.role === "roles/iam.serviceAccountUser" && String(b.inputs.member).includes("deployer"));
    expect(actAs).toHaveLength(7);
    for (const b of actAs) expect(b.inputs.member).toBe("serviceAccount:acme-deployer@acme-platform-admin.iam.gserviceaccount.com");
    expect(plan.outputs.previewerServiceAccount).toBe("acme-previewer@acme-platform-admin.iam.gserviceaccount.com");
  });

  it("grants on the configured deploy project only, with the configured grant limit", () => {
    const grants = ofType(plan, "gcp:projects/iAMMember:IAMMember");
    expect(new Set(grants.map((g) => g.inputs.project))).toEqual(new Set(["acme-backend-prod"]));
    const iamAdmin = grants.find((g) => g.inputs.role === "roles/resourcemanager.projectIamAdmin");
    expect((iamAdmin?.inputs.condition as { expression: string }).expression).toBe(
      "api.getAttribute('iam.googleapis.com/modifiedGrantsByRole', []).hasOnly(['roles/logging.logWriter'])",
    );
  });
});
