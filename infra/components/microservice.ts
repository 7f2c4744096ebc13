import * as docker from "@pulumi/docker";
import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import { posix } from "node:path";
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

  constructor(name: string, args: MicroserviceArgs, opts?: pulumi.ComponentResourceOptions) {
    super("pulsura:services:Microservice", name, opts);
    this.image = this.buildImage(name, args);
    this.service = this.createService(name, args);
    this.registerOutputs({ image: this.image, serviceName: this.service.name });
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
