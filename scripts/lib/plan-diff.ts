/**
 * What changes between two offline plans of a stack, per resource and field: the review view of `npm run plan --
 * --diff <git-ref>` (the stack planned at that commit, from a temporary worktree) and `--diff-file <plan.json>` (a plan
 * saved with `--json`). Secrets are masked because plans present them as `[secret]`; long documents (migrations,
 * metadata) show as a length and fingerprint, as the inventories do.
 */
import { execFileSync, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

/** A plan as `npm run plan -- --json` writes it (planJson). */
export interface PlanDocument {
  stack: string;
  project: string;
  resources: Array<{ urn: string; type: string; name: string; parent: string | null; inputs: Record<string, unknown> }>;
  outputs: Record<string, unknown>;
  violations: Array<{ policy: string; enforcement: string; message: string; urn?: string }>;
}

export interface FieldChange {
  /** `template.scaling.maxInstanceCount`, `template.containers[0].envs[name=PORT].value` */
  path: string;
  before: unknown;
  after: unknown;
}

export interface ResourceChange {
  kind: "added" | "removed" | "changed";
  type: string;
  name: string;
  urn: string;
  /** For changed resources: what changed. */
  fields: FieldChange[];
}

export interface PlanDiff {
  resources: ResourceChange[];
  outputs: FieldChange[];
  unchanged: number;
}

/** Placeholder for a value that is absent on one side. */
const ABSENT = Symbol("absent");

export function diffPlans(before: PlanDocument, after: PlanDocument): PlanDiff {
  const old = new Map(before.resources.map((r) => [r.urn, r]));
  const changes: ResourceChange[] = [];
  let unchanged = 0;
  for (const resource of after.resources) {
    const previous = old.get(resource.urn);
    old.delete(resource.urn);
    if (!previous) {
      changes.push({ kind: "added", type: resource.type, name: resource.name, urn: resource.urn, fields: [] });
      continue;
    }
    const fields = diffValues(previous.inputs, resource.inputs, "");
    if (fields.length === 0) unchanged++;
    else changes.push({ kind: "changed", type: resource.type, name: resource.name, urn: resource.urn, fields });
  }
  for (const resource of old.values()) changes.push({ kind: "removed", type: resource.type, name: resource.name, urn: resource.urn, fields: [] });
  const order = { removed: 0, changed: 1, added: 2 } as const;
  changes.sort((a, b) => order[a.kind] - order[b.kind] || a.type.localeCompare(b.type) || a.name.localeCompare(b.name));
  return { resources: changes, outputs: diffValues(before.outputs, after.outputs, ""), unchanged };
}

/** How an element of a list is known across plans: its name, role, table or collection, when every element has one. */
function identityOf(item: unknown): string | undefined {
  if (!isObject(item)) return undefined;
  for (const key of ["name", "role", "collection"]) if (typeof item[key] === "string") return `${key}=${item[key] as string}`;
  const table = item.table;
  if (isObject(table) && typeof table.name === "string") return `table=${typeof table.schema === "string" ? `${table.schema}.` : ""}${table.name}`;
  return undefined;
}

/**
 * Lists whose elements all have an identity (env vars and volumes by name, permissions by role, tables by table) are
 * matched by it, not by position, so one insertion shows as one change.
 */
function namedItems(value: unknown): Map<string, unknown> | undefined {
  if (!Array.isArray(value) || value.length === 0) return undefined;
  const ids = value.map(identityOf);
  if (ids.some((id) => id === undefined) || new Set(ids).size !== ids.length) return undefined;
  return new Map(value.map((item, i) => [ids[i]!, item]));
}

function diffValues(before: unknown, after: unknown, at: string): FieldChange[] {
  if (JSON.stringify(before) === JSON.stringify(after)) return [];
  const beforeNamed = namedItems(before);
  const afterNamed = namedItems(after);
  if ((beforeNamed || before === ABSENT || (Array.isArray(before) && before.length === 0)) && (afterNamed || after === ABSENT || (Array.isArray(after) && after.length === 0)) && (beforeNamed || afterNamed)) {
    const keys = [...new Set([...(beforeNamed?.keys() ?? []), ...(afterNamed?.keys() ?? [])])];
    return keys.flatMap((key) => diffValues(beforeNamed?.get(key) ?? ABSENT, afterNamed?.get(key) ?? ABSENT, `${at}[${key}]`));
  }
  if (Array.isArray(before) && Array.isArray(after)) {
    const length = Math.max(before.length, after.length);
    return Array.from({ length }, (_, i) => diffValues(i < before.length ? before[i] : ABSENT, i < after.length ? after[i] : ABSENT, `${at}[${i}]`)).flat();
  }
  if (isObject(before) && isObject(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
    return keys.flatMap((key) => diffValues(key in before ? before[key] : ABSENT, key in after ? after[key] : ABSENT, at ? `${at}.${key}` : key));
  }
  return [{ path: at || "(value)", before: before === ABSENT ? undefined : before, after: after === ABSENT ? undefined : after }];
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** A value for one line: JSON, long text as its length and fingerprint, absent as "(none)". */
function show(value: unknown): string {
  if (value === undefined) return "(none)";
  const text = JSON.stringify(value);
  if (text.length <= 120) return text;
  return `[${text.length} characters, sha256:${createHash("sha256").update(text).digest("hex").slice(0, 12)}]`;
}

/** The diff as text: one line per resource (+ added, - removed, ~ changed) and one per changed field. */
export function renderPlanDiff(diff: PlanDiff, stack: string, base: string): string {
  const counts = { added: 0, removed: 0, changed: 0 };
  for (const change of diff.resources) counts[change.kind]++;
  const lines = [`Plan diff of stack ${stack}: ${base} -> this checkout`];
  if (diff.resources.length === 0 && diff.outputs.length === 0) {
    lines.push(`No changes: ${diff.unchanged} resources unchanged.`);
    return lines.join("\n");
  }
  const mark = { added: "+", removed: "-", changed: "~" } as const;
  for (const change of diff.resources) {
    lines.push(`${mark[change.kind]} ${change.type}  ${change.name}`);
    for (const field of change.fields) lines.push(`    ${field.path}: ${show(field.before)} -> ${show(field.after)}`);
  }
  if (diff.outputs.length > 0) {
    lines.push("Outputs:");
    for (const field of diff.outputs) lines.push(`  ~ ${field.path}: ${show(field.before)} -> ${show(field.after)}`);
  }
  lines.push(`${counts.added} added, ${counts.removed} removed, ${counts.changed} changed, ${diff.unchanged} unchanged.`);
  return lines.join("\n");
}

/** Reads a plan saved with `npm run plan -- --json`. @throws when the file is not such a plan, naming what is wrong */
export function readPlanFile(file: string): PlanDocument {
  let parsed: unknown;
  try {
    parsed = JSON.parse(fs.readFileSync(file, "utf8"));
  } catch (error) {
    throw new Error(`--diff-file ${file}: not readable as JSON (${(error as Error).message}); save a plan with npm run plan -- --stack <s> --json --out ${file}`);
  }
  if (!isObject(parsed) || !Array.isArray(parsed.resources) || !isObject(parsed.outputs)) {
    throw new Error(`--diff-file ${file}: not an offline plan (expected the JSON of npm run plan -- --json: stack, resources, outputs)`);
  }
  return parsed as unknown as PlanDocument;
}

/**
 * Plans a stack as it is at a git ref: a temporary detached worktree of the ref, this checkout's node_modules linked
 * in, and that ref's own `scripts/plan.ts --json`. The worktree is removed afterwards, also when planning fails.
 *
 * @returns the plan, or `undefined` when the stack has no stack file at that ref (a new stack: everything is added)
 */
export async function planAtRef(repoRoot: string, ref: string, stack: string): Promise<PlanDocument | undefined> {
  const git = (...args: string[]) => execFileSync("git", ["-C", repoRoot, ...args], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).trim();
  let commit: string;
  try {
    commit = git("rev-parse", "--verify", `${ref}^{commit}`);
  } catch {
    throw new Error(`--diff ${ref}: not a commit of this repository (git rev-parse found nothing)`);
  }
  try {
    git("cat-file", "-e", `${commit}:Pulumi.${stack}.yaml`);
  } catch {
    return undefined;
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pulsura-plan-diff-"));
  const tree = path.join(dir, "tree");
  try {
    git("worktree", "add", "--detach", "--quiet", tree, commit);
    for (const modules of ["node_modules", "functions/node_modules", "services/kit/node_modules"]) {
      const source = path.join(repoRoot, modules);
      if (fs.existsSync(source) && fs.existsSync(path.dirname(path.join(tree, modules)))) fs.symlinkSync(source, path.join(tree, modules), "dir");
    }
    const out = path.join(dir, "plan.json");
    await runPlanJson(tree, stack, out, repoRoot, `${ref} (${commit.slice(0, 12)})`);
    return readPlanFile(out);
  } finally {
    try {
      git("worktree", "remove", "--force", tree);
    } catch {
      // Already gone, or never made: the directory below is removed either way.
    }
    fs.rmSync(dir, { recursive: true, force: true });
    try {
      git("worktree", "prune");
    } catch {
      // Nothing to prune.
    }
  }
}

/**
 * Runs a checkout's own `scripts/plan.ts --stack <stack> --json --out <file>` in a child process (a process plans one
 * stack: Pulumi's runtime state is process-wide), with `repoRoot`'s tsx.
 * @throws Error with the planner's stderr when planning fails (a mandatory policy violation, exit 2, still yields a plan)
 */
export async function runPlanJson(cwd: string, stack: string, out: string, repoRoot: string, where = "this checkout"): Promise<void> {
  const tsx = path.join(repoRoot, "node_modules", ".bin", "tsx");
  await new Promise<void>((resolve, reject) => {
    const child = spawn(tsx, ["scripts/plan.ts", "--stack", stack, "--json", "--out", out], { cwd, stdio: ["ignore", "ignore", "pipe"] });
    let errors = "";
    child.stderr?.on("data", (chunk: Buffer) => (errors += chunk.toString()));
    const stop = () => child.kill("SIGTERM");
    process.once("SIGINT", stop).once("SIGTERM", stop);
    child.on("error", reject);
    child.on("close", (code) => {
      process.off("SIGINT", stop).off("SIGTERM", stop);
      // 2 is a plan with a mandatory policy violation: still a plan to compare with.
      if (code === 0 || code === 2) resolve();
      else reject(new Error(`planning ${stack} at ${where} failed with exit code ${code}:\n${errors.trim()}`));
    });
  });
}
