import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { diffPlans, renderPlanDiff, type PlanDocument } from "../../scripts/lib/plan-diff";
import { repoRoot } from "../../scripts/lib/stack-files";
import { runPlanCli } from "../infra/support/run-plan";

const resource = (name: string, inputs: Record<string, unknown>) => ({ urn: `urn:pulumi:dev::pulsura::t::${name}`, type: "gcp:test/thing:Thing", name, parent: null, inputs });
const plan = (resources: PlanDocument["resources"], outputs: Record<string, unknown> = {}): PlanDocument => ({ stack: "dev", project: "pulsura", resources, outputs, violations: [] });

describe("plan diff", () => {
  it("lists added, removed and changed resources, field by field, matching named list items by name", () => {
    const before = plan(
      [
        resource("kept", { size: 1 }),
        resource("gone", { size: 1 }),
        resource("service", { scaling: { max: 2 }, envs: [{ name: "A", value: "1" }, { name: "B", value: "2" }], password: "[secret]" }),
      ],
      { url: "https://old" },
    );
    const after = plan(
      [
        resource("kept", { size: 1 }),
        resource("service", { scaling: { max: 4 }, envs: [{ name: "NEW", value: "0" }, { name: "A", value: "1" }, { name: "B", value: "3" }], password: "[secret]" }),
        resource("fresh", { size: 9 }),
      ],
      { url: "https://new" },
    );
    const text = renderPlanDiff(diffPlans(before, after), "dev", "main");
    expect(text.split("\n")).toEqual([
      "Plan diff of stack dev: main -> this checkout",
      "- gcp:test/thing:Thing  gone",
      "~ gcp:test/thing:Thing  service",
      '    envs[name=B].value: "2" -> "3"',
      '    envs[name=NEW]: (none) -> {"name":"NEW","value":"0"}',
      "    scaling.max: 2 -> 4",
      "+ gcp:test/thing:Thing  fresh",
      "Outputs:",
      '  ~ url: "https://old" -> "https://new"',
      "1 added, 1 removed, 1 changed, 1 unchanged.",
    ]);
  });

  it("says when nothing changed, and shows long documents and secrets only as fingerprints and masks", () => {
    const same = plan([resource("kept", { password: "[secret]" })]);
    expect(renderPlanDiff(diffPlans(same, same), "dev", "HEAD")).toContain("No changes: 1 resources unchanged.");
    const long = renderPlanDiff(diffPlans(plan([resource("doc", { sql: "a".repeat(500) })]), plan([resource("doc", { sql: "b".repeat(500) })])), "dev", "HEAD");
    expect(long).toMatch(/sql: \[502 characters, sha256:[0-9a-f]{12}\] -> \[502 characters, sha256:[0-9a-f]{12}\]/);
    expect(long).not.toContain("aaaa");
  });
});

describe("npm run plan -- --diff-file / --diff", () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "plan-diff-"));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("compares with a plan saved by --json --out, which holds the JSON alone", async () => {
    const saved = path.join(dir, "dev.json");
    const run = await runPlanCli(["--stack", "dev", "--json", "--out", saved]);
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.stdout).toBe("");
    const before = JSON.parse(fs.readFileSync(saved, "utf8")) as PlanDocument;
    // As if the previous plan had a smaller Hasura and no allow-list variable.
    const hasura = before.resources.find((r) => r.type === "gcp:cloudrunv2/service:Service" && r.name.endsWith("-hasura"))! as unknown as { inputs: { template: { scaling: { maxInstanceCount: number }; containers: Array<{ envs: Array<{ name: string }> }> } } };
    const max = hasura.inputs.template.scaling.maxInstanceCount;
    hasura.inputs.template.scaling.maxInstanceCount = max - 1;
    hasura.inputs.template.containers[0].envs = hasura.inputs.template.containers[0].envs.filter((env) => env.name !== "HASURA_GRAPHQL_ENABLE_ALLOWLIST");
    fs.writeFileSync(saved, JSON.stringify(before));
    const diff = await runPlanCli(["--stack", "dev", "--diff-file", saved]);
    expect(diff.exitCode, diff.stderr).toBe(0);
    expect(diff.stdout).toContain("~ gcp:cloudrunv2/service:Service  pulsura-hasura");
    expect(diff.stdout).toContain(`    template.scaling.maxInstanceCount: ${max - 1} -> ${max}`);
    expect(diff.stdout).toContain('    template.containers[0].envs[name=HASURA_GRAPHQL_ENABLE_ALLOWLIST]: (none) -> {"name":"HASURA_GRAPHQL_ENABLE_ALLOWLIST","value":"true"}');
    expect(diff.stdout).toMatch(/0 added, 0 removed, 1 changed, \d+ unchanged\.\n$/);
  }, 300_000);

  it("plans the stack at a git ref in a temporary worktree, and removes it", async () => {
    const worktrees = () => execFileSync("git", ["-C", repoRoot, "worktree", "list", "--porcelain"], { encoding: "utf8" });
    const before = worktrees();
    const run = await runPlanCli(["--stack", "dev", "--diff", "HEAD"]);
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^Plan diff of stack dev: HEAD -> this checkout\n/);
    expect(run.stdout).toMatch(/(No changes: \d+ resources unchanged\.|\d+ added, \d+ removed, \d+ changed, \d+ unchanged\.)\n$/);
    expect(worktrees()).toBe(before);
    const bad = await runPlanCli(["--stack", "dev", "--diff", "no-such-ref-anywhere"]);
    expect(bad.exitCode).toBe(1);
    expect(bad.stderr).toContain("--diff no-such-ref-anywhere: not a commit of this repository");
    // Two plans (this checkout's and the ref's), each ~5 s alone and several times that on a loaded 2-core machine.
  }, 300_000);

  it("refuses outputs that cannot be combined", async () => {
    const run = await runPlanCli(["--stack", "dev", "--json", "--diff", "HEAD"]);
    expect(run.exitCode).toBe(1);
    expect(run.stderr).toContain("--json and --diff cannot be combined");
  });
});
