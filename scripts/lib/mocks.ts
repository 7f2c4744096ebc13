/**
 * Pulumi mocks that answer like Google Cloud would, closely enough for the program's downstream code to run: ids,
 * self links, URIs, connection names, service-account emails and generated secrets all have their real shapes.
 */
import { createHash } from "node:crypto";
import type * as pulumi from "@pulumi/pulumi";
import { judge, type FidelityViolation, type PlannedResource } from "./fidelity";
import { revealSecrets } from "./fidelity/rule";

export const PROJECT_NUMBER = "123456789012";

function shortHash(text: string, length = 7): string {
  return createHash("sha256").update(text).digest("hex").slice(0, length);
}

type State = Record<string, unknown>;

interface MockContext {
  project: string;
  region: string;
}

/** Computed outputs per resource type, added to the inputs the program gave. */
const computedOutputs: Record<string, (name: string, inputs: State, ctx: MockContext) => State> = {
  "gcp:projects/service:Service": (_name, inputs) => ({ id: `${inputs.project}/${inputs.service}` }),
  "gcp:serviceaccount/account:Account": (_name, inputs, ctx) => {
    const email = `${inputs.accountId}@${inputs.project ?? ctx.project}.iam.gserviceaccount.com`;
    return {
      email,
      member: `serviceAccount:${email}`,
      name: `projects/${inputs.project ?? ctx.project}/serviceAccounts/${email}`,
      uniqueId: BigInt(`0x${shortHash(email, 15)}`).toString(),
    };
  },
  // Workload Identity: Google names pools and providers by the project's number (the bootstrap's GitHub federation).
  "gcp:iam/workloadIdentityPool:WorkloadIdentityPool": (_name, inputs, ctx) => ({
    id: `projects/${inputs.project ?? ctx.project}/locations/global/workloadIdentityPools/${inputs.workloadIdentityPoolId}`,
    name: `projects/${PROJECT_NUMBER}/locations/global/workloadIdentityPools/${inputs.workloadIdentityPoolId}`,
    state: "ACTIVE",
  }),
  "gcp:iam/workloadIdentityPoolProvider:WorkloadIdentityPoolProvider": (_name, inputs, ctx) => ({
    id: `projects/${inputs.project ?? ctx.project}/locations/global/workloadIdentityPools/${inputs.workloadIdentityPoolId}/providers/${inputs.workloadIdentityPoolProviderId}`,
    name: `projects/${PROJECT_NUMBER}/locations/global/workloadIdentityPools/${inputs.workloadIdentityPoolId}/providers/${inputs.workloadIdentityPoolProviderId}`,
    state: "ACTIVE",
  }),
  "gcp:compute/network:Network": (name, inputs, ctx) => ({
    selfLink: `https://www.googleapis.com/compute/v1/projects/${inputs.project ?? ctx.project}/global/networks/${inputs.name ?? name}`,
    id: `projects/${inputs.project ?? ctx.project}/global/networks/${inputs.name ?? name}`,
  }),
  "gcp:compute/subnetwork:Subnetwork": (name, inputs, ctx) => ({
    selfLink: `https://www.googleapis.com/compute/v1/projects/${inputs.project ?? ctx.project}/regions/${inputs.region ?? ctx.region}/subnetworks/${inputs.name ?? name}`,
    id: `projects/${inputs.project ?? ctx.project}/regions/${inputs.region ?? ctx.region}/subnetworks/${inputs.name ?? name}`,
    gatewayAddress: "10.10.0.1",
  }),
  // The private services range is internal; the edge's load balancer address is external (a documentation address).
  "gcp:compute/globalAddress:GlobalAddress": (name, inputs, ctx) => ({
    address: inputs.addressType === "INTERNAL" ? "10.20.0.0" : "203.0.113.10",
    id: `projects/${inputs.project ?? ctx.project}/global/addresses/${inputs.name ?? name}`,
    selfLink: `https://www.googleapis.com/compute/v1/projects/${inputs.project ?? ctx.project}/global/addresses/${inputs.name ?? name}`,
  }),
  // The edge's load balancer (infra/components/edge.ts): ids and self links as the Compute API gives them.
  ...Object.fromEntries(
    (
      [
        ["gcp:compute/managedSslCertificate:ManagedSslCertificate", "global/sslCertificates"],
        ["gcp:compute/securityPolicy:SecurityPolicy", "global/securityPolicies"],
        ["gcp:compute/backendService:BackendService", "global/backendServices"],
        ["gcp:compute/uRLMap:URLMap", "global/urlMaps"],
        ["gcp:compute/targetHttpsProxy:TargetHttpsProxy", "global/targetHttpsProxies"],
        ["gcp:compute/targetHttpProxy:TargetHttpProxy", "global/targetHttpProxies"],
        ["gcp:compute/globalForwardingRule:GlobalForwardingRule", "global/forwardingRules"],
        ["gcp:compute/sSLPolicy:SSLPolicy", "global/sslPolicies"],
        ["gcp:compute/regionNetworkEndpointGroup:RegionNetworkEndpointGroup", "regions/{region}/networkEndpointGroups"],
      ] as const
    ).map(([type, collection]) => [
      type,
      (name: string, inputs: State, ctx: MockContext): State => {
        const resourceName = (inputs.name as string | undefined) ?? `${name}-${shortHash(name)}`;
        const path = `projects/${inputs.project ?? ctx.project}/${collection.replace("{region}", String(inputs.region ?? ctx.region))}/${resourceName}`;
        return { name: resourceName, id: path, selfLink: `https://www.googleapis.com/compute/v1/${path}` };
      },
    ]),
  ),
  "gcp:sql/databaseInstance:DatabaseInstance": (name, inputs, ctx) => {
    const instanceName = (inputs.name as string | undefined) ?? `${name}-${shortHash(name)}`;
    return {
      connectionName: `${inputs.project ?? ctx.project}:${inputs.region ?? ctx.region}:${instanceName}`,
      privateIpAddress: "10.20.0.3",
      publicIpAddress: "",
      firstIpAddress: "10.20.0.3",
      ipAddresses: [{ ipAddress: "10.20.0.3", type: "PRIVATE" }],
      selfLink: `https://sqladmin.googleapis.com/sql/v1beta4/projects/${inputs.project ?? ctx.project}/instances/${instanceName}`,
      serviceAccountEmailAddress: `p${PROJECT_NUMBER}-abcdef@gcp-sa-cloud-sql.iam.gserviceaccount.com`,
      dnsName: `${shortHash(instanceName, 12)}.${inputs.region ?? ctx.region}.sql.goog.`,
      // The instance's server CA, which Hasura and the services verify the server with (sslmode=verify-ca).
      serverCaCerts: [{ cert: `-----BEGIN CERTIFICATE-----\nMOCK-SERVER-CA-${shortHash(instanceName, 16)}\n-----END CERTIFICATE-----\n`, commonName: `C=US,O=Google\\, Inc,CN=Google Cloud SQL Server CA`, sha1Fingerprint: shortHash(instanceName, 40) }],
    };
  },
  "gcp:secretmanager/secret:Secret": (_name, inputs, ctx) => ({
    name: `projects/${PROJECT_NUMBER}/secrets/${inputs.secretId}`,
    id: `projects/${inputs.project ?? ctx.project}/secrets/${inputs.secretId}`,
  }),
  "gcp:secretmanager/secretVersion:SecretVersion": (_name, inputs) => ({
    version: "1",
    name: `${String(inputs.secret).replace(/^projects\/[^/]+/, `projects/${PROJECT_NUMBER}`)}/versions/1`,
  }),
  "gcp:cloudrunv2/service:Service": (name, inputs, ctx) => {
    const serviceName = (inputs.name as string | undefined) ?? `${name}-${shortHash(name)}`;
    const uri = `https://${serviceName}-${shortHash(serviceName, 10)}-ew.a.run.app`;
    return { uri, urls: [uri], name: serviceName, location: inputs.location ?? ctx.region, latestReadyRevision: `${serviceName}-00001-abc` };
  },
  "gcp:artifactregistry/repository:Repository": (name, inputs, ctx) => ({
    name: inputs.repositoryId ?? name,
    registryUri: `${inputs.location ?? ctx.region}-docker.pkg.dev/${inputs.project ?? ctx.project}/${inputs.repositoryId ?? name}`,
  }),
  "gcp:storage/bucket:Bucket": (name, inputs) => {
    const bucketName = (inputs.name as string | undefined) ?? `${name}-${shortHash(name)}`;
    return { name: bucketName, url: `gs://${bucketName}`, selfLink: `https://www.googleapis.com/storage/v1/b/${bucketName}` };
  },
  // Pub/Sub (the files bucket's upload notifications): the API's full resource names.
  "gcp:pubsub/topic:Topic": (name, inputs, ctx) => ({ name: inputs.name ?? name, id: `projects/${inputs.project ?? ctx.project}/topics/${inputs.name ?? name}` }),
  "gcp:pubsub/subscription:Subscription": (name, inputs, ctx) => ({ name: inputs.name ?? name, id: `projects/${inputs.project ?? ctx.project}/subscriptions/${inputs.name ?? name}` }),
  "gcp:storage/notification:Notification": (name, inputs) => ({ notificationId: String(BigInt(`0x${shortHash(name, 8)}`)), id: `${inputs.bucket}/notificationConfigs/${BigInt(`0x${shortHash(name, 8)}`)}` }),
  "gcp:storage/bucketObject:BucketObject": (name, inputs) => ({
    name: inputs.name ?? name,
    md5hash: Buffer.from(shortHash(name, 16)).toString("base64"),
    outputName: inputs.name ?? name,
  }),
  "gcp:cloudfunctions/function:Function": (name, inputs, ctx) => ({
    httpsTriggerUrl: `https://${inputs.region ?? ctx.region}-${inputs.project ?? ctx.project}.cloudfunctions.net/${inputs.name ?? name}`,
  }),
  "gcp:cloudfunctionsv2/function:Function": (name, inputs, ctx) => {
    const functionName = (inputs.name as string | undefined) ?? name;
    const uri = `https://${functionName.toLowerCase()}-${shortHash(functionName, 10)}-ew.a.run.app`;
    return { url: uri, serviceConfig: { ...(inputs.serviceConfig as State | undefined), uri, service: `projects/${inputs.project ?? ctx.project}/locations/${inputs.location ?? ctx.region}/services/${functionName.toLowerCase()}` } };
  },
  "gcp:firebase/webApp:WebApp": (name, inputs) => ({ appId: `1:${PROJECT_NUMBER}:web:${shortHash(name, 22)}`, name: `projects/${inputs.project}/webApps/${shortHash(name, 10)}` }),
  "gcp:firebase/hostingSite:HostingSite": (name, inputs) => ({ defaultUrl: `https://${inputs.siteId ?? name}.web.app`, name: `projects/${inputs.project}/sites/${inputs.siteId ?? name}` }),
  "docker:index/image:Image": (name, inputs) => ({
    repoDigest: `${String(inputs.imageName).replace(/:[^:/]+$/, "")}@sha256:${createHash("sha256").update(name).digest("hex")}`,
    baseImageName: inputs.imageName,
  }),
  // Monitoring (infra/components/monitoring.ts): the names the API gives, which alerts and budgets refer to.
  "gcp:monitoring/notificationChannel:NotificationChannel": (name, inputs, ctx) => ({
    name: `projects/${inputs.project ?? ctx.project}/notificationChannels/${BigInt(`0x${shortHash(name, 15)}`).toString()}`,
  }),
  "gcp:monitoring/uptimeCheckConfig:UptimeCheckConfig": (name, inputs, ctx) => {
    const uptimeCheckId = `${String(inputs.displayName ?? name).toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "").slice(0, 40)}-${shortHash(name, 8)}`;
    return { uptimeCheckId, name: `projects/${inputs.project ?? ctx.project}/uptimeCheckConfigs/${uptimeCheckId}` };
  },
  "gcp:monitoring/alertPolicy:AlertPolicy": (name, inputs, ctx) => ({ name: `projects/${inputs.project ?? ctx.project}/alertPolicies/${BigInt(`0x${shortHash(name, 15)}`).toString()}` }),
  "gcp:monitoring/dashboard:Dashboard": (name, inputs, ctx) => ({ id: `projects/${PROJECT_NUMBER}/dashboards/${shortHash(`${inputs.project ?? ctx.project}/${name}`, 32)}` }),
  "gcp:logging/metric:Metric": (name, inputs) => ({ name: inputs.name ?? name }),
  "gcp:billing/budget:Budget": (name, inputs) => ({ name: `billingAccounts/${inputs.billingAccount}/budgets/${shortHash(name, 36)}` }),
  "random:index/randomPassword:RandomPassword": (name, inputs) => ({
    result: `mock-${shortHash(name, Math.max(8, Number(inputs.length ?? 32) - 5))}`,
    bcryptHash: `$2a$10$${shortHash(name, 53)}`,
  }),
  "random:index/randomId:RandomId": (name) => ({ hex: shortHash(name, 8), b64Url: shortHash(name, 11), dec: "12345678" }),
  "random:index/randomString:RandomString": (name, inputs) => ({ result: shortHash(name, Number(inputs.length ?? 8)) }),
};

