/**
 * `npm run new` (scripts/new.ts), run as a child process against a temporary copy of the repository tree
 * (hasura/, services/core, the test support), never against the real one.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkDrift } from "@pulsura/kit";
import { loadService } from "@pulsura/kit/dev";
import { readMetadata } from "../../../infra/hasura/project";

const repoRoot = path.resolve(__dirname, "../../..");
const tsxCli = path.join(repoRoot, "node_modules", "tsx", "dist", "cli.mjs");
const vitestCli = path.join(repoRoot, "node_modules", "vitest", "vitest.mjs");
let copy: string;

function runNew(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  return runNewWith({}, ...args);
}

function runNewWith(env: Record<string, string>, ...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [tsxCli, path.join(repoRoot, "scripts", "new.ts"), ...args, "--root", copy], {
    encoding: "utf8",
    cwd: copy,
    env: { ...process.env, ...env },
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Every file under `dir` with its content, to prove a refused run changed nothing. */
function snapshot(dir: string): Record<string, string> {
  const files: Record<string, string> = {};
  const walk = (current: string) => {
    for (const entry of fs.readdirSync(current, { withFileTypes: true })) {
      const full = path.join(current, entry.name);
      if (entry.isSymbolicLink()) continue;
      if (entry.isDirectory()) {
        if (entry.name !== "node_modules") walk(full);
      } else files[path.relative(dir, full)] = fs.readFileSync(full, "utf8");
    }
  };
  walk(dir);
  return files;
}

beforeAll(() => {
  copy = fs.mkdtempSync(path.join(os.tmpdir(), "pulsura-new-"));
  // As root, Postgres runs as the postgres user, which must reach the Postgres binaries through the copy's node_modules.
  fs.chmodSync(copy, 0o755);
  const copyTree = (relative: string) =>
    fs.cpSync(path.join(repoRoot, relative), path.join(copy, relative), {
      recursive: true,
      filter: (source) => !/[/\\](dist|node_modules)$/.test(source),
    });
  // test/support/postgres.ts sets the cluster up as Cloud SQL does, with the grants the deploy runs: scripts/lib and infra/dynamic.
  for (const relative of ["hasura", "services/core", "test/support", "test/services/support", "infra/hasura", "infra/dynamic", "infra/database-roles.ts", "scripts/lib"]) copyTree(relative);
  // A new service is an npm workspace: npm needs the root manifest, the lockfile and every workspace's manifest.
  for (const relative of ["package.json", "package-lock.json", "services/kit/package.json", "functions/package.json"]) copyTree(relative);
  // Generated code imports @pulsura/kit, zod and vitest: resolve them from the real installation.
  fs.symlinkSync(path.join(repoRoot, "node_modules"), path.join(copy, "node_modules"), "dir");
});

afterAll(() => {
  if (copy) fs.rmSync(copy, { recursive: true, force: true });
});

