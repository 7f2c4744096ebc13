/**
 * Plans the bootstrap program (infra/bootstrap/index.ts) under Pulumi mocks with a bootstrap stack file's config, the
 * way scripts/lib/offline-plan.ts plans the main program: mocks and config are set BEFORE the program is imported, every
 * registration is recorded (type, name, inputs, dependencies, protect) and the stack outputs are resolved.
 *
 * One plan per process (Pulumi's runtime state and the imported module are process-wide): one test file, one plan.
 * `npm run plan:bootstrap` (scripts/plan-bootstrap.ts) prints it, with what each CI identity may do.
 */
import { join } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { analyseEscalation, grantsFromPlan, readRolePermissionTable, type MemberAnalysis } from "../../infra/bootstrap/escalation";
import type { InventoryResource } from "../../policy/offline";
import { formatViolations, type FidelityViolation } from "./fidelity";
import { PlanMocks, PROJECT_NUMBER } from "./mocks";
import { PlanError, runProgramUnderMocks } from "./offline-plan";
import { loadStackConfig, repoRoot, stackNameOf } from "./stack-files";

export const BOOTSTRAP_DIR = join(repoRoot, "infra", "bootstrap");
export const BOOTSTRAP_PROJECT = "pulsura-bootstrap";
/** The project number the mocks give every project (and so the pool's resource name). */
export const MOCK_PROJECT_NUMBER = PROJECT_NUMBER;

type State = Record<string, unknown>;

/**
 * PlanMocks plus the resource types only the bootstrap uses, answered with the ids and names Google returns, so the
 * program's outputs (principal sets, the gcpkms:// URL, the provider name) have their real shapes.
 */
class BootstrapMocks implements pulumi.runtime.Mocks {
  private readonly base: PlanMocks;

  constructor(private readonly ctx: { project: string; region: string }) {
    this.base = new PlanMocks(ctx);
  }

  /** What the strict base mocks found Google Cloud would refuse (types answered here have no fidelity rules). */
  get violations(): readonly FidelityViolation[] {
    return this.base.violations;
  }

  private computed(type: string, inputs: State): State | undefined {
    const project = (inputs.project as string | undefined) ?? this.ctx.project;
    switch (type) {
      case "gcp:kms/keyRing:KeyRing":
        return { id: `projects/${project}/locations/${inputs.location}/keyRings/${inputs.name}` };
      // The provider's id of a crypto key is "{{key_ring}}/cryptoKeys/{{name}}".
      case "gcp:kms/cryptoKey:CryptoKey":
        return { id: `${inputs.keyRing}/cryptoKeys/${inputs.name}`, primaries: [] };
      default:
        return undefined;
    }
  }

  newResource(args: pulumi.runtime.MockResourceArgs): pulumi.runtime.MockResourceResult {
    const own = this.computed(args.type, args.inputs as State);
    if (!own) return this.base.newResource(args);
    const { id, ...state } = own;
    return { id: id as string, state: { ...args.inputs, ...state } };
  }

  call(args: pulumi.runtime.MockCallArgs): pulumi.runtime.MockCallResult {
    return this.base.call(args);
  }
}

export interface BootstrapPlan {
  stack: string;
  resources: InventoryResource[];
  outputs: Record<string, unknown>;
}

/** Plans the bootstrap with a stack file (infra/bootstrap/Pulumi.<stack>.yaml or any path). Call once per process. */
export async function planBootstrap(configFile: string): Promise<BootstrapPlan> {
  const stack = stackNameOf(configFile);
  const { config, secretKeys } = loadStackConfig(configFile, BOOTSTRAP_PROJECT);
  const mocks = new BootstrapMocks({ project: config["gcp:project"] ?? "unknown", region: config["gcp:region"] ?? "unknown" });
  const { resources, outputs } = await runProgramUnderMocks({
    project: BOOTSTRAP_PROJECT,
    stack,
    config,
    secretKeys,
    mocks,
    program: join(BOOTSTRAP_DIR, "index.ts"),
  });
  if (mocks.violations.length > 0) throw new PlanError(formatViolations(stack, mocks.violations), "program");
  return { stack, resources, outputs };
}

/** Resources of a type. */
export function ofType(plan: BootstrapPlan, type: string): InventoryResource[] {
  return plan.resources.filter((r) => r.type === type);
}

/** The one resource of a type (fails when there are none or several). */
export function onlyOfType(plan: BootstrapPlan, type: string): InventoryResource {
  const found = ofType(plan, type);
  if (found.length !== 1) throw new Error(`expected one ${type}, found ${found.length}`);
  return found[0]!;
}

/** One CI identity of the bootstrap as its plan declares it: who may get it, and what it may do. */
export interface CiIdentity {
  name: "deployer" | "previewer";
  email: string;
  /** The principal sets that may impersonate it (roles/iam.workloadIdentityUser on the account). */
  principals: string[];
  /** Roles by what they are granted on: a project, the state bucket, the key, one service account. */
  grants: Array<{ role: string; on: string; condition?: string }>;
  /** The escalation analysis of its grants (infra/bootstrap/escalation.ts) against the dated role table. */
  analysis: MemberAnalysis;
}

/** The provider's condition and identity mapping, and the two CI identities with their grants and analysis. */
export function ciIdentities(plan: BootstrapPlan, table = readRolePermissionTable()): { condition: string; mapping: Record<string, string>; identities: CiIdentity[] } {
  const provider = onlyOfType(plan, "gcp:iam/workloadIdentityPoolProvider:WorkloadIdentityPoolProvider");
  const analyses = analyseEscalation(grantsFromPlan(plan.resources), table);
  const grantTypes: Record<string, string> = {
    "gcp:projects/iAMMember:IAMMember": "project",
    "gcp:storage/bucketIAMMember:BucketIAMMember": "bucket",
    "gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember": "cryptoKeyId",
    "gcp:serviceaccount/iAMMember:IAMMember": "serviceAccountId",
  };
  const identities = (["deployer", "previewer"] as const).map((name): CiIdentity => {
    const email = plan.outputs[`${name}ServiceAccount`] as string;
    const member = `serviceAccount:${email}`;
    const principals = ofType(plan, "gcp:serviceaccount/iAMMember:IAMMember")
      .filter((r) => r.inputs.role === "roles/iam.workloadIdentityUser" && String(r.inputs.serviceAccountId).endsWith(`/serviceAccounts/${email}`))
      .map((r) => r.inputs.member as string);
    const grants = plan.resources
      .filter((r) => r.type in grantTypes && r.inputs.member === member)
      .map((r) => {
        const condition = (r.inputs.condition as { expression?: string } | undefined)?.expression;
        return { role: r.inputs.role as string, on: String(r.inputs[grantTypes[r.type]!]), ...(condition ? { condition } : {}) };
      });
    const analysis = analyses.find((a) => a.member === member) ?? { member, findings: [], actsAs: [], canChangeAccessTo: [], canGrant: [] };
    return { name, email, principals, grants, analysis };
  });
  return { condition: provider.inputs.attributeCondition as string, mapping: provider.inputs.attributeMapping as Record<string, string>, identities };
}

/** Exit code of `npm run plan:bootstrap`: 2 when an identity has a path to escalate, else 0. */
export function planBootstrapExitCode(summary: Pick<ReturnType<typeof ciIdentities>, "identities">): number {
  return summary.identities.some((identity) => identity.analysis.findings.length > 0) ? 2 : 0;
}
