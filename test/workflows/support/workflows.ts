/**
 * Reading the GitHub Actions workflows as data, and running the stack-listing script exactly as a workflow step does.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { parse } from "yaml";
import { repoRoot } from "../../../scripts/lib/stack-files";

export const WORKFLOWS_DIR = join(repoRoot, ".github", "workflows");
export const LIST_STACKS = ".github/scripts/list-stacks.mjs";

export interface Step {
  id?: string;
  name?: string;
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
  env?: Record<string, string>;
  "working-directory"?: string;
}

export interface Job {
  name?: string;
  needs?: string | string[];
  if?: string;
  permissions?: Record<string, string>;
  outputs?: Record<string, string>;
  strategy?: { matrix?: Record<string, unknown> };
  environment?: string | { name: string; url?: string };
  concurrency?: string | { group: string; "cancel-in-progress"?: boolean };
  defaults?: { run?: { "working-directory"?: string } };
  steps: Step[];
}

export interface Workflow {
  file: string;
  name?: string;
  on: unknown;
  permissions?: Record<string, string>;
  jobs: Record<string, Job>;
}

/** Every workflow file, parsed (throws on invalid YAML, naming the file). */
export function readWorkflows(): Workflow[] {
  return readdirSync(WORKFLOWS_DIR)
    .filter((f) => /\.ya?ml$/.test(f))
    .sort()
    .map((file) => {
      const text = readFileSync(join(WORKFLOWS_DIR, file), "utf8");
      try {
        return { file, ...(parse(text, { prettyErrors: true }) as Omit<Workflow, "file">) };
      } catch (error) {
        throw new Error(`${file}: ${(error as Error).message}`);
      }
    });
}

export function workflow(file: string): Workflow {
  const found = readWorkflows().find((w) => w.file === file);
  if (!found) throw new Error(`no workflow ${file}`);
  return found;
}

export function needsOf(job: Job): string[] {
  return job.needs === undefined ? [] : Array.isArray(job.needs) ? job.needs : [job.needs];
}

export function environmentOf(job: Job): string | undefined {
  return typeof job.environment === "string" ? job.environment : job.environment?.name;
}

export interface ListedStack {
  stack: string;
  environment: string;
  file: string;
}

export interface ListRun {
  code: number;
  stdout: string;
  stderr: string;
  /** What the script appended to $GITHUB_OUTPUT, as key → value. */
  githubOutput: Record<string, string>;
}

const run = promisify(execFile);

/** Runs the listing script with arguments (and an empty $GITHUB_OUTPUT file), from the repository root. */
export async function runListStacks(args: string[]): Promise<ListRun> {
  const dir = mkdtempSync(join(tmpdir(), "pulsura-gh-output-"));
  const outputFile = join(dir, "output");
  try {
    let result: { code: number; stdout: string; stderr: string };
    try {
      const { stdout, stderr } = await run(process.execPath, [join(repoRoot, LIST_STACKS), ...args], { cwd: repoRoot, env: { ...process.env, GITHUB_OUTPUT: outputFile } });
      result = { code: 0, stdout, stderr };
    } catch (error) {
      const failed = error as { code?: number; stdout?: string; stderr?: string };
      result = { code: typeof failed.code === "number" ? failed.code : -1, stdout: failed.stdout ?? "", stderr: failed.stderr ?? "" };
    }
    let written = "";
    try {
      written = readFileSync(outputFile, "utf8");
    } catch {
      // Nothing written: the script ran without --github-output or failed first.
    }
    const githubOutput = Object.fromEntries(
      written
        .split("\n")
        .filter(Boolean)
        .map((line) => [line.slice(0, line.indexOf("=")), line.slice(line.indexOf("=") + 1)]),
    );
    return { ...result, githubOutput };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The stack list a job's matrix gets: follows `fromJSON(needs.<job>.outputs.<output>)` to the job output, to the step
 * that sets it, and runs that step's listing command with the step's own arguments.
 */
export async function matrixStacksOf(wf: Workflow, jobId: string): Promise<ListedStack[]> {
  const include = wf.jobs[jobId]?.strategy?.matrix?.include;
  const reference = typeof include === "string" ? /^\$\{\{\s*fromJSON\(needs\.([\w-]+)\.outputs\.([\w-]+)\)\s*\}\}$/.exec(include) : null;
  if (!reference) throw new Error(`${wf.file} ${jobId}: matrix.include is not fromJSON(needs.<job>.outputs.<name>)`);
  const [, sourceJob, outputName] = reference as unknown as [string, string, string];
  const outputExpression = wf.jobs[sourceJob]?.outputs?.[outputName];
  const stepRef = outputExpression ? /^\$\{\{\s*steps\.([\w-]+)\.outputs\.stacks\s*\}\}$/.exec(outputExpression) : null;
  if (!stepRef) throw new Error(`${wf.file} ${sourceJob}: output ${outputName} is not steps.<id>.outputs.stacks`);
  const step = wf.jobs[sourceJob]!.steps.find((s) => s.id === stepRef[1]);
  const command = step?.run?.trim().split(/\s+/) ?? [];
  if (command[0] !== "node" || command[1] !== LIST_STACKS || !command.includes("--github-output")) {
    throw new Error(`${wf.file} ${sourceJob}: step ${stepRef[1]} does not run node ${LIST_STACKS} --github-output`);
  }
  const listed = await runListStacks(command.slice(2));
  if (listed.code !== 0) throw new Error(`${LIST_STACKS} failed: ${listed.stderr}`);
  return JSON.parse(listed.githubOutput.stacks ?? "null") as ListedStack[];
}

/** Replaces `${{ matrix.<key> }}` with a matrix entry's values. */
export function expandMatrix(text: string, entry: Record<string, string>): string {
  return text.replace(/\$\{\{\s*matrix\.([\w-]+)\s*\}\}/g, (whole, key: string) => entry[key] ?? whole);
}

/** A temporary directory with the given files, removed by the returned function. */
export function tempTree(files: Record<string, string>): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), "pulsura-stacks-"));
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
