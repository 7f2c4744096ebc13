import * as docker from "@pulumi/docker";
import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import { posix } from "node:path";
import type { JobQueueConfig } from "../config/jobs";
import { serviceUrlEnvName } from "../../services/kit/src/drift/metadata";
import { healthProbes, plainEnv, runTemplateBase, secretEnv } from "./cloud-run";
import { PulsuraComponent } from "./component";
import type { StoredSecret } from "./secrets";

const PORT = 8080;

export interface MicroserviceArgs {
  projectId: string;
  region: string;
  /** Service folder under services/ (also the service's name in config and in PULSURA_SERVICE_<NAME>_URL). */
  service: string;
  /** Cloud Run service name; its deterministic URL is what Hasura calls. */
  serviceName: string;
  /**
   * Docker build context: the repository root, relative to the Pulumi project directory (where `pulumi up` runs), so
   * the inputs are the same on every machine and clone. The Dockerfile builds from the npm workspace. @default "."
   */
  buildContext: string;
  minInstances: number;
  maxInstances: number;
  cpu: string;
  memory: string;
  concurrency: number;
  serviceAccountEmail: pulumi.Input<string>;
  /** `databaseCaCert`: the Cloud SQL instance's server CA, which the kit verifies the server against (verify-ca). */
  secrets: { databaseUrl: StoredSecret; databaseCaCert: StoredSecret; eventSecret: StoredSecret; adminSecret: StoredSecret };
  /** Hasura's /v1/graphql URL, for the kit's GraphQL client. */
  hasuraGraphqlUrl: pulumi.Input<string>;
  /** `pg` pool size per instance (counted in the connection budget). */
  poolSize: number;
  network: pulumi.Input<string>;
  subnet: pulumi.Input<string>;
  /** Blocks deleting the Cloud Run service (prod). @default false */
  deletionProtection: boolean;
  /** Plain (not secret) env vars beyond the kit's, such as the files bucket's settings for core. @default {} */
  extraEnv?: Record<string, pulumi.Input<string>>;
  /** The service's deterministic URL: the audience of the tokens its job and internal routes accept. */
  serviceUrl: pulumi.Input<string>;
  /**
   * Background jobs (the service has src/jobs/): its Cloud Tasks queue `queueId` with these settings, which only the
   * service's own account may enqueue to, and `invokerEmail`, the account Cloud Tasks calls it as (run.invoker on
   * this service only). @default none: no queue
   */
  jobs?: { queueId: string; settings: JobQueueConfig; invokerEmail: pulumi.Input<string> };
  /** The services allowed to call its internal routes (src/internal/), by name: their accounts get run.invoker. @default {} */
  callers?: Record<string, pulumi.Input<string>>;
  /** The services whose internal routes it calls, by name: their URLs, as PULSURA_SERVICE_<NAME>_URL. @default {} */
  calls?: Record<string, pulumi.Input<string>>;
  /** Every service's account of the stack by name (PULSURA_SERVICE_ACCOUNTS), for its internal routes' callers. @default {} */
  serviceAccounts?: Record<string, pulumi.Input<string>>;
  labels: Record<string, string>;
}

/**
 * A pulsura microservice: its Artifact Registry repository (with a cleanup policy), the image built from
 * services/<name>/Dockerfile and pushed with the deployer's Docker credential helper, and a Cloud Run v2 service
 * that only the VPC can reach, running the image by digest as its own service account.
 */
export class Microservice extends PulsuraComponent {
  readonly service: gcp.cloudrunv2.Service;
  /** Image reference by digest (`…@sha256:…`). */
  readonly image: pulumi.Output<string>;
  /** The jobs queue, when the service has jobs. */
  readonly queue: gcp.cloudtasks.Queue | undefined;

  constructor(name: string, args: MicroserviceArgs, opts?: pulumi.ComponentResourceOptions) {
    super("pulsura:services:Microservice", name, opts);
    this.image = this.buildImage(name, args);
    this.queue = args.jobs ? this.createQueue(name, args, args.jobs) : undefined;
    this.service = this.createService(name, args);
    this.grantInvokers(name, args);
    this.registerOutputs({ image: this.image, serviceName: this.service.name, queue: this.queue?.name });
  }

  /**
   * The service's Cloud Tasks queue (https://cloud.google.com/tasks/docs/reference/rest/v2/projects.locations.queues):
   * every retry and rate setting explicit, and roles/cloudtasks.enqueuer for the service's own account on this queue
   * only. The HTTP target, the OIDC token and the URL are the tasks' own (services/kit/src/jobs.ts). Cloud Tasks of the
   * same project counts as internal traffic, so the internal-only service admits its deliveries at the run.app URL
   * (https://cloud.google.com/run/docs/securing/ingress).
   */
  private createQueue(name: string, args: MicroserviceArgs, jobs: NonNullable<MicroserviceArgs["jobs"]>): gcp.cloudtasks.Queue {
    const { settings } = jobs;
    const queue = new gcp.cloudtasks.Queue(
      `${name}-jobs`,
      {
        project: args.projectId,
        location: args.region,
        name: jobs.queueId,
        rateLimits: { maxDispatchesPerSecond: settings.maxDispatchesPerSecond, maxConcurrentDispatches: settings.maxConcurrentDispatches },
        retryConfig: {
          maxAttempts: settings.maxAttempts,
          maxRetryDuration: `${settings.maxRetryDurationSeconds}s`,
          minBackoff: `${settings.minBackoffSeconds}s`,
          maxBackoff: `${settings.maxBackoffSeconds}s`,
          maxDoublings: settings.maxDoublings,
        },
      },
      this.childOptions(),
    );
    new gcp.cloudtasks.QueueIamMember(
      `${name}-jobs-enqueuer`,
      { project: args.projectId, location: args.region, name: queue.name, role: "roles/cloudtasks.enqueuer", member: pulumi.interpolate`serviceAccount:${args.serviceAccountEmail}` },
      this.childOptions(),
    );
    return queue;
  }

