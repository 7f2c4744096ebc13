/**
 * Loads a Pulumi program the way `pulumi up` does: the Node.js language host's run.js (@pulumi/pulumi/cmd/run/run.js)
 * runs in the Pulumi project directory, uses ./tsconfig.json there when it exists (skipProject otherwise), and
 * registers tsutils' ts-node (the vendored ts-node 7 unless the project installs one) with the project's TypeScript
 * and tsconfig compiler options over run.js' defaults, type-checking on. Then it requires the program named by
 * Pulumi.yaml's `main` under Pulumi's mocks with the given stack file's config.
 *
 * Prints one JSON line: { resources, outputs, typescript, tsNode, skipProject } or { error }.
 * Usage: node test/support/load-like-pulumi.cjs <Pulumi project dir> <stack file>
 */
"use strict";
const fs = require("node:fs");
const path = require("node:path");

const repoRoot = path.resolve(__dirname, "..", "..");

async function main() {
  const [projectDir, stackFile] = process.argv.slice(2);
  process.chdir(projectDir);
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
  const { PlanMocks } = require(path.join(repoRoot, "scripts/lib/mocks.ts"));
  const { loadStackConfig, projectName, stackNameOf } = require(path.join(repoRoot, "scripts/lib/stack-files.ts"));
  const { parse } = require("yaml");
  const project = projectName(process.cwd());
  const { config, secretKeys } = loadStackConfig(stackFile, project);
  let resources = 0;
  const mocks = new PlanMocks({ project: config["gcp:project"], region: config["gcp:region"] });
  const newResource = mocks.newResource.bind(mocks);
  mocks.newResource = (args) => {
    resources++;
    return newResource(args);
  };
  await pulumi.runtime.setMocks(mocks, project, stackNameOf(stackFile), false);
  pulumi.runtime.setAllConfig(config, secretKeys);
  const { main: entry = "index.ts" } = parse(fs.readFileSync("Pulumi.yaml", "utf8"));
  const program = require(path.resolve(entry));
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
