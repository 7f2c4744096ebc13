/**
 * Jobs as each stack declares them (the offline plan of every stack file): a Cloud Tasks queue per service with
 * src/jobs/, its settings from the stack config, the enqueue grant for the service's own account on that queue only,
 * a jobs invoker account with run.invoker on that service only, the service's job environment, and the API enabled.
 */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { SUPPORTED_REGIONS } from "../../infra/config";
import { jobQueueId, serviceHasJobs } from "../../infra/config/jobs";
import { CLOUD_TASKS_LOCATIONS } from "../../scripts/lib/fidelity/cloudtasks";
import { planOf, plannedStacks, resourcesOfType } from "./support/plans";
import { runPlanCli } from "./support/run-plan";

const T = {
  queue: "gcp:cloudtasks/queue:Queue",
  queueMember: "gcp:cloudtasks/queueIamMember:QueueIamMember",
  run: "gcp:cloudrunv2/service:Service",
  runMember: "gcp:cloudrunv2/serviceIamMember:ServiceIamMember",
  projectMember: "gcp:projects/iAMMember:IAMMember",
} as const;

type Loose = any;

describe.each(plannedStacks())("stack %s", (stack) => {
  const plan = () => planOf(stack);
  const tenant = () => plan().outputs.tenant as string;
  const accounts = () => plan().outputs.serviceAccounts as Record<string, string>;
  const servicesWithJobs = () => (plan().outputs.serviceImages ? Object.keys(plan().outputs.serviceImages as object) : []).filter((s) => serviceHasJobs(s));

  it("gives each service with jobs one queue, named for it, with every retry and rate setting stated", () => {
    const queues: Loose[] = resourcesOfType(plan(), T.queue);
    expect(servicesWithJobs()).toContain("core");
    expect(queues.map((q) => q.inputs.name).sort()).toEqual(servicesWithJobs().map((s) => jobQueueId(tenant(), s)).sort());
    for (const queue of queues) {
      expect(queue.inputs.location).toBe(plan().outputs.region);
      expect(Object.keys(queue.inputs.rateLimits).sort()).toEqual(["maxConcurrentDispatches", "maxDispatchesPerSecond"]);
      expect(Object.keys(queue.inputs.retryConfig).sort()).toEqual(["maxAttempts", "maxBackoff", "maxDoublings", "maxRetryDuration", "minBackoff"]);
    }
    expect(plan().outputs.enabledApis).toContain("cloudtasks.googleapis.com");
  });

  it("lets only the service's own account enqueue, on its queue, and grants no Cloud Tasks role on the project", () => {
    const members: Loose[] = resourcesOfType(plan(), T.queueMember);
    expect(members.map((m) => `${m.inputs.name} ${m.inputs.role} ${m.inputs.member}`).sort()).toEqual(
      servicesWithJobs().map((s) => `${jobQueueId(tenant(), s)} roles/cloudtasks.enqueuer serviceAccount:${accounts()[`svc-${s}`]}`).sort(),
    );
    expect(resourcesOfType(plan(), T.projectMember).filter((m: Loose) => String(m.inputs.role).startsWith("roles/cloudtasks."))).toEqual([]);
  });

  it("calls each service's jobs as its own invoker account, which may invoke that service and no other", () => {
    for (const service of servicesWithJobs()) {
      const invoker = accounts()[`svc-${service}-tasks`]!;
      expect(invoker).toBeDefined();
      const grants: Loose[] = resourcesOfType(plan(), T.runMember).filter((m: Loose) => m.inputs.member === `serviceAccount:${invoker}`);
      expect(grants.map((g) => `${g.inputs.name} ${g.inputs.role}`)).toEqual([`${tenant()}-${service} roles/run.invoker`]);
      const run: Loose = resourcesOfType(plan(), T.run).find((s: Loose) => s.inputs.name === `${tenant()}-${service}`);
      const env = Object.fromEntries((run.inputs.template.containers[0].envs as Array<{ name: string; value?: string }>).map((e) => [e.name, e.value]));
      expect(env).toMatchObject({
        PULSURA_JOBS_QUEUE: `projects/${plan().outputs.gcpProject}/locations/${plan().outputs.region}/queues/${jobQueueId(tenant(), service)}`,
        PULSURA_JOBS_INVOKER: invoker,
        PULSURA_SERVICE_URL: expect.stringMatching(new RegExp(`^https://${tenant()}-${service}-\\d+\\.${plan().outputs.region}\\.run\\.app$`)),
      });
      expect(JSON.parse(env.PULSURA_SERVICE_ACCOUNTS!)).toMatchObject({ [service]: accounts()[`svc-${service}`] });
    }
  });
});

describe("the queue's region", () => {
  it("is a Cloud Tasks location in every stack region but one, which the offline plan refuses naming the queue and the rule", async () => {
    // The stack regions are those of 1st-gen Cloud Functions; Cloud Tasks' page (as stored) does not show this one.
    expect(SUPPORTED_REGIONS.filter((region) => !CLOUD_TASKS_LOCATIONS.has(region))).toEqual(["australia-southeast1"]);
    const run = await runPlanCli(["--config-file", join(__dirname, "fixtures", "Pulumi.no-cloud-tasks.yaml")]);
    expect(run.exitCode).toBe(1);
    expect(run.stderr).toMatch(/^error: Stack "no-cloud-tasks" declares \d+ resource inputs? that Google Cloud refuses \(pulumi up would fail\):$/m);
    expect(run.stderr).toMatch(
      /gcp:cloudtasks\/queue:Queue "[^"]+" location: got "australia-southeast1": Cloud Tasks is available in .*\[cloudtasks\/location\] \(https:\/\/cloud\.google\.com\/tasks\/docs\/locations\)/,
    );
  }, 120_000);
});
