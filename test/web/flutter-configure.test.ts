/**
 * `npm run flutter:configure`: lib/pulsura_options.dart generated from each stack's offline-plan outputs, checked with
 * a Dart lexer (the Flutter SDK is not available here), plus escaping, missing outputs and where outputs come from.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listStackFiles, repoRoot } from "../../scripts/lib/stack-files";
import { dartStringLiteral } from "../../scripts/lib/web/dart";
import { SIGN_IN_PROVIDERS, signInProvidersFromStackFile, signInProvidersOf } from "../../scripts/lib/web/providers";
import { planOutputs, removeTemporaryDirectories, runCli, temporaryDirectory, writeJson } from "./support/cli";
import { lexDart, namedStringArguments, stringLiterals, type DartToken } from "./support/dart-lexer";

const template = join(repoRoot, "flutter-template");
const stacks = listStackFiles().map((s) => s.stack);
const plans: Record<string, Record<string, unknown>> = {};

beforeAll(async () => {
  const outputs = await Promise.all(stacks.map((stack) => planOutputs(stack)));
  stacks.forEach((stack, i) => (plans[stack] = outputs[i]!));
});
afterAll(removeTemporaryDirectories);

/** Runs the configure CLI for `stack` with an outputs file, writing to a temporary path; returns the run and file. */
async function configure(stack: string, outputs: unknown, extraArgs: string[] = []) {
  const directory = temporaryDirectory();
  const outputsFile = writeJson(directory, "outputs.json", outputs);
  const out = join(directory, "pulsura_options.dart");
  const run = await runCli("flutter-configure.ts", ["--stack", stack, "--outputs", outputsFile, "--out", out, ...extraArgs]);
  return { run, out, dart: existsSync(out) ? readFileSync(out, "utf8") : undefined };
}

/** The identifiers written as `SignInProvider.<name>` inside the generated set literal. */
function providersIn(tokens: DartToken[]): string[] {
  const names: string[] = [];
  for (let i = 0; i + 2 < tokens.length; i++) {
    const [type, dot, name] = [tokens[i]!, tokens[i + 1]!, tokens[i + 2]!];
    if (type.kind === "identifier" && type.text === "SignInProvider" && dot.kind === "punctuation" && dot.text === "." && name.kind === "identifier") {
      names.push(name.text);
    }
  }
  return names;
}

/** The constants of `enum SignInProvider { … }` in the template's hand-written options types. */
function templateProviderEnum(): string[] {
  const tokens = lexDart(readFileSync(join(template, "lib/src/config/stack_options.dart"), "utf8"));
  const start = tokens.findIndex((t, i) => t.kind === "identifier" && t.text === "enum" && tokens[i + 1]?.kind === "identifier" && (tokens[i + 1] as { text: string }).text === "SignInProvider");
  expect(start, "stack_options.dart declares enum SignInProvider").toBeGreaterThanOrEqual(0);
  const names: string[] = [];
  for (let i = start + 3; tokens[i]?.kind !== "punctuation" || (tokens[i] as { text: string }).text !== "}"; i++) {
    const token = tokens[i]!;
    if (token.kind === "identifier") names.push(token.text);
  }
  return names;
}

function outputsWithout(outputs: Record<string, unknown>, ...paths: string[]): Record<string, unknown> {
  const copy = structuredClone(outputs);
  for (const path of paths) {
    const parts = path.split(".");
    let target = copy as Record<string, unknown>;
    for (const part of parts.slice(0, -1)) target = target[part] as Record<string, unknown>;
    delete target[parts[parts.length - 1]!];
  }
  return copy;
}

