/**
 * Cloud Tasks queues (a queue per service with jobs, infra/components/microservice.ts) and their IAM. What the tasks
 * themselves must satisfy (task ids, the OIDC token's account) is the kit's (services/kit/src/jobs.ts), since the
 * program creates no task; the rules here judge what `pulumi up` sends to CreateQueue / UpdateQueue.
 */
import { projectLocationScope, patternRule, show, stringAt, uniqueRule, valueAt, type FidelityRule } from "./rule";

const QUEUE = "gcp:cloudtasks/queue:Queue";
const QUEUE_REFERENCE = "https://cloud.google.com/tasks/docs/reference/rest/v2/projects.locations.queues";
const RATE_LIMITS = `${QUEUE_REFERENCE}#RateLimits`;
const RETRY_CONFIG = `${QUEUE_REFERENCE}#RetryConfig`;

/** Seconds of a protobuf Duration string (`"600s"`); NaN for another form, undefined when absent. */
const durationSeconds = (value: unknown) =>
  value === undefined ? undefined : typeof value === "string" && /^\d+(?:\.\d+)?s$/.test(value) ? Number(value.slice(0, -1)) : Number.NaN;

const durationFields = ["retryConfig.minBackoff", "retryConfig.maxBackoff", "retryConfig.maxRetryDuration"] as const;

const LOCATIONS = "https://cloud.google.com/tasks/docs/locations";

/**
 * The regions where Cloud Tasks is available, as https://cloud.google.com/tasks/docs/locations lists them (read
 * 2026-12-02 in its stored copies; the newest, docs.cloud.google.com/tasks/docs/locations.md.txt, after the release
 * note of 2026-10-19 that added asia-south2 and northamerica-northeast2). Cloud Tasks is offered in fewer regions than
 * Cloud Run: Europe has only europe-central2, -west1, -west2, -west3 and -west6 (no europe-west4, europe-north1, ...).
 *
 * The copies are cut in the Asia Pacific table right after asia-southeast1, at an entry beginning "asia-sout" (in the
 * table's order, asia-southeast2). That region is listed here for that reason; australia-southeast1 and any later
 * entries could not be read, so a queue there is refused until someone reads the page and adds them.
 */
export const CLOUD_TASKS_LOCATIONS: ReadonlySet<string> = new Set([
  // Americas
  "northamerica-northeast1",
  "northamerica-northeast2",
  "southamerica-east1",
  "us-central1",
  "us-east1",
  "us-east4",
  "us-south1",
  "us-west1",
  "us-west2",
  "us-west3",
  "us-west4",
  // Europe
  "europe-central2",
  "europe-west1",
  "europe-west2",
  "europe-west3",
  "europe-west6",
  // Asia Pacific (read up to the cut)
  "asia-east1",
  "asia-east2",
  "asia-northeast1",
  "asia-northeast2",
  "asia-northeast3",
  "asia-south1",
  "asia-south2",
  "asia-southeast1",
  "asia-southeast2",
]);

