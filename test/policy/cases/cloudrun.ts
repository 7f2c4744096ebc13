import { resource } from "../support";
import type { PolicyCases, PolicyCase } from "./types";

const RUN = "gcp:cloudrunv2/service:Service";
const hasuraComponent = resource("pulsura:hasura:Hasura", {}, { custom: false, name: "pulsura" });
const serviceComponent = resource("pulsura:services:Microservice", {}, { custom: false, name: "pulsura-svc-core" });

const secretRef = (secret: string) => ({ secretKeyRef: { secret, version: "1" } });
const probes = { startupProbe: { httpGet: { path: "/healthz", port: 8080 } }, livenessProbe: { httpGet: { path: "/healthz", port: 8080 } } };

function hasuraEnvs(): Array<Record<string, unknown>> {
  return [
    { name: "HASURA_GRAPHQL_ADMIN_SECRET", valueSource: secretRef("admin") },
    { name: "HASURA_GRAPHQL_DATABASE_URL", valueSource: secretRef("db") },
    { name: "HASURA_GRAPHQL_METADATA_DATABASE_URL", valueSource: secretRef("meta") },
    { name: "PULSURA_EVENT_SECRET", valueSource: secretRef("event") },
    { name: "HASURA_GRAPHQL_JWT_SECRET", value: JSON.stringify({ type: "RS256", jwk_url: "https://www.googleapis.com/x", audience: "p", issuer: "https://securetoken.google.com/p" }) },
    { name: "HASURA_GRAPHQL_ENABLE_CONSOLE", value: "false" },
    { name: "HASURA_GRAPHQL_DEV_MODE", value: "false" },
    { name: "HASURA_GRAPHQL_CORS_DOMAIN", value: "https://app.example.com" },
  ];
}

const apiProcessingOff = [
  { name: "HASURA_GRAPHQL_EVENTS_FETCH_BATCH_SIZE", value: "0" },
  { name: "HASURA_GRAPHQL_ASYNC_ACTIONS_FETCH_INTERVAL", value: "0" },
];

/** A dev stack's API without a worker (pulsura:hasura.worker.enabled false): processing on, with the worker's values. */
const apiProcessingOn = (_props: Record<string, any>, container: Record<string, any>) => {
  container.envs = [
    ...hasuraEnvs(),
    { name: "HASURA_GRAPHQL_EVENTS_FETCH_BATCH_SIZE", value: "100" },
    { name: "HASURA_GRAPHQL_ASYNC_ACTIONS_FETCH_INTERVAL", value: "1000" },
  ];
};

/** The Hasura API as pulsura declares it, then changed by `change`. */
function hasura(change: (props: Record<string, any>, container: Record<string, any>) => void = () => {}) {
  const container: Record<string, any> = {
    image: "europe-west1-docker.pkg.dev/p/pulsura-dockerhub/hasura/graphql-engine:v2.48.9",
    envs: [...hasuraEnvs(), ...apiProcessingOff],
    resources: { cpuIdle: false },
    ...probes,
  };
  const props: Record<string, any> = {
    name: "pulsura-hasura",
    ingress: "INGRESS_TRAFFIC_ALL",
    template: { serviceAccount: "pulsura-hasura@p.iam.gserviceaccount.com", vpcAccess: { egress: "ALL_TRAFFIC", networkInterfaces: [{ network: "vpc" }] }, containers: [container] },
  };
  change(props, container);
  return resource(RUN, props, { parent: hasuraComponent.urn, name: "pulsura-hasura" });
}

/** The Hasura worker as pulsura declares it, then changed by `change`. */
function worker(change: (props: Record<string, any>, container: Record<string, any>) => void = () => {}) {
  const container: Record<string, any> = {
    image: "europe-west1-docker.pkg.dev/p/pulsura-dockerhub/hasura/graphql-engine:v2.48.9",
    envs: [...hasuraEnvs(), { name: "HASURA_GRAPHQL_EVENTS_FETCH_BATCH_SIZE", value: "100" }],
    resources: { cpuIdle: false },
    ...probes,
  };
  const props: Record<string, any> = {
    name: "pulsura-hasura-worker",
    ingress: "INGRESS_TRAFFIC_INTERNAL_ONLY",
    invokerIamDisabled: false,
    template: {
      serviceAccount: "pulsura-hasura@p.iam.gserviceaccount.com",
      scaling: { minInstanceCount: 1, maxInstanceCount: 1 },
      vpcAccess: { egress: "ALL_TRAFFIC", networkInterfaces: [{ network: "vpc" }] },
      containers: [container],
    },
  };
  change(props, container);
  return resource(RUN, props, { parent: hasuraComponent.urn, name: "pulsura-hasura-worker" });
}