describe.each(stacks)("flutter:configure for the offline plan of stack %s", (stack) => {
  it("writes well-formed Dart that carries the stack's Firebase web options and Hasura URLs verbatim", async () => {
    const outputs = plans[stack]!;
    const { run, dart } = await configure(stack, outputs);
    expect(run.exitCode, run.stderr).toBe(0);

    const tokens = lexDart(dart!);
    const literals = stringLiterals(tokens);
    expect(literals.filter((l) => l.interpolations > 0)).toEqual([]);
    const firebase = outputs.firebaseWebOptions as Record<string, string>;
    expect(Object.fromEntries(namedStringArguments(tokens))).toEqual({
      stack,
      apiKey: firebase.apiKey,
      appId: firebase.appId,
      messagingSenderId: firebase.messagingSenderId,
      projectId: firebase.projectId,
      authDomain: firebase.authDomain,
      storageBucket: firebase.storageBucket,
      hasuraGraphqlUrl: outputs.hasuraGraphqlUrl,
      hasuraWebsocketUrl: outputs.hasuraWebsocketUrl,
    });
    // The imports resolve: firebase_core (a pinned dependency) and the hand-written options types.
    const imports = literals.map((l) => l.value).filter((v) => v.endsWith(".dart"));
    expect(imports).toContain("package:firebase_core/firebase_core.dart");
    for (const relative of imports.filter((v) => !v.startsWith("package:"))) expect(existsSync(join(template, "lib", relative)), relative).toBe(true);
    expect(readFileSync(join(template, "pubspec.yaml"), "utf8")).toMatch(/^ {2}firebase_core: \d+\.\d+\.\d+$/m);
  });

  it("lists the stack's enabled sign-in methods, as constants of the template's SignInProvider enum", async () => {
    const outputs = plans[stack]!;
    const { run, dart } = await configure(stack, outputs);
    expect(run.exitCode, run.stderr).toBe(0);
    const fromStackFile = signInProvidersFromStackFile(stack, join(repoRoot, `Pulumi.${stack}.yaml`));
    if (outputs.signInProviders === undefined) {
      // A program without the signInProviders output: the CLI reads the stack file and says so.
      expect(run.stderr).toContain(`read the enabled sign-in methods from Pulumi.${stack}.yaml`);
    } else {
      // The output and the stack file describe the same settings.
      expect(outputs.signInProviders).toEqual(fromStackFile);
    }
    expect(fromStackFile.length).toBeGreaterThan(0);
    expect(providersIn(lexDart(dart!))).toEqual(fromStackFile);
    expect(templateProviderEnum()).toEqual([...SIGN_IN_PROVIDERS]);
  });

  it("accepts the offline plan's --json output as the outputs file", async () => {
    const asPlan = await configure(stack, { stack, project: "pulsura", resources: [], outputs: plans[stack], violations: [] });
    const asOutputs = await configure(stack, plans[stack]!);
    expect(asPlan.run.exitCode, asPlan.run.stderr).toBe(0);
    expect(asPlan.dart).toBe(asOutputs.dart);
    // The plan's outputs are the mocks' stand-ins: the command says so, and says nothing of the kind for real outputs.
    expect(asPlan.run.stderr).toContain("warning: these are the offline plan's outputs");
    expect(asOutputs.run.stderr).not.toContain("offline plan");
  });
});

describe("the committed placeholder", () => {
  it("is exactly what flutter:configure writes for the dev stack's offline plan, so the template compiles as shipped", async () => {
    const { run, dart } = await configure("dev", plans.dev!);
    expect(run.exitCode, run.stderr).toBe(0);
    expect(
      readFileSync(join(template, "lib/pulsura_options.dart"), "utf8"),
      "regenerate with: npm run plan -- --stack dev --json > /tmp/dev.json && npm run flutter:configure -- --stack dev --outputs /tmp/dev.json",
    ).toBe(dart);
  });
});

describe("Dart string literals", () => {
  const tricky = [
    "plain",
    "",
    "it's",
    'say "hi"',
    "back\\slash",
    "$dollar",
    "${interpolation}",
    "costs $5 and ${'{'}",
    "'''triple'''",
    "line\nbreak",
    "crlf\r\n",
    "tab\tand\bbell\u0007\f\v",
    "nul\u0000byte",
    "del\u007f and c1\u0085",
    "separators\u2028\u2029",
    "bom\ufeff",
    "émoji 🎉 and 中文",
    "lone \ud800 surrogate",
    "\udc00 low first",
    "\\u{41} is not an escape here",
    "r'raw'",
    "ends with backslash\\",
  ];

  it.each(tricky)("round-trips %j through a Dart literal", (value) => {
    const literal = dartStringLiteral(value);
    const tokens = lexDart(`const v = ${literal};`);
    const [token] = stringLiterals(tokens);
    expect(token!.interpolations).toBe(0);
    expect(token!.value).toBe(value);
    // The literal is a single line, whatever the value holds.
    expect(literal).not.toMatch(/[\n\r\u2028\u2029]/);
  });

  it("round-trips random strings over an alphabet of quotes, escapes, dollars and unicode", () => {
    const alphabet = ["'", '"', "\\", "$", "{", "}", "\n", "\r", "\t", "\u0000", "\u001f", "a", "Z", "0", " ", "é", "🎉", "\u2028", "\ud800", "\udfff", "x", "u", "\u007f"];
    // A fixed-seed generator: the same strings on every run.
    let seed = 0x2545f491;
    const next = () => {
      seed ^= seed << 13;
      seed ^= seed >>> 17;
      seed ^= seed << 5;
      return (seed >>> 0) / 0x100000000;
    };
    for (let n = 0; n < 500; n++) {
      const length = Math.floor(next() * 24);
      const value = Array.from({ length }, () => alphabet[Math.floor(next() * alphabet.length)]).join("");
      const [token] = stringLiterals(lexDart(dartStringLiteral(value)));
      expect(token!.value).toBe(value);
      expect(token!.interpolations).toBe(0);
    }
  });

  it("keeps hostile output values inert in the generated file", async () => {
    const outputs = structuredClone(plans.dev!) as Record<string, any>;
    outputs.firebaseWebOptions.apiKey = "k'); print('${pwned}');\n// \\";
    outputs.firebaseWebOptions.appId = "1:2:web:$x\u2028";
    const { run, dart } = await configure("dev", outputs);
    expect(run.exitCode, run.stderr).toBe(0);
    const tokens = lexDart(dart!);
    const values = namedStringArguments(tokens);
    expect(values.get("apiKey")).toBe(outputs.firebaseWebOptions.apiKey);
    expect(values.get("appId")).toBe(outputs.firebaseWebOptions.appId);
    expect(stringLiterals(tokens).every((l) => l.interpolations === 0)).toBe(true);
    expect(tokens.some((t) => t.kind === "identifier" && t.text === "print")).toBe(false);
  });
});

