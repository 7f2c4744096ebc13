/**
 * `pulsura:services[i].jobs`: the Cloud Tasks queue of a service with background jobs (`services/<name>/src/jobs/`),
 * its retries and dispatch limits, with defaults per environment. infra/config.ts reads it with the rest of the stack
 * config; infra/components/microservice.ts receives the resolved {@link JobQueueConfig} through index.ts.
 *
 * Limits from the Queue resource (https://cloud.google.com/tasks/docs/reference/rest/v2/projects.locations.queues#RateLimits,
 * #RetryConfig); the fidelity module scripts/lib/fidelity/cloudtasks.ts checks the same on the planned queue.
 */
import * as path from "node:path";
import { z } from "zod";
import type { ConfigProblem } from "../config";
import { findHandlerFiles } from "../../services/kit/src/route-files";

/** RateLimits.maxDispatchesPerSecond: "The maximum allowed value is 500." */
export const MAX_DISPATCHES_PER_SECOND = 500;
/** RateLimits.maxConcurrentDispatches: "The maximum allowed value is 5,000." */
export const MAX_CONCURRENT_DISPATCHES = 5000;

const seconds = (what: string) => z.number().int(`${what}: whole seconds`).min(0, `${what}: at least 0`);

/** What a stack file may say under `pulsura:services[i].jobs`; every field optional. */
export const jobQueueInput = z
  .object({
    /** Attempts per task, the first included; -1 for unlimited (RetryConfig.maxAttempts, >= -1). */
    maxAttempts: z.number().int().min(-1, "at least -1 (unlimited)").refine((value) => value !== 0, "not 0: -1 (unlimited) or at least 1"),
    /** Time limit for retrying a task from its first attempt; 0 for none (RetryConfig.maxRetryDuration). */
    maxRetryDurationSeconds: seconds("maxRetryDurationSeconds"),
    /** Least wait before a retry (RetryConfig.minBackoff). */
    minBackoffSeconds: seconds("minBackoffSeconds"),
    /** Most wait before a retry (RetryConfig.maxBackoff). */
    maxBackoffSeconds: seconds("maxBackoffSeconds"),
    /** How many times the wait doubles before it grows linearly (RetryConfig.maxDoublings). */
    maxDoublings: z.number().int().min(0),
    /** Most tasks started per second (RateLimits.maxDispatchesPerSecond, at most 500). */
    maxDispatchesPerSecond: z
      .number()
      .positive("more than 0")
      .max(MAX_DISPATCHES_PER_SECOND, `at most ${MAX_DISPATCHES_PER_SECOND} (https://cloud.google.com/tasks/docs/reference/rest/v2/projects.locations.queues#RateLimits)`),
    /** Most tasks running at once (RateLimits.maxConcurrentDispatches, at most 5000). */
    maxConcurrentDispatches: z
      .number()
      .int()
      .min(1)
      .max(MAX_CONCURRENT_DISPATCHES, `at most ${MAX_CONCURRENT_DISPATCHES} (https://cloud.google.com/tasks/docs/reference/rest/v2/projects.locations.queues#RateLimits)`),
  })
  .partial()
  .strict();

export type JobQueueInput = z.infer<typeof jobQueueInput>;

/** The resolved settings of a service's queue. */
export interface JobQueueConfig {
  maxAttempts: number;
  maxRetryDurationSeconds: number;
  minBackoffSeconds: number;
  maxBackoffSeconds: number;
  maxDoublings: number;
  maxDispatchesPerSecond: number;
  maxConcurrentDispatches: number;
}

/**
 * Defaults per environment. A job holds one of its instance's pool connections for its whole run (it runs in the
 * transaction that records it), so the concurrency stays within the default instances × pool size (dev 2 × 4, prod
 * 10 × 5) with room for the service's other requests; {@link jobQueueProblems} checks a stack's own values.
 */
export const JOB_QUEUE_DEFAULTS: Record<"dev" | "prod", JobQueueConfig> = {
  dev: { maxAttempts: 5, maxRetryDurationSeconds: 3600, minBackoffSeconds: 10, maxBackoffSeconds: 300, maxDoublings: 4, maxDispatchesPerSecond: 5, maxConcurrentDispatches: 4 },
  prod: { maxAttempts: 10, maxRetryDurationSeconds: 86400, minBackoffSeconds: 10, maxBackoffSeconds: 600, maxDoublings: 5, maxDispatchesPerSecond: 50, maxConcurrentDispatches: 25 },
};

/**
 * A service's queue: its input over the environment's defaults. Unless the stack sets it, the concurrency is also capped
 * at the service's connections (`maxInstances × poolSize`), so scaling a service down never makes its default queue
 * invalid; a value the stack sets is checked instead ({@link jobQueueProblems}).
 */
export function resolveJobQueue(environment: "dev" | "prod", input: JobQueueInput = {}, service?: { maxInstances: number; poolSize: number }): JobQueueConfig {
  const defaults = JOB_QUEUE_DEFAULTS[environment];
  const connections = service ? service.maxInstances * service.poolSize : defaults.maxConcurrentDispatches;
  return { ...defaults, maxConcurrentDispatches: Math.max(1, Math.min(defaults.maxConcurrentDispatches, connections)), ...input };
}

/** Rules across fields: backoff bounds in order, and no more jobs at once than the service's connections. */
export function jobQueueProblems(key: string, queue: JobQueueConfig, service: { maxInstances: number; poolSize: number }): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  if (queue.minBackoffSeconds > queue.maxBackoffSeconds) {
    problems.push({ key: `${key}.minBackoffSeconds`, got: String(queue.minBackoffSeconds), expected: `at most maxBackoffSeconds (${queue.maxBackoffSeconds}): a retry waits between the two` });
  }
  const connections = service.maxInstances * service.poolSize;
  if (queue.maxConcurrentDispatches > connections) {
    problems.push({
      key: `${key}.maxConcurrentDispatches`,
      got: String(queue.maxConcurrentDispatches),
      expected: `at most maxInstances × poolSize (${service.maxInstances} × ${service.poolSize} = ${connections}): each running job holds a pool connection, so more would wait for one (and time out) while the service's other requests starve`,
    });
  }
  return problems;
}

/**
 * Whether a service has background jobs: a handler file under `services/<name>/src/jobs/` (what the kit routes, by
 * services/kit/src/route-files.ts's rules). Read from the repository like the service wiring (infra/service-wiring.ts).
 */
export function serviceHasJobs(service: string, root: string = path.resolve(__dirname, "..", "..")): boolean {
  return findHandlerFiles(path.join(root, "services", service), ["job"]).length > 0;
}

/** The queue id of a service: `<tenant>-<service>-jobs` (letters, digits, hyphens, at most 100 characters). */
export function jobQueueId(tenant: string, service: string): string {
  return `${tenant}-${service}-jobs`;
}
