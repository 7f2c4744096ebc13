import * as fs from "node:fs";
import * as path from "node:path";
import { build, type Plugin } from "esbuild";
import { writeCodeCache, writeCodeCacheLoader } from "./code-cache";
import { routeFolders } from "./definitions";
import { readHasuraMetadata } from "./metadata-files";
import { findHandlerFiles, findHasuraDir, type HandlerFile } from "./route-files";

export { readHasuraMetadata } from "./metadata-files";
export { findHandlerFiles, findHasuraDir, type HandlerFile } from "./route-files";

/**
 * Left out of every bundle, each never loaded at run time:
 * - pg-native: pg's optional native driver, only used when asked for;
 * - node-forge: firebase-admin loads it only to check a service-account key file, and pulsura uses none
 *   (Cloud Run's own service account through Application Default Credentials);
 * - Fastify's JSON-schema compilers: the kit passes its own compilersFactory and validates with zod;
 * - light-my-request: Fastify loads it only for `inject()`, which services never call.
 * Every byte in the bundle is parsed at each cold start, so these matter.
 */
export const bundleExternals = [
  "pg-native",
  "node-forge",
  "@fastify/ajv-compiler",
  "@fastify/fast-json-stringify-compiler",
  "light-my-request",
] as const;

/**
 * zod bundles error messages in 40+ languages (a quarter of a megabyte) behind `z.locales`; services answer
 * Hasura in English, so only `en` (zod's default) is kept. `z.config(z.locales.fr())` would fail in a bundle.
 */
export const zodEnglishOnly: Plugin = {
  name: "zod-english-only",
  setup(pluginBuild) {
    pluginBuild.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) => {
      if (!/[\\/]zod[\\/]/.test(args.importer)) return undefined;
      return { path: path.join(path.dirname(args.importer), "..", "locales", "en.js"), namespace: "zod-english-only" };
    });
    pluginBuild.onLoad({ filter: /.*/, namespace: "zod-english-only" }, (args) => ({
      contents: `export { default as en } from ${JSON.stringify(args.path)};`,
      resolveDir: path.dirname(args.path),
      loader: "js",
    }));
  },
};

/**
 * pg decides at load time whether it runs in a Cloudflare Worker, by constructing a fetch `Response`, which
 * makes Node load its whole fetch implementation (~10 ms of every cold start). A Node bundle never runs there.
 */
export const pgNodeOnly: Plugin = {
  name: "pg-node-only",
  setup(pluginBuild) {
    pluginBuild.onLoad({ filter: /[\\/]pg[\\/]lib[\\/]stream\.js$/ }, async (args) => {
      const source = await fs.promises.readFile(args.path, "utf8");
      const patched = source.replace("function isCloudflareRuntime() {", "function isCloudflareRuntime() {\n  return false // pulsura: bundled for Node.js");
      return { contents: patched, loader: "js" };
    });
  },
};

/**
 * Fastify loads node:http2 (some 80 internal modules, ~8 ms) at start-up although it only calls it for
 * `http2: true` servers; the kit serves HTTP/1.1 (Cloud Run terminates HTTP/2), so load it on that call.
 */
export const fastifyLazyHttp2: Plugin = {
  name: "fastify-lazy-http2",
  setup(pluginBuild) {
    pluginBuild.onLoad({ filter: /[\\/]fastify[\\/]lib[\\/]server\.js$/ }, async (args) => {
      const source = await fs.promises.readFile(args.path, "utf8");
      const patched = source.replace(
        "const http2 = require('node:http2')",
        "const http2 = { createServer: (...args) => require('node:http2').createServer(...args), createSecureServer: (...args) => require('node:http2').createSecureServer(...args) }",
      );
      return { contents: patched, loader: "js" };
    });
  },
};

/**
 * @google-cloud/tasks (the jobs' Cloud Tasks client, loaded on the first enqueue) reads its client config, protos and
 * version at load time with `getJSON(path.join(__dirname, …))`, which a bundle cannot follow (the files are not beside
 * it). Each such read becomes a `require` of the same file, so esbuild inlines the JSON. Its ESM build
 * (`import.meta.url`) is never bundled: the kit `require`s the package (server.ts).
 */
