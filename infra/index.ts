/**
 * The pulsura Pulumi program: reads and validates the stack config once, then composes the components.
 */
import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import { bundleFunctions } from "../functions/scripts/build";
import { AuthFunctions } from "./components/auth-functions";
import { Authentication } from "./components/authentication";
import { deterministicRunUrl } from "./components/cloud-run";
import { Database, METADATA_DATABASE } from "./components/database";
import { Edge } from "./components/edge";
import { certificateServes, edgeCertificateName, readCertificateStatus } from "./edge-cutover";
import { Firebase } from "./components/firebase";
import { Hasura } from "./components/hasura";
import { Identities } from "./components/identities";
import { Logs } from "./components/logs";
import { Microservice } from "./components/microservice";
import { Monitoring } from "./components/monitoring";
import { Network } from "./components/network";
import { Project, type GoogleApi } from "./components/project";
import { Secrets, type SecretArgs } from "./components/secrets";
import { filesBucketName, Storage } from "./components/storage";
import type { StackConfig } from "./config";
import { signingEnvironment } from "./config/storage";
import { serviceDatabaseRoles, serviceDatabaseUser } from "./database-roles";
import { loadStackConfig } from "./stack-config";
import { jobQueueId, serviceHasJobs } from "./config/jobs";
import { stackServiceCallers } from "./service-calls";
import { FILES_SERVICE, jobsInvokerWorkload, runsFilesService, serviceWorkload, stackWorkloadAccounts, STORAGE_PUSH_WORKLOAD } from "./workloads";
import { hasuraProjectDir, isDemoSeed, readMetadata, readMigrations, readSeeds } from "./hasura/project";

const config = loadStackConfig();
const name = config.tenant;
const labels = { environment: config.environment, tenant: config.tenant, "managed-by": "pulsura" };
const projectId = config.gcp.project;
const region = config.gcp.region;

/** Every Google API the stack uses. */
function requiredApis(stack: StackConfig): GoogleApi[] {
  const apis: GoogleApi[] = [
    "artifactregistry.googleapis.com",
    "cloudbuild.googleapis.com",
    "cloudfunctions.googleapis.com",
    "cloudresourcemanager.googleapis.com",
    "compute.googleapis.com",
    "firebase.googleapis.com",
    "firebasehosting.googleapis.com",
    "iam.googleapis.com",
    "identitytoolkit.googleapis.com",
    "logging.googleapis.com",
    "monitoring.googleapis.com",
    "run.googleapis.com",
    "secretmanager.googleapis.com",
    "servicenetworking.googleapis.com",
    "sqladmin.googleapis.com",
    "storage.googleapis.com",
  ];
  if (stack.network.connector) apis.push("vpcaccess.googleapis.com");
  // Files: the files service signs URLs through IAM Credentials' signBlob as its own account (no key), and the bucket's
  // upload notifications go through Pub/Sub (infra/components/storage.ts).
  if (runsFilesService(stack)) apis.push("iamcredentials.googleapis.com", "pubsub.googleapis.com");
  // Monitoring: budgets are created through the Billing Budget API, only when the stack names a billing account.
  if (stack.monitoring.budget) apis.push("billingbudgets.googleapis.com");
  // Jobs: a Cloud Tasks queue per service with src/jobs/; its tasks' OIDC tokens are minted by Cloud Tasks' own
  // service agent, which the API's enablement creates.
  if (stack.services.some((service) => serviceHasJobs(service.name))) apis.push("cloudtasks.googleapis.com");
  return apis;
}

const project = new Project(name, { projectId, apis: requiredApis(config) });

const identities = new Identities(name, { projectId, accounts: stackWorkloadAccounts(config) }, { dependsOn: project.apis("iam.googleapis.com", "cloudresourcemanager.googleapis.com") });
const email = (workload: string) => identities.account(workload).email;