/** Results of provider functions (`gcp.organizations.getProject()` and friends). */
const invokeResults: Record<string, (inputs: State, ctx: MockContext) => State> = {
  "gcp:organizations/getProject:getProject": (inputs, ctx) => ({
    projectId: inputs.projectId ?? ctx.project,
    number: PROJECT_NUMBER,
    name: inputs.projectId ?? ctx.project,
    id: `projects/${inputs.projectId ?? ctx.project}`,
  }),
  "gcp:firebase/getWebAppConfig:getWebAppConfig": (inputs, ctx) => ({
    apiKey: `AIzaSy${shortHash(String(inputs.webAppId), 33)}`,
    authDomain: `${inputs.project ?? ctx.project}.firebaseapp.com`,
    databaseUrl: "",
    locationId: "",
    measurementId: "",
    messagingSenderId: PROJECT_NUMBER,
    storageBucket: `${inputs.project ?? ctx.project}.firebasestorage.app`,
    webAppId: inputs.webAppId,
    id: String(inputs.webAppId),
  }),
  // The Cloud Storage service agent (https://cloud.google.com/storage/docs/projects#service-agents).
  "gcp:storage/getProjectServiceAccount:getProjectServiceAccount": () => ({
    emailAddress: `service-${PROJECT_NUMBER}@gs-project-accounts.iam.gserviceaccount.com`,
    member: `serviceAccount:service-${PROJECT_NUMBER}@gs-project-accounts.iam.gserviceaccount.com`,
    id: `service-${PROJECT_NUMBER}@gs-project-accounts.iam.gserviceaccount.com`,
  }),
  "gcp:compute/getZones:getZones": (_inputs, ctx) => ({ names: ["b", "c", "d"].map((z) => `${ctx.region}-${z}`) }),
  // The workload accounts the bootstrap created: `accountId` is an email or an id (then in the given project).
  "gcp:serviceaccount/getAccount:getAccount": (inputs, ctx) => {
    const accountId = String(inputs.accountId);
    const email = accountId.includes("@") ? accountId : `${accountId}@${inputs.project ?? ctx.project}.iam.gserviceaccount.com`;
    const project = email.split("@")[1]!.split(".")[0]!;
    return { accountId: email.split("@")[0], email, member: `serviceAccount:${email}`, name: `projects/${project}/serviceAccounts/${email}`, uniqueId: BigInt(`0x${shortHash(email, 15)}`).toString(), disabled: false };
  },
};

