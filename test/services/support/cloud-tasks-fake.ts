/**
 * A small fake of the Cloud Tasks API for tests. Google ships no Cloud Tasks emulator (the gcloud emulators are
 * Datastore, Firestore, Pub/Sub, Spanner and Bigtable), so the services' real client, @google-cloud/tasks on its REST
 * transport, is pointed at this server instead. It implements what the kit uses, as documented
 * (https://cloud.google.com/tasks/docs/reference/rest/v2/projects.locations.queues.tasks/create):
 * - CreateTask: `POST /v2/{parent=projects/*\/locations/*\/queues/*}/tasks` with `{ task }`; the queue must be one it
 *   serves (NOT_FOUND otherwise); a task without a name gets one; a named task whose name is taken, or was taken by a
 *   task that ran (the name stays reserved about an hour after), is refused with ALREADY_EXISTS (HTTP 409);
 * - dispatch, on the test's call: the task's HTTP request to its URL with the headers Cloud Tasks adds
 *   (X-CloudTasks-TaskName, -QueueName, -TaskRetryCount, -TaskExecutionCount) and an OIDC token of the task's
 *   service account for its audience, signed by the tests' key; a non-2xx answer is retried (the retry count grows),
 *   a 2xx one completes the task.
 */
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { CloudTasksClient } from "@google-cloud/tasks";
import { OAuth2Client } from "google-auth-library";
import { onCleanup } from "../../support/cleanup";
import type { TokenIssuer } from "./google-id-tokens";

export interface FakeTask {
  name: string;
  scheduleTime?: string;
  httpRequest: {
    url: string;
    httpMethod?: string | number;
    headers?: Record<string, string>;
    /** base64, as the JSON mapping of bytes. */
    body?: string;
    oidcToken?: { serviceAccountEmail: string; audience?: string };
  };
  /** Attempts made so far. */
  dispatchCount: number;
  done: boolean;
}

export interface CloudTasksFake {
  /** Where the client goes: `{ apiEndpoint: "127.0.0.1", port, protocol: "http" }`. */
  port: number;
  /** Every task created, in order. */
  tasks: FakeTask[];
  /** Google's client, on its REST transport, pointed at this fake (credentials are not checked here). */
  client(): CloudTasksClient;
  /** One attempt of the task, as Cloud Tasks dispatches it; resolves with the handler's status and body. */
  dispatch(task: FakeTask, options?: { token?: string | null }): Promise<{ status: number; body: unknown }>;
  close(): Promise<void>;
}

const taskIdPattern = /^[A-Za-z0-9_-]{1,500}$/;

export async function startCloudTasksFake(options: { queues: string[]; issuer: TokenIssuer }): Promise<CloudTasksFake> {
  const tasks: FakeTask[] = [];
  let nextId = 1_000_000;
  const error = (response: http.ServerResponse, code: number, status: string, message: string) => {
    response.writeHead(code, { "content-type": "application/json" });
    response.end(JSON.stringify({ error: { code, message, status } }));
  };
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const match = /^\/v2\/(projects\/[^/]+\/locations\/[^/]+\/queues\/[^/]+)\/tasks(?:\?.*)?$/.exec(request.url ?? "");
      if (request.method !== "POST" || !match) return error(response, 404, "NOT_FOUND", `no method for ${request.method} ${request.url}`);
      const parent = decodeURIComponent(match[1]!);
      if (!options.queues.includes(parent)) return error(response, 404, "NOT_FOUND", `Requested entity was not found. (queue ${parent})`);
      const { task } = JSON.parse(Buffer.concat(chunks).toString("utf8")) as { task: Omit<FakeTask, "dispatchCount" | "done"> & { name?: string } };
      if (!task?.httpRequest?.url) return error(response, 400, "INVALID_ARGUMENT", "task.httpRequest.url is required");
      let name = task.name;
      if (name) {
        const id = name.startsWith(`${parent}/tasks/`) ? name.slice(parent.length + "/tasks/".length) : "";
        if (!taskIdPattern.test(id)) return error(response, 400, "INVALID_ARGUMENT", `Invalid resource field value in the request: task.name ${name}`);
        if (tasks.some((existing) => existing.name === name)) return error(response, 409, "ALREADY_EXISTS", "Requested entity already exists");
      } else {
        name = `${parent}/tasks/${nextId++}`;
      }
      const created: FakeTask = { ...task, name, dispatchCount: 0, done: false };
      tasks.push(created);
      response.writeHead(200, { "content-type": "application/json" });
      // The BASIC view: no body.
      const { body: _body, ...httpRequest } = created.httpRequest;
      response.end(JSON.stringify({ name, scheduleTime: task.scheduleTime ?? new Date().toISOString(), createTime: new Date().toISOString(), httpRequest, view: "BASIC" }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  const stop = () => new Promise<void>((resolve) => (server.listening ? server.close(() => resolve()) : resolve()));
  const done = onCleanup("Cloud Tasks fake", stop);

  return {
    port,
    tasks,
    client: () =>
      new CloudTasksClient({
        fallback: true,
        apiEndpoint: "127.0.0.1",
        port,
        protocol: "http",
        // The fake checks no credentials; a fixed access token keeps the client from looking for real ones.
        authClient: new OAuth2Client({ credentials: { access_token: "test-access-token" } }) as never,
      } as ConstructorParameters<typeof CloudTasksClient>[0]),
    async dispatch(task, dispatchOptions = {}) {
      const { oidcToken } = task.httpRequest;
      const token =
        dispatchOptions.token === undefined
          ? oidcToken && options.issuer.sign({ audience: oidcToken.audience ?? task.httpRequest.url, email: oidcToken.serviceAccountEmail })
          : dispatchOptions.token;
      const queue = task.name.split("/")[5]!;
      const response = await fetch(task.httpRequest.url, {
        method: "POST",
        headers: {
          ...task.httpRequest.headers,
          ...(token ? { authorization: `Bearer ${token}` } : {}),
          "x-cloudtasks-taskname": task.name.split("/").pop()!,
          "x-cloudtasks-queuename": queue,
          "x-cloudtasks-taskretrycount": String(task.dispatchCount),
          "x-cloudtasks-taskexecutioncount": String(task.dispatchCount),
        },
        body: task.httpRequest.body ? Buffer.from(task.httpRequest.body, "base64") : undefined,
      });
      task.dispatchCount++;
      const text = await response.text();
      if (response.ok) task.done = true;
      return { status: response.status, body: text ? (JSON.parse(text) as unknown) : null };
    },
    close: () => stop().then(done),
  };
}
