/**
 * A small fake of the Cloud Storage JSON API calls the core service makes through @google-cloud/storage (pointed at it
 * by STORAGE_EMULATOR_HOST): objects.rewrite (file.copy), objects.delete, objects.get (file.exists). It implements the
 * documented contract (https://cloud.google.com/storage/docs/json_api/v1/objects): 404 for a missing object, rewrite
 * answering `{ done: true, resource }`. The Firebase Storage emulator was not used: it needs the Firebase CLI running
 * a project and is not known to implement rewriteTo; this fake keeps the tests offline and fast.
 */
import * as http from "node:http";
import type { AddressInfo } from "node:net";

export interface FakeObject {
  size: number;
  contentType: string;
}

export interface StorageFake {
  /** `http://127.0.0.1:<port>`: the value of STORAGE_EMULATOR_HOST. */
  url: string;
  /** Objects by `<bucket>/<name>`. */
  objects: Map<string, FakeObject>;
  /** Requests received, `METHOD path`. */
  requests: string[];
  close(): Promise<void>;
}

export async function startStorageFake(): Promise<StorageFake> {
  const objects = new Map<string, FakeObject>();
  const requests: string[] = [];
  const server = http.createServer((request, response) => {
    request.resume();
    request.on("end", () => {
      const path = new URL(request.url ?? "/", "http://fake").pathname.replace(/^\/storage\/v1/, "");
      requests.push(`${request.method} ${path}`);
      const answer = (status: number, body?: unknown) => {
        response.writeHead(status, { "content-type": "application/json" });
        response.end(body === undefined ? "" : JSON.stringify(body));
      };
      const resource = (bucket: string, name: string, object: FakeObject) => ({
        kind: "storage#object",
        bucket,
        name,
        size: String(object.size),
        contentType: object.contentType,
      });
      const rewrite = /^\/b\/([^/]+)\/o\/([^/]+)\/rewriteTo\/b\/([^/]+)\/o\/([^/]+)$/.exec(path);
      if (request.method === "POST" && rewrite) {
        const [source, target] = [`${rewrite[1]}/${decodeURIComponent(rewrite[2]!)}`, `${rewrite[3]}/${decodeURIComponent(rewrite[4]!)}`];
        const object = objects.get(source);
        if (!object) return answer(404, { error: { code: 404, message: "No such object" } });
        objects.set(target, { ...object });
        return answer(200, { kind: "storage#rewriteResponse", done: true, resource: resource(rewrite[3]!, decodeURIComponent(rewrite[4]!), object) });
      }
      const single = /^\/b\/([^/]+)\/o\/([^/]+)$/.exec(path);
      if (single) {
        const key = `${single[1]}/${decodeURIComponent(single[2]!)}`;
        const object = objects.get(key);
        if (!object) return answer(404, { error: { code: 404, message: "No such object" } });
        if (request.method === "DELETE") {
          objects.delete(key);
          return answer(204);
        }
        if (request.method === "GET") return answer(200, resource(single[1]!, decodeURIComponent(single[2]!), object));
      }
      return answer(400, { error: { code: 400, message: `the fake does not implement ${request.method} ${path}` } });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    objects,
    requests,
    close: () => new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve()))),
  };
}
