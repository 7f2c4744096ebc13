/**
 * The Cloud Storage the files tests run against: firebase-tools' Storage emulator, started as npm run dev starts it
 * (scripts/lib/dev/storage.ts startStorageEmulator, without the dev front: these tests sign and push themselves), in a
 * temporary directory. The core service reaches it through STORAGE_EMULATOR_HOST, as under npm run dev.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { startStorageEmulator } from "../../../scripts/lib/dev/storage";
import { onCleanup, trackPid } from "../../support/cleanup";
import { freePort } from "../../support/ports";

export interface TestStorage {
  /** `http://127.0.0.1:<port>`: the value of STORAGE_EMULATOR_HOST. */
  url: string;
  /** Stores `size` bytes at `<bucket>/<name>` with that content type, as an upload does. */
  put(key: string, object: { size: number; contentType: string }): Promise<void>;
  /** Whether `<bucket>/<name>` exists. */
  has(key: string): Promise<boolean>;
  close(): Promise<void>;
}

const splitKey = (key: string) => {
  const slash = key.indexOf("/");
  return { bucket: key.slice(0, slash), name: key.slice(slash + 1) };
};

export async function startTestStorage(projectId = "demo-pulsura-services"): Promise<TestStorage> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pulsura-storage-"));
  const removeDir = () => fs.rmSync(dir, { recursive: true, force: true });
  const port = await freePort();
  let child: Awaited<ReturnType<typeof startStorageEmulator>>;
  try {
    child = await startStorageEmulator({ dir, port, projectId });
  } catch (error) {
    removeDir();
    throw error;
  }
  trackPid(child.pid, "storage emulator", { group: true });
  const close = async () => {
    await child.stop({ signal: "SIGINT", graceMs: 15_000 });
    removeDir();
  };
  const done = onCleanup("storage emulator", close);
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    async put(key, object) {
      const { bucket, name } = splitKey(key);
      const answer = await fetch(`${url}/upload/storage/v1/b/${bucket}/o?uploadType=media&name=${encodeURIComponent(name)}`, {
        method: "POST",
        headers: { "content-type": object.contentType },
        body: Buffer.alloc(object.size, 1),
      });
      if (!answer.ok) throw new Error(`the Storage emulator refused ${key}: HTTP ${answer.status} ${await answer.text()}`);
    },
    async has(key) {
      const { bucket, name } = splitKey(key);
      const answer = await fetch(`${url}/storage/v1/b/${bucket}/o/${encodeURIComponent(name)}`);
      await answer.arrayBuffer();
      if (answer.status !== 200 && answer.status !== 404) throw new Error(`the Storage emulator answered HTTP ${answer.status} for ${key}`);
      return answer.status === 200;
    },
    async close() {
      done();
      await close();
    },
  };
}
