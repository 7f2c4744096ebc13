/**
 * Neither identity the bootstrap grants roles to (the deployer, the previewer) can grant itself or anyone a basic role,
 * token creation or a key: computed from the bootstrap plan's IAM grants (infra/bootstrap/Pulumi.pulsura.yaml) and the
 * dated table of the permissions in each role (infra/bootstrap/role-permissions.json), by infra/bootstrap/escalation.ts.
 *
 * Refresh the table with scripts/bootstrap-role-permissions.ts (its header says how).
 */
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_GRANTABLE_PROJECT_ROLES, grantLimitExpression } from "../../infra/bootstrap/deployer-roles";
import {
  analyseEscalation,
  formatFinding,
  grantsFromPlan,
  type EscalationVector,
  type Grant,
  readRolePermissionTable,
  type MemberAnalysis,
} from "../../infra/bootstrap/escalation";
import { BOOTSTRAP_DIR, ofType, planBootstrap, type BootstrapPlan } from "../../scripts/lib/bootstrap-plan";

const table = readRolePermissionTable();
const MAX_AGE_DAYS = 183;

let plan: BootstrapPlan;
let grants: Grant[];

beforeAll(async () => {
  plan = await planBootstrap(join(BOOTSTRAP_DIR, "Pulumi.pulsura.yaml"));
  grants = grantsFromPlan(plan.resources);
});

const ageInDays = (day: string) => (Date.now() - Date.parse(`${day}T00:00:00Z`)) / 86_400_000;

describe("the role permission table", () => {
  it(`was exported from Google's roles within the last six months (refresh it with scripts/bootstrap-role-permissions.ts when this fails)`, () => {
    const age = ageInDays(table.snapshot.date);
    expect(age).toBeGreaterThanOrEqual(0);
    expect(age, `infra/bootstrap/role-permissions.json holds roles as of ${table.snapshot.date} (${table.source})`).toBeLessThanOrEqual(MAX_AGE_DAYS);
    expect(Date.parse(table.readOn)).toBeGreaterThanOrEqual(Date.parse(table.snapshot.date));
  });

  it("has every role the bootstrap grants and every role the deployer may grant", () => {
    const granted = new Set([...grants.map((grant) => grant.role), ...DEFAULT_GRANTABLE_PROJECT_ROLES]);
    expect(grants.length).toBeGreaterThan(0);
    expect([...granted].filter((role) => !table.roles[role]).sort()).toEqual([]);
  });

  it("lists each role's permissions sorted and once", () => {
    for (const [role, entry] of Object.entries(table.roles)) {
      expect(entry.permissions.length, role).toBeGreaterThan(0);
      expect(entry.permissions, role).toEqual([...new Set(entry.permissions)].sort());
    }
  });
});

describe("the bootstrap's service accounts", () => {
  const serviceAccountMembers = () => analyseEscalation(grants, table).filter((analysis) => analysis.member.startsWith("serviceAccount:"));

  it("grant roles to at least the deployer", () => {
    expect(serviceAccountMembers().map((analysis) => analysis.member)).toContain("serviceAccount:pulumi-deployer@pulsura-admin.iam.gserviceaccount.com");
  });

  it("cannot grant themselves or anyone a basic role, token creation, a key, a custom role or a federation change", () => {
    const findings = serviceAccountMembers().flatMap((analysis) => analysis.findings.map((finding) => formatFinding(analysis.member, finding)));
    expect(findings).toEqual([]);
  });

  it("act only as user-managed accounts of the bootstrap's projects, never as the default compute account or each other", () => {
    const analyses = serviceAccountMembers();
    // The bootstrap's own identities; workload accounts are members too (svc-core signs as itself) but act as nobody.
    const identities = new Set([plan.outputs.deployerServiceAccount as string, plan.outputs.previewerServiceAccount as string]);
    const projects = new Set([...(plan.outputs.deployProjects as string[]), ...ofType(plan, "gcp:serviceaccount/account:Account").map((account) => account.inputs.project as string)]);
    for (const analysis of analyses) {
      for (const { account } of analysis.actsAs) {
        const email = account.split("/").at(-1)!;
        const project = /^[^@]+@([^.]+)\.iam\.gserviceaccount\.com$/.exec(email)?.[1];
        expect(projects, `${analysis.member} acts as ${account}`).toContain(project);
        expect(identities, `${analysis.member} acts as ${account}, a bootstrap identity`).not.toContain(email);
      }
    }
  });
});

