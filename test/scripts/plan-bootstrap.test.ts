/**
 * npm run plan:bootstrap: the bootstrap planned offline, with who may get each CI identity and what each may do.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { planBootstrapExitCode } from "../../scripts/lib/bootstrap-plan";
import { runScript } from "../support/run-script";

const dir = mkdtempSync(join(tmpdir(), "pulsura-plan-bootstrap-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("npm run plan:bootstrap", () => {
  it("shows the token condition, both identities, their roles, the deployer's accounts and no escalation path", async () => {
    const run = await runScript("plan-bootstrap.ts", []);
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^Bootstrap stack pulsura: \d+ resources/);
    expect(run.stdout).toContain('assertion.repository_id == "812345678" && assertion.repository_owner_id == "198765432"');
    expect(run.stdout).toMatch(/\ndeployer pulumi-deployer@pulsura-admin\.iam\.gserviceaccount\.com\n {2}who may get it:\n {4}principalSet:\/\/\S+\/attribute\.pulsura_identity\/deployer\n/);
    expect(run.stdout).toMatch(/\npreviewer pulumi-previewer@pulsura-admin\.iam\.gserviceaccount\.com\n {2}who may get it:\n {4}principalSet:\/\/\S+\/attribute\.pulsura_identity\/previewer\n/);
    // One actAs grant per workload account of every stack (the bootstrap test checks which ones).
    const actsAs = /acts as \(runs workloads as\): (\d+) accounts/.exec(run.stdout);
    expect(Number(actsAs?.[1])).toBeGreaterThanOrEqual(8);
    expect(run.stdout).toContain("acts as (runs workloads as): no account");
    expect(run.stdout.match(/escalation: none found/g)).toHaveLength(2);
  }, 120_000);

  it("gives the same as JSON, and refuses a bad stack file with exit 1 and the key at fault", async () => {
    const json = await runScript("plan-bootstrap.ts", ["--json"]);
    expect(json.exitCode, json.stderr).toBe(0);
    const document = JSON.parse(json.stdout) as { identities: Array<{ name: string; analysis: { findings: unknown[]; actsAs: unknown[] } }>; condition: string };
    expect(document.identities.map((i) => [i.name, i.analysis.findings.length])).toEqual([["deployer", 0], ["previewer", 0]]);
    expect(document.identities[1]!.analysis.actsAs).toEqual([]);
    expect(document.condition).toContain("assertion.event_name == \"pull_request\"");

    const bad = join(dir, "Pulumi.broken.yaml");
    writeFileSync(bad, "config:\n  gcp:project: acme-admin\n  gcp:region: europe-west1\n");
    const refused = await runScript("plan-bootstrap.ts", ["--stack-file", bad]);
    expect(refused.exitCode).toBe(1);
    expect(refused.stderr).toContain("pulsura-bootstrap:githubRepository");
  }, 120_000);

  it("exits 2 when an identity has a path to escalate", () => {
    const analysis = (findings: unknown[]) => ({ member: "m", findings, actsAs: [], canChangeAccessTo: [], canGrant: [] }) as never;
    expect(planBootstrapExitCode({ identities: [{ analysis: analysis([]) }, { analysis: analysis([]) }] as never })).toBe(0);
    expect(planBootstrapExitCode({ identities: [{ analysis: analysis([]) }, { analysis: analysis([{ vector: "key" }]) }] as never })).toBe(2);
  });
});
