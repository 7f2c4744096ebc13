/**
 * The GitHub Actions workflows as data: they parse, name only scripts and files that exist, pin every action, derive
 * their stack matrices from the stack files, and deploy anything but dev only through a protected environment.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { listStackFiles, repoRoot } from "../../scripts/lib/stack-files";
import { LIST_STACKS, WORKFLOWS_DIR, environmentOf, expandMatrix, matrixStacksOf, needsOf, readWorkflows, workflow, type Job, type Step, type Workflow } from "./support/workflows";

const packageJson = JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")) as { scripts: Record<string, string>; dependencies: Record<string, string> };
const allStacks = () => listStackFiles().map((s) => s.stack);

const steps = (wf: Workflow): Array<{ jobId: string; job: Job; step: Step }> =>
  Object.entries(wf.jobs).flatMap(([jobId, job]) => job.steps.map((step) => ({ jobId, job, step })));

/** Version triples compared numerically. */
const compareVersions = (a: string, b: string) => {
  const [x, y] = [a, b].map((v) => v.split(".").map(Number));
  for (let i = 0; i < 3; i++) if (x![i] !== y![i]) return (x![i] ?? 0) - (y![i] ?? 0);
  return 0;
};

/** Whether a version meets a pub constraint made of exact, ^, >=, >, <=, < parts (what pubspecs use for environment). */
function satisfies(version: string, constraint: string): boolean {
  return constraint
    .trim()
    .split(/\s+/)
    .every((part) => {
      const [, op, bound] = /^(\^|>=|<=|>|<)?(\d+\.\d+\.\d+)$/.exec(part) ?? [];
      if (!bound) throw new Error(`unsupported constraint part ${part}`);
      const c = compareVersions(version, bound);
      if (op === "^") return c >= 0 && Number(version.split(".")[0]) === Number(bound.split(".")[0]);
      return op === ">=" ? c >= 0 : op === ">" ? c > 0 : op === "<=" ? c <= 0 : op === "<" ? c < 0 : c === 0;
    });
}

const usesAction = (step: Step, action: string) => step.uses?.split("@")[0] === action;

/** Jobs that run `pulumi <command>` through pulumi/actions. */
const pulumiJobs = (wf: Workflow, command: string) =>
  Object.entries(wf.jobs).filter(([, job]) => job.steps.some((s) => usesAction(s, "pulumi/actions") && s.with?.command === command));

/** Relative paths a step or job points at: working directories, policy packs and configs, scripts run with node. */
function referencedPaths(job: Job, step: Step): string[] {
  const paths: string[] = [];
  const workingDirectory = step["working-directory"] ?? (step.run !== undefined ? job.defaults?.run?.["working-directory"] : undefined);
  if (workingDirectory) paths.push(workingDirectory);
  for (const key of ["policyPacks", "policyPackConfigs", "work-dir", "cache-dependency-path", "flutter-version-file", "pulumi-version-file"]) {
    const value = step.with?.[key];
    if (typeof value === "string") paths.push(...value.split("\n").map((v) => v.trim()).filter(Boolean));
  }
  for (const match of step.run?.matchAll(/(?:^|\s)node\s+(\S+)/g) ?? []) paths.push(match[1]!);
  return paths;
}

