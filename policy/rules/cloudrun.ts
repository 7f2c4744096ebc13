import type { PolicyResource, StackValidationArgs } from "@pulumi/policy";
import type { PulsuraPolicy } from ".";
import { isSecretEnvName } from "./secret-names";

const CLOUD_RUN = "gcp:cloudrunv2/service:Service";
const PUBLIC_MEMBERS = ["allUsers", "allAuthenticatedUsers"];


/** The Hasura worker's Cloud Run service is `<name>-hasura-worker` (infra/components/hasura.ts). */
const HASURA_WORKER_NAME = /-hasura-worker$/;

/**
 * The Hasura worker, or an invoker binding on it: a child of the Hasura component whose (service) name is the worker's.
 * Logical names and plain `name` inputs are known at preview time.
 */
function isHasuraWorker(resource: PolicyResource): boolean {
  return resource.parent?.type === "pulsura:hasura:Hasura" && (HASURA_WORKER_NAME.test(resource.name) || HASURA_WORKER_NAME.test(String(resource.props.name ?? "")));
}

/**
 * THE ONE EXCEPTION to "private by default": the Hasura API is the stack's public API. A Cloud Run service (or invoker
 * binding) may be public only when it belongs to the `pulsura:hasura:Hasura` component, which authenticates every
 * request itself (JWT or admin secret), and is not the Hasura worker. The parent component is known at preview time,
 * unlike computed names.
 */
function isPublicApi(resource: PolicyResource): boolean {
  return resource.parent?.type === "pulsura:hasura:Hasura" && !isHasuraWorker(resource);
}

/**
 * THE SECOND EXCEPTION, for invoker bindings only: Identity Platform calls blocking functions without Google
 * credentials, so the gen2 blocking function of `pulsura:auth:AuthFunctions` is invocable by allUsers (its code
 * verifies Identity Platform's signed JWT). The binding must name a gen2 function of that same component.
 */
function isBlockingFunctionInvoker(binding: PolicyResource, resources: PolicyResource[]): boolean {
  if (binding.parent?.type !== "pulsura:auth:AuthFunctions") return false;
  return resources.some((r) => r.type === "gcp:cloudfunctionsv2/function:Function" && r.parent?.urn === binding.parent?.urn && r.props.name === binding.props.name);
}

// Policies read plain input values; a loose view keeps the checks short.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Loose = Record<string, any>;

interface Env {
  name: string;
  value?: string;
  valueSource?: { secretKeyRef?: { secret?: string; version?: string } };
}

function containersOf(resource: PolicyResource): Loose[] {
  return ((resource.props as Loose).template?.containers ?? []) as Loose[];
}

/** The env vars of a Cloud Run service's containers (jobs.ts reads them too). */
export function envsOf(resource: PolicyResource): Env[] {
  return containersOf(resource).flatMap((c) => (c.envs ?? []) as Env[]);
}

/** Runs a check over each Cloud Run service. */
function eachService(check: (service: PolicyResource, report: (message: string) => void) => void) {
  return (args: StackValidationArgs, reportViolation: (message: string, urn?: string) => void) => {
    for (const resource of args.resources) {
      if (resource.type === CLOUD_RUN) check(resource, (message) => reportViolation(`${resource.name}: ${message}`, resource.urn));
    }
  };
}

function isHasura(service: PolicyResource): boolean {
  return containersOf(service).some((c) => /\/hasura\/graphql-engine[:@]/.test(String(c.image)));
}

/** A rule over the Hasura service's environment. */
function hasuraEnvRule(name: string, description: string, check: (env: Map<string, Env>) => string | undefined): PulsuraPolicy {
  return {
    name,
    description,
    enforcementLevel: "mandatory",
    validateStack: eachService((service, report) => {
      if (!isHasura(service)) return;
      const problem = check(new Map(envsOf(service).map((e) => [e.name, e])));
      if (problem) report(problem);
    }),
  };
}

function plainValue(env: Map<string, Env>, name: string): string | undefined {
  return env.get(name)?.value;
}

/**
 * Hasura's switches for event triggers and async actions: "0" disables each (eventsFetchBatchSizeOption,
 * asyncActionsFetchIntervalOption in server/src-lib/Hasura/Server/Init/Arg/Command/Serve.hs).
 */
const HASURA_PROCESSING_SWITCHES = ["HASURA_GRAPHQL_EVENTS_FETCH_BATCH_SIZE", "HASURA_GRAPHQL_ASYNC_ACTIONS_FETCH_INTERVAL"];

