/**
 * `npm run deploy:web`: the generated firebase.json and its Content-Security-Policy for each stack's offline-plan
 * outputs, served for real by superstatic (the engine of firebase-tools' Hosting emulator), and the deploy command's
 * firebase-tools invocation, checked with a FAKE firebase executable because there is no cloud here.
 */
import type { AddressInfo } from "node:net";
import { createRequire } from "node:module";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listStackFiles, repoRoot } from "../../scripts/lib/stack-files";
import { contentSecurityPolicyDirectives, firebaseJson, hostingSiteOf, type FirebaseJson, type HostingSite } from "../../scripts/lib/web/hosting";
import { hostingOutputs } from "../../scripts/lib/web/outputs";
import { planOutputs, removeTemporaryDirectories, runCli, temporaryDirectory, writeJson } from "./support/cli";

const requireFromRepo = createRequire(join(repoRoot, "package.json"));
const stacks = listStackFiles().map((s) => s.stack);
const plans: Record<string, Record<string, unknown>> = {};

beforeAll(async () => {
  const outputs = await Promise.all(stacks.map((stack) => planOutputs(stack)));
  stacks.forEach((stack, i) => (plans[stack] = outputs[i]!));
});
afterAll(removeTemporaryDirectories);

function siteOf(stack: string): HostingSite {
  return hostingSiteOf(hostingOutputs(plans[stack]!, stack));
}

/** Parses a Content-Security-Policy header value into directive → sources. */
function parseCsp(value: string): Record<string, string[]> {
  return Object.fromEntries(
    value.split(";").map((part) => {
      const [directive, ...sources] = part.trim().split(/\s+/);
      return [directive!, sources];
    }),
  );
}

function header(config: FirebaseJson, source: string, key: string): string | undefined {
  return config.hosting.headers.find((rule) => rule.source === source)?.headers.find((h) => h.key === key)?.value;
}

/** A directory that looks like `flutter build web` output, with one content-hashed file. */
function fakeWebBuild(): string {
  const web = join(temporaryDirectory(), "web");
  mkdirSync(join(web, "assets"), { recursive: true });
  mkdirSync(join(web, "canvaskit"), { recursive: true });
  writeFileSync(join(web, "index.html"), '<!DOCTYPE html><html><body><script src="flutter_bootstrap.js" async></script></body></html>\n');
  writeFileSync(join(web, "flutter_bootstrap.js"), "// bootstrap\n");
  writeFileSync(join(web, "main.dart.js"), "// app\n");
  writeFileSync(join(web, "flutter_service_worker.js"), "// worker\n");
  writeFileSync(join(web, "canvaskit", "canvaskit.wasm"), "wasm");
  writeFileSync(join(web, "assets", "chunk.3f9a1c2e.js"), "// hashed\n");
  return web;
}

