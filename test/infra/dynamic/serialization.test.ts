/**
 * The resources register under Pulumi mocks (as in the offline plan) without any network call, and the
 * provider Pulumi serialized into each resource's `__provider` input works on its own: it is loaded the way
 * Pulumi's dynamic provider host loads it (`require(<text>).handler()`) in a plain Node process without
 * TypeScript, and applies the fixture project to a CONTRACT STUB of Hasura's documented API
 * (test/support/hasura-api-stub.ts) on a real Postgres.
 */
import { execFile } from "node:child_process";
import { once } from "node:events";
import * as fs from "node:fs/promises";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import * as pulumi from "@pulumi/pulumi";
import ts from "typescript";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type * as DynamicResources from "../../../infra/dynamic";
import type * as HasuraProject from "../../../infra/hasura/project";
import { startPostgres, type TestDatabase } from "../../support/postgres";
import { fixtureMetadata, fixtureProjectDir, fixtureSeeds, quickHealthCheck, startStubbedHasura } from "./harness";

interface Registered {
  type: string;
  name: string;
  inputs: Record<string, unknown>;
}

const registered: Registered[] = [];
const repoRoot = path.resolve(__dirname, "../../..");

// Mocks first, then the module under test, so that every resource it creates is registered with the mocks.
const mocksReady = pulumi.runtime.setMocks(
  {
    newResource: (args) => {
      registered.push({ type: args.type, name: args.name, inputs: args.inputs as Record<string, unknown> });
      return { id: `${args.name}-id`, state: args.inputs };
    },
    call: (args) => args.inputs,
  },
  "pulsura",
  "test",
  false,
);

let database: TestDatabase;
/** Counts requests to the endpoint given to the resources at construction. */
let untouched: { url: string; requests: number; server: http.Server };
let workDir: string;