/** The stack's Hasura Cloud Run services: the API (or APIs) and the worker (or workers). */
function hasuraServicesOf(args: StackValidationArgs): { apis: PolicyResource[]; workers: PolicyResource[] } {
  const hasura = args.resources.filter((r) => r.type === CLOUD_RUN && isHasura(r));
  return { apis: hasura.filter((r) => !isHasuraWorker(r)), workers: hasura.filter(isHasuraWorker) };
}

export const cloudRunPolicies: PulsuraPolicy[] = [
  {
    name: "cloudrun-internal-only",
    description: "Cloud Run services accept traffic from the VPC only; the Hasura API is the one explicit exception.",
    enforcementLevel: "mandatory",
    validateStack: eachService((service, report) => {
      if (isPublicApi(service)) return;
      if ((service.props as Loose).ingress !== "INGRESS_TRAFFIC_INTERNAL_ONLY") report(`ingress is ${(service.props as Loose).ingress ?? "unset (all traffic)"}; expected INGRESS_TRAFFIC_INTERNAL_ONLY`);
    }),
  },
  {
    name: "cloudrun-no-public-invoker",
    description:
      "No Cloud Run service grants run.invoker to allUsers or allAuthenticatedUsers, except the Hasura API and the Identity Platform blocking function (explicit exceptions).",
    enforcementLevel: "mandatory",
    validateStack: (args, reportViolation) => {
      for (const r of args.resources) {
        if (!/^gcp:cloudrunv2\/service(IamMember|IamBinding|IamPolicy):/.test(r.type)) continue;
        const members = [r.props.member, ...((r.props.members as string[] | undefined) ?? [])].filter(Boolean) as string[];
        const open = members.filter((m) => PUBLIC_MEMBERS.includes(m));
        if (open.length > 0 && !isPublicApi(r) && !isBlockingFunctionInvoker(r, args.resources)) reportViolation(`${r.name} makes a service public to ${open.join(", ")}`, r.urn);
      }
    },
  },
  {
    name: "cloudrun-no-public-invoker-check",
    description:
      "No Cloud Run service reachable from the internet disables the invoker IAM check (public without an allUsers binding), except the Hasura API; behind internal-only ingress it may.",
    enforcementLevel: "mandatory",
    validateStack: eachService((service, report) => {
      // https://cloud.google.com/run/docs/authenticating/public: invokerIamDisabled makes a service public.
      const props = service.props as Loose;
      if (props.invokerIamDisabled !== true || isPublicApi(service) || props.ingress === "INGRESS_TRAFFIC_INTERNAL_ONLY") return;
      report(`disables the invoker IAM check with ingress ${props.ingress ?? "unset (all traffic)"} (public)`);
    }),
  },
  {
    name: "cloudrun-dedicated-service-account",
    description: "Every Cloud Run service runs as its own service account, never the default compute account.",
    enforcementLevel: "mandatory",
    validateStack: eachService((service, report) => {
      const account = String((service.props as Loose).template?.serviceAccount ?? "");
      if (!account) report("template.serviceAccount is not set (it would run as the default compute account)");
      else if (/-compute@developer\.gserviceaccount\.com$/.test(account)) report(`runs as the default compute account ${account}`);
    }),
  },
  {
    name: "cloudrun-secrets-by-reference",
    description: "Secret env values come from Secret Manager by pinned version, never as plain values or `latest`.",
    enforcementLevel: "mandatory",
    validateStack: eachService((service, report) => {
      for (const env of envsOf(service)) {
        const ref = env.valueSource?.secretKeyRef;
        if (isSecretEnvName(env.name) && !ref) report(`env ${env.name} holds a secret as a plain value; use valueSource.secretKeyRef`);
        if (ref && (!ref.version || ref.version === "latest")) report(`env ${env.name} reads secret version ${ref.version ?? "unset"}; pin a version`);
      }
    }),
  },
  {
    name: "cloudrun-health-probes",
    description: "Every Cloud Run container has HTTP startup and liveness probes on /healthz.",
    enforcementLevel: "mandatory",
    validateStack: eachService((service, report) => {
      for (const container of containersOf(service)) {
        for (const probe of ["startupProbe", "livenessProbe"]) {
          if (container[probe]?.httpGet?.path !== "/healthz") report(`${probe} must be an HTTP GET on /healthz`);
        }
      }
    }),
  },
  {
    name: "cloudrun-pinned-image",
    description: "Images come from Artifact Registry and are pinned: by digest, or by a release tag, never `latest`.",
    enforcementLevel: "mandatory",
    validateStack: eachService((service, report) => {
      for (const container of containersOf(service)) {
        const image = String(container.image ?? "");
        if (!/^[a-z0-9-]+-docker\.pkg\.dev\//.test(image)) report(`image ${image} is not pulled from Artifact Registry`);
        if (!image.includes("@sha256:") && (/:latest$/.test(image) || !/:[^/]+$/.test(image))) report(`image ${image} is not pinned to a digest or release tag`);
      }
    }),
  },
  {
    name: "cloudrun-vpc-egress",
    description: "Cloud Run services send all egress through the VPC (Direct VPC egress), to reach private Cloud SQL and internal services.",
    enforcementLevel: "mandatory",
    validateStack: eachService((service, report) => {
      const vpc = (service.props as Loose).template?.vpcAccess;
      if (vpc?.egress !== "ALL_TRAFFIC" || !(vpc?.networkInterfaces?.length > 0 || vpc?.connector)) report("template.vpcAccess must route ALL_TRAFFIC through the VPC");
    }),
  },
  hasuraEnvRule("hasura-console-off", "Hasura's console is off in every deployed stack (use `hasura console` from a laptop).", (env) =>
    plainValue(env, "HASURA_GRAPHQL_ENABLE_CONSOLE") === "false" ? undefined : "HASURA_GRAPHQL_ENABLE_CONSOLE must be \"false\"",
  ),
  hasuraEnvRule("hasura-dev-mode-off", "Hasura's dev mode (internal errors in responses) is off.", (env) =>
    plainValue(env, "HASURA_GRAPHQL_DEV_MODE") === "false" ? undefined : "HASURA_GRAPHQL_DEV_MODE must be \"false\"",
  ),
  hasuraEnvRule("hasura-jwt-audience", "Hasura verifies Firebase ID tokens by Google's public keys, pinned to this project's audience and issuer.", (env) => {
    let jwt: { audience?: string; issuer?: string; jwk_url?: string; key?: string };
    try {
      jwt = JSON.parse(plainValue(env, "HASURA_GRAPHQL_JWT_SECRET") ?? "") as typeof jwt;
    } catch {
      return "HASURA_GRAPHQL_JWT_SECRET must be a plain JSON JWT config";
    }
    // A `key` would be a shared signing secret in a plain env value; Firebase tokens need only the public JWK URL.
    if (jwt.key || !jwt.jwk_url) return "HASURA_GRAPHQL_JWT_SECRET must use jwk_url (public keys), not a shared key";
    if (!jwt.audience) return "HASURA_GRAPHQL_JWT_SECRET has no audience";
    if (jwt.issuer !== `https://securetoken.google.com/${jwt.audience}`) return "HASURA_GRAPHQL_JWT_SECRET issuer must be https://securetoken.google.com/<audience>";
    return undefined;
  }),
  hasuraEnvRule("hasura-admin-secret-by-reference", "Hasura's admin secret and database URLs come from Secret Manager.", (env) => {
    const missing = ["HASURA_GRAPHQL_ADMIN_SECRET", "HASURA_GRAPHQL_DATABASE_URL", "HASURA_GRAPHQL_METADATA_DATABASE_URL"].filter((name) => !env.get(name)?.valueSource?.secretKeyRef);
    return missing.length === 0 ? undefined : `${missing.join(", ")} must be read from Secret Manager`;
  }),
  hasuraEnvRule("hasura-cors-explicit", "Hasura's CORS allows an explicit list of origins, never `*`.", (env) => {
    const cors = plainValue(env, "HASURA_GRAPHQL_CORS_DOMAIN");
    return cors && !cors.split(",").includes("*") ? undefined : "HASURA_GRAPHQL_CORS_DOMAIN must list origins (not * or unset)";
  }),
  {
    name: "hasura-cpu-always-allocated",
    description:
      "Hasura keeps CPU between requests: the worker delivers events, crons and async actions in the background, and an API instance still takes due cron and scheduled events (no setting switches them off).",
    enforcementLevel: "mandatory",
    validateStack: eachService((service, report) => {
      if (!isHasura(service)) return;
      for (const container of containersOf(service)) if (container.resources?.cpuIdle !== false) report("resources.cpuIdle must be false");
    }),
  },
  {
    name: "hasura-worker-present",
    description:
      "The stack runs a Hasura worker (<name>-hasura-worker), so event triggers, cron triggers and async actions are delivered while nobody calls the API. Advisory in dev, where pulsura:hasura.worker.enabled false lets the API's instances process them, only while one runs.",
    enforcementLevel: "mandatory",
    validateStack: (args, reportViolation) => {
      const { apis, workers } = hasuraServicesOf(args);
      if (apis.length > 0 && workers.length === 0) {
        reportViolation(`${apis[0]!.name}: the stack runs no Hasura worker; events, crons and async actions are delivered only while an API instance runs`, apis[0]!.urn);
      }
    },
  },
  {
    name: "hasura-worker-single-instance",
    description:
      "A stack's Hasura worker is one (never two), with exactly one instance (min = max = 1) and CPU always allocated, so events and crons are delivered while nobody calls the API.",
    enforcementLevel: "mandatory",
    validateStack: (args, reportViolation) => {
      const { workers } = hasuraServicesOf(args);
      if (workers.length > 1) reportViolation(`the stack has ${workers.length} Hasura workers (<name>-hasura-worker); expected at most one`, workers[1]!.urn);
      for (const worker of workers) {
        const scaling = (worker.props as Loose).template?.scaling ?? {};
        if (scaling.minInstanceCount !== 1 || scaling.maxInstanceCount !== 1) {
          reportViolation(`${worker.name}: scaling is min ${scaling.minInstanceCount ?? "unset"}, max ${scaling.maxInstanceCount ?? "unset"}; expected exactly one instance (1, 1)`, worker.urn);
        }
        if (containersOf(worker).some((c) => c.resources?.cpuIdle !== false)) reportViolation(`${worker.name}: resources.cpuIdle must be false (CPU always allocated)`, worker.urn);
      }
    },
  },
  {
    name: "hasura-worker-private",
    description: "The Hasura worker takes no traffic: internal-only ingress, the invoker IAM check on, and no allUsers or allAuthenticatedUsers invoker.",
    enforcementLevel: "mandatory",
    validateStack: (args, reportViolation) => {
      for (const r of args.resources) {
        if (!isHasuraWorker(r)) continue;
        const props = r.props as Loose;
        if (r.type === CLOUD_RUN) {
          if (props.ingress !== "INGRESS_TRAFFIC_INTERNAL_ONLY") reportViolation(`${r.name}: ingress is ${props.ingress ?? "unset (all traffic)"}; expected INGRESS_TRAFFIC_INTERNAL_ONLY`, r.urn);
          if (props.invokerIamDisabled === true) reportViolation(`${r.name}: disables the invoker IAM check; the worker is invoked by no one`, r.urn);
        } else if (/^gcp:cloudrunv2\/service(IamMember|IamBinding|IamPolicy):/.test(r.type)) {
          const members = [props.member, ...((props.members as string[] | undefined) ?? [])].filter(Boolean) as string[];
          const open = members.filter((m) => PUBLIC_MEMBERS.includes(m));
          if (open.length > 0) reportViolation(`${r.name} makes the Hasura worker public to ${open.join(", ")}`, r.urn);
        }
      }
    },
  },
  {
    name: "hasura-api-no-event-processing",
    description:
      "Beside a Hasura worker, the Hasura API processes no event triggers and no async actions (HASURA_GRAPHQL_EVENTS_FETCH_BATCH_SIZE and HASURA_GRAPHQL_ASYNC_ACTIONS_FETCH_INTERVAL are \"0\"); the worker does.",
    enforcementLevel: "mandatory",
    validateStack: (args, reportViolation) => {
      const { apis, workers } = hasuraServicesOf(args);
      if (workers.length === 0) return;
      for (const api of apis) {
        const env = new Map(envsOf(api).map((e) => [e.name, e]));
        const on = HASURA_PROCESSING_SWITCHES.filter((name) => plainValue(env, name) !== "0");
        if (on.length > 0) reportViolation(`${api.name}: ${on.join(", ")} must be "0": the API would compete with the worker for the queues (set them on the worker only)`, api.urn);
      }
    },
  },
  {
    name: "hasura-api-processes-without-worker",
    description:
      "Without a Hasura worker, the Hasura API processes event triggers and async actions itself (HASURA_GRAPHQL_EVENTS_FETCH_BATCH_SIZE and HASURA_GRAPHQL_ASYNC_ACTIONS_FETCH_INTERVAL set, above \"0\"): else nothing would ever deliver them.",
    enforcementLevel: "mandatory",
    validateStack: (args, reportViolation) => {
      const { apis, workers } = hasuraServicesOf(args);
      if (workers.length > 0) return;
      for (const api of apis) {
        const env = new Map(envsOf(api).map((e) => [e.name, e]));
        const off = HASURA_PROCESSING_SWITCHES.filter((name) => !(Number(plainValue(env, name)) > 0));
        if (off.length > 0) {
          reportViolation(`${api.name}: ${off.map((name) => `${name} is ${JSON.stringify(plainValue(env, name) ?? "unset")}`).join(", ")}; without a worker it must be above "0", or events and async actions are never delivered`, api.urn);
        }
      }
    },
  },
];