describe("workflow files", () => {
  it("are the pull-request and deploy workflows, and parse as YAML with triggers and jobs", () => {
    const workflows = readWorkflows();
    expect(workflows.map((w) => w.file)).toEqual(expect.arrayContaining(["deploy.yml", "pull-request.yml"]));
    for (const wf of workflows) {
      expect(wf.on, wf.file).toBeDefined();
      expect(Object.keys(wf.jobs).length, wf.file).toBeGreaterThan(0);
      for (const [jobId, job] of Object.entries(wf.jobs)) expect(job.steps.length, `${wf.file} ${jobId}`).toBeGreaterThan(0);
      // The workflow grants nothing by default; each job asks for what it needs (see "give each job only the permissions").
      expect(wf.permissions, wf.file).toEqual({});
    }
    expect(workflow("pull-request.yml").on).toEqual({ pull_request: null });
    expect(workflow("deploy.yml").on).toEqual({ push: { branches: ["main"] } });
  });

  it("run only npm scripts that package.json defines", () => {
    const named = new Set<string>();
    for (const wf of readWorkflows()) {
      for (const { step } of steps(wf)) {
        for (const match of step.run?.matchAll(/\bnpm\s+(?:run(?:-script)?\s+([\w:.-]+)|(test|start))\b/g) ?? []) named.add(match[1] ?? match[2]!);
      }
    }
    expect([...named].sort()).toEqual(["lint", "plan", "test"]);
    for (const script of named) expect(packageJson.scripts, `npm run ${script}`).toHaveProperty([script]);
  });

  it("point only at files and directories that exist, for every stack of a matrix", async () => {
    const checked = new Set<string>();
    for (const wf of readWorkflows()) {
      for (const [jobId, job] of Object.entries(wf.jobs)) {
        const entries: Array<Record<string, string>> = job.strategy?.matrix ? ((await matrixStacksOf(wf, jobId)) as unknown as Array<Record<string, string>>) : [{}];
        for (const step of job.steps) {
          for (const raw of referencedPaths(job, step)) {
            for (const entry of entries) {
              const path = expandMatrix(raw, entry);
              expect(path, `${wf.file} ${jobId}: unresolved expression`).not.toContain("${{");
              expect(existsSync(join(repoRoot, path)), `${wf.file} ${jobId} refers to ${path}, which does not exist`).toBe(true);
              checked.add(path);
            }
          }
        }
      }
    }
    expect([...checked]).toEqual(expect.arrayContaining(["policy", "policy/config.dev.json", "policy/config.prod.json", LIST_STACKS, "flutter-template"]));
  });

  it("pin every action to the full commit SHA of a release, with that release's tag in a comment", () => {
    const tagOfPin = new Map<string, string>();
    const pinOfTag = new Map<string, string>();
    let pinned = 0;
    for (const wf of readWorkflows()) {
      const parsed = steps(wf).map((s) => s.step.uses).filter((u): u is string => u !== undefined && !u.startsWith("./"));
      // YAML parsing drops comments: the tag is read from the file's text, line by line.
      const lines = readFileSync(join(WORKFLOWS_DIR, wf.file), "utf8").split("\n");
      const usesLines = lines.map((line, i) => ({ line, where: `${wf.file}:${i + 1}` })).filter(({ line }) => /^\s*(?:-\s+)?uses:/.test(line));
      expect(usesLines.length, `${wf.file}: every uses: line is a step the parser sees`).toBe(parsed.length);
      for (const { line, where } of usesLines) {
        const [, action, sha, tag] = /^\s*(?:-\s+)?uses:\s+([\w.-]+\/[\w./-]+)@(\S+)\s+#\s+(v\d+\.\d+\.\d+)\s*$/.exec(line) ?? [];
        expect(sha, `${where}: ${line.trim()} is not "owner/repo@<sha> # vX.Y.Z"`).toMatch(/^[0-9a-f]{40}$/);
        // One tag, one commit: the same action at two SHAs under one tag comment (or the reverse) is a half-done bump.
        const pin = `${action}@${sha}`;
        const release = `${action}@${tag}`;
        expect(tagOfPin.get(pin) ?? tag, `${where}: ${pin} is also commented as another tag`).toBe(tag);
        expect(pinOfTag.get(release) ?? pin, `${where}: ${release} is also pinned to another SHA`).toBe(pin);
        tagOfPin.set(pin, tag!);
        pinOfTag.set(release, pin);
        pinned++;
      }
    }
    expect(pinned).toBeGreaterThan(10);
  });

  it("give each job only the permissions it needs, and the workflow none by default", () => {
    for (const wf of readWorkflows()) {
      for (const [jobId, job] of Object.entries(wf.jobs)) {
        const where = `${wf.file} ${jobId}`;
        // An OIDC token only where a step exchanges it for Google credentials; pull-request write only where a step comments.
        const needs: Record<string, string> = { contents: "read" };
        if (job.steps.some((s) => usesAction(s, "google-github-actions/auth"))) needs["id-token"] = "write";
        const comments = (s: Step) => s.run?.includes("gh pr comment") || /gh api [^\n]*issues\/[^\n]*comments/.test(s.run ?? "") || s.with?.["comment-on-pr"] === true;
        if (job.steps.some(comments)) needs["pull-requests"] = "write";
        expect(job.permissions, where).toEqual(needs);
      }
    }
  });

  it("install the Pulumi CLI of the same version as the @pulumi/pulumi SDK", () => {
    const sdk = packageJson.dependencies["@pulumi/pulumi"];
    expect(sdk).toMatch(/^\d+\.\d+\.\d+$/);
    for (const wf of readWorkflows()) {
      for (const { jobId, step } of steps(wf)) if (usesAction(step, "pulumi/actions")) expect(String(step.with?.["pulumi-version"]), `${wf.file} ${jobId}`).toBe(sdk);
    }
  });

  it("authenticate with Workload Identity from repository variables documented in docs/bootstrap.md, never with a key", () => {
    const docs = readFileSync(join(repoRoot, "docs", "bootstrap.md"), "utf8");
    for (const wf of readWorkflows()) {
      const text = readFileSync(join(repoRoot, ".github", "workflows", wf.file), "utf8");
      expect(text, wf.file).not.toMatch(/credentials_json|GOOGLE_CREDENTIALS|secrets\./);
      for (const [, variable] of text.matchAll(/\bvars\.(\w+)/g)) expect(docs, `vars.${variable} in ${wf.file}`).toContain(variable!);
      // A pull request's jobs run the pull request's code: they can only get the read-only previewer. Only deploy.yml,
      // which runs on pushes to main, asks for the deployer (and the pool refuses the deployer to anything else).
      const account = wf.file === "deploy.yml" ? "GCP_DEPLOYER_SERVICE_ACCOUNT" : "GCP_PREVIEWER_SERVICE_ACCOUNT";
      if (wf.file !== "deploy.yml") expect(text, wf.file).not.toContain("GCP_DEPLOYER_SERVICE_ACCOUNT");
      for (const { jobId, step } of steps(wf)) {
        if (!usesAction(step, "google-github-actions/auth")) continue;
        expect(step.with, `${wf.file} ${jobId}`).toEqual({
          workload_identity_provider: "${{ vars.GCP_WORKLOAD_IDENTITY_PROVIDER }}",
          service_account: `\${{ vars.${account} }}`,
        });
      }
    }
    for (const [jobId, job] of [...pulumiJobs(workflow("pull-request.yml"), "preview"), ...pulumiJobs(workflow("deploy.yml"), "up")]) {
      const pulumiStep = job.steps.findIndex((s) => usesAction(s, "pulumi/actions"));
      const authStep = job.steps.findIndex((s) => usesAction(s, "google-github-actions/auth"));
      expect(authStep, `${jobId} authenticates before pulumi`).toBeGreaterThanOrEqual(0);
      expect(authStep).toBeLessThan(pulumiStep);
      expect(job.permissions?.["id-token"], jobId).toBe("write");
    }
  });
});

