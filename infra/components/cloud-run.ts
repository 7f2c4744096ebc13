import type * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import type { StoredSecret } from "./secrets";

type Env = gcp.types.input.cloudrunv2.ServiceTemplateContainerEnv;

/** An environment variable read from Secret Manager, pinned to the secret's version (never `latest`). */
export function secretEnv(name: string, secret: StoredSecret): Env {
  return { name, valueSource: { secretKeyRef: { secret: secret.secretId, version: secret.version } } };
}

/** Plain environment variables (nothing secret). */
export function plainEnv(values: Record<string, pulumi.Input<string>>): Env[] {
  return Object.entries(values).map(([name, value]) => ({ name, value }));
}

/** Cloud Run's deterministic URL of a service: https://<service>-<project number>.<region>.run.app */
export function deterministicRunUrl(service: string, projectNumber: pulumi.Input<string>, region: string): pulumi.Output<string> {
  return pulumi.interpolate`https://${service}-${projectNumber}.${region}.run.app`;
}

/** Probes on /healthz: a startup probe that allows a slow first start, and a liveness probe. */
export function healthProbes(port: number): Pick<gcp.types.input.cloudrunv2.ServiceTemplateContainer, "startupProbe" | "livenessProbe"> {
  return {
    startupProbe: { httpGet: { path: "/healthz", port }, initialDelaySeconds: 0, periodSeconds: 2, timeoutSeconds: 2, failureThreshold: 60 },
    livenessProbe: { httpGet: { path: "/healthz", port }, periodSeconds: 15, timeoutSeconds: 3, failureThreshold: 3 },
  };
}

/** What every pulsura Cloud Run service's template shares: identity, scaling, and all egress through the VPC. */
export interface RunTemplateArgs {
  serviceAccountEmail: pulumi.Input<string>;
  minInstances: number;
  maxInstances: number;
  /** Requests per instance. */
  concurrency: number;
  network: pulumi.Input<string>;
  subnet: pulumi.Input<string>;
  labels: Record<string, string>;
}

/** The template settings shared by Hasura and the microservices; the caller adds its containers. */
export function runTemplateBase(args: RunTemplateArgs): Omit<gcp.types.input.cloudrunv2.ServiceTemplate, "containers"> {
  return {
    serviceAccount: args.serviceAccountEmail,
    executionEnvironment: "EXECUTION_ENVIRONMENT_GEN2",
    maxInstanceRequestConcurrency: args.concurrency,
    scaling: { minInstanceCount: args.minInstances, maxInstanceCount: args.maxInstances },
    // All egress through the VPC: the private Cloud SQL IP and the internal-only microservices.
    vpcAccess: { networkInterfaces: [{ network: args.network, subnetwork: args.subnet }], egress: "ALL_TRAFFIC" },
    labels: args.labels,
  };
}
