import { createPrivateKey, createPublicKey, createSign, randomUUID, type KeyObject } from "node:crypto";
import type { EnqueuedJob, JobDefinition, JobQueue } from "./definitions";
import { checkEnqueue, dedupeTaskId } from "./jobs";
import type { Logger } from "./logger";

/**
 * A Google-style ID token signer for `npm run dev`: RS256 JWTs of a per-run key (scripts/lib/dev/run.ts writes it), whose
 * public key the services' verifiers are given instead of Google's certificates. Never used by a deployed bundle.
 */
export interface DevTokenSigner {
  keyId: string;
  /** PEM of the public key, as Google's certificate endpoint serves it (by key id). */
  certificates: Record<string, string>;
  sign(claims: { audience: string; email: string }): string;
}

export function devTokenSigner(privateKeyPem: string, keyId = "pulsura-dev"): DevTokenSigner {
  const key: KeyObject = createPrivateKey(privateKeyPem);
  const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
  return {
    keyId,
    certificates: { [keyId]: createPublicKey(key).export({ type: "spki", format: "pem" }).toString() },
    sign({ audience, email }) {
      const now = Math.floor(Date.now() / 1000);
      const unsigned = `${encode({ alg: "RS256", kid: keyId, typ: "JWT" })}.${encode({ iss: "https://accounts.google.com", aud: audience, email, email_verified: true, sub: email, iat: now, exp: now + 3600 })}`;
      return `${unsigned}.${createSign("RSA-SHA256").update(unsigned).sign(key).toString("base64url")}`;
    },
  };
}

export interface LocalJobQueueOptions {
  jobs: Readonly<Record<string, JobDefinition>>;
  /** The service's URL (its own listener): tasks are POSTed to `<serviceUrl>/jobs/<name>`. */
  serviceUrl: string;
  /** The queue's short name, sent as X-CloudTasks-QueueName. */
  queueName: string;
  /** The invoker account the tasks' tokens name. */
  invoker: string;
  signer: Pick<DevTokenSigner, "sign">;
  log: Logger;
  /** Cloud Tasks' retry settings, in milliseconds. @default 5 attempts, 1 s doubling to 60 s */
  retry?: { maxAttempts: number; minBackoffMs: number; maxBackoffMs: number };
  /** How long a task's name stays taken after it ran, as Cloud Tasks keeps it (about an hour). @default 1 hour */
  reservationMs?: number;
}

/**
 * An in-process queue with Cloud Tasks' semantics for `npm run dev`: a dedupe key names the task and a second enqueue
 * of the name (while queued, and for the reservation after it ran) is a duplicate; a task is POSTed to the service's
 * own job route with the headers and an OIDC token as Cloud Tasks sends them, so it goes through the same token check
 * and processed-deliveries record; a non-2xx answer is retried with doubling backoff until the attempts run out.
 * Tasks live in memory: a restart of the service forgets the queued ones.
 */
export function createLocalJobQueue(options: LocalJobQueueOptions): JobQueue & { idle(): Promise<void> } {
  const retry = options.retry ?? { maxAttempts: 5, minBackoffMs: 1_000, maxBackoffMs: 60_000 };
  const reservationMs = options.reservationMs ?? 3_600_000;
  const taken = new Map<string, number>();
  const pending = new Set<Promise<void>>();
  const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());

  async function run(job: string, task: string, payload: unknown, delayMs: number): Promise<void> {
    if (delayMs > 0) await sleep(delayMs);
    for (let attempt = 0; attempt < retry.maxAttempts; attempt++) {
      let status = 0;
      try {
        const response = await fetch(`${options.serviceUrl}/jobs/${job}`, {
          method: "POST",
          headers: {
            "content-type": "application/json",
            authorization: `Bearer ${options.signer.sign({ audience: options.serviceUrl, email: options.invoker })}`,
            "x-cloudtasks-taskname": task,
            "x-cloudtasks-queuename": options.queueName,
            "x-cloudtasks-taskretrycount": String(attempt),
            "x-cloudtasks-taskexecutioncount": String(attempt),
          },
          body: JSON.stringify(payload ?? null),
        });
        status = response.status;
        await response.arrayBuffer();
      } catch (error) {
        options.log.warn({ err: error, job, task, retryCount: attempt }, "local queue: the job route did not answer");
      }
      if (status >= 200 && status < 300) break;
      if (attempt + 1 === retry.maxAttempts) {
        options.log.error({ job, task, attempts: retry.maxAttempts }, `local queue: job ${job} failed ${retry.maxAttempts} times; dropped, as Cloud Tasks drops it`);
        break;
      }
      await sleep(Math.min(retry.maxBackoffMs, retry.minBackoffMs * 2 ** attempt));
    }
    taken.set(task, Date.now() + reservationMs);
  }

  return {
    async enqueue(job, payload, enqueueOptions = {}): Promise<EnqueuedJob> {
      checkEnqueue(options.jobs, job, payload, enqueueOptions);
      const task = enqueueOptions.dedupeKey === undefined ? randomUUID().replace(/-/g, "") : dedupeTaskId(job, enqueueOptions.dedupeKey);
      const until = taken.get(task);
      if (until !== undefined && until > Date.now()) return { task, status: "duplicate" };
      // Queued: taken until it ran, then for the reservation.
      taken.set(task, Number.POSITIVE_INFINITY);
      const running = run(job, task, payload, (enqueueOptions.delay ?? 0) * 1000).finally(() => pending.delete(running));
      pending.add(running);
      return { task, status: "enqueued" };
    },
    async idle() {
      while (pending.size > 0) await Promise.all([...pending]);
    },
  };
}
