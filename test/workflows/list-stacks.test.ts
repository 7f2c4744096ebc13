/**
 * .github/scripts/list-stacks.mjs, run as the workflows run it (node, from the repository root): the CI matrices are
 * exactly the stack files.
 */
import { readFileSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { listStackFiles } from "../../scripts/lib/stack-files";
import { runListStacks, tempTree } from "./support/workflows";

const stackFile = (environment: string) => `config:\n  gcp:project: p-${environment}-123\n  pulsura:environment: ${environment}\n`;

describe("list-stacks", () => {
  it("lists exactly the repository's Pulumi.<stack>.yaml files, each with its pulsura:environment", async () => {
    const run = await runListStacks([]);
    expect(run.code).toBe(0);
    const expected = listStackFiles().map(({ stack, path }) => ({
      stack,
      environment: (parse(readFileSync(path, "utf8")) as { config: Record<string, string> }).config["pulsura:environment"],
      file: `Pulumi.${stack}.yaml`,
    }));
    expect(expected.length).toBeGreaterThanOrEqual(2);
    expect(JSON.parse(run.stdout)).toEqual(expected);
  });

  const tree = tempTree({
    "Pulumi.yaml": "name: pulsura\nruntime: nodejs\n",
    "Pulumi.acme.yaml": stackFile("prod"),
    "Pulumi.beta-1.yaml": stackFile("dev"),
    "Pulumi.dev.yml": stackFile("dev"),
    "Pulumi.yaml.bak": stackFile("dev"),
    "notes.yaml": stackFile("dev"),
  });
  afterAll(() => tree.remove());

  it("takes a file as a stack only when it is named Pulumi.<stack>.yaml, as the offline plan does", async () => {
    const run = await runListStacks(["--root", tree.dir]);
    expect(run.code).toBe(0);
    const listed = JSON.parse(run.stdout) as Array<{ stack: string }>;
    expect(listed).toEqual([
      { stack: "acme", environment: "prod", file: "Pulumi.acme.yaml" },
      { stack: "beta-1", environment: "dev", file: "Pulumi.beta-1.yaml" },
    ]);
    expect(listed.map((s) => s.stack)).toEqual(listStackFiles(tree.dir).map((s) => s.stack));
  });

  it("writes the list and its size for fromJSON(needs.<job>.outputs.stacks)", async () => {
    const run = await runListStacks(["--root", tree.dir, "--except", "beta-1", "--github-output"]);
    expect(run.githubOutput).toEqual({ stacks: '[{"stack":"acme","environment":"prod","file":"Pulumi.acme.yaml"}]', count: "1" });
    const only = await runListStacks(["--root", tree.dir, "--only", "beta-1", "--github-output"]);
    expect(JSON.parse(only.githubOutput.stacks!)).toEqual([{ stack: "beta-1", environment: "dev", file: "Pulumi.beta-1.yaml" }]);
    const none = await runListStacks(["--root", tree.dir, "--only", "nope", "--github-output"]);
    expect(none.githubOutput).toEqual({ stacks: "[]", count: "0" });
  });

  it("fails naming the file when a stack file has no usable environment", async () => {
    const broken = tempTree({ "Pulumi.ok.yaml": stackFile("dev"), "Pulumi.broken.yaml": "config:\n  gcp:project: x\n", "Pulumi.shell.yaml": 'config:\n  pulsura:environment: "dev; rm -rf /"\n' });
    try {
      const run = await runListStacks(["--root", broken.dir]);
      expect(run.code).toBe(1);
      expect(run.stderr).toBe('list-stacks: Pulumi.broken.yaml: config "pulsura:environment" is missing; expected an environment such as dev or prod\n');
      const shell = await runListStacks(["--root", broken.dir, "--except", "broken"]);
      expect(shell.code).toBe(1);
      expect(shell.stderr).toContain("Pulumi.shell.yaml");
    } finally {
      broken.remove();
    }
  });

  it("refuses unknown options", async () => {
    const run = await runListStacks(["--stacks"]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/Unknown option '--stacks'/);
  });
});
