/**
 * The bootstrap program planned under Pulumi mocks with a stack file that sets the optional keys: the configured
 * repository, its and its owner's numeric ids, names, locations and retention reach the resources.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MOCK_PROJECT_NUMBER, ofType, onlyOfType, planBootstrap, type BootstrapPlan } from "./support/plan-bootstrap";

const dir = mkdtempSync(join(tmpdir(), "pulsura-bootstrap-"));
const stackFile = join(dir, "Pulumi.acme.yaml");
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
    expect(ofType(plan, "gcp:serviceaccount/iAMMember:IAMMember").map((b) => b.inputs.member)).toEqual([`principalSet://iam.googleapis.com/${pool}/attribute.repository/Acme-Corp/backend`]);
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

  it("grants on the configured deploy project only, with the configured grant limit", () => {
    const grants = ofType(plan, "gcp:projects/iAMMember:IAMMember");
    expect(new Set(grants.map((g) => g.inputs.project))).toEqual(new Set(["acme-backend-prod"]));
    const iamAdmin = grants.find((g) => g.inputs.role === "roles/resourcemanager.projectIamAdmin");
    expect((iamAdmin?.inputs.condition as { expression: string }).expression).toBe(
      "api.getAttribute('iam.googleapis.com/modifiedGrantsByRole', []).hasOnly(['roles/logging.logWriter'])",
    );
  });
});