const network = new Network(
  name,
  {
    projectId,
    region,
    subnetCidr: config.network.subnetCidr,
    privateServicesPrefixLength: config.network.privateServicesPrefixLength,
    nat: config.network.nat,
    keepPeeringOnDestroy: config.database.deletionProtection,
    connectorCidr: config.network.connector ? config.network.connectorCidr : undefined,
    labels,
  },
  { dependsOn: project.apis("compute.googleapis.com", "servicenetworking.googleapis.com", ...(config.network.connector ? (["vpcaccess.googleapis.com"] as const) : [])) },
);

const database = new Database(
  name,
  {
    projectId,
    region,
    ...config.database,
    network: network.network.id,
    privateServicesConnection: network.privateServicesConnection,
    users: ["hasura", ...config.services.map((s) => serviceDatabaseUser(s.name))],
    labels,
  },
  { dependsOn: project.apis("sqladmin.googleapis.com") },
);

const projectNumber = gcp.organizations.getProjectOutput({ projectId }, { dependsOn: project.apis("cloudresourcemanager.googleapis.com") }).number;
/** Cloud Run service name of a microservice; its deterministic URL is known before it exists. */
const runServiceName = (service: string) => `${name}-${service}`;
const hasuraUrl = deterministicRunUrl(`${name}-hasura`, projectNumber, region);
const hasuraGraphqlEndpoint = hasuraUrl.apply((url) => `${url}/v1/graphql`);

// ---------------------------------------------------------------------------------------------------------------------
// The API's own domain (pulsura:apiDomain): load balancer, managed certificate and Cloud Armor in front of Hasura's API,
// whose ingress then admits only the load balancer and the VPC. Without a domain there is no edge at all.
// ---------------------------------------------------------------------------------------------------------------------
const apiCertificateName = config.edge ? edgeCertificateName(name, config.edge.domain) : undefined;
/**
 * Whether the API domain's certificate serves HTTPS, read from Google before anything is declared (infra/edge-cutover.ts):
 * only then is Hasura's ingress narrowed to the load balancer, which a first `pulumi up` could not yet go through.
 */
const apiCertificateStatus = apiCertificateName
  ? pulumi.output(readCertificateStatus({ project: projectId, name: apiCertificateName, quotaProject: config.gcp.billingProject }))
  : undefined;
const apiServes = apiCertificateStatus?.apply(certificateServes);
const edge = config.edge
  ? new Edge(
      name,
      {
        projectId,
        region,
        ...config.edge,
        // Known before the service exists: a serverless NEG may name a service that is created later.
        serviceName: `${name}-hasura`,
        certificateName: apiCertificateName!,
        labels,
      },
      { dependsOn: project.apis("compute.googleapis.com") },
    )
  : undefined;
/**
 * Hasura's GraphQL URL for callers outside the VPC: the 1st-gen functions have no VPC egress, so behind the edge they
 * call the API domain like any client once its certificate serves (run.app until then). The microservices egress
 * through the VPC, which the narrowed ingress still admits, and keep the run.app URL (no trip through the load
 * balancer and its per-IP limits).
 */
const publicGraphqlEndpoint = edge
  ? pulumi.all([apiServes!, hasuraGraphqlEndpoint]).apply(([serves, runEndpoint]) => (serves ? `${edge.url}/v1/graphql` : runEndpoint))
  : hasuraGraphqlEndpoint;

