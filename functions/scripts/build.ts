/**
 * Bundles functions/src into one CommonJS file.
 *
 * - `bundleFunctions()` returns the code and a minimal deploy package.json (main "index.js"): pulsura's Pulumi
 *   component zips the two into the source archive Cloud Functions builds from.
 * - `npm run build -w functions` writes lib/index.js, which functions/package.json names as main, so the Firebase
 *   CLI (deploy or emulators) can use this folder as is.
 *
 * firebase-functions and firebase-admin stay external: Cloud Functions installs them from the package.json, and
 * firebase-functions must be the very copy the runtime and emulator inspect. Everything else is bundled, and the
 * build fails if the bundle would require any other package, since the deploy package.json would not provide it.
 */
import { build } from "esbuild";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { builtinModules } from "node:module";
import path from "node:path";
import { FUNCTION_RUNTIMES, NODE_RUNTIMES } from "../../infra/runtimes";

/** Packages the deployed code may require at runtime; they are the deploy package.json's dependencies. */
export const runtimePackages = ["firebase-functions", "firebase-admin"] as const;

/** The oldest Node.js any deployed function runs on (1st gen stops earlier than 2nd gen): the bundle's target. */
export const bundleTargetNode = Math.min(...Object.values(FUNCTION_RUNTIMES).map((id) => NODE_RUNTIMES[id]!.node));

/** The functions package folder (functions/). */
export const functionsDir = path.resolve(__dirname, "..");

export interface FunctionsBundle {
  /** The CommonJS bundle, to be stored as index.js. */
  code: string;
  /** The deploy package.json, to be stored next to it. */
  packageJson: string;
}

/** Builds the deployable functions source: one CommonJS file and its package.json. Deterministic. */
export async function bundleFunctions(): Promise<FunctionsBundle> {
  const [code, packageJson] = await Promise.all([bundleCode(), deployPackageJson()]);
  return { code, packageJson };
}

async function bundleCode(): Promise<string> {
  const result = await build({
    absWorkingDir: functionsDir,
    entryPoints: [path.join(functionsDir, "src", "index.ts")],
    bundle: true,
    write: false,
    platform: "node",
    format: "cjs",
    target: `node${bundleTargetNode}`,
    external: runtimePackages.flatMap((name) => [name, `${name}/*`]),
    // Small but debuggable: no renaming, so stack traces in Cloud Logging still name our functions.
    minifySyntax: true,
    minifyWhitespace: true,
    legalComments: "none",
    sourcemap: false,
    metafile: true,
    logLevel: "silent",
    outfile: "index.js",
  });
  const output = result.outputFiles[0];
  if (!output || result.outputFiles.length !== 1) {
    throw new Error(`esbuild produced ${result.outputFiles.length} files, expected exactly one`);
  }
  assertOnlyRuntimeImports(Object.values(result.metafile.outputs).flatMap((o) => o.imports));
  return output.text;
}

function assertOnlyRuntimeImports(imports: { path: string; external?: boolean }[]): void {
  const builtins = new Set(builtinModules.flatMap((name) => [name, `node:${name}`]));
  const unexpected = imports
    .filter((i) => i.external)
    .map((i) => i.path)
    .filter((p) => !builtins.has(p) && !runtimePackages.some((name) => p === name || p.startsWith(`${name}/`)));
  if (unexpected.length > 0) {
    throw new Error(`functions bundle requires packages the deploy package.json lacks: ${[...new Set(unexpected)].join(", ")}`);
  }
}

async function deployPackageJson(): Promise<string> {
  const source = JSON.parse(await readFile(path.join(functionsDir, "package.json"), "utf8")) as {
    name?: string;
    version?: string;
    dependencies?: Record<string, string>;
  };
  const dependencies: Record<string, string> = {};
  for (const name of runtimePackages) {
    const version = source.dependencies?.[name];
    // Cloud Functions installs at build time: a range would let two deploys of one commit run different SDKs.
    if (!version || !/^\d+\.\d+\.\d+$/.test(version)) {
      throw new Error(`functions/package.json must pin ${name} to an exact version, got ${JSON.stringify(version)}`);
    }
    dependencies[name] = version;
  }
  const deploy = {
    name: source.name ?? "@pulsura/functions",
    version: source.version ?? "0.0.0",
    private: true,
    main: "index.js",
    // No "engines": each function's runtime id chooses its Node (1st and 2nd gen share this archive on different
    // majors, see infra/runtimes.ts), and an engines field could only repeat one of them or disagree with the other.
    dependencies,
  };
  return `${JSON.stringify(deploy, null, 2)}\n`;
}

async function main(): Promise<void> {
  const { code } = await bundleFunctions();
  const outfile = path.join(functionsDir, "lib", "index.js");
  await mkdir(path.dirname(outfile), { recursive: true });
  await writeFile(outfile, code);
  console.log(`wrote ${path.relative(process.cwd(), outfile)} (${Buffer.byteLength(code)} bytes)`);
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