describe("a project without a default Storage bucket", () => {
  it("configures the app without storageBucket when the stack's web options have none", async () => {
    // "the default bucket for the Project might not yet be provisioned" (Firebase Management API, WebAppConfig.storageBucket).
    for (const bucket of ["", undefined]) {
      const outputs = structuredClone(plans.dev!) as Record<string, any>;
      if (bucket === undefined) delete outputs.firebaseWebOptions.storageBucket;
      else outputs.firebaseWebOptions.storageBucket = bucket;
      const { run, dart } = await configure("dev", outputs);
      expect(run.exitCode, run.stderr).toBe(0);
      const named = Object.fromEntries(namedStringArguments(lexDart(dart!)));
      expect(named).not.toHaveProperty("storageBucket");
      expect(named.apiKey).toBe(outputs.firebaseWebOptions.apiKey);
    }
  });
});

describe("outputs that are missing or unusable", () => {
  it("names every missing output, exits 1 and writes nothing", async () => {
    const outputs = outputsWithout(plans.dev!, "hasuraWebsocketUrl", "firebaseWebOptions.apiKey", "firebaseWebOptions.authDomain");
    const { run, out } = await configure("dev", outputs);
    expect(run.exitCode).toBe(1);
    expect(run.stderr).toContain('Stack "dev" lacks 3 outputs that flutter:configure needs');
    for (const name of ["hasuraWebsocketUrl", "firebaseWebOptions.apiKey", "firebaseWebOptions.authDomain"]) expect(run.stderr).toContain(`  - ${name}: missing`);
    expect(run.stderr).not.toContain("hasuraGraphqlUrl");
    expect(existsSync(out)).toBe(false);
  });

  it("leaves an existing options file untouched when outputs are missing", async () => {
    const directory = temporaryDirectory();
    const out = join(directory, "pulsura_options.dart");
    writeFileSync(out, "// the previous configuration\n");
    const outputsFile = writeJson(directory, "outputs.json", outputsWithout(plans.dev!, "hasuraGraphqlUrl"));
    const run = await runCli("flutter-configure.ts", ["--stack", "dev", "--outputs", outputsFile, "--out", out]);
    expect(run.exitCode).toBe(1);
    expect(run.stderr).toContain("  - hasuraGraphqlUrl: missing");
    expect(readFileSync(out, "utf8")).toBe("// the previous configuration\n");
  });

  it("rejects secret placeholders, non-TLS Hasura URLs and malformed auth domains with the reason", async () => {
    const outputs = structuredClone(plans.dev!) as Record<string, any>;
    outputs.firebaseWebOptions.apiKey = "[secret]";
    outputs.hasuraGraphqlUrl = "http://hasura.example.com/v1/graphql";
    outputs.hasuraWebsocketUrl = "https://hasura.example.com/v1/graphql";
    outputs.firebaseWebOptions.authDomain = "https://pulsura-dev.firebaseapp.com";
    const { run, out } = await configure("dev", outputs);
    expect(run.exitCode).toBe(1);
    expect(run.stderr).toContain("firebaseWebOptions.apiKey: shown as [secret]");
    expect(run.stderr).toContain('hasuraGraphqlUrl: expected a https:// URL, got "http://hasura.example.com/v1/graphql"');
    expect(run.stderr).toContain("hasuraWebsocketUrl: expected a wss:// URL");
    expect(run.stderr).toContain("firebaseWebOptions.authDomain: expected a host name");
    expect(existsSync(out)).toBe(false);
  });

  it("configures the app for the local stack of npm run dev: Auth emulator, local Hasura, the dev stack's sign-in methods", async () => {
    const out = join(temporaryDirectory(), "pulsura_options.dart");
    const run = await runCli("flutter-configure.ts", ["--local", "--out", out]);
    expect(run.exitCode, run.stderr).toBe(0);
    const tokens = lexDart(readFileSync(out, "utf8"));
    const named = namedStringArguments(tokens);
    expect(named.get("stack")).toBe("local");
    expect(named.get("projectId")).toBe("demo-pulsura");
    expect(named.get("authEmulatorHost")).toBe("127.0.0.1:9099");
    expect(named.get("hasuraGraphqlUrl")).toBe("http://127.0.0.1:8080/v1/graphql");
    expect(named.get("hasuraWebsocketUrl")).toBe("ws://127.0.0.1:8080/v1/graphql");
    expect(providersIn(tokens)).toEqual(signInProvidersFromStackFile("dev", join(repoRoot, "Pulumi.dev.yaml")));
    // The template's StackOptions takes the field, and main.dart points Firebase Auth at it.
    expect(readFileSync(join(template, "lib/src/config/stack_options.dart"), "utf8")).toContain("final String? authEmulatorHost;");
    expect(readFileSync(join(template, "lib/main.dart"), "utf8")).toContain("useAuthEmulator(");
    const refused = await runCli("flutter-configure.ts", ["--local", "--stack", "dev"]);
    expect(refused.exitCode).toBe(1);
    expect(refused.stderr).toContain("--local configures the local stack: it takes no --stack or --outputs");
  });

  it("allows plain http and ws only for a Hasura on localhost", async () => {
    const outputs = { ...plans.dev!, hasuraGraphqlUrl: "http://localhost:8080/v1/graphql", hasuraWebsocketUrl: "ws://localhost:8080/v1/graphql" };
    const { run, dart } = await configure("dev", outputs);
    expect(run.exitCode, run.stderr).toBe(0);
    expect(namedStringArguments(lexDart(dart!)).get("hasuraWebsocketUrl")).toBe("ws://localhost:8080/v1/graphql");
  });

  it("uses a signInProviders output when the stack exports one, in the sign-in screen's order", async () => {
    const { run, dart } = await configure("dev", { ...plans.dev!, signInProviders: ["google", "phone"] });
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.stderr).not.toContain("Pulumi.dev.yaml");
    expect(providersIn(lexDart(dart!))).toEqual(["phone", "google"]);
  });

  it("names a signInProviders output with unknown methods", async () => {
    const { run, out } = await configure("dev", { ...plans.dev!, signInProviders: ["phone", "myspace"] });
    expect(run.exitCode).toBe(1);
    expect(run.stderr).toContain('signInProviders: unknown providers ["myspace"]');
    expect(existsSync(out)).toBe(false);
  });

  it("names signInProviders when the stack neither exports it nor has a stack file here", async () => {
    // Outputs of a deployment made before the program exported signInProviders.
    const { signInProviders: _exported, ...olderOutputs } = plans.dev!;
    const { run, out } = await configure("elsewhere", olderOutputs);
    expect(run.exitCode).toBe(1);
    expect(run.stderr).toContain("signInProviders: missing, and there is no Pulumi.elsewhere.yaml");
    expect(existsSync(out)).toBe(false);
  });

  it("refuses a plan file of another stack", async () => {
    const { run } = await configure("dev", { stack: "prod", project: "pulsura", resources: [], outputs: plans.prod, violations: [] });
    expect(run.exitCode).toBe(1);
    expect(run.stderr).toContain('is the plan of stack "prod", not of "dev"');
  });
});

