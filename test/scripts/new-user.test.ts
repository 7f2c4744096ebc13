/**
 * A new user's first steps, scripted on a scratch clone of this repository: the README's paths one after the other
 * (scaffold an action, an event, a cron and a service; plan a stack offline; fork a tenant and deploy the new service
 * there; regenerate the inventories as `npm run new` says), then the project's own checks on the result. Each step
 * must pass as it would for someone who just ran it: nothing here edits what a command produced, except what a
 * command's printed next step tells the user to edit.
 *
 * The clone is of the committed HEAD (uncommitted edits are not in it), under the run's TMPDIR. Its node_modules come
 * from `npm ci --prefer-offline`, not from links to this checkout's: links would resolve @pulsura/* to this
 * checkout's services, and hard links share files that npm and vitest rewrite in place with every checkout made the
 * same way. It costs about 40 s here and is what CI and the services' Dockerfiles do. Every command runs in its own
 * process group, killed on timeout or when the file ends; the clone is removed even when a step fails.
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseDocument } from "yaml";
import { onCleanup, trackProcess } from "../support/cleanup";

const repoRoot = path.resolve(__dirname, "../..");
let clone: string;
/** The first step that failed: later steps build on it, so they report that instead of a confusing failure. */
let failedStep: string | undefined;

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
  /** Command line, exit and output tail, for assertion messages. */
  report: string;
}

/** The user's environment: no vitest or npm variables of the outer run, and no node_modules/.bin of this checkout. */
function userEnv(): NodeJS.ProcessEnv {
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([key]) => !key.startsWith("VITEST") && !key.startsWith("npm_") && key !== "NODE_ENV" && key !== "TEST"),
  );
  env.PATH = (process.env.PATH ?? "")
    .split(path.delimiter)
    .filter((entry) => !entry.includes(`${path.sep}node_modules${path.sep}.bin`))
    .join(path.delimiter);
  env.CI = "true";
  return env;
}

/** Runs a command in the clone, in its own process group, and collects its output; kills the group on timeout. */
function run(command: string, args: string[], timeoutMs: number, cwd = clone): Promise<Run> {
  return new Promise((resolve) => {
    const line = [command, ...args].join(" ");
    const child = spawn(command, args, { cwd, env: userEnv(), detached: true, stdio: ["ignore", "pipe", "pipe"] });
    trackProcess(child, line, { group: true });
    const killGroup = () => {
      try {
        if (child.pid !== undefined && child.exitCode === null) process.kill(-child.pid, "SIGKILL");
      } catch {
        // Already gone.
      }
    };
    const done = onCleanup(line, killGroup);
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup();
    }, timeoutMs);
    const finish = (status: number | null, error?: Error) => {
      clearTimeout(timer);
      done();
      const tail = (text: string) => text.trim().split("\n").slice(-40).join("\n");
      const outcome = error ? `failed to start: ${error.message}` : timedOut ? `killed after ${timeoutMs / 1000} s` : `exit ${status}`;
      resolve({ status: timedOut ? null : status, stdout, stderr, report: `$ ${line} (in ${cwd}): ${outcome}\n${tail(stdout)}\n${tail(stderr)}` });
    };
    child.on("error", (error) => finish(null, error));
    child.on("close", (code) => finish(code));
  });
}

/** A step of the walk-through: skipped with a pointer once an earlier step failed. */
function step(name: string, body: () => Promise<void>, timeoutMs: number): void {
  it(
    name,
    async () => {
      if (failedStep) throw new Error(`not run: the earlier step "${failedStep}" failed`);
      try {
        await body();
      } catch (error) {
        failedStep = name;
        throw error;
      }
    },
    timeoutMs,
  );
}

async function expectSuccess(command: string, args: string[], timeoutMs: number): Promise<Run> {
  const result = await run(command, args, timeoutMs);
  expect(result.status, result.report).toBe(0);
  return result;
}

/** Files that differ from the committed tree: what the user's commands created or changed. */
async function changedFiles(): Promise<string[]> {
  const status = await expectSuccess("git", ["status", "--porcelain", "--untracked-files=all"], 30_000);
  return status.stdout
    .split("\n")
    .filter(Boolean)
    .map((entry) => entry.slice(3))
    .sort();
}

function editYaml(relative: string, edit: (document: ReturnType<typeof parseDocument>) => void): void {
  const file = path.join(clone, relative);
  const document = parseDocument(fs.readFileSync(file, "utf8"));
  edit(document);
  fs.writeFileSync(file, document.toString());
}

beforeAll(async () => {
  clone = fs.mkdtempSync(path.join(os.tmpdir(), "pulsura-new-user-"));
  onCleanup(`scratch clone ${clone}`, () => fs.rmSync(clone, { recursive: true, force: true }));
  // As root, Postgres runs as the postgres user, which must reach the binaries in the clone's node_modules.
  fs.chmodSync(clone, 0o755);
  const head = await run("git", ["rev-parse", "HEAD"], 30_000, repoRoot);
  expect(head.status, head.report).toBe(0);
  const cloned = await run("git", ["clone", "--quiet", "--no-hardlinks", "--no-checkout", repoRoot, clone], 120_000, repoRoot);
  expect(cloned.status, cloned.report).toBe(0);
  await expectSuccess("git", ["checkout", "--quiet", "--detach", head.stdout.trim()], 60_000);
  await expectSuccess("npm", ["ci", "--prefer-offline", "--no-audit", "--no-fund"], 600_000);
}, 900_000);

afterAll(() => {
  if (clone) fs.rmSync(clone, { recursive: true, force: true });
});