  /**
   * run.invoker for the jobs invoker and for each allowed caller. Cloud Run's own invoker check is off on these
   * services (Hasura's webhooks carry no Google token), so the kit's token check on each job and internal route is what
   * admits them; the bindings state the same callers in IAM, and hold if the check is ever turned on.
   */
  private grantInvokers(name: string, args: MicroserviceArgs): void {
    const invokers: Record<string, pulumi.Input<string>> = { ...args.callers };
    if (args.jobs) invokers.tasks = args.jobs.invokerEmail;
    for (const [who, email] of Object.entries(invokers)) {
      new gcp.cloudrunv2.ServiceIamMember(
        `${name}-invoker-${who}`,
        { project: args.projectId, location: args.region, name: this.service.name, role: "roles/run.invoker", member: pulumi.interpolate`serviceAccount:${email}` },
        this.childOptions(),
      );
    }
  }

  private buildImage(name: string, args: MicroserviceArgs): pulumi.Output<string> {
    const repository = new gcp.artifactregistry.Repository(
      `${name}-images`,
      {
        project: args.projectId,
        location: args.region,
        repositoryId: args.serviceName,
        format: "DOCKER",
        description: `Images of the ${args.service} microservice`,
        labels: args.labels,
        cleanupPolicyDryRun: false,
        cleanupPolicies: [
          { id: "keep-recent", action: "KEEP", mostRecentVersions: { keepCount: 10 } },
          { id: "delete-old", action: "DELETE", condition: { olderThan: `${30 * 24 * 3600}s` } },
        ],
      },
      this.childOptions(),
    );
    const registry = `${args.region}-docker.pkg.dev`;
    // No registry credentials as inputs: the push uses Docker's credential helper for Artifact Registry on the machine
    // that runs `pulumi up` (`gcloud auth configure-docker <region>-docker.pkg.dev`; the deploy workflow does it).
    const image = new docker.Image(
      `${name}-image`,
      {
        imageName: pulumi.interpolate`${registry}/${args.projectId}/${repository.repositoryId}/${args.service}:latest-build`,
        build: {
          context: args.buildContext,
          dockerfile: posix.join(args.buildContext, "services", args.service, "Dockerfile"),
          platform: "linux/amd64",
          // services/<name>/Dockerfile.dockerignore (a per-Dockerfile ignore file) needs BuildKit.
          builderVersion: "BuilderBuildKit",
        },
      },
      this.childOptions(),
    );
    // Cloud Run runs exactly the pushed bytes: the digest, not a movable tag.
    return image.repoDigest;
  }

  private createService(name: string, args: MicroserviceArgs): gcp.cloudrunv2.Service {
    return new gcp.cloudrunv2.Service(
      `${name}-run`,
      {
        project: args.projectId,
        location: args.region,
        name: args.serviceName,
        description: `pulsura microservice ${args.service} (Hasura actions, events and crons)`,
        // Only traffic from the VPC (Hasura's Direct VPC egress) reaches it.
        ingress: "INGRESS_TRAFFIC_INTERNAL_ONLY",
        // Hasura's webhooks carry no Google identity token, so Cloud Run's invoker check cannot apply; callers are
        // limited by the internal ingress above and every request must carry the X-Pulsura-Event-Secret header.
        invokerIamDisabled: true,
        deletionProtection: args.deletionProtection,
        labels: args.labels,
        template: {
          ...runTemplateBase(args),
          containers: [
            {
              image: this.image,
              ports: { containerPort: PORT },
              resources: { limits: { cpu: args.cpu, memory: args.memory }, cpuIdle: true, startupCpuBoost: true },
              envs: [
                secretEnv("DATABASE_URL", args.secrets.databaseUrl),
                secretEnv("DATABASE_CA_CERT", args.secrets.databaseCaCert),
                secretEnv("PULSURA_EVENT_SECRET", args.secrets.eventSecret),
                secretEnv("HASURA_GRAPHQL_ADMIN_SECRET", args.secrets.adminSecret),
                ...plainEnv({
                  HASURA_GRAPHQL_URL: args.hasuraGraphqlUrl,
                  GOOGLE_CLOUD_PROJECT: args.projectId,
                  DATABASE_POOL_MAX: String(args.poolSize),
                  LOG_LEVEL: "info",
                  PULSURA_SERVICE_URL: args.serviceUrl,
                  ...(args.jobs
                    ? { PULSURA_JOBS_QUEUE: `projects/${args.projectId}/locations/${args.region}/queues/${args.jobs.queueId}`, PULSURA_JOBS_INVOKER: args.jobs.invokerEmail }
                    : {}),
                  ...(Object.keys(args.serviceAccounts ?? {}).length > 0 ? { PULSURA_SERVICE_ACCOUNTS: pulumi.jsonStringify(pulumi.output(args.serviceAccounts ?? {})) } : {}),
                  ...Object.fromEntries(Object.entries(args.calls ?? {}).map(([service, url]) => [serviceUrlEnvName(service), url])),
                  ...args.extraEnv,
                }),
              ],
              ...healthProbes(PORT),
            },
          ],
        },
      },
      this.childOptions(),
    );
  }
}