/**
 * Pulumi mocks for planning a pulsura stack offline. Strict: every resource is judged by the fidelity rules of its
 * type (scripts/lib/fidelity) before the mock answers; what Google Cloud would refuse is kept in `violations` for the
 * plan to report all at once.
 */
export class PlanMocks implements pulumi.runtime.Mocks {
  /** Resources answered so far, in registration order (uniqueness and relations are judged against them). */
  private readonly planned: PlannedResource[] = [];
  readonly violations: FidelityViolation[] = [];

  /** What the rules judge by: the mocked project number, and the plan's day (runtime dates). */
  private readonly judging = { projectNumber: PROJECT_NUMBER, today: new Date().toISOString().slice(0, 10) };

  constructor(private readonly ctx: MockContext) {}

  newResource(args: pulumi.runtime.MockResourceArgs): pulumi.runtime.MockResourceResult {
    const computed = computedOutputs[args.type]?.(args.name, args.inputs as State, this.ctx) ?? {};
    const id = (computed.id as string | undefined) ?? `${args.name}-id`;
    const withName = args.type.startsWith("gcp:") && args.inputs.name === undefined ? { name: `${args.name}-${shortHash(args.name)}` } : {};
    const state = { ...withName, ...args.inputs, ...computed };
    // Only Google's and random's resources are judged or related; dynamic resources carry large payloads, left as they are.
    const judged = args.type.startsWith("gcp:") || args.type.startsWith("random:");
    const resource = judged
      ? { type: args.type, name: args.name, inputs: revealSecrets(args.inputs) as State, state: revealSecrets(state) as State }
      : { type: args.type, name: args.name, inputs: args.inputs as State, state };
    this.violations.push(...judge(resource, this.planned, this.judging));
    this.planned.push(resource);
    return { id, state };
  }

  call(args: pulumi.runtime.MockCallArgs): pulumi.runtime.MockCallResult {
    const result = invokeResults[args.token];
    if (!result) throw new Error(`the offline plan has no mock for the function ${args.token}`);
    return result(args.inputs as State, this.ctx);
  }
}