const serviceSecrets: Record<string, SecretArgs> = {};
for (const service of config.services) {
  const user = serviceDatabaseUser(service.name);
  serviceSecrets[`db-${service.name}-url`] = { value: database.url(user, undefined, "node-postgres"), accessors: { [service.name]: email(serviceWorkload(service.name)) } };
  serviceSecrets[`db-${service.name}-password`] = { value: database.users[user]!.password, accessors: {} };
}
if (config.hasura.dockerHub) {
  // The Artifact Registry service agent reads the upstream password when the Docker Hub proxy pulls.
  const artifactRegistryAgent = pulumi.interpolate`service-${projectNumber}@gcp-sa-artifactregistry.iam.gserviceaccount.com`;
  serviceSecrets["docker-hub-password"] = { value: config.hasura.dockerHub.password, accessors: { "artifact-registry": artifactRegistryAgent } };
}
const everyService = Object.fromEntries(config.services.map((s) => [s.name, email(serviceWorkload(s.name))]));
const secrets = new Secrets(
  name,
  {
    projectId,
    region,
    prefix: name,
    labels,
    secrets: {
      "hasura-admin-secret": { value: "generate", accessors: { hasura: email("hasura"), functions: email("functions"), ...everyService } },
      "event-secret": { value: "generate", accessors: { hasura: email("hasura"), ...everyService } },
      "db-hasura-url": { value: database.url("hasura"), accessors: { hasura: email("hasura") } },
      "db-metadata-url": { value: database.url("hasura", METADATA_DATABASE), accessors: { hasura: email("hasura") } },
      // Not secret (a CA certificate), but Hasura needs it as a file, which Cloud Run mounts from Secret Manager only.
      "db-server-ca": { value: database.serverCaCert, accessors: { hasura: email("hasura"), ...everyService } },
      "db-hasura-password": { value: database.users.hasura!.password, accessors: {} },
      // Not secret in itself, but the functions read their Hasura settings from Secret Manager only.
      "hasura-graphql-url": { value: publicGraphqlEndpoint, accessors: { functions: email("functions") } },
      ...serviceSecrets,
    },
  },
  // The Artifact Registry service agent (a reader of the Docker Hub password) exists once its API is on.
  { dependsOn: project.apis("secretmanager.googleapis.com", ...(config.hasura.dockerHub ? (["artifactregistry.googleapis.com"] as const) : [])) },
);

const cloudRunApis = project.apis("run.googleapis.com", "artifactregistry.googleapis.com");

// Files (issue 18): the bucket's name and the files service's URL are known before either exists.
const hasFilesService = runsFilesService(config);
const userFilesBucket = filesBucketName(projectId, name);
const filesServiceUrl = deterministicRunUrl(runServiceName(FILES_SERVICE), projectNumber, region);
/**
 * The files service's contract (services/core reads these): the bucket, what it may sign, and who pushes upload
 * notifications (the OIDC token's `email` and `aud` it must check, since Cloud Run's invoker check is off).
 */
function filesEnv(): Record<string, pulumi.Input<string>> {
  return {
    PULSURA_FILES_BUCKET: userFilesBucket,
    ...signingEnvironment(config.storage),
    PULSURA_PUSH_SERVICE_ACCOUNT: email(STORAGE_PUSH_WORKLOAD),
    PULSURA_PUSH_AUDIENCE: filesServiceUrl,
  };
}
const deletionProtection = config.database.deletionProtection;

/** Who calls whom (the targets' src/internal/ routes name their callers), and where each service is. */
const serviceCallers = stackServiceCallers(config.services.map((s) => s.name));
const serviceUrl = (service: string) => deterministicRunUrl(runServiceName(service), projectNumber, region);
const callsOf = (caller: string) =>
  Object.fromEntries(Object.entries(serviceCallers).filter(([, callers]) => callers.includes(caller)).map(([target]) => [target, serviceUrl(target)]));

