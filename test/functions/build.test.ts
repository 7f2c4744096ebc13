import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import { builtinModules, createRequire } from "node:module";
import path from "node:path";
import { promisify } from "node:util";
import { afterEach, describe, expect, it, vi } from "vitest";
import { bundleFunctions, runtimePackages } from "../../functions/scripts/build";

const repoRoot = path.resolve(__dirname, "../..");
const functionsDir = path.join(repoRoot, "functions");

/** Evaluates the CommonJS bundle as Node would load index.js from the functions folder. */
function loadBundle(code: string): Record<string, unknown> {
  const module = { exports: {} as Record<string, unknown> };
  const requireFromFunctions = createRequire(path.join(functionsDir, "index.js"));
  new Function("module", "exports", "require", code)(module, module.exports, requireFromFunctions);
  return module.exports;
}

describe("bundleFunctions", () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it("bundles our code into one CommonJS file that requires only the two Firebase SDKs and Node built-ins", async () => {
    const { code } = await bundleFunctions();
    const required = [...code.matchAll(/require\("([^"]+)"\)/g)].map((m) => m[1] ?? "");
    expect(required.length).toBeGreaterThan(0);
    const builtins = new Set(builtinModules.flatMap((name) => [name, `node:${name}`]));
    for (const specifier of required) {
      const allowed = builtins.has(specifier) || runtimePackages.some((p) => specifier === p || specifier.startsWith(`${p}/`));
      expect(allowed, `bundle requires ${specifier}`).toBe(true);
    }
    // Our own modules are inlined, not required.
    expect(required.filter((s) => s.startsWith("."))).toEqual([]);
    // firebase-functions / firebase-admin inlined by mistake would weigh megabytes.
    expect(Buffer.byteLength(code)).toBeLessThan(30_000);
  });

  it("exports exactly the three functions, with their triggers", async () => {
    // gen1 auth triggers name their resource after the project, which Cloud Functions reads from GCLOUD_PROJECT.
    vi.stubEnv("GCLOUD_PROJECT", "demo-pulsura");
    const exports = loadBundle((await bundleFunctions()).code);
    expect(Object.keys(exports).sort()).toEqual(["beforeUserCreated", "onUserCreated", "onUserDeleted"]);
    const endpoint = (name: string) => (exports[name] as { __endpoint: Record<string, unknown> }).__endpoint;
    expect(endpoint("beforeUserCreated")).toMatchObject({
      platform: "gcfv2",
      blockingTrigger: { eventType: "providers/cloud.auth/eventTypes/user.beforeCreate" },
    });
    expect(endpoint("onUserCreated")).toMatchObject({
      platform: "gcfv1",
      eventTrigger: {
        eventType: "providers/firebase.auth/eventTypes/user.create",
        eventFilters: { resource: "projects/demo-pulsura" },
        retry: true,
      },
    });
    expect(endpoint("onUserDeleted")).toMatchObject({
      platform: "gcfv1",
      eventTrigger: { eventType: "providers/firebase.auth/eventTypes/user.delete", retry: true },
    });
  });

  it("writes a minimal deploy package.json: main index.js, no engines (each function's runtime id picks its Node), the two SDKs pinned as in functions/package.json", async () => {
    const { packageJson } = await bundleFunctions();
    const source = JSON.parse(await readFile(path.join(functionsDir, "package.json"), "utf8")) as {
      dependencies: Record<string, string>;
    };
    const deploy = JSON.parse(packageJson) as Record<string, unknown>;
    expect(deploy).toMatchObject({ main: "index.js", private: true });
    expect(deploy).not.toHaveProperty("engines");
    expect(deploy.dependencies).toStrictEqual({
      "firebase-functions": source.dependencies["firebase-functions"],
      "firebase-admin": source.dependencies["firebase-admin"],
    });
    for (const version of Object.values(deploy.dependencies as Record<string, string>)) {
      expect(version).toMatch(/^\d+\.\d+\.\d+$/);
    }
    expect(deploy).not.toHaveProperty("devDependencies");
    expect(deploy).not.toHaveProperty("scripts");
  });

  it("is deterministic, so an unchanged source does not churn the deployed archive", async () => {
    const [first, second] = await Promise.all([bundleFunctions(), bundleFunctions()]);
    expect(second).toEqual(first);
  });

  it("`npm run build -w functions` writes that bundle to functions/lib/index.js, the package's main", async () => {
    const source = JSON.parse(await readFile(path.join(functionsDir, "package.json"), "utf8")) as { main: string };
    expect(source.main).toBe("lib/index.js");
    await promisify(execFile)("npm", ["run", "build", "-w", "functions"], { cwd: repoRoot });
    const written = await readFile(path.join(functionsDir, "lib", "index.js"), "utf8");
    expect(written).toBe((await bundleFunctions()).code);
  });
});
