/**
 * Plans of the stack files and planned fixtures, made by the plan CLI (`--inventory`) the first time a test file of the
 * run asks for one, and shared with the run's other test files through files in the run's folder
 * (PULSURA_TEST_RUN_DIR/plans/): a file that needs one stack's plan waits for that plan only, and no stack is planned
 * twice in a run. `plannedStacks()` starts every stack file's plan at once, since its callers go on to ask for each.
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { PlanResult } from "../../../scripts/lib/offline-plan";
import { readProcStat } from "../../../scripts/lib/proc-stat";
import { listStackFiles, repoRoot } from "../../../scripts/lib/stack-files";
import type { InventoryResource } from "../../../policy/offline";
import { trackProcess } from "../../support/cleanup";
import { PLANNED_FIXTURES } from "./global-plans";
import type { PlanRun } from "./run-plan";

/** How long a test waits for a plan that another file (or this one) started. */
const PLAN_TIMEOUT_MS = 180_000;

const planDir = join(process.env.PULSURA_TEST_RUN_DIR ?? fs.mkdtempSync(join(tmpdir(), "pulsura-plans-")), "plans");
const finished = new Map<string, PlanRun>();

function planFiles(key: string) {
  const base = join(planDir, key);
  return { lock: `${base}.lock`, owner: join(`${base}.lock`, "pid"), stdout: `${base}.stdout`, stderr: `${base}.stderr`, exitCode: `${base}.exit` };
}

/**
 * Starts planning a stack file unless this run already has its plan or another process is making it. The planner
 * writes its exit code last (renamed into place), so a reader that finds it finds the whole output.
 */
function startPlan(key: string, configFile: string): void {
  const files = planFiles(key);
  fs.mkdirSync(planDir, { recursive: true });
  try {
    fs.mkdirSync(files.lock);
  } catch {
    return;
  }
  // `npm run plan`'s command, with this Node.
  const script = '"$1" --import tsx scripts/plan.ts --config-file "$2" --inventory > "$3" 2> "$4"; echo $? > "$5.tmp"; mv "$5.tmp" "$5"';
  const child = spawn("sh", ["-c", script, "plan", process.execPath, configFile, files.stdout, files.stderr, files.exitCode], { cwd: repoRoot, stdio: "ignore" });
  trackProcess(child, `plan of ${key}`);
  fs.writeFileSync(files.owner, String(child.pid));
}

function alive(pidFile: string): boolean {
  let pid: number;
  try {
    pid = Number(fs.readFileSync(pidFile, "utf8"));
  } catch {
    // The owner is between taking the lock and writing its pid.
    return true;
  }
  const stat = readProcStat(pid);
  return stat !== undefined && stat.state !== "Z";
}

const pause = new Int32Array(new SharedArrayBuffer(4));

/** The plan CLI's run for a stack file: this run's plan of it, made now when no file of the run made it yet. */
function planRun(key: string, configFile: string): PlanRun {
  const known = finished.get(key);
  if (known) return known;
  const files = planFiles(key);
  const deadline = Date.now() + PLAN_TIMEOUT_MS;
  startPlan(key, configFile);
  // Tests read plans synchronously; the planner is another process, so waiting here blocks nothing it needs.
  while (!fs.existsSync(files.exitCode)) {
    if (Date.now() > deadline) throw new Error(`no plan of ${key} after ${PLAN_TIMEOUT_MS / 1000} s (${files.stderr})`);
    if (!fs.existsSync(files.lock) || !alive(files.owner)) {
      // Its planner died without an answer (its test file was stopped): plan it here instead.
      fs.rmSync(files.lock, { recursive: true, force: true });
      startPlan(key, configFile);
    }
    Atomics.wait(pause, 0, 0, 25);
  }
  const run = { exitCode: Number(fs.readFileSync(files.exitCode, "utf8")), stdout: fs.readFileSync(files.stdout, "utf8"), stderr: fs.readFileSync(files.stderr, "utf8") };
  finished.set(key, run);
  return run;
}

function parsePlan(run: PlanRun, what: string): PlanResult {
  if (run.exitCode !== 0 && run.exitCode !== 2) throw new Error(`planning ${what} failed (exit ${run.exitCode}):\n${run.stderr}`);
  return JSON.parse(run.stdout) as PlanResult;
}

/** The plan CLI's run (`--inventory`) of a stack file, exit code and output as printed. */
export function stackPlanRun(stack: string): PlanRun {
  const file = listStackFiles().find((s) => s.stack === stack);
  if (!file) throw new Error(`no stack file Pulumi.${stack}.yaml`);
  return planRun(`stack-${stack}`, file.path);
}

/** The plan of a stack; fails the test with the CLI's message when planning failed. */
export function planOf(stack: string): PlanResult {
  return parsePlan(stackPlanRun(stack), stack);
}

/** The plan of a fixture stack (test/infra/fixtures/Pulumi.<name>.yaml, listed in PLANNED_FIXTURES). */
export function fixturePlanOf(name: "everything" | "edge"): PlanResult {
  if (!(PLANNED_FIXTURES as readonly string[]).includes(name)) throw new Error(`fixture ${name} is not planned: add it to PLANNED_FIXTURES in test/infra/support/global-plans.ts`);
  return parsePlan(planRun(`fixture-${name}`, join(repoRoot, "test", "infra", "fixtures", `Pulumi.${name}.yaml`)), `fixture ${name}`);
}

/** Names of every stack file (every planned stack); starts planning each, as the caller goes on to ask for them. */
export function plannedStacks(): string[] {
  const stacks = listStackFiles();
  for (const { stack, path } of stacks) if (!finished.has(`stack-${stack}`)) startPlan(`stack-${stack}`, path);
  return stacks.map((s) => s.stack);
}

/** Resources of a type in a plan. */
export function resourcesOfType(plan: PlanResult, type: string): InventoryResource[] {
  return plan.resources.filter((r) => r.type === type);
}

/** The one resource of a type in a plan (fails when there are none or several). */
export function onlyResourceOfType(plan: PlanResult, type: string): InventoryResource {
  const found = resourcesOfType(plan, type);
  if (found.length !== 1) throw new Error(`expected one ${type} in ${plan.stack}, found ${found.length}`);
  return found[0]!;
}