const microservices = config.services.map(
  (service) =>
    new Microservice(
      `${name}-svc-${service.name}`,
      {
        projectId,
        region,
        service: service.name,
        serviceName: runServiceName(service.name),
        buildContext: ".",
        minInstances: service.minInstances,
        maxInstances: service.maxInstances,
        cpu: service.cpu,
        memory: service.memory,
        concurrency: service.concurrency,
        poolSize: service.poolSize,
        serviceAccountEmail: email(serviceWorkload(service.name)),
        secrets: {
          databaseUrl: secrets.get(`db-${service.name}-url`),
          databaseCaCert: secrets.get("db-server-ca"),
          eventSecret: secrets.get("event-secret"),
          adminSecret: secrets.get("hasura-admin-secret"),
        },
        hasuraGraphqlUrl: hasuraGraphqlEndpoint,
        network: network.network.id,
        subnet: network.subnet.id,
        deletionProtection,
        extraEnv: service.name === FILES_SERVICE ? filesEnv() : {},
        serviceUrl: serviceUrl(service.name),
        ...(serviceHasJobs(service.name)
          ? { jobs: { queueId: jobQueueId(name, service.name), settings: service.jobs, invokerEmail: email(jobsInvokerWorkload(service.name)) } }
          : {}),
        callers: Object.fromEntries((serviceCallers[service.name] ?? []).map((caller) => [caller, email(serviceWorkload(caller))])),
        calls: callsOf(service.name),
        serviceAccounts: everyService,
        labels,
      },
      // Its project roles (core: Firebase Auth admin) are granted before its first revision serves.
      {
        dependsOn: [
          ...cloudRunApis,
          ...(serviceHasJobs(service.name) ? project.apis("cloudtasks.googleapis.com") : []),
          secrets,
          ...identities.projectGrants(serviceWorkload(service.name)),
        ],
      },
    ),
);

const firebase = new Firebase(
  name,
  { projectId, hostingSiteId: `${projectId}-app`, displayName: `pulsura ${config.tenant} (${config.environment})`, adoptExisting: config.adoptExisting.firebase },
  { dependsOn: project.apis("firebase.googleapis.com", "firebasehosting.googleapis.com") },
);

const hasura = new Hasura(
  name,
  {
    projectId,
    projectNumber,
    region,
    ...config.hasura,
    dockerHub: config.hasura.dockerHub ? { username: config.hasura.dockerHub.username, password: secrets.get("docker-hub-password") } : undefined,
    serviceAccountEmail: email("hasura"),
    secrets: {
      adminSecret: secrets.get("hasura-admin-secret"),
      eventSecret: secrets.get("event-secret"),
      databaseUrl: secrets.get("db-hasura-url"),
      metadataDatabaseUrl: secrets.get("db-metadata-url"),
      databaseCaCert: secrets.get("db-server-ca"),
    },
    firebaseProjectId: projectId,
    corsOrigins: [...config.corsOrigins, ...firebase.hostingDomains.map((domain) => `https://${domain}`)],
    serviceUrls: Object.fromEntries(config.services.map((s) => [s.name, deterministicRunUrl(runServiceName(s.name), projectNumber, region)])),
    network: network.network.id,
    subnet: network.subnet.id,
    deletionProtection,
    ...(edge ? { edge: { url: edge.url, serves: apiServes! } } : {}),
    project: {
      migrations: readMigrations(hasuraProjectDir),
      metadata: readMetadata(hasuraProjectDir),
      seeds: readSeeds(hasuraProjectDir).filter((seed) => config.demoData || !isDemoSeed(seed)),
    },
    databaseRoleGrants: config.services.map((s) => ({ user: serviceDatabaseUser(s.name), roles: serviceDatabaseRoles(s.name) })),
    databaseUsers: Object.values(database.users).map((user) => user.resource),
    labels,
  },
  // Hasura's metadata points at the services: deploy them first so actions and events find their handlers. Behind the
  // edge, the deploy reaches Hasura's API through the load balancer: it must exist first.
  { dependsOn: [...cloudRunApis, secrets, database, ...microservices, ...(edge ? [edge] : [])] },
);

