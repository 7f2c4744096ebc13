/**
 * The offline plan: runs the real Pulumi program under Pulumi's mocks with a stack file's config, records every
 * resource the program registers (type, name, parent, inputs, dependencies), resolves the stack outputs and runs the
 * policy pack over the inventory. No Pulumi CLI, cloud account or network is involved.
 *
 * One plan per process: Pulumi's runtime state and the program's module are process-wide.
 */
import { createHash } from "node:crypto";
import { join } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { setCertificateStatusReader, type CertificateStatus } from "../../infra/edge-cutover";
import { runPolicies, type InventoryResource, type Violation } from "../../policy/offline";
import { formatViolations } from "./fidelity";
import { PlanMocks } from "./mocks";
import { loadStackConfig, projectName, repoRoot, SECRET_PLACEHOLDER, stackNameOf } from "./stack-files";

/** Wire-format signatures of Pulumi's serialized property values. */
const SIG = {
  key: "4dabf18193072939515e22adb298388d",
  secret: "1b47061264138c4ac30d75fd1eb44270",
  resourceReference: "5cf8f73096256a8f31e491e813e4eb8e",
  asset: "c44067f5952c0a294b673a41bacd8c17",
  archive: "0def7320c3a5731c473e5ecbe6d01bc7",
  outputValue: "d0e6a833031e9bbcd3f4e8bde6ca49a4",
  unknown: "04da6b54-80e4-46f7-96ec-b56ff0331ba9",
} as const;

export const SECRET_MARK = "[secret]";
export const UNKNOWN_MARK = "[unknown]";

export interface PlanOptions {
  /** Path of the stack file; defaults to `Pulumi.<stack>.yaml` in the repository root. */
  configFile?: string;
  /** Stack name; defaults to the one in the stack file's name. */
  stack?: string;
  /** Secret config keys still to be set (e.g. on a fresh fork): planned as "[secret]" placeholders. */
  secretsToBeSet?: string[];
  /**
   * The status Google would report for the API domain's managed certificate (stacks with `pulsura:apiDomain`), which
   * decides whether Hasura is behind the edge yet (infra/edge-cutover.ts). `ABSENT` plans a stack's first `pulumi up`.
   * @default "ACTIVE" (a stack whose DNS record is in place: Hasura behind the load balancer)
   */
  apiCertificate?: CertificateStatus;
}

export interface PlanResult {
  stack: string;
  project: string;
  environment: string;
  resources: InventoryResource[];
  outputs: Record<string, unknown>;
  violations: Violation[];
}

/** The program failed before or while declaring resources (including invalid stack config). */
export class PlanError extends Error {
  constructor(
    message: string,
    readonly kind: "config" | "program",
  ) {
    super(message);
  }
}

/** Turns serialized inputs into plain JSON for people and policies: secrets, unknowns, assets made readable. */
export function presentValue(value: unknown): unknown {
  if (value === SIG.unknown) return UNKNOWN_MARK;
  if (Array.isArray(value)) return value.map(presentValue);
  if (value === null || typeof value !== "object") return value;
  const object = value as Record<string, unknown>;
  switch (object[SIG.key]) {
    case SIG.secret:
      return SECRET_MARK;
    case SIG.resourceReference:
      return object.urn;
    case SIG.asset:
      return { asset: object.path ?? object.uri ?? `text (${String(object.text ?? "").length} characters)` };
    case SIG.archive:
      return { archive: object.path ?? object.uri ?? Object.keys((object.assets as object | undefined) ?? {}).sort() };
    case SIG.outputValue:
      return object.secret ? SECRET_MARK : "value" in object ? presentValue(object.value) : UNKNOWN_MARK;
    default:
      return Object.fromEntries(Object.entries(object).map(([k, v]) => [k, presentValue(v)]));
  }
}

function presentInputs(type: string, inputs: Record<string, unknown>): Record<string, unknown> {
  const presented = presentValue(inputs) as Record<string, unknown>;
  // A dynamic resource carries its provider as serialized JavaScript: show a fingerprint, not pages of code.
  if (type.startsWith("pulumi-nodejs:dynamic") && typeof inputs.__provider === "string") {
    presented.__provider = `[serialized provider sha256:${createHash("sha256").update(inputs.__provider).digest("hex").slice(0, 12)}]`;
  }
  return presented;
}