describe.each(stacks)("firebase.json for stack %s", (stack) => {
  it("allows exactly the stack's Hasura origins and Firebase Auth origins, and nothing unsafe", () => {
    const site = siteOf(stack);
    const outputs = plans[stack]! as { hasuraGraphqlUrl: string; firebaseWebOptions: { authDomain: string }; filesBucket: string };
    expect(outputs.filesBucket).toMatch(/-files$/);
    const hasuraHost = new URL(outputs.hasuraGraphqlUrl).host;
    const csp = parseCsp(header(firebaseJson(site, "/srv/web"), "**", "Content-Security-Policy")!);

    expect(csp["connect-src"]).toEqual([
      "'self'",
      `https://${hasuraHost}`,
      `wss://${hasuraHost}`,
      "https://identitytoolkit.googleapis.com",
      "https://securetoken.googleapis.com",
      "https://www.google.com/recaptcha/",
      "https://www.gstatic.com/flutter-canvaskit/",
      "https://fonts.gstatic.com",
      // The files bucket's paths only (signed upload and download URLs), not storage.googleapis.com as a whole.
      `https://storage.googleapis.com/${outputs.filesBucket}/`,
    ]);
    expect(csp["img-src"]).toEqual(["'self'", "data:", "blob:", `https://storage.googleapis.com/${outputs.filesBucket}/`]);
    expect(csp["frame-src"]).toEqual([`https://${outputs.firebaseWebOptions.authDomain}`, "https://www.google.com/recaptcha/", "https://recaptcha.google.com/recaptcha/"]);
    expect(csp["script-src"]).toEqual([
      "'self'",
      "'wasm-unsafe-eval'",
      "https://www.gstatic.com/firebasejs/",
      "https://apis.google.com",
      "https://www.google.com/recaptcha/",
      "https://www.gstatic.com/recaptcha/",
      "https://www.gstatic.com/flutter-canvaskit/",
    ]);
    expect(csp["default-src"]).toEqual(["'self'"]);
    expect(csp["frame-ancestors"]).toEqual(["'none'"]);
    expect(csp["object-src"]).toEqual(["'none'"]);
    expect(csp["base-uri"]).toEqual(["'self'"]);
    // No wildcard hosts or schemes, no JavaScript eval, no inline scripts.
    const allSources = Object.values(csp).flat();
    expect(allSources.filter((s) => s.includes("*") || s === "https:" || s === "wss:" || s === "http:")).toEqual([]);
    expect(allSources).not.toContain("'unsafe-eval'");
    expect(csp["script-src"]).not.toContain("'unsafe-inline'");
  });

  it("sets HSTS, nosniff, a referrer policy and frame denial on every path, and deploys to the stack's site", () => {
    const config = firebaseJson(siteOf(stack), "/srv/web");
    expect(config.hosting.site).toBe((plans[stack] as { hostingSiteId: string }).hostingSiteId);
    expect(config.hosting.public).toBe("/srv/web");
    expect(config.hosting.rewrites).toEqual([{ source: "**", destination: "/index.html" }]);
    expect(header(config, "**", "Strict-Transport-Security")).toBe("max-age=31536000; includeSubDomains");
    expect(header(config, "**", "X-Content-Type-Options")).toBe("nosniff");
    expect(header(config, "**", "Referrer-Policy")).toBe("strict-origin-when-cross-origin");
    expect(header(config, "**", "X-Frame-Options")).toBe("DENY");
  });

  it("is a valid firebase.json for firebase-tools (its own schema validator)", () => {
    const { getValidator, getErrorMessage } = requireFromRepo("firebase-tools/lib/firebaseConfigValidate") as {
      getValidator: () => ((config: unknown) => boolean) & { errors?: unknown[] };
      getErrorMessage: (error: unknown) => string;
    };
    const validate = getValidator();
    const valid = validate(firebaseJson(siteOf(stack), "/srv/web"));
    expect(valid, (validate.errors ?? []).map(getErrorMessage).join("\n")).toBe(true);
  });
});

describe("the dev and prod policies", () => {
  it("differ in the Firebase Auth domain, each naming its own project", () => {
    const dev = Object.fromEntries(contentSecurityPolicyDirectives(siteOf("dev")));
    const prod = Object.fromEntries(contentSecurityPolicyDirectives(siteOf("prod")));
    expect(dev["frame-src"]![0]).toBe("https://pulsura-dev.firebaseapp.com");
    expect(prod["frame-src"]![0]).toBe("https://pulsura-prod.firebaseapp.com");
  });
});