describe("the analysis", () => {
  const MEMBER = "serviceAccount:attacker@example.iam.gserviceaccount.com";
  const project = (role: string, expression?: string): Grant => ({
    member: MEMBER,
    role,
    target: { kind: "project", name: "pulsura-dev" },
    ...(expression === undefined ? {} : { condition: { expression } }),
  });
  const analyse = (...grants: Grant[]): MemberAnalysis => {
    const [analysis] = analyseEscalation(grants, table);
    return analysis!;
  };
  const vectors = (analysis: MemberAnalysis): EscalationVector[] => [...new Set(analysis.findings.map((finding) => finding.vector))].sort();

  it("finds an unconditioned projectIamAdmin: any role, owner included", () => {
    const analysis = analyse(project("roles/resourcemanager.projectIamAdmin"));
    expect(analysis.findings).toContainEqual(expect.objectContaining({ vector: "iam-rewrite", permission: "resourcemanager.projects.setIamPolicy", role: "roles/resourcemanager.projectIamAdmin" }));
  });

  it("finds a grant limit that includes roles/owner", () => {
    const analysis = analyse(project("roles/resourcemanager.projectIamAdmin", grantLimitExpression(["roles/logging.logWriter", "roles/owner"])));
    expect(analysis.findings).toContainEqual(expect.objectContaining({ vector: "basic-role", permission: "resourcemanager.projects.setIamPolicy" }));
    expect(analysis.findings).toContainEqual(expect.objectContaining({ vector: "basic-role", role: "roles/owner", holding: expect.stringContaining("grantable by itself") }));
  });

  it("follows a grant limit to what the grantable roles hold: serviceAccountTokenCreator", () => {
    const analysis = analyse(project("roles/resourcemanager.projectIamAdmin", grantLimitExpression(["roles/iam.serviceAccountTokenCreator"])));
    expect(analysis.findings).toContainEqual(
      expect.objectContaining({ vector: "token", permission: "iam.serviceAccounts.getAccessToken", role: "roles/iam.serviceAccountTokenCreator", holding: expect.stringContaining("through roles/resourcemanager.projectIamAdmin") }),
    );
  });

  it("finds nothing in a grant limit of harmless roles, and lists what it can grant", () => {
    const analysis = analyse(project("roles/resourcemanager.projectIamAdmin", grantLimitExpression(["roles/logging.logWriter"])));
    expect(analysis.findings).toEqual([]);
    expect(analysis.canGrant).toEqual([{ role: "roles/logging.logWriter", target: { kind: "project", name: "pulsura-dev" }, through: "roles/resourcemanager.projectIamAdmin" }]);
  });

  it("finds project-level serviceAccountAdmin: it can grant itself token creation and keys on every account", () => {
    const analysis = analyse(project("roles/iam.serviceAccountAdmin"));
    expect(vectors(analysis)).toEqual(["key", "token"]);
    expect(analysis.findings.every((finding) => finding.permission === "iam.serviceAccounts.setIamPolicy")).toBe(true);
  });

  it("finds project-level serviceAccountUser (actAs every account), but lists actAs on one account instead", () => {
    expect(analyse(project("roles/iam.serviceAccountUser")).findings).toContainEqual(expect.objectContaining({ vector: "token", permission: "iam.serviceAccounts.actAs" }));
    const account = "projects/pulsura-dev/serviceAccounts/hasura@pulsura-dev.iam.gserviceaccount.com";
    const single = analyse({ member: MEMBER, role: "roles/iam.serviceAccountUser", target: { kind: "iam.serviceAccount", name: account } });
    expect(single.findings).toEqual([]);
    expect(single.actsAs.map((actsAs) => actsAs.account)).toEqual([account]);
  });

  it("finds nothing in token creation on the member's own account (signing as itself), but finds it on another account", () => {
    const own = "projects/pulsura-dev/serviceAccounts/attacker@example.iam.gserviceaccount.com";
    const other = "projects/pulsura-dev/serviceAccounts/hasura@pulsura-dev.iam.gserviceaccount.com";
    const onOwn = analyse({ member: MEMBER, role: "roles/iam.serviceAccountTokenCreator", target: { kind: "iam.serviceAccount", name: own } });
    expect(onOwn.findings).toEqual([]);
    const onOther = analyse({ member: MEMBER, role: "roles/iam.serviceAccountTokenCreator", target: { kind: "iam.serviceAccount", name: other } });
    expect(onOther.findings).toContainEqual(expect.objectContaining({ vector: "token", permission: "iam.serviceAccounts.signBlob" }));
    expect(analyse(project("roles/iam.serviceAccountTokenCreator")).findings).toContainEqual(expect.objectContaining({ vector: "token", permission: "iam.serviceAccounts.getAccessToken" }));
  });

  it("finds serviceAccountKeyAdmin and hmacKeyAdmin: long-lived keys", () => {
    expect(analyse(project("roles/iam.serviceAccountKeyAdmin")).findings).toContainEqual(expect.objectContaining({ vector: "key", permission: "iam.serviceAccountKeys.create" }));
    expect(analyse(project("roles/storage.hmacKeyAdmin")).findings).toContainEqual(expect.objectContaining({ vector: "key", permission: "storage.hmacKeys.create" }));
  });

  it("finds a condition on projectIamAdmin that is not the grant-limit form", () => {
    const analysis = analyse(project("roles/resourcemanager.projectIamAdmin", `request.time < timestamp("2030-01-01T00:00:00Z")`));
    expect(analysis.findings).toContainEqual(expect.objectContaining({ vector: "condition-not-understood", permission: "resourcemanager.projects.setIamPolicy" }));
  });

  it("finds custom roles that can be granted, and federation rewrites", () => {
    expect(vectors(analyse(project("roles/iam.roleAdmin"), project("roles/run.admin")))).toContain("custom-role");
    expect(vectors(analyse(project("roles/iam.workloadIdentityPoolAdmin")))).toContain("federation");
  });

  it("reports a role missing from the table instead of passing it", () => {
    expect(vectors(analyse(project("roles/nonexistent.role")))).toEqual(["unknown-role"]);
  });

  it("lists resource-level setIamPolicy as access it can change, not as findings", () => {
    const analysis = analyse(project("roles/run.admin"));
    expect(analysis.findings).toEqual([]);
    expect(analysis.canChangeAccessTo).toContainEqual(expect.objectContaining({ permission: "run.services.setIamPolicy", role: "roles/run.admin" }));
  });

  it("refuses an IAM resource type it does not read", () => {
    expect(() => grantsFromPlan([{ type: "gcp:projects/iAMBinding:IAMBinding", name: "b", inputs: { project: "p", role: "roles/viewer", members: [] } }])).toThrow(/does not read/);
  });
});