describe("a new user, on a fresh clone", () => {
  step(
    "scaffolds an action, an event, a cron and a service, each saying what is left to do",
    async () => {
      // The README's examples (Microservices).
      const action = await expectSuccess("npm", ["run", "new", "--", "action", "inviteMember", "--service", "core"], 120_000);
      expect(action.stdout).toContain("npm run test:update-inventory");
      await expectSuccess("npm", ["run", "new", "--", "event", "invite_sent", "--service", "core", "--table", "public.organizations", "--operations", "insert"], 120_000);
      await expectSuccess("npm", ["run", "new", "--", "cron", "nightly_digest", "--service", "core", "--schedule", "0 6 * * *"], 120_000);
      const service = await expectSuccess("npm", ["run", "new", "--", "service", "billing"], 120_000);
      expect(service.stdout).toMatch(/pulsura:services:\n\s+- name: core\n\s+- name: billing/);
      expect(service.stdout).toContain("npm run test:update-inventory");
      // The lockfile lists the new workspace: `npm ci` (CI, services/billing/Dockerfile) accepts it as it is.
      await expectSuccess("npm", ["ci", "--dry-run", "--prefer-offline", "--no-audit", "--no-fund"], 120_000);
      expect(await changedFiles()).toEqual(
        expect.arrayContaining(["package-lock.json", "services/billing/package.json", "services/core/src/actions/inviteMember.ts", "test/services/billing/drift.test.ts"]),
      );
    },
    600_000,
  );

  step("plans the dev stack offline", () => expectSuccess("npm", ["run", "plan", "--", "--stack", "dev"], 300_000).then(() => undefined), 300_000);

  step(
    "forks a tenant and runs the new service there, as the printed next steps say",
    async () => {
      const tenant = await expectSuccess("npm", ["run", "tenant", "--", "new", "acme", "--from", "dev", "--project", "acme-dev-1234"], 300_000);
      expect(tenant.stdout).toContain("deployProjects");
      // npm run tenant: "add acme-dev-1234 to deployProjects in infra/bootstrap/Pulumi.<org>.yaml".
      editYaml("infra/bootstrap/Pulumi.pulsura.yaml", (document) => {
        (document.getIn(["config", "pulsura-bootstrap:deployProjects"]) as { add: (value: unknown) => void }).add("acme-dev-1234");
      });
      // npm run new -- service billing: "list it under pulsura:services ..., so keep core in it".
      editYaml("Pulumi.acme.yaml", (document) => {
        document.setIn(["config", "pulsura:services"], document.createNode([{ name: "core" }, { name: "billing" }]));
      });
      const plan = await expectSuccess("npm", ["run", "--silent", "plan", "--", "--stack", "acme", "--json"], 300_000);
      const resources = (JSON.parse(plan.stdout) as { resources: Array<{ name: string }> }).resources.map((resource) => resource.name);
      expect(resources.filter((name) => name.includes("billing")).length, "the acme plan declares the billing service").toBeGreaterThan(0);
    },
    600_000,
  );

  step("type-checks and lints what was generated", async () => {
    await expectSuccess("npx", ["tsc", "--noEmit", "-p", "tsconfig.json"], 300_000);
    const generated = (await changedFiles()).filter((file) => /\.(ts|mts|cts|js|mjs)$/.test(file));
    expect(generated).toEqual(expect.arrayContaining(["services/core/src/events/invite_sent.ts", "services/billing/scripts/build.ts"]));
    await expectSuccess("npx", ["eslint", ...generated], 300_000);
  }, 600_000);

  step(
    "regenerates the inventories, as npm run new says, and the tests that list handlers, services and stacks pass",
    async () => {
      await expectSuccess("npm", ["run", "test:update-inventory"], 600_000);
      expect(await changedFiles()).toEqual(expect.arrayContaining(["test/infra/inventory/acme.yaml", "test/infra/inventory/dev.yaml", "test/infra/inventory/prod.yaml"]));
      const listing = [
        // core's routes against the handler files in services/core/src
        "test/services/kit/drift.test.ts",
        // the bundle's route table and its "listening" log list every core handler
        "test/services/core/bundle.test.ts",
        // actions.graphql against actions.yaml, every event trigger's table and columns, the cron triggers
        "test/hasura/metadata.test.ts",
        // the allow-listed operations against the app's documents, with a new action in the metadata
        "test/hasura/allow-list.test.ts",
        // the services npm run dev finds under services/* (billing has a manifest but no handler yet)
        "test/dev/parts.test.ts",
        // the generated drift test of the new service (the generated handler tests are run by test/services/scripts/new.test.ts)
        "test/services/billing/drift.test.ts",
        // one inventory per stack file: acme new, dev and prod with the new metadata fingerprints
        "test/infra/inventory.test.ts",
        // every stack file plans and validates
        "test/infra/stacks.test.ts",
        // per stack: Hasura's PULSURA_SERVICE_<NAME>_URL for each service, the services' Cloud Run settings
        "test/infra/hasura-service.test.ts",
        // per stack: a database user and roles for each service
        "test/infra/data-layer.test.ts",
        // every stack's project is a deploy project of the bootstrap, and the deployer covers every resource type
        "test/bootstrap/deployer-roles.test.ts",
        // the bootstrap creates every stack's workload accounts (acme's billing service too), admits acme's environment
        "test/bootstrap/bootstrap.test.ts",
      ];
      const tests = await run("npx", ["vitest", "run", ...listing], 900_000);
      expect(tests.status, tests.report).toBe(0);
      expect(tests.stdout, tests.report).toMatch(new RegExp(`Test Files\\s+.*${listing.length} passed`));
    },
    1_500_000,
  );
});
