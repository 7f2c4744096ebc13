/**
 * The Cloud Storage emulator of `npm run dev`: firebase-tools' Storage emulator (its Cloud Storage JSON API, uploads,
 * path-style downloads and persistence), started on its own, without its Security Rules runtime.
 *
 * Why not `firebase emulators:start --only storage`: that starts the rules runtime first, a jar it downloads from
 * storage.googleapis.com and runs on Java 21 or later, so it fails offline and on machines without that Java. pulsura
 * serves no Firebase Storage rules: clients reach the files bucket only through URLs the core service signs, and the
 * emulator's Cloud Storage API (apis/gcloud.js) goes through its admin storage layer, which never consults rules. With no
 * ruleset loaded, the emulator refuses every Firebase SDK request, as the bucket (no Firebase rules) does in the cloud.
 *
 * Usage: node storage-emulator.cjs <port> <project id> <export dir>. Imports <export dir> when it holds an export;
 * SIGINT or SIGTERM exports there, stops and exits 0. Prints "storage emulator ready on <host>:<port>" once it listens.
 * Its blobs live under TMPDIR (npm run dev sets it inside the data directory).
 */
"use strict";
const fs = require("node:fs");
const path = require("node:path");

const firebaseTools = path.dirname(require.resolve("firebase-tools/package.json"));
const { StorageEmulator } = require(path.join(firebaseTools, "lib", "emulator", "storage"));
const { EmulatorRegistry } = require(path.join(firebaseTools, "lib", "emulator", "registry"));

const [portText, projectId, exportDir] = process.argv.slice(2);
const port = Number(portText);
if (!Number.isInteger(port) || !projectId || !exportDir) {
  process.stderr.write("usage: node storage-emulator.cjs <port> <project id> <export dir>\n");
  process.exit(2);
}
const host = "127.0.0.1";

/** The emulator with no rules runtime and no ruleset (see above). */
class RulelessStorageEmulator extends StorageEmulator {
  constructor(args) {
    super(args);
    this._rulesRuntime = { start: async () => undefined, stop: async () => undefined, alive: false };
  }
  createRulesManager() {
    return { start: async () => undefined, stop: async () => undefined, getRuleset: () => undefined };
  }
}

const emulator = new RulelessStorageEmulator({ projectId, host, port, auto_download: false });
const storageExport = path.join(exportDir, "storage_export");

let stopping;
async function stop(signal) {
  stopping ??= (async () => {
    let code = 0;
    try {
      fs.mkdirSync(exportDir, { recursive: true });
      // Into a fresh directory, then swapped in: an interrupted export never leaves half of one in place.
      const next = `${storageExport}.next`;
      fs.rmSync(next, { recursive: true, force: true });
      fs.mkdirSync(next, { recursive: true });
      await emulator.storageLayer.export(next, { initiatedBy: "exit" });
      fs.rmSync(storageExport, { recursive: true, force: true });
      fs.renameSync(next, storageExport);
    } catch (error) {
      process.stderr.write(`storage emulator: export to ${storageExport} failed: ${error.stack ?? error}\n`);
      code = 1;
    }
    await EmulatorRegistry.stop(emulator.getName());
    process.stdout.write(`storage emulator stopped (${signal})\n`);
    process.exit(code);
  })();
}
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) process.on(signal, () => void stop(signal));

(async () => {
  await EmulatorRegistry.start(emulator);
  // After the start, as firebase emulators:start does (an import names the registered emulator's URL).
  if (fs.existsSync(path.join(storageExport, "buckets.json"))) emulator.storageLayer.import(storageExport, { initiatedBy: "start" });
  process.stdout.write(`storage emulator ready on ${host}:${port}\n`);
})().catch((error) => {
  process.stderr.write(`storage emulator failed to start: ${error.stack ?? error}\n`);
  process.exit(1);
});