beforeAll(async () => {
  await mocksReady;
  database = await startPostgres({ migrate: false });
  const server = http.createServer((_req, res) => {
    untouched.requests++;
    res.end("OK");
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  untouched = { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests: 0, server };
  workDir = await fs.mkdtemp(path.join(os.tmpdir(), "pulsura-provider-"));
});
afterAll(async () => {
  untouched?.server.close();
  await database?.stop();
  if (workDir) await fs.rm(workDir, { recursive: true, force: true });
});

/** Resolves an output under mocks. */
function valueOf<T>(output: pulumi.Output<T>): Promise<T> {
  return new Promise((resolve) => output.apply((value) => resolve(value)));
}

/** Registers the three resources for the fixture project, as the Pulumi program does. */
async function registerResources(adminSecret: string): Promise<Map<string, Registered>> {
  // Imported only now, after setMocks: the module under test sees the mocked runtime from its first line.
  const { HasuraMigrations, HasuraMetadata, HasuraSeeds } = (await import(path.join(repoRoot, "infra/dynamic/index.ts"))) as typeof DynamicResources;
  const { readMigrations } = (await import(path.join(repoRoot, "infra/hasura/project.ts"))) as typeof HasuraProject;
  const endpoint = pulumi.output(untouched.url);
  const migrations = new HasuraMigrations("hasura-migrations", {
    endpoint,
    adminSecret,
    migrations: readMigrations(fixtureProjectDir),
    healthCheck: quickHealthCheck,
  });
  const seeds = new HasuraSeeds("hasura-seeds", { endpoint, adminSecret, seeds: fixtureSeeds(), healthCheck: quickHealthCheck }, { dependsOn: [migrations] });
  const metadata = new HasuraMetadata(
    "hasura-metadata",
    { endpoint, adminSecret, metadata: fixtureMetadata(), healthCheck: quickHealthCheck },
    { dependsOn: [migrations] },
  );
  await Promise.all([valueOf(migrations.urn), valueOf(seeds.urn), valueOf(metadata.urn)]);
  return new Map(registered.map((resource) => [resource.name, resource]));
}

const execFileAsync = promisify(execFile);

/**
 * Loads a serialized provider like Pulumi's dynamic provider host (require-from-string + `.handler()`) in a
 * fresh `node` process outside the repository, and calls one of its methods.
 */
async function callSerializedProvider(providerText: string, method: string, args: unknown[]): Promise<unknown> {
  const name = `${method}-${Math.random().toString(16).slice(2)}`;
  const providerFile = path.join(workDir, `${name}-provider.js`);
  const argsFile = path.join(workDir, `${name}-args.json`);
  const runnerFile = path.join(workDir, `${name}-run.js`);
  await fs.writeFile(providerFile, providerText);
  await fs.writeFile(argsFile, JSON.stringify(args), { mode: 0o600 });
  await fs.writeFile(
    runnerFile,
    [
      "const fs = require('node:fs');",
      "const provider = require(process.argv[2]).handler();",
      "const args = JSON.parse(fs.readFileSync(process.argv[3], 'utf8'));",
      `provider[${JSON.stringify(method)}](...args).then(`,
      "  (result) => process.stdout.write(JSON.stringify({ ok: true, result: result === undefined ? null : result })),",
      "  (error) => process.stdout.write(JSON.stringify({ ok: false, message: String(error && error.message) })),",
      ");",
    ].join("\n"),
  );
  try {
    const { stdout } = await execFileAsync(process.execPath, [runnerFile, providerFile, argsFile], { cwd: workDir, timeout: 60_000 });
    const answer = JSON.parse(stdout) as { ok: boolean; result?: unknown; message?: string };
    if (!answer.ok) throw new Error(`serialized provider ${method} failed: ${answer.message}`);
    return answer.result;
  } finally {
    await fs.rm(argsFile, { force: true });
  }
}

describe("Hasura dynamic resources under Pulumi", () => {
  it("register under mocks with a serialized provider, checksums and no network call at construction", async () => {
    const resources = await registerResources("construction-secret");

    expect([...resources.values()].map((resource) => resource.type).sort()).toEqual([
      "pulumi-nodejs:dynamic/pulsura:HasuraMetadata",
      "pulumi-nodejs:dynamic/pulsura:HasuraMigrations",
      "pulumi-nodejs:dynamic/pulsura:HasuraSeeds",
    ]);
    for (const resource of resources.values()) {
      expect(typeof resource.inputs.__provider).toBe("string");
      expect(resource.inputs.__provider as string).toMatch(/^exports\.handler = /);
      // The provider is code only: no captured secret, no captured program state.
      expect(resource.inputs.__provider as string).not.toContain("construction-secret");
    }
    const migrations = resources.get("hasura-migrations")!.inputs.migrations as Array<Record<string, unknown>>;
    expect(migrations.map((migration) => migration.version)).toEqual(["1700000000000", "1700000000100"]);
    expect(migrations.every((migration) => /^[0-9a-f]{64}$/.test(String(migration.checksum)))).toBe(true);
    expect(untouched.requests).toBe(0);
  });

  it("run from their serialized form in a plain Node process: check, create, diff and update", async () => {
    const resources = await registerResources("unused-here");
    const providerText = (name: string) => resources.get(name)!.inputs.__provider as string;
    await exerciseSerializedProviders(
      { migrations: providerText("hasura-migrations"), seeds: providerText("hasura-seeds"), metadata: providerText("hasura-metadata") },
      resources,
    );
  });

  it("also run when serialized from CommonJS output, as `pulumi up` compiles the program with TypeScript", async () => {
    const resources = await registerResources("unused-here");
    await exerciseSerializedProviders(await serializeFromCommonJs(), resources);
  });
});

interface ProviderTexts {
  migrations: string;
  seeds: string;
  metadata: string;
}

/** Applies the fixture project through the three serialized providers to a fresh stub and database. */
async function exerciseSerializedProviders(texts: ProviderTexts, resources: Map<string, Registered>): Promise<void> {
  const hasura = await startStubbedHasura(database.url);
  try {
    const common = { endpoint: hasura.stub.url, adminSecret: hasura.adminSecret, healthCheck: quickHealthCheck };
    const migrationsInputs = { ...resources.get("hasura-migrations")!.inputs, ...common };

    const checked = (await callSerializedProvider(texts.migrations, "check", [{}, migrationsInputs])) as { failures: unknown[] };
    expect(checked.failures).toEqual([]);
    const created = (await callSerializedProvider(texts.migrations, "create", [migrationsInputs])) as { outs: Record<string, unknown> };
    expect(created.outs.lastAppliedVersions).toEqual(["1700000000000", "1700000000100"]);
    expect(await callSerializedProvider(texts.migrations, "diff", ["migrations/default", created.outs, migrationsInputs])).toEqual({ changes: false });
    const updated = (await callSerializedProvider(texts.migrations, "update", ["migrations/default", created.outs, migrationsInputs])) as {
      outs: Record<string, unknown>;
    };
    expect(updated.outs.lastAppliedVersions).toEqual([]);

    const seedsInputs = { ...resources.get("hasura-seeds")!.inputs, ...common };
    await callSerializedProvider(texts.seeds, "create", [seedsInputs]);

    const metadataInputs = { ...resources.get("hasura-metadata")!.inputs, ...common };
    const metadataCreated = (await callSerializedProvider(texts.metadata, "create", [metadataInputs])) as { outs: Record<string, unknown> };
    expect(await callSerializedProvider(texts.metadata, "diff", ["metadata", metadataCreated.outs, metadataInputs])).toEqual({ changes: false });
    // Normalization runs in the serialized form too: reordered tables are no change, a dropped permission is one.
    const reordered = fixtureMetadata() as { sources: Array<{ tables: Array<Record<string, unknown>> }> };
    reordered.sources[0].tables.reverse();
    const reorderedInputs = { ...metadataInputs, metadata: reordered };
    expect(await callSerializedProvider(texts.metadata, "diff", ["metadata", metadataCreated.outs, reorderedInputs])).toEqual({ changes: false });
    delete reordered.sources[0].tables[0].select_permissions;
    expect(await callSerializedProvider(texts.metadata, "diff", ["metadata", metadataCreated.outs, reorderedInputs])).toEqual({ changes: true });

    expect(await hasura.query("select name from public.authors order by id")).toEqual([{ name: "Ada" }, { name: "Grace" }]);
    expect(hasura.stub.metadata()).toEqual(fixtureMetadata());
    expect(hasura.stub.catalogState().cli_state).toEqual({ migrations: { default: { "1700000000000": false, "1700000000100": false } } });
    expect(hasura.stub.logLines.join("\n")).not.toContain(hasura.adminSecret);
  } finally {
    await hasura.close();
  }
}

/**
 * Compiles infra/dynamic to CommonJS the way a transpile-only TypeScript run of the program does (the
 * repository's compiler options, module CommonJS), then lets @pulumi/pulumi serialize the three providers in a
 * plain Node process, as `new HasuraMigrations(...)` does during `pulumi up`.
 */
async function serializeFromCommonJs(): Promise<ProviderTexts> {
  const compiledDir = path.join(workDir, "cjs", "infra", "dynamic");
  await fs.mkdir(compiledDir, { recursive: true });
  const sourceDir = path.join(repoRoot, "infra", "dynamic");
  for (const file of await fs.readdir(sourceDir)) {
    if (!file.endsWith(".ts")) continue;
    const { outputText } = ts.transpileModule(await fs.readFile(path.join(sourceDir, file), "utf8"), {
      compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.CommonJS, esModuleInterop: true, strict: true },
      fileName: file,
    });
    await fs.writeFile(path.join(compiledDir, file.replace(/\.ts$/, ".js")), outputText);
  }
  const outputFile = path.join(workDir, "cjs", "providers.json");
  const serializer = path.join(workDir, "cjs", "serialize.js");
  await fs.writeFile(
    serializer,
    [
      "const fs = require('node:fs');",
      "const pulumi = require('@pulumi/pulumi');",
      "const dir = process.argv[2];",
      "(async () => {",
      "  const texts = {};",
      "  for (const [name, exported] of [['migrations', 'migrationsProvider'], ['seeds', 'seedsProvider'], ['metadata', 'metadataProvider']]) {",
      "    const provider = require(`${dir}/${name}.js`)[exported];",
      "    texts[name] = (await pulumi.runtime.serializeFunction(() => provider, { allowSecrets: true })).text;",
      "  }",
      "  fs.writeFileSync(process.argv[3], JSON.stringify(texts));",
      "})().catch((error) => { console.error(error); process.exit(1); });",
    ].join("\n"),
  );
  await execFileAsync(process.execPath, [serializer, compiledDir, outputFile], {
    cwd: path.join(workDir, "cjs"),
    env: { ...process.env, NODE_PATH: path.join(repoRoot, "node_modules") },
    timeout: 60_000,
  });
  return JSON.parse(await fs.readFile(outputFile, "utf8")) as ProviderTexts;
}