// ---------------------------------------------------------------------------------------------------------------------
// Files: the private bucket, its upload notifications and their push to the files service (pulsura:storage).
// ---------------------------------------------------------------------------------------------------------------------
const filesService = microservices.find((_, i) => config.services[i]!.name === FILES_SERVICE);
const storage = hasFilesService
  ? new Storage(
      name,
      {
        projectId,
        region,
        bucketName: userFilesBucket,
        // Exact origins only: Cloud Storage has no wildcard ports, so Hasura's http://localhost:* is not carried over.
        corsOrigins: [...config.corsOrigins.filter((origin) => !origin.includes("*")), ...firebase.hostingDomains.map((domain) => `https://${domain}`), ...config.storage.extraCorsOrigins],
        versioning: config.storage.versioning,
        softDeleteDays: config.storage.softDeleteDays,
        noncurrentVersionDays: config.storage.noncurrentVersionDays,
        objectAdmins: { [FILES_SERVICE]: email(serviceWorkload(FILES_SERVICE)) },
        confirmation: { serviceName: filesService!.service.name, serviceUrl: filesServiceUrl, pushServiceAccountEmail: email(STORAGE_PUSH_WORKLOAD) },
        deletionProtection,
        labels,
      },
      { dependsOn: [...project.apis("storage.googleapis.com", "pubsub.googleapis.com", "run.googleapis.com"), ...(filesService ? [filesService] : [])] },
    )
  : undefined;

// One log line per request: Hasura's successful http-log lines repeat Cloud Run's request log (infra/components/logs.ts).
const logs = new Logs(name, { projectId, hasuraServicePrefix: hasura.serviceNames.api }, { dependsOn: project.apis("logging.googleapis.com") });

const authFunctions = new AuthFunctions(
  name,
  {
    projectId,
    region,
    bundle: bundleFunctions(),
    serviceAccountEmail: email("functions"),
    buildServiceAccount: email("functions-build"),
    buildServiceAccountGrants: identities.projectGrants("functions-build"),
    minInstances: config.functions.minInstances,
    triggerMinInstances: config.functions.triggerMinInstances,
    maxInstances: config.functions.maxInstances,
    secrets: { hasuraGraphqlUrl: secrets.get("hasura-graphql-url"), hasuraAdminSecret: secrets.get("hasura-admin-secret") },
    onUserDeleted: config.auth.onUserDeleted,
    labels,
  },
  // Builds push images to Artifact Registry (https://cloud.google.com/run/docs/deploy-functions lists its API).
  {
    dependsOn: [
      ...project.apis("cloudfunctions.googleapis.com", "cloudbuild.googleapis.com", "artifactregistry.googleapis.com", "run.googleapis.com", "storage.googleapis.com"),
      firebase,
      secrets,
    ],
  },
);

const authentication = new Authentication(
  name,
  {
    projectId,
    phone: config.auth.phone,
    email: config.auth.email,
    oauth: config.auth.oauth,
    smsRegions: config.auth.smsRegions,
    authorizedDomains: [...firebase.authDomains, ...config.domains, ...(config.environment === "dev" ? ["localhost"] : [])],
    beforeCreateUri: authFunctions.blockingFunctionUri,
    adoptExisting: config.adoptExisting.identityPlatform,
  },
  { dependsOn: [...project.apis("identitytoolkit.googleapis.com"), firebase] },
);

// ---------------------------------------------------------------------------------------------------------------------
// Monitoring: uptime check, alerts, dashboard and the optional budget (pulsura:monitoring, infra/config/monitoring.ts).
// ---------------------------------------------------------------------------------------------------------------------
/**
 * Cloud Run services whose Hasura logs carry event and cron deliveries: the worker delivers events, crons and async
 * actions, and the API delivers crons and scheduled events too (Community Edition cannot switch those off there), or
 * all of them in a stack without the worker.
 */