interface RegisterRequest {
  getType(): string;
  getName(): string;
  getParent(): string;
  getCustom(): boolean;
  getProtect(): boolean | undefined;
  getDependenciesList(): string[];
  getObject(): { toJavaScript(): Record<string, unknown> } | undefined;
}
type Callback = (error: Error | null, response?: { getUrn(): string }) => void;
interface Monitor {
  registerResource(request: RegisterRequest, callback: Callback): void;
}

/** Records each registration the mock monitor answers. */
function recordRegistrations(monitor: Monitor, resources: InventoryResource[]): void {
  const register = monitor.registerResource.bind(monitor);
  monitor.registerResource = (request, callback) =>
    register(request, (error, response) => {
      if (!error && response) {
        resources.push({
          urn: response.getUrn(),
          type: request.getType(),
          name: request.getName(),
          parent: request.getParent() || null,
          inputs: presentInputs(request.getType(), request.getObject()?.toJavaScript() ?? {}),
          dependencies: [...new Set(request.getDependenciesList())].sort(),
          protect: request.getProtect() === true,
          custom: request.getCustom(),
        });
      }
      callback(error, response);
    });
}

async function resolveOutputs(exports: Record<string, unknown>): Promise<Record<string, unknown>> {
  const outputs: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(exports)) {
    if (name === "default" || name === "__esModule") continue;
    // Exports may be plain values or outputs of any shape; only their resolved value matters here.
    const output = pulumi.output(value as pulumi.Input<Record<string, unknown>>) as pulumi.Output<unknown>;
    const [plain, secret] = await Promise.all([
      new Promise<unknown>((resolveValue) => output.apply((v) => resolveValue(v))),
      pulumi.isSecret(output),
    ]);
    outputs[name] = secret ? SECRET_MARK : presentValue(plain);
  }
  return outputs;
}

function describeError(error: unknown): PlanError {
  if (error instanceof PlanError) return error;
  if (error instanceof pulumi.RunError) return new PlanError(error.message, error.name === "StackConfigError" ? "config" : "program");
  if (error instanceof Error) return new PlanError(`${error.message}\n${error.stack?.split("\n").slice(1, 6).join("\n") ?? ""}`, "program");
  return new PlanError(String(error), "program");
}

/** What a program declared under mocks. */
export interface ProgramRun {
  resources: InventoryResource[];
  outputs: Record<string, unknown>;
}

export interface ProgramRunOptions {
  project: string;
  stack: string;
  /** Config as the language host passes it, and the keys that are secrets. */
  config: Record<string, string>;
  secretKeys: string[];
  mocks: pulumi.runtime.Mocks;
  /** The program's entry file. */
  program: string;
}

/**
 * Runs a Pulumi program under mocks (set, with the config, before the program is imported), records every
 * registration and resolves the stack outputs. Call once per process.
 */
export async function runProgramUnderMocks(options: ProgramRunOptions): Promise<ProgramRun> {
  await pulumi.runtime.setMocks(options.mocks, options.project, options.stack, false);
  pulumi.runtime.setAllConfig(options.config, options.secretKeys);
  const resources: InventoryResource[] = [];
  recordRegistrations(pulumi.runtime.getMonitor() as unknown as Monitor, resources);

  // An error inside an apply surfaces as an unhandled rejection, as it would under `pulumi up`.
  const failures: unknown[] = [];
  const onRejection = (reason: unknown) => failures.push(reason);
  process.on("unhandledRejection", onRejection);
  // Pulumi takes every resource's whole call stack (Error.stackTraceLimit = Infinity) for its source position, which
  // the mocks never read; mapping those stacks through tsx's source maps was a fifth of the plan. V8 formats an
  // error's stack when it is first read, so errors described after the maps are back still point into the .ts files.
  const sourceMaps = process.sourceMapsEnabled;
  process.setSourceMapsEnabled(false);
  const describeAfterRun = (error: unknown) => {
    process.setSourceMapsEnabled(sourceMaps);
    return describeError(error);
  };
  try {
    let exports: Record<string, unknown>;
    try {
      exports = (await import(options.program)) as Record<string, unknown>;
    } catch (error) {
      throw describeAfterRun(error);
    }
    const outputs = await resolveOutputs(exports);
    // waitForRPCs is how Pulumi itself drains pending registrations before disconnecting; it is not in the typings.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const settings = require("@pulumi/pulumi/runtime/settings") as { waitForRPCs(): Promise<void> };
    await settings.waitForRPCs();
    if (failures.length > 0) throw describeAfterRun(failures[0]);
    return { resources, outputs };
  } finally {
    process.setSourceMapsEnabled(sourceMaps);
    process.off("unhandledRejection", onRejection);
  }
}

