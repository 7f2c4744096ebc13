/**
 * Loads the bootstrap program the way `pulumi up` in infra/bootstrap does: the Node.js language host's run.js
 * (@pulumi/pulumi/cmd/run/run.js) runs with the Pulumi project directory as its working directory, uses ./tsconfig.json
 * there when it exists (skipProject otherwise), and registers tsutils' ts-node (the vendored ts-node 7 unless the
 * project installs one) with the project's TypeScript and run.js' default compiler options, type-checking on. Then it
 * requires infra/bootstrap/index.ts under Pulumi's mocks with a bootstrap stack file's config.
 *
 * Prints one JSON line: { resources, outputs, typescript, tsNode, skipProject } or { error }.
 * Usage: node test/bootstrap/support/load-like-pulumi.cjs <repo-root> <bootstrap stack file>
 */
"use strict";
const fs = require("node:fs");
const path = require("node:path");

async function main() {
  const [root, stackFile] = process.argv.slice(2);
  process.chdir(path.join(root, "infra", "bootstrap"));
  const pulumiDir = path.dirname(require.resolve("@pulumi/pulumi/package.json", { paths: [process.cwd()] }));
  const tsutils = require(path.join(pulumiDir, "tsutils"));
  const semver = require(require.resolve("semver", { paths: [pulumiDir] }));

  // --- as run.js does for a TypeScript project (not an ES module) ---
  const tsConfigPath = "tsconfig.json";
  const skipProject = !fs.existsSync(tsConfigPath);
  const compilerOptions = tsutils.loadTypeScriptCompilerOptions(tsConfigPath);
  const { tsnodeRequire, typescriptRequire } = tsutils.typeScriptRequireStrings();
  const ts = require(typescriptRequire);
  const tsVersion = semver.parse(ts.version);
  const useNodeNext = tsVersion && tsVersion.compare(new semver.SemVer("4.7.0")) >= 0;
  require(tsnodeRequire).register({
    compiler: typescriptRequire,
    transpileOnly: process.env.PULUMI_NODEJS_TRANSPILE_ONLY ? process.env.PULUMI_NODEJS_TRANSPILE_ONLY === "true" : compilerOptions.noCheck,
    project: tsConfigPath,
    skipProject,
    compilerOptions: {
      target: "ES2020",
      module: useNodeNext ? "nodenext" : "commonjs",
      moduleResolution: useNodeNext ? "nodenext" : "node",
      sourceMap: "true",
      ...compilerOptions,
    },
  });
  // --- end of run.js' registration ---

  const pulumi = require(pulumiDir);
  const { PlanMocks } = require(path.join(root, "scripts/lib/mocks.ts"));
  const { loadStackConfig, stackNameOf } = require(path.join(root, "scripts/lib/stack-files.ts"));
  const { config, secretKeys } = loadStackConfig(stackFile, "pulsura-bootstrap");
  let resources = 0;
  const mocks = new PlanMocks({ project: config["gcp:project"], region: config["gcp:region"] });
  const newResource = mocks.newResource.bind(mocks);
  mocks.newResource = (args) => {
    resources++;
    return newResource(args);
  };
  await pulumi.runtime.setMocks(mocks, "pulsura-bootstrap", stackNameOf(stackFile), false);
  pulumi.runtime.setAllConfig(config, secretKeys);
  const program = require(path.resolve("index.ts"));
  const outputs = {};
  for (const [name, value] of Object.entries(program)) {
    outputs[name] = await new Promise((resolve) => pulumi.output(value).apply(resolve));
  }
  await require(path.join(pulumiDir, "runtime/settings")).waitForRPCs();
  return { resources, outputs, typescript: ts.version, tsNode: require(tsnodeRequire).VERSION, skipProject };
}

main().then(
  (result) => {
    process.stdout.write(`${JSON.stringify(result)}\n`);
    process.exit(0);
  },
  (error) => {
    process.stdout.write(`${JSON.stringify({ error: String(error && error.stack ? error.stack : error) })}\n`);
    process.exit(1);
  },
);