const hasuraEventServices = [hasura.serviceNames.api, ...(hasura.serviceNames.worker ? [hasura.serviceNames.worker] : [])];
const monitoring = new Monitoring(
  name,
  {
    projectId,
    projectNumber,
    hasuraService: hasura.serviceNames.api,
    // Where clients reach Hasura now: behind the edge (its certificate serving) the run.app URL answers the internet 404,
    // and the check goes through the load balancer and Cloud Armor as users do.
    hasuraHost: hasura.servingUrl.apply((url) => new URL(url).host),
    hasuraEventServices,
    microservices: config.services.map((s) => runServiceName(s.name)),
    database: { instanceName: database.instance.name, connectionLimit: config.database.connectionLimit },
    functions: { gen1: [authFunctions.onUserCreated.name, authFunctions.onUserDeleted.name], gen2: [authFunctions.beforeUserCreated.name] },
    emails: config.monitoring.emails,
    thresholds: config.monitoring.thresholds,
    uptimeCheck: config.monitoring.uptimeCheck,
    budget: config.monitoring.budget,
    labels,
  },
  {
    dependsOn: [
      ...project.apis("monitoring.googleapis.com", "logging.googleapis.com", ...(config.monitoring.budget ? (["billingbudgets.googleapis.com"] as const) : [])),
      hasura,
      authFunctions,
    ],
  },
);
export const monitoringDashboard = monitoring.dashboard.id;

export const stack = config.stack;
export const environment = config.environment;
export const tenant = config.tenant;
export const gcpProject = projectId;
export { region };
export const enabledApis = Object.keys(project.services);
export const databaseConnectionName = database.connectionName;
export const networkName = network.network.name;
export const serviceAccounts = Object.fromEntries(Object.entries(identities.accounts).map(([id, account]) => [id, account.email]));
export const hasuraEndpoint = hasura.url;
export const hasuraGraphqlUrl = hasura.graphqlUrl;
export const hasuraWebsocketUrl = hasura.websocketUrl;
export const firebaseWebOptions = firebase.webOptions;
export const hostingSiteId = firebase.hostingSite.siteId;
export const hostingUrl = firebase.hostingSite.defaultUrl;
export const blockingFunctionUri = authFunctions.blockingFunctionUri;
/** Sign-in methods the stack enables, for clients (the Flutter template's options). */
export const signInProviders = [
  ...(config.auth.phone.enabled ? ["phone"] : []),
  ...(config.auth.email.enabled ? ["email"] : []),
  ...(["google", "facebook", "apple"] as const).filter((provider) => config.auth.oauth[provider]),
];
export const serviceImages = Object.fromEntries(config.services.map((s, i) => [s.name, microservices[i]!.image]));
/** Quota and billing project of the provider's calls (stack config gcp:userProjectOverride + gcp:billingProject). */
export const quotaProject = { userProjectOverride: config.gcp.userProjectOverride === "true", billingProject: config.gcp.billingProject };
export const nextSteps = deploySteps(config);
/** Resources adopted with Pulumi's `import` option instead of created (pulsura:firebase.adoptExisting, pulsura:auth.adoptExisting). */
export const importedResources = {
  ...(firebase.projectImportId ? { firebaseProject: firebase.projectImportId } : {}),
  ...(authentication.configImportId ? { identityPlatformConfig: authentication.configImportId } : {}),
};
/** The load balancer's IPv4 address: the A record of pulsura:apiDomain must point here (README "Custom domain"). */
export const apiAddress = edge?.address.address;
/** The DNS record to create for pulsura:apiDomain, as a zone file line. */
export const apiDnsRecord = edge ? pulumi.interpolate`${config.edge!.domain}. 300 IN A ${edge.address.address}` : undefined;
/** The managed certificate of pulsura:apiDomain (its status: gcloud compute ssl-certificates describe <name> --global). */
export const apiCertificate = edge?.certificate.name;
/**
 * The certificate's status as this run read it, and where Hasura's API is: behind the edge once the certificate serves,
 * still at run.app before (infra/edge-cutover.ts); the `pulumi up` after it turns ACTIVE makes the cut.
 */
