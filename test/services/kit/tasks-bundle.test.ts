/**
 * The jobs' Cloud Tasks client as a service bundle ships it: the kit's enqueue and @google-cloud/tasks bundled by esbuild
 * with the kit's own plugins (`@pulsura/kit/build`, which inlines the client's JSON), run by `node` from a folder with no
 * node_modules, against the local fake of the Cloud Tasks API (Google has no Cloud Tasks emulator).
 */
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import { build } from "esbuild";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bundleExternals, cloudTasksJson } from "@pulsura/kit/build";
import { startCloudTasksFake, type CloudTasksFake } from "../support/cloud-tasks-fake";
import { startTokenIssuer, type TokenIssuer } from "../support/google-id-tokens";

const queue = "projects/demo-pulsura-services/locations/europe-west1/queues/demo-core-jobs";
let dir: string;
let issuer: TokenIssuer;
let tasks: CloudTasksFake;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "pulsura-tasks-bundle-"));
  issuer = await startTokenIssuer();
  tasks = await startCloudTasksFake({ queues: [queue], issuer });
});

afterAll(async () => {
  await tasks?.close();
  await issuer?.close();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

describe("the Cloud Tasks client in a bundle", () => {
  it("loads and creates tasks, a duplicate name answered as such", async () => {
    const kit = path.resolve(__dirname, "../../../services/kit/src");
    const entry = `
      const { CloudTasksClient } = require("@google-cloud/tasks");
      const { OAuth2Client } = require("google-auth-library");
      const { z } = require("zod");
      const { createCloudTasksQueue } = require(${JSON.stringify(path.join(kit, "jobs.ts"))});
      const { defineJob } = require(${JSON.stringify(path.join(kit, "definitions.ts"))});
      const queue = createCloudTasksQueue({
        queue: ${JSON.stringify(queue)},
        serviceUrl: "https://demo-core.example.run.app",
        invoker: "demo-svc-core-tasks@demo-pulsura-services.iam.gserviceaccount.com",
        jobs: { digest: defineJob({ payload: z.object({ day: z.string() }) }) },
        client: () => new CloudTasksClient({ fallback: true, apiEndpoint: "127.0.0.1", port: Number(process.argv[2]), protocol: "http",
          authClient: new OAuth2Client({ credentials: { access_token: "test-access-token" } }) }),
      });
      (async () => {
        const first = await queue.enqueue("digest", { day: "2026-12-02" }, { dedupeKey: "2026-12-02" });
        const second = await queue.enqueue("digest", { day: "2026-12-02" }, { dedupeKey: "2026-12-02" });
        process.stdout.write(JSON.stringify([first.status, second.status]));
      })().catch((error) => { process.stderr.write(String(error && error.stack || error)); process.exit(1); });
    `;
    await build({
      stdin: { contents: entry, resolveDir: path.resolve(__dirname, "../../../services/kit"), sourcefile: "entry.js" },
      bundle: true,
      platform: "node",
      target: "node24",
      format: "cjs",
      outfile: path.join(dir, "index.js"),
      external: [...bundleExternals],
      plugins: [cloudTasksJson],
      logLevel: "error",
    });
    const before = tasks.tasks.length;
    // Not spawnSync: the fake answers from this process's event loop.
    const run = await promisify(execFile)(process.execPath, [path.join(dir, "index.js"), String(tasks.port)], { cwd: dir, encoding: "utf8", timeout: 60_000 });
    expect(run.stderr).toBe("");
    expect(JSON.parse(run.stdout)).toEqual(["enqueued", "duplicate"]);
    expect(tasks.tasks.length).toBe(before + 1);
    expect(tasks.tasks[before]!.httpRequest.url).toBe("https://demo-core.example.run.app/jobs/digest");
  });
});
