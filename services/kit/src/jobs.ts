import { createHash } from "node:crypto";
import type { CloudTasksClient } from "@google-cloud/tasks";
import type { EnqueuedJob, EnqueueOptions, JobDefinition, JobQueue } from "./definitions";

/** gRPC's ALREADY_EXISTS (https://grpc.github.io/grpc/core/md_doc_statuscode.html): CreateTask's answer for a name in use. */
const ALREADY_EXISTS = 6;

/** The part of the Cloud Tasks client the kit calls (tests point a real client at a local fake). */
export type TasksClient = Pick<CloudTasksClient, "createTask">;

/**
 * The task id of a job enqueued with a dedupe key: a hash of job and key first, then the job's name. Task ids are
 * letters, digits, hyphens and underscores, at most 500 characters; Cloud Tasks asks for hashed ids or prefixes, as
 * sequential ones (timestamps) raise latency and error rates
 * (https://cloud.google.com/tasks/docs/reference/rest/v2/projects.locations.queues.tasks/create).
 */
export function dedupeTaskId(job: string, dedupeKey: string): string {
  return `${createHash("sha256").update(`${job}\n${dedupeKey}`).digest("hex").slice(0, 32)}-${job}`;
}

/** Checks the job exists and its payload parses, before anything is enqueued (a bad payload never reaches the queue). */
export function checkEnqueue(jobs: Readonly<Record<string, JobDefinition>>, job: string, payload: unknown, options: EnqueueOptions): unknown {
  const definition = jobs[job];
  if (!definition) {
    throw new Error(`jobs.enqueue: this service has no job "${job}" (src/jobs/${job}.ts); its jobs: ${Object.keys(jobs).join(", ") || "none"}`);
  }
  const parsed = definition.payload.safeParse(payload);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`jobs.enqueue("${job}"): the payload does not match the job's schema (${issue?.path.join(".") || "payload"}: ${issue?.message})`);
  }
  if (options.delay !== undefined && !(Number.isFinite(options.delay) && options.delay >= 0)) {
    throw new Error(`jobs.enqueue("${job}"): delay must be a number of seconds >= 0, got ${String(options.delay)}`);
  }
  if (options.dedupeKey !== undefined && options.dedupeKey === "") throw new Error(`jobs.enqueue("${job}"): dedupeKey must not be empty`);
  // What is sent is the payload as given: the job's route parses it again (defaults and transforms apply there once).
  return payload;
}

export interface CloudTasksQueueOptions {
  /** `projects/<project>/locations/<region>/queues/<id>` (PULSURA_JOBS_QUEUE). */
  queue: string;
  /** The service's own URL: tasks go to `<serviceUrl>/jobs/<name>`, and it is their token's audience. */
  serviceUrl: string;
  /** The account whose OIDC token Cloud Tasks sends (PULSURA_JOBS_INVOKER); the enqueuer must be able to act as it. */
  invoker: string;
  jobs: Readonly<Record<string, JobDefinition>>;
  /** Creates the Cloud Tasks client on first use. */
  client: () => TasksClient | Promise<TasksClient>;
}

/**
 * Jobs as Cloud Tasks HTTP tasks (https://cloud.google.com/tasks/docs/creating-http-target-tasks): a POST of the JSON
 * payload to the service's job route, with an OIDC token of the invoker account for the service's URL. A dedupe key
 * names the task, and ALREADY_EXISTS means it was enqueued before: answered as a duplicate, not an error.
 */
export function createCloudTasksQueue(options: CloudTasksQueueOptions): JobQueue {
  let client: Promise<TasksClient> | undefined;
  return {
    async enqueue(job, payload, enqueueOptions = {}): Promise<EnqueuedJob> {
      checkEnqueue(options.jobs, job, payload, enqueueOptions);
      client ??= Promise.resolve(options.client());
      const taskId = enqueueOptions.dedupeKey === undefined ? undefined : dedupeTaskId(job, enqueueOptions.dedupeKey);
      const url = `${options.serviceUrl.replace(/\/$/, "")}/jobs/${job}`;
      try {
        const [task] = await (await client).createTask({
          parent: options.queue,
          task: {
            ...(taskId ? { name: `${options.queue}/tasks/${taskId}` } : {}),
            ...(enqueueOptions.delay ? { scheduleTime: { seconds: Math.floor(Date.now() / 1000 + enqueueOptions.delay) } } : {}),
            httpRequest: {
              httpMethod: "POST",
              url,
              headers: { "content-type": "application/json" },
              body: Buffer.from(JSON.stringify(payload ?? null)),
              oidcToken: { serviceAccountEmail: options.invoker, audience: options.serviceUrl },
            },
          },
        });
        return { task: (task.name ?? taskId ?? "").split("/").pop()!, status: "enqueued" };
      } catch (error) {
        if (taskId && (error as { code?: unknown }).code === ALREADY_EXISTS) return { task: taskId, status: "duplicate" };
        throw error;
      }
    },
  };
}

/** A queue for a service without jobs configured: every enqueue is refused, naming what is missing. */
export function unconfiguredJobQueue(reason: string): JobQueue {
  return {
    enqueue: (job) => Promise.reject(new Error(`jobs.enqueue("${job}"): ${reason}`)),
  };
}