export const apiCutover = apiCertificateStatus?.apply((status) => ({
  certificateStatus: status,
  hasura: certificateServes(status) ? "behind the load balancer (run.app answers the internet 404)" : "at its run.app URL until the certificate is ACTIVE, then pulumi up",
}));
/** The private bucket of user files (pulsura:storage), when the stack has the files service. */
export const filesBucket = storage?.bucket.name;
export const logExclusions = [logs.hasuraSuccessExclusion.name];
export const secretIds = Object.fromEntries(["hasura-admin-secret", "event-secret"].map((key) => [key, secrets.get(key).secretId]));

/**
 * What a person must check or do around `pulumi up` that the offline plan cannot see (org policies, terms of service,
 * one-time project state), shown as the `nextSteps` output of the plan and of `pulumi up`.
 */
function deploySteps(stack: StackConfig): string[] {
  const project = stack.gcp.project;
  return [
    `Firebase terms of service: accept them once for ${project}'s account (open https://console.firebase.google.com and add Firebase to a project once); ` +
      `until then adding Firebase fails with HTTP 403 "The caller does not have permission" even with roles/firebase.admin.`,
    stack.adoptExisting.firebase
      ? `pulsura:firebase.adoptExisting is on: Firebase on ${project} is imported (projects/${project}), not added.`
      : `Firebase already on ${project} (added in the console or by the CLI)? Set pulsura:firebase.adoptExisting to true, or adding it fails with HTTP 409.`,
    stack.adoptExisting.identityPlatform
      ? `pulsura:auth.adoptExisting is on: Identity Platform on ${project} is imported (projects/${project}/config); its settings must match the stack's or the import stops with the differences.`
      : `Identity Platform already enabled on ${project}? Set pulsura:auth.adoptExisting to true, or initializing it fails ("Identity Platform has already been enabled").`,
    `Domain restricted sharing (constraints/iam.allowedPolicyMemberDomains) cannot be read offline: if it applies to ${project}, the blocking function's ` +
      `allUsers invoker (the stack's one allUsers binding) is refused half-way through the first deploy. Check with ` +
      `\`gcloud resource-manager org-policies describe iam.allowedPolicyMemberDomains --project ${project} --effective\` and exempt the project first.`,
    `OAuth providers: register https://${project}.firebaseapp.com/__/auth/handler as the redirect URI with each provider.`,
    ...(runsFilesService(stack)
      ? [
        `Upload notifications are pushed with an OIDC token of ${stack.tenant}'s storage-push account. Projects created before April 8, 2021 need the ` +
          `Pub/Sub service agent (service-<project number>@gcp-sa-pubsub.iam.gserviceaccount.com) to hold roles/iam.serviceAccountTokenCreator on that account ` +
          `(https://cloud.google.com/pubsub/docs/authenticate-push-subscriptions); neither the bootstrap nor the deployer grants it: an administrator does, with ` +
          `\`gcloud iam service-accounts add-iam-policy-binding <storage-push email> --member serviceAccount:<agent> --role roles/iam.serviceAccountTokenCreator\`.`,
        ]
      : []),
    ...(stack.edge
      ? [
        `API domain ${stack.edge.domain}: create the DNS record of the apiDnsRecord output (an A record to the apiAddress output, \`gcloud compute addresses describe ${stack.tenant}-edge-ip --global\`); ` +
          `the managed certificate becomes ACTIVE 15-60 minutes after the record resolves (\`gcloud compute ssl-certificates describe ${edgeCertificateName(stack.tenant, stack.edge.domain)} --global\`). ` +
          `Until then Hasura stays open at its run.app URL, where this deploy reaches it (the apiCutover output). Once it is ACTIVE, run \`pulumi up\` again: ` +
          `it narrows Hasura's ingress to the load balancer, and the deploy and the functions go through the domain.`,
        ]
      : []),
    `A first deploy may meet IAM propagation (grants take about 2 minutes, sometimes 7 or more): if a revision or function fails reading a secret, run \`pulumi up\` again.`,
  ];
}