export const cloudTasksRules: FidelityRule[] = [
  {
    // CreateQueue in a region Cloud Tasks is not offered in fails; the queue lives in the stack's region.
    id: "cloudtasks/location",
    types: [QUEUE],
    field: "location",
    constraint: "a region where Cloud Tasks is available",
    source: LOCATIONS,
    check(resource) {
      const location = valueAt(resource.inputs, "location");
      if (typeof location === "string" && CLOUD_TASKS_LOCATIONS.has(location)) return [];
      return [
        `got ${show(location)}: Cloud Tasks is available in ${[...CLOUD_TASKS_LOCATIONS].join(", ")} ` +
          `(a service with src/jobs/ needs a queue in the stack's region; if ${LOCATIONS} now lists this region, add it to CLOUD_TASKS_LOCATIONS in scripts/lib/fidelity/cloudtasks.ts)`,
      ];
    },
  },
  // "QUEUE_ID can contain letters ([A-Za-z]), numbers ([0-9]), or hyphens (-). The maximum length is 100 characters."
  patternRule({
    id: "cloudtasks/queue-id",
    types: [QUEUE],
    field: "name",
    constraint: "letters, digits and hyphens, 1-100 characters",
    source: QUEUE_REFERENCE,
    pattern: /^[A-Za-z0-9-]+$/,
    min: 1,
    max: 100,
  }),
  // CreateQueue answers ALREADY_EXISTS for a queue id in use in the location. The DeleteQueue reference
  // (${QUEUE_REFERENCE}/delete) also warns that a deleted queue's name cannot be used again for 7 days: a stack destroyed
  // and deployed again within a week meets that, which no offline check can see (README "Jobs").
  uniqueRule({
    id: "cloudtasks/queue-id-unique",
    types: [QUEUE],
    field: "name",
    source: `${QUEUE_REFERENCE}/create`,
    read: (r) => stringAt(r.inputs, "name"),
    scope: projectLocationScope,
    scopeName: "project and location",
  }),
  {
    // "The maximum allowed value is 500." (maxDispatchesPerSecond, a double; 0 is not a rate.)
    id: "cloudtasks/max-dispatches-per-second",
    types: [QUEUE],
    field: "rateLimits.maxDispatchesPerSecond",
    constraint: "more than 0, at most 500",
    source: RATE_LIMITS,
    check(resource) {
      const value = valueAt(resource.inputs, "rateLimits.maxDispatchesPerSecond");
      if (value === undefined) return [];
      return typeof value === "number" && value > 0 && value <= 500 ? [] : [`got ${show(value)}`];
    },
  },
  {
    // "The maximum allowed value is 5,000." (maxConcurrentDispatches)
    id: "cloudtasks/max-concurrent-dispatches",
    types: [QUEUE],
    field: "rateLimits.maxConcurrentDispatches",
    constraint: "a whole number from 1 to 5000",
    source: RATE_LIMITS,
    check(resource) {
      const value = valueAt(resource.inputs, "rateLimits.maxConcurrentDispatches");
      if (value === undefined) return [];
      return Number.isInteger(value) && (value as number) >= 1 && (value as number) <= 5000 ? [] : [`got ${show(value)}`];
    },
  },
  {
    // "Must be greater than or equal to -1, which indicates unlimited attempts." (maxAttempts, the first attempt counted)
    id: "cloudtasks/max-attempts",
    types: [QUEUE],
    field: "retryConfig.maxAttempts",
    constraint: "a whole number >= -1 (-1: unlimited)",
    source: RETRY_CONFIG,
    check(resource) {
      const value = valueAt(resource.inputs, "retryConfig.maxAttempts");
      if (value === undefined) return [];
      return Number.isInteger(value) && (value as number) >= -1 ? [] : [`got ${show(value)}`];
    },
  },
  {
    // Durations are protobuf Durations in JSON ("10s"); "A task will be scheduled for retry between minBackoff and
    // maxBackoff duration after it fails", so the lower bound cannot exceed the upper one.
    id: "cloudtasks/backoff",
    types: [QUEUE],
    field: "retryConfig",
    constraint: 'minBackoff, maxBackoff and maxRetryDuration as durations in seconds ("10s"), minBackoff at most maxBackoff, maxDoublings >= 0',
    source: RETRY_CONFIG,
    check(resource) {
      const problems: string[] = [];
      for (const field of durationFields) {
        const seconds = durationSeconds(valueAt(resource.inputs, field));
        if (seconds !== undefined && !(seconds >= 0)) problems.push(`${field} is ${show(valueAt(resource.inputs, field))}`);
      }
      const min = durationSeconds(valueAt(resource.inputs, "retryConfig.minBackoff"));
      const max = durationSeconds(valueAt(resource.inputs, "retryConfig.maxBackoff"));
      if (min !== undefined && max !== undefined && min > max) problems.push(`minBackoff ${min}s is more than maxBackoff ${max}s`);
      const doublings = valueAt(resource.inputs, "retryConfig.maxDoublings");
      if (doublings !== undefined && !(Number.isInteger(doublings) && (doublings as number) >= 0)) problems.push(`maxDoublings is ${show(doublings)}`);
      return problems;
    },
  },
];
