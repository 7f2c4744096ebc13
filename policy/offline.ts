/**
 * Runs the policy pack's rules over a resource inventory without the Pulumi engine: what `pulumi preview
 * --policy-pack policy` would report, computed from the offline plan (or from hand-made resources in tests).
 */
import type {
  EnforcementLevel,
  PolicyResource,
  ReportViolation,
  ResourceValidationArgs,
  ResourceValidationPolicy,
  StackValidationPolicy,
} from "@pulumi/policy";
import { policies as allPolicies, type PulsuraPolicy } from "./rules";
import { enforcementFor } from "./environments";

/** A resource as the offline plan records it. */
export interface InventoryResource {
  urn: string;
  type: string;
  name: string;
  /** URN of the parent, or null at the top. */
  parent: string | null;
  /** Inputs the program gave, secrets as "[secret]". */
  inputs: Record<string, unknown>;
  /** URNs this resource explicitly depends on. */
  dependencies: string[];
  /** Pulumi's `protect` resource option. */
  protect: boolean;
  custom: boolean;
}

export interface Violation {
  policy: string;
  enforcement: EnforcementLevel;
  urn: string;
  message: string;
}

class NotApplicable extends Error {}

function typeToken(resourceClass: { __pulumiType?: string }): string | undefined {
  return resourceClass.__pulumiType;
}

function policyResources(resources: InventoryResource[]): PolicyResource[] {
  const byUrn = new Map<string, PolicyResource>();
  for (const r of resources) {
    byUrn.set(r.urn, {
      type: r.type,
      props: r.inputs,
      urn: r.urn,
      name: r.name,
      opts: { protect: r.protect, ignoreChanges: [], aliases: [], customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 }, additionalSecretOutputs: [], ...(r.parent ? { parent: r.parent } : {}) },
      dependencies: [],
      propertyDependencies: {},
      isType: (resourceClass) => typeToken(resourceClass as { __pulumiType?: string }) === r.type,
      asType: ((resourceClass: { __pulumiType?: string }) => (typeToken(resourceClass) === r.type ? r.inputs : undefined)) as PolicyResource["asType"],
    });
  }
  for (const r of resources) {
    const policyResource = byUrn.get(r.urn)!;
    policyResource.parent = r.parent ? byUrn.get(r.parent) : undefined;
    policyResource.dependencies = r.dependencies.map((urn) => byUrn.get(urn)).filter((d): d is PolicyResource => d !== undefined);
  }
  return resources.map((r) => byUrn.get(r.urn)!);
}

function resourceArgs(resource: PolicyResource): ResourceValidationArgs {
  return {
    type: resource.type,
    props: resource.props,
    urn: resource.urn,
    name: resource.name,
    opts: resource.opts,
    stackTags: new Map(),
    isType: resource.isType,
    asType: resource.asType as ResourceValidationArgs["asType"],
    getConfig: <T extends object>() => ({}) as T,
    notApplicable: (reason?: string): never => {
      throw new NotApplicable(reason);
    },
  };
}

function isResourcePolicy(policy: PulsuraPolicy): policy is ResourceValidationPolicy & PulsuraPolicy {
  return "validateResource" in policy;
}

async function runOne(policy: PulsuraPolicy, resources: PolicyResource[], report: (message: string, urn: string) => void): Promise<void> {
  const guard = async (run: () => void | Promise<void>) => {
    try {
      await run();
    } catch (error) {
      if (!(error instanceof NotApplicable)) throw error;
    }
  };
  if (isResourcePolicy(policy)) {
    const validations = [policy.validateResource ?? []].flat();
    for (const resource of resources) {
      const reportViolation: ReportViolation = (message, urn) => report(message, urn ?? resource.urn);
      for (const validate of validations) await guard(() => validate(resourceArgs(resource), reportViolation));
    }
    return;
  }
  const stackPolicy = policy as StackValidationPolicy;
  const reportViolation: ReportViolation = (message, urn) => report(message, urn ?? "");
  await guard(() =>
    stackPolicy.validateStack(
      { resources, stackTags: new Map(), getConfig: <T extends object>() => ({}) as T, notApplicable: (reason?: string): never => { throw new NotApplicable(reason); } },
      reportViolation,
    ),
  );
}

/**
 * Runs every policy (or the given ones) over the inventory and returns the violations, with the enforcement level that
 * applies in the stack's environment.
 */
export async function runPolicies(
  resources: InventoryResource[],
  environment: string,
  policies: readonly PulsuraPolicy[] = allPolicies,
): Promise<Violation[]> {
  const inventory = policyResources(resources);
  const violations: Violation[] = [];
  for (const policy of policies) {
    const enforcement = enforcementFor(policy, environment);
    if (enforcement === "disabled") continue;
    await runOne(policy, inventory, (message, urn) => violations.push({ policy: policy.name, enforcement, urn, message }));
  }
  return violations;
}
