/**
 * Background jobs (issue 20): each service's Cloud Tasks queue, who may enqueue to it, and the identity Cloud Tasks
 * calls the service as. The kit checks every job delivery's token (services/kit/src/server.ts); these rules keep the
 * IAM around it as narrow as the kit assumes.
 */
import type { PolicyResource } from "@pulumi/policy";
import type { PulsuraPolicy } from ".";
import { envsOf } from "./cloudrun";

const QUEUE = "gcp:cloudtasks/queue:Queue";
const QUEUE_MEMBER = "gcp:cloudtasks/queueIamMember:QueueIamMember";
const RUN = "gcp:cloudrunv2/service:Service";
const RUN_MEMBER = "gcp:cloudrunv2/serviceIamMember:ServiceIamMember";

const get = (value: unknown, path: string): unknown =>
  path.split(".").reduce<unknown>((current, key) => (current && typeof current === "object" ? (current as Record<string, unknown>)[key] : undefined), value);

/** The value of a plain env var of a Cloud Run service. */
const envOf = (service: PolicyResource, name: string): string | undefined => envsOf(service).find((env) => env.name === name)?.value;

const durationSeconds = (value: unknown) => (typeof value === "string" && /^\d+(\.\d+)?s$/.test(value) ? Number(value.slice(0, -1)) : undefined);

export const jobsPolicies: PulsuraPolicy[] = [
  {
    name: "jobs-queue-bounded",
    description:
      "Every Cloud Tasks queue states its dispatch rate and concurrency, and bounds retries (a number of attempts or a retry duration), so a failing job cannot retry forever or flood its service.",
    enforcementLevel: "mandatory",
    validateStack: (args, reportViolation) => {
      for (const queue of args.resources.filter((r) => r.type === QUEUE)) {
        const missing = ["rateLimits.maxDispatchesPerSecond", "rateLimits.maxConcurrentDispatches", "retryConfig.maxAttempts", "retryConfig.maxRetryDuration"].filter(
          (path) => get(queue.props, path) === undefined,
        );
        if (missing.length > 0) reportViolation(`queue ${queue.name} leaves ${missing.join(", ")} to Cloud Tasks' defaults`, queue.urn);
        const attempts = get(queue.props, "retryConfig.maxAttempts");
        const duration = durationSeconds(get(queue.props, "retryConfig.maxRetryDuration"));
        if (attempts === -1 && duration === 0) reportViolation(`queue ${queue.name} retries without end (maxAttempts -1 and maxRetryDuration 0s)`, queue.urn);
      }
    },
  },
  {
    name: "jobs-enqueue-own-queue",
    description:
      "Cloud Tasks roles are granted on a queue, never on the project, and a service's queue admits exactly one enqueuer: the service's own account (the account its Cloud Run service runs as).",
    enforcementLevel: "mandatory",
    validateStack: (args, reportViolation) => {
      for (const grant of args.resources) {
        if (grant.type.startsWith("gcp:projects/") && String(grant.props.role).startsWith("roles/cloudtasks.")) {
          reportViolation(`${grant.name} grants ${grant.props.role} on the whole project; grant it on the service's queue`, grant.urn);
        }
      }
      for (const queue of args.resources.filter((r) => r.type === QUEUE)) {
        const members = args.resources.filter((r) => r.type === QUEUE_MEMBER && r.parent?.urn === queue.parent?.urn && r.props.role === "roles/cloudtasks.enqueuer");
        const service = args.resources.find((r) => r.type === RUN && r.parent?.urn === queue.parent?.urn);
        const own = service ? `serviceAccount:${String(get(service.props, "template.serviceAccount"))}` : undefined;
        if (members.length !== 1 || members[0]!.props.member !== own) {
          reportViolation(`queue ${queue.name}: enqueuers ${JSON.stringify(members.map((m) => m.props.member))}; expected exactly ${own ?? "its service's account"}`, queue.urn);
        }
      }
    },
  },
  {
    name: "jobs-invoker-dedicated",
    description:
      "The account Cloud Tasks calls a service's jobs as (PULSURA_JOBS_INVOKER) is its own: not the service's account, holding run.invoker on that service, and on no other.",
    enforcementLevel: "mandatory",
    validateStack: (args, reportViolation) => {
      const invokerGrants = args.resources.filter((r) => r.type === RUN_MEMBER && r.props.role === "roles/run.invoker");
      for (const service of args.resources.filter((r) => r.type === RUN)) {
        const invoker = envOf(service, "PULSURA_JOBS_INVOKER");
        if (!invoker) continue;
        const member = `serviceAccount:${invoker}`;
        if (invoker === get(service.props, "template.serviceAccount")) reportViolation(`${service.name}: PULSURA_JOBS_INVOKER is the service's own account`, service.urn);
        const on = invokerGrants.filter((grant) => grant.props.member === member).map((grant) => String(grant.props.name));
        if (!on.includes(String(service.props.name))) reportViolation(`${service.name}: its jobs invoker ${invoker} has no run.invoker on it`, service.urn);
        const elsewhere = on.filter((name) => name !== service.props.name);
        if (elsewhere.length > 0) reportViolation(`${service.name}: its jobs invoker ${invoker} may also invoke ${elsewhere.join(", ")}`, service.urn);
      }
    },
  },
];