describe("the hosting configuration served by superstatic, the engine of firebase-tools' Hosting emulator", () => {
  let baseUrl: string;
  let close: () => Promise<void>;

  beforeAll(async () => {
    const superstatic = requireFromRepo("superstatic") as {
      server: (options: Record<string, unknown>) => { listen: (done: () => void) => import("node:http").Server };
    };
    const config = firebaseJson(siteOf("dev"), fakeWebBuild());
    const app = superstatic.server({ port: 0, hostname: "127.0.0.1", config: config.hosting, cwd: "/", stack: "strict", compression: false });
    const server = await new Promise<import("node:http").Server>((resolve) => {
      const listening: import("node:http").Server = app.listen(() => resolve(listening));
    });
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    close = () => new Promise((resolve) => server.close(() => resolve()));
  });

  afterAll(async () => {
    await close?.();
  });

  it("serves index.html for app routes, with no-cache and the CSP", async () => {
    for (const path of ["/", "/organizations/42/members"]) {
      const response = await fetch(`${baseUrl}${path}`);
      expect(response.status).toBe(200);
      expect(await response.text()).toContain("flutter_bootstrap.js");
      expect(response.headers.get("cache-control")).toBe("no-cache");
      expect(response.headers.get("content-security-policy")).toContain("frame-ancestors 'none'");
      expect(response.headers.get("strict-transport-security")).toBe("max-age=31536000; includeSubDomains");
    }
  });

  it("revalidates Flutter's unhashed files and the service worker, and caches content-hashed files for a year", async () => {
    const cacheControl = async (path: string) => (await fetch(`${baseUrl}${path}`)).headers.get("cache-control");
    expect(await cacheControl("/main.dart.js")).toBe("no-cache");
    expect(await cacheControl("/flutter_bootstrap.js")).toBe("no-cache");
    expect(await cacheControl("/canvaskit/canvaskit.wasm")).toBe("no-cache");
    expect(await cacheControl("/flutter_service_worker.js")).toBe("no-cache");
    expect(await cacheControl("/index.html")).toBe("no-cache");
    expect(await cacheControl("/assets/chunk.3f9a1c2e.js")).toBe("public, max-age=31536000, immutable");
  });
});