export const cloudTasksJson: Plugin = {
  name: "cloud-tasks-json",
  setup(pluginBuild) {
    pluginBuild.onLoad({ filter: /[\\/]@google-cloud[\\/]tasks[\\/]build[\\/]cjs[\\/]src[\\/]v2(?:beta[23])?[\\/]cloud_tasks_client\.cjs$/ }, async (args) => {
      const source = await fs.promises.readFile(args.path, "utf8");
      const patched = source.replace(
        /\(0, _jsonHelper\.getJSON\)\(_path\["default"\]\.join\(dirname, ((?:'[^']*'(?:, )?)+)\)\)/g,
        (_call, parts: string) => `require(${JSON.stringify(`./${[...parts.matchAll(/'([^']*)'/g)].map((part) => part[1]).join("/")}`)})`,
      );
      if (patched === source) throw new Error(`${args.path}: no getJSON(path.join(dirname, …)) to inline; @google-cloud/tasks changed how it loads its JSON`);
      return { contents: patched, loader: "js" };
    });
  },
};

/**
 * Firebase Admin (app + auth) is half of a service bundle, yet only handlers that touch `context.auth` need it.
 * It is bundled separately and embedded as a string, which V8 skims instead of parsing; the first
 * `require("firebase-admin/app" | "firebase-admin/auth")` compiles it. Both entry points share one instance.
 * Other firebase-admin entry points a handler imports are bundled as usual.
 */
function lazyFirebaseAdmin(serviceDir: string): Plugin {
  return {
    name: "lazy-firebase-admin",
    setup(pluginBuild) {
      pluginBuild.onResolve({ filter: /^firebase-admin\/(app|auth)$/ }, (args) => ({ path: args.path, namespace: "lazy-firebase-admin" }));
      pluginBuild.onResolve({ filter: /^pulsura-lazy-firebase-admin$/ }, (args) => ({ path: args.path, namespace: "lazy-firebase-admin" }));
      pluginBuild.onLoad({ filter: /.*/, namespace: "lazy-firebase-admin" }, async (args) => {
        if (args.path !== "pulsura-lazy-firebase-admin") {
          const entry = args.path.split("/")[1];
          return { contents: `module.exports = require("pulsura-lazy-firebase-admin").${entry};`, loader: "js" };
        }
        const chunk = await build({
          stdin: {
            contents: 'module.exports = { app: require("firebase-admin/app"), auth: require("firebase-admin/auth") };',
            resolveDir: serviceDir,
            sourcefile: "firebase-admin-entry.js",
          },
          bundle: true,
          platform: "node",
          target: "node24",
          format: "cjs",
          minify: true,
          write: false,
          external: [...bundleExternals],
          logLevel: "warning",
        });
        const source = chunk.outputFiles[0]!.text;
        return {
          contents: [
            'const { runInThisContext } = require("node:vm");',
            `const source = ${JSON.stringify(source)};`,
            'const compiled = runInThisContext("(function (exports, require, module) {" + source + "\\n})", { filename: "firebase-admin.lazy.js" });',
            "compiled(module.exports, require, module);",
          ].join("\n"),
          loader: "js",
        };
      });
    },
  };
}

export interface BuildServiceOptions {
  /** The service folder, e.g. `services/core`; its name is the service name. */
  serviceDir: string;
  /** @default `<serviceDir>/dist` */
  outdir?: string;
  /** Hasura CLI project whose metadata is embedded for the start-up drift check. @default nearest `hasura/` above */
  hasuraDir?: string;
  /** @default true */
  minify?: boolean;
  /** Write `index.js.cache` by starting the service once (see code-cache.ts). @default true */
  codeCache?: boolean;
}

export interface BuildResult {
  /** `<outdir>/index.js`: the whole service in one file. */
  outfile: string;
  /** `<outdir>/start.js`: what to run; loads index.js with the V8 code cache when it can. */
  entry: string;
  /** `<outdir>/index.js.cache`, unless the build was asked for none. */
  codeCache?: string;
  /** `<outdir>/index.js.map`. */
  sourcemap: string;
  /** Size of the bundle in bytes (without the source map). */
  bytes: number;
  handlers: HandlerFile[];
}

/**
 * Bundles a service into one CommonJS file for Node 24 plus a source map. The handler files are found
 * now and imported statically by a generated entry (so the bundle needs no file system scan at start-up),
 * and the Hasura metadata the drift check needs is embedded as JSON.
 */
export async function buildService(options: BuildServiceOptions): Promise<BuildResult> {
  const serviceDir = path.resolve(options.serviceDir);
  const name = path.basename(serviceDir);
  const outdir = path.resolve(options.outdir ?? path.join(serviceDir, "dist"));
  const handlers = findHandlerFiles(serviceDir);
  const metadata = readHasuraMetadata(options.hasuraDir ?? findHasuraDir(serviceDir));

  const outfile = path.join(outdir, "index.js");
  await build({
    stdin: {
      contents: generateEntry(name, serviceDir, handlers, JSON.stringify(metadata)),
      resolveDir: serviceDir,
      sourcefile: `${name}-entry.ts`,
      loader: "ts",
    },
    outfile,
    bundle: true,
    platform: "node",
    target: "node24",
    format: "cjs",
    minify: options.minify ?? true,
    sourcemap: "linked",
    // The map serves stack traces (see stack.ts), which need positions, not the sources themselves.
    sourcesContent: false,
    external: [...bundleExternals],
    plugins: [zodEnglishOnly, pgNodeOnly, fastifyLazyHttp2, cloudTasksJson, lazyFirebaseAdmin(serviceDir)],
    define: { "process.env.NODE_ENV": '"production"' },
    logLevel: "warning",
  });
  relativizeSourceMap(`${outfile}.map`, findWorkspaceRoot(serviceDir));
  const entry = writeCodeCacheLoader(outdir);
  const codeCache = options.codeCache === false ? undefined : await writeCodeCache(entry);
  return { outfile, entry, codeCache, sourcemap: `${outfile}.map`, bytes: fs.statSync(outfile).size, handlers };
}

/** The npm workspace root above the service (the repository root), where paths in stack traces start. */
function findWorkspaceRoot(serviceDir: string): string {
  for (let dir = path.dirname(serviceDir); dir !== path.dirname(dir); dir = path.dirname(dir)) {
    const manifest = path.join(dir, "package.json");
    if (fs.existsSync(manifest) && "workspaces" in (JSON.parse(fs.readFileSync(manifest, "utf8")) as object)) return dir;
  }
  return path.dirname(path.dirname(serviceDir));
}

/** esbuild writes sources relative to the output folder; stack traces read better relative to the repository. */
function relativizeSourceMap(mapFile: string, root: string): void {
  const map = JSON.parse(fs.readFileSync(mapFile, "utf8")) as { sources: string[] };
  map.sources = map.sources.map((source) => path.relative(root, path.resolve(path.dirname(mapFile), source)).split(path.sep).join("/"));
  fs.writeFileSync(mapFile, JSON.stringify(map));
}

function generateEntry(name: string, serviceDir: string, handlers: HandlerFile[], metadataJson: string): string {
  const imports = handlers.map((handler, index) => {
    const relative = `./${path.relative(serviceDir, handler.file).split(path.sep).join("/")}`;
    return `import * as handler${index} from ${JSON.stringify(relative)};`;
  });
  const table = (folder: string) =>
    handlers
      .map((handler, index) => ({ handler, index }))
      .filter(({ handler }) => routeFolders[handler.kind] === folder)
      .map(({ handler, index }) => `${JSON.stringify(handler.name)}: handler${index}`)
      .join(", ");
  return [
    "// Generated by @pulsura/kit/build: the route table of this service.",
    'import { main } from "@pulsura/kit";',
    ...imports,
    "main({",
    `  name: ${JSON.stringify(name)},`,
    `  routes: { actions: { ${table("actions")} }, events: { ${table("events")} }, crons: { ${table("crons")} }, push: { ${table("push")} }, jobs: { ${table("jobs")} }, internal: { ${table("internal")} } } as never,`,
    `  metadata: ${metadataJson},`,
    "});",
    "",
  ].join("\n");
}