describe("npm run new", () => {
  it("creates an action: typed handler, actions.graphql field and output type, actions.yaml entry, test", () => {
    const result = runNew("action", "sendInvite", "--service", "core");
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    expect(fs.readFileSync(path.join(copy, "services/core/src/actions/sendInvite.ts"), "utf8")).toContain("export default defineAction({");
    expect(fs.existsSync(path.join(copy, "test/services/core/sendInvite.test.ts"))).toBe(true);
    const graphql = fs.readFileSync(path.join(copy, "hasura/metadata/actions.graphql"), "utf8");
    // Appended as the last field of Mutation, after the existing ones.
    expect(graphql).toMatch(/type Mutation \{\n {2}createOrganization\(name: String!\): CreateOrganizationOutput\n(?: {2}\w+\(.*\): \w+\n)* {2}sendInvite\(name: String!\): SendInviteOutput\n\}/);
    expect(graphql).toContain("type SendInviteOutput {");
    // Deployed stacks run only allow-listed operations: the scaffold says how the app gets to call it.
    expect(result.stdout).toContain("flutter-template/lib/src/graphql/documents.dart");
    expect(result.stdout).toContain("npm run hasura:allow-list");
    // Every stack's inventory fingerprints the metadata: the next step regenerates it.
    expect(result.stdout).toContain("npm run test:update-inventory");
  });

  it("creates an event trigger on a tracked table and a cron trigger", () => {
    const event = runNew("event", "invite_sent", "--service", "core", "--table", "public.organizations", "--operations", "insert");
    expect(event.status, event.stderr).toBe(0);
    expect(event.stdout).toContain("hasura/metadata/databases/default/tables/public_organizations.yaml");
    const cron = runNew("cron", "nightly_digest", "--service", "core", "--schedule", "0 6 * * *");
    expect(cron.status, cron.stderr).toBe(0);
  });

  it("creates a job and an internal route: handler and test, no Hasura metadata (Hasura never calls them)", () => {
    const metadataBefore = snapshot(path.join(copy, "hasura"));
    const job = runNew("job", "send-digest", "--service", "core");
    expect(job.status, job.stderr).toBe(0);
    expect(fs.readFileSync(path.join(copy, "services/core/src/jobs/send-digest.ts"), "utf8")).toContain("export default defineJob({");
    expect(job.stdout).toContain("re-runs the bootstrap");
    const internal = runNew("internal", "usage-report", "--service", "core", "--callers", "core,billing");
    expect(internal.status, internal.stderr).toBe(0);
    expect(fs.readFileSync(path.join(copy, "services/core/src/internal/usage-report.ts"), "utf8")).toContain('callers: ["core", "billing"]');
    expect(snapshot(path.join(copy, "hasura"))).toEqual(metadataBefore);
    expect(runNew("job", "send-digest", "--service", "core").stderr).toMatch(/already exists/);
    expect(runNew("job", "send_digest", "--service", "core").stderr).toMatch(/not a valid job name/);
    expect(runNew("internal", "x-y", "--service", "core", "--callers", "Core").stderr).toMatch(/--callers takes service names/);
    expect(runNew("job", "y", "--service", "core", "--callers", "core").stderr).toMatch(/--callers is for internal routes/);
  });

  it("takes a service's files back when npm cannot add it to package-lock.json", () => {
    const before = snapshot(copy);
    // npm_execpath names the npm that runs `npm run new`: here one that fails as npm does without a registry.
    const failingNpm = path.join(copy, "..", `${path.basename(copy)}-npm-cli.js`);
    fs.writeFileSync(failingNpm, 'process.stderr.write("npm error code ENOTCACHED\\n"); process.exit(1);\n');
    try {
      const result = runNewWith({ npm_execpath: failingNpm }, "service", "ledger");
      expect(result.status).toBe(1);
      expect(result.stderr).toContain("did not add services/ledger to package-lock.json (exit 1)");
      expect(result.stderr).toContain("ENOTCACHED");
      expect(result.stderr).toContain("nothing was changed");
    } finally {
      fs.rmSync(failingNpm, { force: true });
    }
    expect(snapshot(copy)).toEqual(before);
  });

  it("creates a service in package-lock.json, and then handlers in it", () => {
    const hiddenLockfile = path.join(repoRoot, "node_modules", ".package-lock.json");
    const installedBefore = fs.existsSync(hiddenLockfile) ? fs.statSync(hiddenLockfile).mtimeMs : undefined;
    const service = runNew("service", "billing");
    expect(service.status, service.stderr).toBe(0);
    for (const file of ["package.json", "scripts/build.ts", "scripts/dev.ts", "Dockerfile", "src/actions/.gitkeep"]) {
      expect(fs.existsSync(path.join(copy, "services/billing", file)), file).toBe(true);
    }
    expect(fs.readFileSync(path.join(copy, "services/billing/Dockerfile"), "utf8")).toContain("npm run build --workspace services/billing");
    // Started as core is: start.js loads the bundle with its code cache.
    const manifest = JSON.parse(fs.readFileSync(path.join(copy, "services/billing/package.json"), "utf8")) as { scripts: Record<string, string> };
    const coreManifest = JSON.parse(fs.readFileSync(path.join(repoRoot, "services/core/package.json"), "utf8")) as { scripts: Record<string, string> };
    expect(manifest.scripts.start).toBe(coreManifest.scripts.start);
    // Listed in the lockfile as npm lists a workspace, so `npm ci` (CI, the service's Dockerfile) accepts it.
    const lock = JSON.parse(fs.readFileSync(path.join(copy, "package-lock.json"), "utf8")) as { packages: Record<string, unknown> };
    expect(lock.packages["node_modules/@pulsura/billing"]).toEqual({ resolved: "services/billing", link: true });
    expect(lock.packages["services/billing"]).toMatchObject({ name: "@pulsura/billing", version: "0.1.0", dependencies: { "@pulsura/kit": "0.1.0" } });
    expect(service.stdout).toContain(`updated ${path.join(copy, "package-lock.json")}`);
    // ... with the lockfile only: the installation (here the real one, through the symlink) is left alone.
    expect(fs.existsSync(hiddenLockfile) ? fs.statSync(hiddenLockfile).mtimeMs : undefined).toBe(installedBefore);
    // Says how to deploy it (a stack lists it beside core), what it needs in Postgres, and that inventories follow.
    expect(service.stdout).toMatch(/pulsura:services:\n\s+- name: core\n\s+- name: billing/);
    expect(service.stdout).toContain("npm run test:update-inventory");
    expect(service.stdout).toContain("it connects as svc_billing");
    expect(service.stdout).toContain("SERVICE_DATABASE_ROLES in infra/database-roles.ts");
    const action = runNew("action", "charge", "--service", "billing", "--query");
    expect(action.status, action.stderr).toBe(0);
  });

  it("leaves the metadata in agreement with every handler (drift check) and readable by the deploy", async () => {
    for (const service of ["core", "billing"]) {
      const loaded = await loadService(path.join(copy, "services", service), { hasuraDir: path.join(copy, "hasura") });
      expect(checkDrift(loaded, loaded.metadata), service).toEqual([]);
    }
    const metadata = readMetadata(path.join(copy, "hasura")) as {
      actions: Array<{ name: string; definition: { type: string; handler: string } }>;
      cron_triggers: Array<{ name: string; schedule: string }>;
    };
    expect(metadata.actions.find((action) => action.name === "charge")?.definition).toMatchObject({
      type: "query",
      handler: "{{PULSURA_SERVICE_BILLING_URL}}/actions/charge",
    });
    expect(metadata.actions.find((action) => action.name === "sendInvite")?.definition.type).toBe("mutation");
    expect(metadata.cron_triggers.find((cron) => cron.name === "nightly_digest")?.schedule).toBe("0 6 * * *");
  });

  it("refuses to overwrite and changes nothing when refusing", () => {
    const before = snapshot(copy);
    const refusals: Array<[string[], RegExp]> = [
      [["action", "sendInvite", "--service", "core"], /sendInvite\.ts already exists\nNothing was written\./],
      [["action", "whoami", "--service", "billing"], /actions\.graphql already declares whoami on Query/],
      [["event", "user_role_changed", "--service", "billing", "--table", "public.users"], /event trigger named user_role_changed already exists/],
      [["cron", "purge_processed_deliveries", "--service", "billing"], /cron_triggers\.yaml already has a trigger named purge_processed_deliveries/],
      [["service", "billing"], /services\/billing already exists/],
      [["action", "other", "--service", "nope"], /there is no service nope/],
      [["event", "other_thing", "--service", "core", "--table", "public.nope"], /table public\.nope is not tracked/],
    ];
    for (const [args, message] of refusals) {
      const result = runNew(...args);
      expect(result.status, args.join(" ")).toBe(1);
      expect(result.stderr, args.join(" ")).toMatch(message);
      expect(result.stderr, args.join(" ")).toMatch(/^npm run new: refused: /);
    }
    expect(snapshot(copy)).toEqual(before);
  });

  it("rejects invalid names and arguments with a usage error", () => {
    const before = snapshot(copy);
    const usageErrors: Array<[string[], RegExp]> = [
      [["action", "Send-Invite", "--service", "core"], /"Send-Invite" is not a valid action name: use camelCase/],
      [["event", "InviteSent", "--service", "core", "--table", "public.users"], /not a valid event name: use snake_case/],
      [["cron", "nightly digest", "--service", "core"], /not a valid cron name/],
      [["service", "Billing_Service"], /not a valid service name: use kebab-case/],
      [["widget", "x"], /unknown subcommand "widget"; expected one of action, event, cron, job, internal, service/],
      [["evnet", "x"], /unknown subcommand "evnet" \(did you mean event\?\)/],
      [[], /name a subcommand: action, event, cron, job, internal, service/],
      [["action"], /an action needs a name: npm run new -- action <name> --service <service>/],
      [["action", "x", "y", "--service", "core"], /unexpected argument "y" \(at most 2\)/],
      [["action", "sendMore", "--servce", "core"], /unknown option --servce \(did you mean --service\?\)/],
      [["action", "sendMore", "--service", "core", "--service", "billing"], /--service was given twice \("core" and "billing"\): give it once/],
      [["action", "sendMore", "--service"], /--service needs a value \(<service>\)/],
      [["action", "sendMore", "--service", "core", "--query=yes"], /--query takes no value/],
      [["action", "sendMore"], /--service is required/],
      [["event", "thing_done", "--service", "core"], /needs --table/],
      [["cron", "hourly", "--service", "core", "--schedule", "every hour"], /five-field cron expression/],
    ];
    for (const [args, message] of usageErrors) {
      const result = runNew(...args);
      expect(result.status, args.join(" ")).toBe(2);
      expect(result.stderr, args.join(" ")).toMatch(message);
      expect(result.stderr).toContain("Usage:");
      expect(result.stdout, args.join(" ")).toBe("");
    }
    expect(snapshot(copy)).toEqual(before);
  });

  it("answers --help with every subcommand and option, whatever else is on the command line", () => {
    const before = snapshot(copy);
    for (const args of [["--help"], ["action", "x", "--bogus", "-h"]]) {
      const result = runNew(...args);
      expect(result.status, args.join(" ")).toBe(0);
      expect(result.stderr).toBe("");
      for (const kind of ["action", "event", "cron", "service"]) expect(result.stdout).toContain(`npm run new -- ${kind} <name>`);
      for (const option of ["--service", "--table", "--operations", "--schedule", "--query", "--root", "--help"]) expect(result.stdout).toContain(option);
      expect(result.stdout).toContain("Exit codes: 0 created; 1 refused, nothing written; 2 usage error, nothing written.");
    }
    expect(snapshot(copy)).toEqual(before);
  });

  it("generates tests that pass against the generated handlers", () => {
    // Each generated test file starts its own Postgres: the copy has no vitest config, so give hooks the time the
    // repository's config gives them (vitest.config.mts) rather than vitest's 10 s.
    const result = spawnSync(process.execPath, [vitestCli, "run", "--root", copy, "--hookTimeout", "120000", "test/services/core", "test/services/billing"], {
      encoding: "utf8",
      cwd: copy,
      env: { ...process.env, CI: "true" },
    });
    expect(result.status, `${result.stdout}\n${result.stderr}`).toBe(0);
    // sendInvite (2), invite_sent (1), nightly_digest (1), send-digest (1), usage-report (1), billing drift (1), charge (2)
    expect(result.stdout).toMatch(/Tests\s+.*9 passed/);
  }, 360_000);
});
