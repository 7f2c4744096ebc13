/**
 * Plans the bootstrap program (infra/bootstrap/index.ts) under Pulumi mocks with a bootstrap stack file's config, the
 * way scripts/lib/offline-plan.ts plans the main program: mocks and config are set BEFORE the program is imported, every
 * registration is recorded (type, name, inputs, dependencies, protect) and the stack outputs are resolved.
 *
 * One plan per process (Pulumi's runtime state and the imported module are process-wide): one test file, one plan.
 */
import { join } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import type { InventoryResource } from "../../../policy/offline";
import { formatViolations, type FidelityViolation } from "../../../scripts/lib/fidelity";
import { PlanMocks, PROJECT_NUMBER } from "../../../scripts/lib/mocks";
import { PlanError, runProgramUnderMocks } from "../../../scripts/lib/offline-plan";
import { loadStackConfig, repoRoot, stackNameOf } from "../../../scripts/lib/stack-files";

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
