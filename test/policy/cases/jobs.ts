import { resource } from "../support";
import type { PolicyCases } from "./types";

const component = resource("pulsura:services:Microservice", {}, { custom: false, name: "pulsura-svc-core" });
const own = "pulsura-svc-core@p.iam.gserviceaccount.com";
const invoker = "pulsura-svc-core-tasks@p.iam.gserviceaccount.com";
const limits = { rateLimits: { maxDispatchesPerSecond: 5, maxConcurrentDispatches: 4 }, retryConfig: { maxAttempts: 5, maxRetryDuration: "3600s" } };

const queue = (props: Record<string, unknown> = limits) => resource("gcp:cloudtasks/queue:Queue", { name: "pulsura-core-jobs", ...props }, { parent: component.urn });
const enqueuer = (member = `serviceAccount:${own}`) =>
  resource("gcp:cloudtasks/queueIamMember:QueueIamMember", { name: "pulsura-core-jobs", role: "roles/cloudtasks.enqueuer", member }, { parent: component.urn });
const run = (name = "pulsura-core", env: Record<string, string> = { PULSURA_JOBS_INVOKER: invoker }, account = own) =>
  resource(
    "gcp:cloudrunv2/service:Service",
    { name, template: { serviceAccount: account, containers: [{ envs: Object.entries(env).map(([n, value]) => ({ name: n, value })) }] } },
    { parent: component.urn },
  );
const runInvoker = (service: string, email = invoker) => resource("gcp:cloudrunv2/serviceIamMember:ServiceIamMember", { name: service, role: "roles/run.invoker", member: `serviceAccount:${email}` });

export const jobsCases: PolicyCases = {
  "jobs-queue-bounded": {
    pass: [queue()],
    fail: [queue({ name: "q1" }), queue({ rateLimits: limits.rateLimits, retryConfig: { maxAttempts: -1, maxRetryDuration: "0s" } })],
    message: /leaves rateLimits|retries without end/,
  },
  "jobs-enqueue-own-queue": {
    pass: [component, run(), queue(), enqueuer()],
    fail: [
      component,
      run(),
      queue(),
      enqueuer("serviceAccount:pulsura-hasura@p.iam.gserviceaccount.com"),
      resource("gcp:projects/iAMMember:IAMMember", { project: "p", role: "roles/cloudtasks.enqueuer", member: `serviceAccount:${own}` }),
    ],
    message: /expected exactly serviceAccount:pulsura-svc-core@|on the whole project/,
  },
  "jobs-invoker-dedicated": {
    pass: [run(), runInvoker("pulsura-core"), run("pulsura-billing", {}, "pulsura-svc-billing@p.iam.gserviceaccount.com")],
    fail: [run(), runInvoker("pulsura-core"), runInvoker("pulsura-billing"), run("pulsura-reports", { PULSURA_JOBS_INVOKER: "pulsura-svc-reports@p.iam.gserviceaccount.com" }, "pulsura-svc-reports@p.iam.gserviceaccount.com")],
    message: /may also invoke pulsura-billing|is the service's own account|has no run.invoker/,
  },
};