/** A microservice as pulsura declares it, then changed by `change`. */
function microservice(change: (props: Record<string, any>, container: Record<string, any>) => void = () => {}) {
  const container: Record<string, any> = {
    image: "europe-west1-docker.pkg.dev/p/pulsura-core/core@sha256:abc",
    envs: [{ name: "DATABASE_URL", valueSource: secretRef("db-core") }, { name: "HASURA_GRAPHQL_URL", value: "https://h/v1/graphql" }],
    ...probes,
  };
  const props: Record<string, any> = {
    ingress: "INGRESS_TRAFFIC_INTERNAL_ONLY",
    template: { serviceAccount: "pulsura-svc-core@p.iam.gserviceaccount.com", vpcAccess: { egress: "ALL_TRAFFIC", networkInterfaces: [{ network: "vpc" }] }, containers: [container] },
  };
  change(props, container);
  return resource(RUN, props, { parent: serviceComponent.urn, name: "pulsura-core" });
}

const authFunctions = resource("pulsura:auth:AuthFunctions", {}, { custom: false, name: "pulsura-auth" });
const blockingFunction = resource("gcp:cloudfunctionsv2/function:Function", { name: "pulsura-before-user-created" }, { parent: authFunctions.urn });
const withParents = (...rs: ReturnType<typeof resource>[]) => [hasuraComponent, serviceComponent, ...rs];
const serviceCase = (change: Parameters<typeof microservice>[0], message: RegExp): PolicyCase => ({
  pass: withParents(microservice(), hasura()),
  fail: withParents(microservice(change)),
  message,
});
const hasuraCase = (change: Parameters<typeof hasura>[0], message: RegExp): PolicyCase => ({ pass: withParents(hasura(), worker()), fail: withParents(hasura(change), worker()), message });
const invoker = (member: string, parent: string) =>
  resource("gcp:cloudrunv2/serviceIamMember:ServiceIamMember", { name: "svc", role: "roles/run.invoker", member }, { parent });

