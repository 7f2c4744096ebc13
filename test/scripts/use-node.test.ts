/**
 * scripts/use-node.sh, which .ci/run and developers source: it keeps a satisfying Node, otherwise uses or fetches
 * the project's Node into .tmp/node. Run in scratch copies with stand-in `node` and `npm` commands, so no download
 * happens here.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { repoRoot } from "../../scripts/lib/stack-files";

const scratch: string[] = [];
afterEach(() => {
  for (const dir of scratch.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A scratch "repository" holding only scripts/use-node.sh, and a bin folder for stand-in commands. */
function scratchRepo(): { root: string; bin: string } {
  const root = mkdtempSync(join(tmpdir(), "pulsura-use-node-"));
  scratch.push(root);
  mkdirSync(join(root, "scripts"));
  copyFileSync(join(repoRoot, "scripts", "use-node.sh"), join(root, "scripts", "use-node.sh"));
  const bin = join(root, "fake-bin");
  mkdirSync(bin);
  return { root, bin };
}

function fakeCommand(bin: string, name: string, script: string): void {
  writeFileSync(join(bin, name), `#!/bin/sh\n${script}\n`);
  chmodSync(join(bin, name), 0o755);
}

/** Sources the script in bash with PATH = `path`, then prints which node is first and its version. */
function sourceIn(root: string, path: string) {
  return spawnSync("bash", ["-c", `source "${root}/scripts/use-node.sh" || exit $?; command -v node; node --version`], {
    cwd: tmpdir(),
    env: { PATH: path, HOME: process.env.HOME ?? "/root" },
    encoding: "utf8",
  });
}

const systemPath = "/usr/local/bin:/usr/bin:/bin";
const oldNode = 'if [ "$1" = "--version" ]; then echo v20.20.2; exit 0; fi; exit 1';

describe("scripts/use-node.sh", () => {
  it("changes nothing when the Node on PATH satisfies engines", () => {
    const { root } = scratchRepo();
    const run = sourceIn(root, `${dirname(process.execPath)}:${systemPath}`);
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout.split("\n")[0]).toBe(process.execPath);
    expect(existsSync(join(root, ".tmp"))).toBe(false);
  });

  it("points Node's compile cache (which npm, tsc and eslint switch on) into the checkout's .tmp, unless one is set", () => {
    const { root } = scratchRepo();
    const print = (env: Record<string, string>) =>
      spawnSync("bash", ["-c", `source "${root}/scripts/use-node.sh" || exit $?; echo "$NODE_COMPILE_CACHE"`], {
        cwd: tmpdir(),
        env: { PATH: `${dirname(process.execPath)}:${systemPath}`, HOME: process.env.HOME ?? "/root", ...env },
        encoding: "utf8",
      });
    expect(print({}).stdout.trim()).toBe(join(realpathSync(root), ".tmp", "compile-cache"));
    expect(print({ NODE_COMPILE_CACHE: "/elsewhere/cache" }).stdout.trim()).toBe("/elsewhere/cache");
  });

  it("puts the project's Node from .tmp/node first on PATH when the machine's is older", () => {
    const { root, bin } = scratchRepo();
    fakeCommand(bin, "node", oldNode);
    fakeCommand(bin, "npm", "echo npm must not be called >&2; exit 9");
    mkdirSync(join(root, ".tmp", "node", "current", "bin"), { recursive: true });
    symlinkSync(process.execPath, join(root, ".tmp", "node", "current", "bin", "node"));
    const run = sourceIn(root, `${bin}:${systemPath}`);
    expect(run.status, run.stderr).toBe(0);
    const [which, version] = run.stdout.trim().split("\n");
    expect(which).toBe(join(root, ".tmp", "node", "current", "bin", "node"));
    expect(version).toBe(process.version);
  });

  it("fails with the reason, and installs nothing, when the Node package cannot be fetched", () => {
    const { root, bin } = scratchRepo();
    fakeCommand(bin, "node", oldNode);
    fakeCommand(bin, "npm", "echo 'npm error code E404' >&2; exit 1");
    const run = sourceIn(root, `${bin}:${systemPath}`);
    expect(run.status).not.toBe(0);
    expect(run.stderr).toMatch(/v20\.20\.2 does not satisfy >=24\.11 <25; fetching node-linux-(x64|arm64) from the npm registry/);
    expect(run.stderr).toMatch(/npm pack node-linux-(x64|arm64)@">=24\.11 <25" failed; nothing was installed/);
    expect(existsSync(join(root, ".tmp", "node", "current"))).toBe(false);
    expect(existsSync(join(root, ".tmp", "node", "download"))).toBe(false);
  });

  it("is what .ci/run sources before exactly the README's two commands", () => {
    const ci = execFileSync("cat", [join(repoRoot, ".ci", "run")], { encoding: "utf8" });
    const commands = ci.split("\n").filter((line) => line.trim() && !line.trim().startsWith("#"));
    expect(commands.slice(-4)).toEqual(["source scripts/use-node.sh", 'echo "node $(node --version), npm $(npm --version)"', "npm ci", "npm test"]);
  });
});