describe("pull-request.yml", () => {
  const wf = () => workflow("pull-request.yml");

  it("installs with the npm cache, then lints and tests", () => {
    const checks = wf().jobs.checks!;
    const setupNode = checks.steps.find((s) => usesAction(s, "actions/setup-node"));
    // The Node of .nvmrc, which test/infra/runtimes.test.ts keeps equal to package.json's engines.
    expect(setupNode?.with).toMatchObject({ "node-version-file": ".nvmrc", cache: "npm" });
    const runs = checks.steps.map((s) => s.run).filter(Boolean);
    expect(runs.indexOf("npm ci")).toBeLessThan(runs.indexOf("npm run lint"));
    expect(runs.indexOf("npm run lint")).toBeLessThan(runs.indexOf("npm test"));
  });

  it("previews every stack file: the matrix is derived from the Pulumi.<stack>.yaml files", async () => {
    const [[jobId]] = pulumiJobs(wf(), "preview") as [[string, Job]];
    const stacks = await matrixStacksOf(wf(), jobId);
    expect(stacks.map((s) => s.stack)).toEqual(allStacks());
  });

  it("runs the offline plan and pulumi preview with the policy pack of the stack's environment, commenting on the pull request", () => {
    const [[jobId, job]] = pulumiJobs(wf(), "preview") as [[string, Job]];
    const plan = job.steps.find((s) => s.run?.includes("npm run plan"));
    expect(plan?.run).toBe('npm run plan -- --stack "$STACK"');
    // The stack name reaches the shell through the environment, never spliced into the script.
    expect(plan?.env).toEqual({ STACK: "${{ matrix.stack }}" });
    const preview = job.steps.find((s) => usesAction(s, "pulumi/actions"))!;
    expect(preview.with).toMatchObject({
      command: "preview",
      "stack-name": "${{ matrix.stack }}",
      "cloud-url": "${{ vars.PULUMI_BACKEND_URL }}",
      policyPacks: "policy",
      policyPackConfigs: "policy/config.${{ matrix.environment }}.json",
      "comment-on-pr": true,
    });
    expect(job.permissions, jobId).toEqual({ contents: "read", "id-token": "write", "pull-requests": "write" });
  });

  it("posts the offline plan's diff against the pull request's base on the pull request", () => {
    const [[, job]] = pulumiJobs(wf(), "preview") as [[string, Job]];
    const checkout = job.steps.find((s) => usesAction(s, "actions/checkout"))!;
    expect(checkout.with).toMatchObject({ "fetch-depth": 0 });
    const diff = job.steps.findIndex((s) => s.run?.includes("--diff"));
    expect(job.steps[diff]?.run).toBe('npm run plan --silent -- --stack "$STACK" --diff "$BASE_SHA" --out plan-diff.txt');
    expect(job.steps[diff]?.env).toEqual({ STACK: "${{ matrix.stack }}", BASE_SHA: "${{ github.event.pull_request.base.sha }}" });
    const comment = job.steps.findIndex((s) => s.run?.includes("gh pr comment"));
    expect(comment).toBeGreaterThan(diff);
    expect(job.steps[comment]!.run).toContain("plan-diff.txt");
    expect(job.steps[comment]!.env).toMatchObject({ GH_TOKEN: "${{ github.token }}", PR: "${{ github.event.pull_request.number }}" });
  });

  it("comments each stack's cost estimate and its change against the base in one comment, updated on each push, without Google credentials", () => {
    const entry = Object.entries(wf().jobs).find(([, job]) => job.steps.some((s) => s.run?.includes("--cost")));
    expect(entry, "a job that runs npm run plan -- --cost").toBeDefined();
    const [jobId, job] = entry!;
    // Offline: it needs neither an OIDC token nor a Google identity, only to write its comment.
    expect(job.permissions, jobId).toEqual({ contents: "read", "pull-requests": "write" });
    expect(job.steps.some((s) => usesAction(s, "google-github-actions/auth") || usesAction(s, "pulumi/actions")), jobId).toBe(false);
    expect(job.needs).toBe("checks");
    const checkout = job.steps.find((s) => usesAction(s, "actions/checkout"))!;
    expect(checkout.with).toMatchObject({ "fetch-depth": 0 });
    const estimate = job.steps.find((s) => s.run?.includes("--cost"))!;
    // Every stack of the checks' list (derived from the stack files), each against itself at the base commit.
    expect(estimate.env).toEqual({ STACKS: "${{ needs.checks.outputs.stacks }}", BASE_SHA: "${{ github.event.pull_request.base.sha }}" });
    expect(estimate.run).toContain('npm run plan --silent -- --stack "$STACK" --cost --compare "$STACK@$BASE_SHA"');
    expect(estimate.run).toContain("jq -r '.[].stack' <<< \"$STACKS\"");
    expect(estimate.run).toContain("<!-- pulsura-cost-estimate -->");
    const comment = job.steps.find((s) => s.run?.includes("gh api"))!;
    expect(job.steps.indexOf(comment)).toBeGreaterThan(job.steps.indexOf(estimate));
    expect(comment.env).toEqual({ GH_TOKEN: "${{ github.token }}", PR: "${{ github.event.pull_request.number }}", REPO: "${{ github.repository }}" });
    // Finds its earlier comment by the marker and edits it; creates one only when there is none.
    expect(comment.run).toContain('startswith("<!-- pulsura-cost-estimate -->")');
    expect(comment.run).toMatch(/gh api --method PATCH "repos\/\$REPO\/issues\/comments\/\$id"/);
    expect(comment.run).toMatch(/else\n\s+gh api --method POST "repos\/\$REPO\/issues\/\$PR\/comments"/);
    expect(comment.run).not.toContain("gh pr comment");
  });

  it("runs on pull_request (never pull_request_target), and gives a fork's pull request no job with a token that can write or reach Google Cloud", () => {
    // pull_request_target would run the base branch's workflow with the repository's secrets on a fork's code.
    expect(Object.keys(wf().on as object)).toEqual(["pull_request"]);
    const forkGuard = "github.event.pull_request.head.repo.full_name == github.repository";
    const privileged = Object.entries(wf().jobs).filter(([, job]) => Object.values(job.permissions ?? {}).includes("write"));
    expect(privileged.map(([jobId]) => jobId)).toContain(pulumiJobs(wf(), "preview")[0]![0]);
    for (const [jobId, job] of privileged) {
      // Joined by && at the top level, so no other clause can let a fork through.
      const clauses = (job.if ?? "").replace(/^\$\{\{\s*|\s*\}\}$/g, "").split("&&").map((c) => c.trim());
      expect(clauses, `${jobId} asks for ${JSON.stringify(job.permissions)} and must not run for a fork`).toContain(forkGuard);
      expect(job.if, jobId).not.toContain("||");
    }
  });

  it("analyzes and tests the Flutter template with a pinned Flutter", () => {
    const flutter = wf().jobs.flutter!;
    expect(flutter.defaults?.run?.["working-directory"]).toBe("flutter-template");
    const setup = flutter.steps.find((s) => usesAction(s, "subosito/flutter-action"));
    expect(String(setup?.with?.["flutter-version"])).toMatch(/^\d+\.\d+\.\d+$/);
    const runs = flutter.steps.map((s) => s.run).filter(Boolean);
    expect(runs).toEqual(expect.arrayContaining(["flutter analyze", "flutter test"]));
  });

  it("uses a Flutter that the template's pubspec accepts", () => {
    const setup = wf().jobs.flutter!.steps.find((s) => usesAction(s, "subosito/flutter-action"))!;
    const pubspec = parse(readFileSync(join(repoRoot, "flutter-template", "pubspec.yaml"), "utf8")) as { environment?: { flutter?: string } };
    const constraint = pubspec.environment?.flutter;
    expect(constraint, "flutter-template/pubspec.yaml declares environment.flutter").toBeDefined();
    expect(satisfies(String(setup.with?.["flutter-version"]), String(constraint)), `${setup.with?.["flutter-version"]} against ${constraint}`).toBe(true);
  });
});