describe("where the outputs come from", () => {
  it("requires --outputs, and says so, when the Pulumi CLI is not on PATH", async () => {
    const emptyPath = temporaryDirectory();
    const out = join(emptyPath, "pulsura_options.dart");
    const run = await runCli("flutter-configure.ts", ["--stack", "dev", "--out", out], { ...process.env, PATH: emptyPath });
    expect(run.exitCode).toBe(1);
    expect(run.stderr).toContain("the Pulumi CLI is not on PATH");
    expect(run.stderr).toContain("pass --outputs <file.json>");
    expect(existsSync(out)).toBe(false);
  });

  /**
   * A FAKE `pulumi` executable (there is no Pulumi CLI or cloud here): it records its arguments and prints the outputs
   * JSON it is given, as `pulumi stack output --json` would.
   */
  function fakePulumi(outputs: unknown, exitCode = 0, stderr = ""): { bin: string; log: string } {
    const directory = temporaryDirectory("pulsura-fake-pulumi-");
    const bin = join(directory, "bin");
    mkdirSync(bin);
    const log = join(directory, "argv.log");
    const script = [
      `#!${process.execPath}`,
      "// FAKE pulumi for tests: records argv, prints canned `stack output --json` results.",
      'const fs = require("node:fs");',
      `fs.appendFileSync(${JSON.stringify(log)}, JSON.stringify(process.argv.slice(2)) + "\\n");`,
      `process.stderr.write(${JSON.stringify(stderr)});`,
      `process.stdout.write(${JSON.stringify(JSON.stringify(outputs))});`,
      `process.exit(${exitCode});`,
    ].join("\n");
    writeFileSync(join(bin, "pulumi"), script);
    chmodSync(join(bin, "pulumi"), 0o755);
    return { bin, log };
  }

  it("asks `pulumi stack output --json --stack <name>` when the Pulumi CLI is on PATH", async () => {
    const { bin, log } = fakePulumi(plans.prod);
    const out = join(temporaryDirectory(), "pulsura_options.dart");
    const run = await runCli("flutter-configure.ts", ["--stack", "prod", "--out", out], { ...process.env, PATH: bin });
    expect(run.exitCode, run.stderr).toBe(0);
    expect(readFileSync(log, "utf8").trim().split("\n").map((line) => JSON.parse(line))).toEqual([["stack", "output", "--json", "--stack", "prod"]]);
    expect(run.stdout).toContain("from pulumi stack output");
    expect(namedStringArguments(lexDart(readFileSync(out, "utf8"))).get("hasuraGraphqlUrl")).toBe(plans.prod!.hasuraGraphqlUrl);
  });

  it("reports a failing `pulumi stack output` with its message", async () => {
    const { bin } = fakePulumi({}, 255, "error: no stack named 'staging' found\n");
    const out = join(temporaryDirectory(), "pulsura_options.dart");
    const run = await runCli("flutter-configure.ts", ["--stack", "staging", "--out", out], { ...process.env, PATH: bin });
    expect(run.exitCode).toBe(1);
    expect(run.stderr).toContain("pulumi stack output --json --stack staging failed: error: no stack named 'staging' found");
    expect(existsSync(out)).toBe(false);
  });
});