describe("npm run deploy:web", () => {
  /**
   * A FAKE firebase-tools executable (there is no cloud or Firebase project here): it records its arguments, its
   * working directory and the firebase.json it finds there, then exits with FAKE_FIREBASE_EXIT.
   */
  function fakeFirebase(): { bin: string; record: string } {
    const directory = temporaryDirectory("pulsura-fake-firebase-");
    const bin = join(directory, "firebase");
    const record = join(directory, "record.json");
    writeFileSync(
      bin,
      [
        `#!${process.execPath}`,
        "// FAKE firebase-tools for tests: records what a deploy would have used.",
        'const fs = require("node:fs");',
        "const config = fs.existsSync('firebase.json') ? fs.readFileSync('firebase.json', 'utf8') : null;",
        `fs.writeFileSync(${JSON.stringify(record)}, JSON.stringify({ argv: process.argv.slice(2), cwd: process.cwd(), config }));`,
        "process.exit(Number(process.env.FAKE_FIREBASE_EXIT || 0));",
      ].join("\n"),
    );
    chmodSync(bin, 0o755);
    return { bin, record };
  }

  async function deploy(stack: string, args: string[], env: Record<string, string> = {}, outputs: unknown = plans[stack]) {
    const firebase = fakeFirebase();
    const outputsFile = writeJson(temporaryDirectory(), "outputs.json", outputs);
    const run = await runCli("deploy-web.ts", ["--stack", stack, "--outputs", outputsFile, ...args], { ...process.env, PULSURA_FIREBASE_BIN: firebase.bin, ...env });
    const record = existsSync(firebase.record) ? (JSON.parse(readFileSync(firebase.record, "utf8")) as { argv: string[]; cwd: string; config: string | null }) : undefined;
    return { run, record, bin: firebase.bin };
  }

  it.each(stacks)("deploys the build to stack %s's hosting site with firebase-tools and the generated firebase.json", async (stack) => {
    const web = fakeWebBuild();
    const { run, record } = await deploy(stack, ["--web-dir", web]);
    expect(run.exitCode, run.stderr).toBe(0);
    const outputs = plans[stack] as { hostingSiteId: string; gcpProject: string };
    expect(record!.argv).toEqual(["deploy", "--only", `hosting:${outputs.hostingSiteId}`, "--project", outputs.gcpProject]);
    expect(JSON.parse(record!.config!)).toEqual(firebaseJson(siteOf(stack), web));
    // The firebase.json lived in a temporary directory, removed after the deploy; the repository was not written.
    expect(record!.cwd.startsWith(repoRoot)).toBe(false);
    expect(existsSync(record!.cwd)).toBe(false);
  });

  it("exits with firebase-tools' exit code when the deploy fails", async () => {
    const { run, record } = await deploy("dev", ["--web-dir", fakeWebBuild()], { FAKE_FIREBASE_EXIT: "7" });
    expect(record).toBeDefined();
    expect(run.exitCode).toBe(7);
  });

  it("--dry-run prints the firebase.json and the command instead of running firebase-tools", async () => {
    const web = fakeWebBuild();
    const { run, record, bin } = await deploy("prod", ["--web-dir", web, "--dry-run"]);
    expect(run.exitCode, run.stderr).toBe(0);
    expect(record).toBeUndefined();
    const printed = /^firebase\.json:\n([\s\S]*?)\ncommand \(run in the directory of that firebase\.json\):\n {2}(.*)\n$/.exec(run.stdout);
    expect(printed, run.stdout).not.toBeNull();
    expect(JSON.parse(printed![1]!)).toEqual(firebaseJson(siteOf("prod"), web));
    expect(printed![2]).toBe(`${bin} deploy --only hosting:pulsura-prod-app --project pulsura-prod`);
  });

  it("refuses, without calling firebase-tools, when the build folder is missing", async () => {
    const missing = join(temporaryDirectory(), "build", "web");
    const { run, record } = await deploy("dev", ["--web-dir", missing]);
    expect(run.exitCode).toBe(1);
    expect(run.stderr).toContain(`${missing} does not exist: build the web app first`);
    expect(run.stderr).toContain("flutter build web");
    expect(record).toBeUndefined();
  });

  it.skipIf(existsSync(join(repoRoot, "flutter-template", "build", "web")))(
    "refuses by default while flutter-template/build/web has not been built",
    async () => {
      const { run, record } = await deploy("dev", []);
      expect(run.exitCode).toBe(1);
      expect(run.stderr).toContain("flutter-template/build/web does not exist");
      expect(record).toBeUndefined();
    },
  );

  it("refuses a build folder without index.html", async () => {
    const web = join(temporaryDirectory(), "web");
    mkdirSync(web);
    const { run, record } = await deploy("dev", ["--web-dir", web]);
    expect(run.exitCode).toBe(1);
    expect(run.stderr).toContain("has no index.html");
    expect(record).toBeUndefined();
  });

  it("names the missing outputs and deploys nothing", async () => {
    const outputs = { ...plans.dev! };
    delete outputs.hostingSiteId;
    delete outputs.gcpProject;
    const { run, record } = await deploy("dev", ["--web-dir", fakeWebBuild()], {}, outputs);
    expect(run.exitCode).toBe(1);
    expect(run.stderr).toContain('Stack "dev" lacks 2 outputs that deploy:web needs');
    expect(run.stderr).toContain("  - gcpProject: missing");
    expect(run.stderr).toContain("  - hostingSiteId: missing");
    expect(record).toBeUndefined();
  });

  it("says so when PULSURA_FIREBASE_BIN points nowhere", async () => {
    const { run } = await deploy("dev", ["--web-dir", fakeWebBuild()], { PULSURA_FIREBASE_BIN: "/nonexistent/firebase" });
    expect(run.exitCode).toBe(1);
    expect(run.stderr).toContain("PULSURA_FIREBASE_BIN points to /nonexistent/firebase, which does not exist");
  });
});