export const cloudRunCases: PolicyCases = {
  "cloudrun-internal-only": {
    pass: withParents(microservice(), hasura(), worker()),
    // The worker is a child of the Hasura component, but not the public API: no exception.
    fail: withParents(microservice((p) => (p.ingress = "INGRESS_TRAFFIC_ALL")), worker((p) => (p.ingress = "INGRESS_TRAFFIC_ALL"))),
    message: /ingress is INGRESS_TRAFFIC_ALL; expected INGRESS_TRAFFIC_INTERNAL_ONLY/,
  },
  "cloudrun-no-public-invoker": {
    pass: withParents(
      invoker("allUsers", hasuraComponent.urn),
      invoker("serviceAccount:x@p.iam.gserviceaccount.com", serviceComponent.urn),
      authFunctions,
      blockingFunction,
      resource("gcp:cloudrunv2/serviceIamMember:ServiceIamMember", { name: "pulsura-before-user-created", role: "roles/run.invoker", member: "allUsers" }, { parent: authFunctions.urn }),
    ),
    fail: withParents(
      invoker("allUsers", serviceComponent.urn),
      authFunctions,
      blockingFunction,
      // Same component, but not the blocking function: no exception.
      resource("gcp:cloudrunv2/serviceIamMember:ServiceIamMember", { name: "pulsura-other", role: "roles/run.invoker", member: "allUsers" }, { parent: authFunctions.urn }),
    ),
    message: /makes a service public to allUsers/,
  },
  "cloudrun-no-public-invoker-check": {
    pass: withParents(hasura((p) => (p.invokerIamDisabled = true)), microservice((p) => (p.invokerIamDisabled = true))),
    fail: withParents(microservice((p) => ((p.invokerIamDisabled = true), (p.ingress = "INGRESS_TRAFFIC_ALL")))),
    message: /disables the invoker IAM check with ingress INGRESS_TRAFFIC_ALL \(public\)/,
  },
  "cloudrun-dedicated-service-account": serviceCase((p) => delete p.template.serviceAccount, /template.serviceAccount is not set/),
  "cloudrun-secrets-by-reference": serviceCase((_p, c) => (c.envs = [{ name: "DATABASE_URL", value: "postgres://u:p@h/db" }]), /env DATABASE_URL holds a secret as a plain value/),
  "cloudrun-health-probes": serviceCase((_p, c) => delete c.livenessProbe, /livenessProbe must be an HTTP GET on \/healthz/),
  "cloudrun-pinned-image": serviceCase((_p, c) => (c.image = "docker.io/hasura/graphql-engine:latest"), /not pulled from Artifact Registry|not pinned/),
  "cloudrun-vpc-egress": serviceCase((p) => (p.template.vpcAccess = { egress: "PRIVATE_RANGES_ONLY", networkInterfaces: [{ network: "vpc" }] }), /must route ALL_TRAFFIC/),
  "hasura-console-off": hasuraCase((_p, c) => (c.envs = c.envs.filter((e: { name: string }) => e.name !== "HASURA_GRAPHQL_ENABLE_CONSOLE")), /HASURA_GRAPHQL_ENABLE_CONSOLE must be "false"/),
  "hasura-dev-mode-off": hasuraCase((_p, c) => (c.envs.find((e: { name: string }) => e.name === "HASURA_GRAPHQL_DEV_MODE").value = "true"), /HASURA_GRAPHQL_DEV_MODE must be "false"/),
  "hasura-jwt-audience": hasuraCase(
    (_p, c) => (c.envs.find((e: { name: string }) => e.name === "HASURA_GRAPHQL_JWT_SECRET").value = JSON.stringify({ type: "RS256", jwk_url: "https://www.googleapis.com/x" })),
    /has no audience/,
  ),
  "hasura-admin-secret-by-reference": hasuraCase(
    (_p, c) => (c.envs.find((e: { name: string }) => e.name === "HASURA_GRAPHQL_ADMIN_SECRET").valueSource = undefined),
    /HASURA_GRAPHQL_ADMIN_SECRET must be read from Secret Manager/,
  ),
  "hasura-cors-explicit": hasuraCase((_p, c) => (c.envs.find((e: { name: string }) => e.name === "HASURA_GRAPHQL_CORS_DOMAIN").value = "*"), /must list origins/),
  "hasura-cpu-always-allocated": hasuraCase((_p, c) => (c.resources.cpuIdle = true), /cpuIdle must be false/),
  "hasura-worker-present": {
    pass: withParents(hasura(), worker()),
    fail: withParents(hasura(apiProcessingOn)),
    message: /runs no Hasura worker; events, crons and async actions are delivered only while an API instance runs/,
  },
  "hasura-worker-single-instance": {
    pass: withParents(hasura(), worker()),
    fail: withParents(hasura(), worker((p, c) => ((p.template.scaling = { minInstanceCount: 0, maxInstanceCount: 2 }), (c.resources.cpuIdle = true)))),
    message: /expected exactly one instance \(1, 1\)|cpuIdle must be false/,
  },
  "hasura-worker-private": {
    pass: withParents(hasura(), worker(), invoker("serviceAccount:x@p.iam.gserviceaccount.com", hasuraComponent.urn)),
    fail: withParents(
      hasura(),
      worker((p) => ((p.ingress = "INGRESS_TRAFFIC_ALL"), (p.invokerIamDisabled = true))),
      resource("gcp:cloudrunv2/serviceIamMember:ServiceIamMember", { name: "pulsura-hasura-worker", role: "roles/run.invoker", member: "allUsers" }, { parent: hasuraComponent.urn }),
    ),
    message: /ingress is INGRESS_TRAFFIC_ALL|disables the invoker IAM check|makes the Hasura worker public to allUsers/,
  },
  "hasura-api-no-event-processing": hasuraCase(
    (_p, c) => (c.envs = c.envs.filter((e: { name: string }) => e.name !== "HASURA_GRAPHQL_EVENTS_FETCH_BATCH_SIZE")),
    /HASURA_GRAPHQL_EVENTS_FETCH_BATCH_SIZE must be "0"/,
  ),
  "hasura-api-processes-without-worker": {
    // The worker-less API processes; beside a worker the rule has nothing to say (hasura-api-no-event-processing does).
    pass: withParents(hasura(apiProcessingOn)),
    // No worker, and the API's processing still off: nothing would deliver events or async actions.
    fail: withParents(hasura()),
    message: /HASURA_GRAPHQL_EVENTS_FETCH_BATCH_SIZE is "0", HASURA_GRAPHQL_ASYNC_ACTIONS_FETCH_INTERVAL is "0"; without a worker it must be above "0"/,
  },
};