describe("sign-in methods of a stack config", () => {
  const base = { phone: { enabled: false, testPhoneNumbers: {} }, email: { enabled: false, passwordRequired: true }, oauth: {}, smsRegions: [], onUserDeleted: "delete" as const };

  it("lists only what is enabled, phone first", () => {
    expect(signInProvidersOf(base)).toEqual([]);
    expect(signInProvidersOf({ ...base, email: { enabled: true, passwordRequired: true } })).toEqual(["email"]);
    const oauth = { apple: { clientId: "a" }, google: { clientId: "g" } } as any;
    expect(signInProvidersOf({ ...base, phone: { enabled: true, testPhoneNumbers: {} }, oauth })).toEqual(["phone", "google", "apple"]);
  });

  it("reads a stack file the way the program does: defaults per environment, OAuth providers with their secret", () => {
    const root = temporaryDirectory();
    writeFileSync(join(root, "Pulumi.yaml"), "name: pulsura\nruntime: nodejs\n");
    const stackFile = join(root, "Pulumi.acme.yaml");
    writeFileSync(
      stackFile,
      [
        "config:",
        "  gcp:project: acme-dev",
        "  gcp:region: europe-west1",
        "  gcp:userProjectOverride: true",
        "  gcp:billingProject: acme-dev",
        "  pulsura:environment: dev",
        "  pulsura:tenant: acme",
        "  pulsura:auth:",
        "    google:",
        "      clientId: 123.apps.googleusercontent.com",
        "  pulsura:googleClientSecret:",
        "    secure: v1:abc:def",
        "",
      ].join("\n"),
    );
    // dev defaults: phone on, email off; google on because it has a client id and secret.
    expect(signInProvidersFromStackFile("acme", stackFile, root)).toEqual(["phone", "google"]);
  });
});