describe("deploy.yml", () => {
  const wf = () => workflow("deploy.yml");

  it("deploys every stack file, each exactly once", async () => {
    const deployed: string[] = [];
    for (const [jobId] of pulumiJobs(wf(), "up")) deployed.push(...(await matrixStacksOf(wf(), jobId)).map((s) => s.stack));
    expect(deployed.sort()).toEqual(allStacks());
  });

  it("deploys dev first, and every other stack only through a GitHub environment named after it", async () => {
    const jobs = pulumiJobs(wf(), "up");
    const devJobs: string[] = [];
    for (const [jobId, job] of jobs) {
      const stacks = (await matrixStacksOf(wf(), jobId)).map((s) => s.stack);
      expect(environmentOf(job), `${jobId} deploys without an environment`).toBe("${{ matrix.stack }}");
      if (stacks.includes("dev")) {
        expect(stacks, "dev deploys on its own, without waiting for approvals").toEqual(["dev"]);
        devJobs.push(jobId);
      }
    }
    expect(devJobs).toHaveLength(1);
    for (const [jobId] of jobs.filter(([id]) => id !== devJobs[0])) {
      expect(needsOf(wf().jobs[jobId]!), `${jobId} must wait for the dev deploy`).toContain(devJobs[0]);
      expect(wf().jobs[jobId]!.if, `${jobId} must not run after a failed dev deploy`).toMatch(/needs\.dev\.result == 'success'/);
    }
  });

  it("never runs two deploys of one stack at once, and never cancels one mid-update", () => {
    for (const [jobId, job] of pulumiJobs(wf(), "up")) {
      expect(job.concurrency, jobId).toEqual({ group: "pulumi-up-${{ matrix.stack }}", "cancel-in-progress": false });
      const up = job.steps.find((s) => usesAction(s, "pulumi/actions"))!;
      expect(up.with).toMatchObject({ "stack-name": "${{ matrix.stack }}", policyPacks: "policy", policyPackConfigs: "policy/config.${{ matrix.environment }}.json" });
    }
  });
});