/** Plans one stack of the pulsura program, policies included. Call once per process. */
export async function runOfflinePlan(options: PlanOptions): Promise<PlanResult> {
  const project = projectName();
  const configFile = options.configFile ?? join(repoRoot, `Pulumi.${options.stack}.yaml`);
  const stack = options.stack ?? stackNameOf(configFile);
  const { config, secretKeys } = loadStackConfig(configFile, project);
  for (const key of options.secretsToBeSet ?? []) {
    if (config[key] !== undefined) continue;
    config[key] = SECRET_PLACEHOLDER;
    secretKeys.push(key);
  }
  const ctx = { project: config["gcp:project"] ?? "unknown-project", region: config["gcp:region"] ?? "unknown-region" };
  const mocks = new PlanMocks(ctx);
  // No Google credentials here: the program reads the status it is told instead of asking Compute Engine.
  const apiCertificate = options.apiCertificate ?? "ACTIVE";
  setCertificateStatusReader(async () => apiCertificate);
  const { resources, outputs } = await runProgramUnderMocks({
    project,
    stack,
    config,
    secretKeys,
    mocks,
    program: join(repoRoot, "infra", "index.ts"),
  });
  // What Google Cloud would refuse is an error, not a policy finding: `pulumi up` would fail on it.
  if (mocks.violations.length > 0) throw new PlanError(formatViolations(stack, mocks.violations), "program");
  const environment = String(outputs.environment ?? "");
  const violations = await runPolicies(resources, environment);
  return { stack, project, environment, resources, outputs, violations };
}

/** The plan as `npm run plan -- --json` prints it. */
export function planJson(plan: PlanResult): object {
  return {
    stack: plan.stack,
    project: plan.project,
    resources: plan.resources.map(({ urn, type, name, parent, inputs }) => ({ urn, type, name, parent, inputs })),
    outputs: plan.outputs,
    violations: plan.violations,
  };
}

/** A readable tree of the plan: resources under their parents, then outputs and violations. */
export function planTree(plan: PlanResult): string {
  const children = new Map<string | null, InventoryResource[]>();
  for (const r of plan.resources) children.set(r.parent, [...(children.get(r.parent) ?? []), r]);
  const lines = [`Offline plan of stack ${plan.stack} (project ${plan.project}, environment ${plan.environment}): ${plan.resources.length} resources`];
  const walk = (parent: string | null, indent: string) => {
    const list = children.get(parent) ?? [];
    list.forEach((r, i) => {
      const last = i === list.length - 1;
      lines.push(`${indent}${last ? "└─" : "├─"} ${r.type}  ${r.name}${r.protect ? "  [protected]" : ""}`);
      walk(r.urn, indent + (last ? "   " : "│  "));
    });
  };
  walk(null, "");
  lines.push("", "Outputs:");
  for (const [name, value] of Object.entries(plan.outputs)) lines.push(`  ${name}: ${JSON.stringify(value)}`);
  lines.push("", plan.violations.length === 0 ? "Policies: no violations" : `Policies: ${plan.violations.length} violation(s)`);
  for (const v of plan.violations) lines.push(`  [${v.enforcement}] ${v.policy}: ${v.message}${v.urn ? `\n      ${v.urn}` : ""}`);
  return lines.join("\n");
}

/** Exit code of a plan: 2 when a mandatory policy is violated, else 0. */
export function planExitCode(plan: PlanResult): 0 | 2 {
  return plan.violations.some((v) => v.enforcement === "mandatory") ? 2 : 0;
}
