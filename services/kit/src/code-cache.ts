/**
 * V8 code cache for a bundled service: most of a cold start is V8 compiling the bundle's functions. The build writes
 * `start.js`, a loader that compiles `index.js` with `index.js.cache` (V8's serialized compiled code, taken after a
 * real start-up so it covers the functions start-up runs), and `node start.js --write-code-cache` makes that cache.
 * V8 rejects a cache from another Node or V8 build and compiles as usual, so a stale cache only costs the speed-up;
 * the image makes its cache with the Node it runs on.
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";

/** The loader, plain CommonJS next to index.js. */
export const codeCacheLoader = `"use strict";
// Starts ./index.js with V8's code cache (./index.js.cache) when there is one that this Node accepts.
// \`node start.js --write-code-cache\` starts the service with placeholder settings, lets start-up run, and
// writes the cache. PULSURA_CODE_CACHE_REPORT=1 says on stderr whether V8 took the cache. See @pulsura/kit's code-cache.ts.
const fs = require("node:fs");
const path = require("node:path");
const vm = require("node:vm");
const Module = require("node:module");

const bundle = path.join(__dirname, "index.js");
const cacheFile = bundle + ".cache";
const writing = process.argv.includes("--write-code-cache");
if (writing) {
  // Placeholders that pass the kit's config check; nothing is reached at start-up (the pool and Firebase are lazy).
  Object.assign(process.env, {
    PORT: "0",
    DATABASE_URL: "postgres://code-cache@127.0.0.1:1/code-cache",
    PULSURA_EVENT_SECRET: "code-cache-placeholder-secret",
    HASURA_GRAPHQL_URL: "http://127.0.0.1:1/v1/graphql",
    HASURA_GRAPHQL_ADMIN_SECRET: "code-cache-placeholder",
    GOOGLE_CLOUD_PROJECT: "code-cache",
    LOG_LEVEL: "silent",
  });
}
let cachedData;
if (!writing) {
  try {
    cachedData = fs.readFileSync(cacheFile);
  } catch {}
}
const script = new vm.Script(Module.wrap(fs.readFileSync(bundle, "utf8")), { filename: bundle, cachedData });
if (process.env.PULSURA_CODE_CACHE_REPORT) {
  process.stderr.write("code cache: " + (cachedData ? (script.cachedDataRejected ? "rejected" : "accepted") : "none") + "\\n");
}
const bundleModule = new Module(bundle, module);
bundleModule.filename = bundle;
bundleModule.paths = Module._nodeModulePaths(__dirname);
bundleModule.loaded = true;
script.runInThisContext().call(bundleModule.exports, bundleModule.exports, Module.createRequire(bundle), bundleModule, bundle, __dirname);
if (writing) {
  // Start-up is asynchronous (config, drift check, listen): take the cache once the event loop has settled.
  setTimeout(() => {
    fs.writeFileSync(cacheFile, script.createCachedData());
    process.exit(0);
  }, 1500).unref();
}
`;

/** Writes start.js next to the bundle. */
export function writeCodeCacheLoader(outdir: string): string {
  const loader = path.join(outdir, "start.js");
  fs.writeFileSync(loader, codeCacheLoader);
  return loader;
}

/** Runs `node start.js --write-code-cache` with this Node and resolves to the cache file's path. */
export function writeCodeCache(loader: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [loader, "--write-code-cache"], { stdio: ["ignore", "ignore", "pipe"], env: { ...process.env } });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("error", reject);
    child.on("exit", (code) => {
      const cacheFile = path.join(path.dirname(loader), "index.js.cache");
      if (code === 0 && fs.existsSync(cacheFile)) resolve(cacheFile);
      else reject(new Error(`writing the code cache failed (exit ${code}):\n${stderr}`));
    });
  });
}
