import type { PolicyResource } from "@pulumi/policy";
import type { PulsuraPolicy } from ".";
import { CUTOVER_LABEL } from "../../infra/edge-cutover";

/**
 * The edge of `pulsura:apiDomain` (infra/components/edge.ts): the load balancer in front of Hasura's API. Every rule
 * here judges a stack that has one; a stack without an API domain has none of these resources and passes.
 *
 * References between the load balancer's resources (a proxy's URL map, a backend's security policy) are ids that a
 * first `pulumi preview` does not know yet: a reference is judged where it is known (the offline plan, later
 * previews), and an unknown one is matched within the same component.
 */
/** The resource types of the edge that these rules read (the policy and infra tests use the same table). */
export const EDGE_RESOURCE_TYPES = {
  neg: "gcp:compute/regionNetworkEndpointGroup:RegionNetworkEndpointGroup",
  backend: "gcp:compute/backendService:BackendService",
  armor: "gcp:compute/securityPolicy:SecurityPolicy",
  urlMap: "gcp:compute/uRLMap:URLMap",
  httpsProxy: "gcp:compute/targetHttpsProxy:TargetHttpsProxy",
  httpProxy: "gcp:compute/targetHttpProxy:TargetHttpProxy",
  forwardingRule: "gcp:compute/globalForwardingRule:GlobalForwardingRule",
  sslPolicy: "gcp:compute/sSLPolicy:SSLPolicy",
  run: "gcp:cloudrunv2/service:Service",
} as const;
const T = EDGE_RESOURCE_TYPES;

// Policies read plain input values; a loose view keeps the checks short.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Loose = Record<string, any>;

const props = (r: PolicyResource) => r.props as Loose;
const ofType = (resources: readonly PolicyResource[], type: string) => resources.filter((r) => r.type === type);
const sameParent = (a: PolicyResource, b: PolicyResource) => a.parent !== undefined && a.parent?.urn === b.parent?.urn;

/** The resource of `candidates` that `value` (an id, self link or name) refers to. */
function referenced(value: unknown, candidates: readonly PolicyResource[]): PolicyResource | undefined {
  if (typeof value !== "string" || value === "") return undefined;
  return candidates.find((r) => [props(r).id, props(r).selfLink, props(r).name, r.name].some((ref) => typeof ref === "string" && ref !== "" && (ref === value || value.endsWith(`/${ref}`))));
}

/** A backend service that the internet reaches (an external Application Load Balancer's). */
const isExternal = (backend: PolicyResource) => String(props(backend).loadBalancingScheme ?? "EXTERNAL").startsWith("EXTERNAL");

/** The Hasura API's Cloud Run service: its image, in the Hasura component, not the worker. */
function isHasuraApi(r: PolicyResource): boolean {
  if (r.type !== T.run || r.parent?.type !== "pulsura:hasura:Hasura") return false;
  const hasuraImage = ((props(r).template?.containers ?? []) as Loose[]).some((c) => /\/hasura\/graphql-engine[:@]/.test(String(c.image)));
  return hasuraImage && !/-hasura-worker$/.test(String(props(r).name ?? r.name));
}

/** The Armor policy of an external backend: by reference when known, else the one policy of its component. */
function armorOf(backend: PolicyResource, resources: readonly PolicyResource[]): PolicyResource | undefined {
  const policies = ofType(resources, T.armor);
  const link = props(backend).securityPolicy;
  if (link !== undefined) return referenced(link, policies);
  return policies.find((p) => sameParent(p, backend));
}

const rulesOf = (policy: PolicyResource) => (props(policy).rules ?? []) as Loose[];

export const edgePolicies: PulsuraPolicy[] = [
  {
    name: "edge-armor-attached",
    description:
      "Every backend service the internet reaches has a Cloud Armor policy with a per-client-IP rate-based rule and Google's preconfigured WAF rules (Hasura Community Edition has no rate limiting of its own).",
    enforcementLevel: "mandatory",
    validateStack: (args, reportViolation) => {
      for (const backend of ofType(args.resources, T.backend).filter(isExternal)) {
        const policy = armorOf(backend, args.resources);
        if (!policy) {
          reportViolation(`${backend.name} has no Cloud Armor security policy`, backend.urn);
          continue;
        }
        const rules = rulesOf(policy);
        if (!rules.some((rule) => ["rate_based_ban", "throttle"].includes(rule.action) && rule.rateLimitOptions?.enforceOnKey === "IP")) {
          reportViolation(`${backend.name}: its policy ${policy.name} has no per-IP rate-based rule (throttle or rate_based_ban keyed on IP)`, backend.urn);
        }
        if (!rules.some((rule) => /evaluatePreconfiguredWaf\(/.test(String(rule.match?.expr?.expression ?? "")) && String(rule.action).startsWith("deny"))) {
          reportViolation(`${backend.name}: its policy ${policy.name} denies nothing by a preconfigured WAF rule`, backend.urn);
        }
      }
    },
  },
  {
    name: "edge-armor-enforced",
    description: "Cloud Armor rules are enforced (not in preview) and Adaptive Protection is on: what only logs protects nothing.",
    enforcementLevel: "mandatory",
    validateStack: (args, reportViolation) => {
      for (const policy of ofType(args.resources, T.armor)) {
        const previewing = rulesOf(policy).filter((rule) => rule.preview === true).map((rule) => rule.priority);
        if (previewing.length > 0) reportViolation(`${policy.name}: rules ${previewing.join(", ")} are in preview (logged, not enforced)`, policy.urn);
        if (props(policy).adaptiveProtectionConfig?.layer7DdosDefenseConfig?.enable !== true) reportViolation(`${policy.name}: Adaptive Protection (layer7DdosDefenseConfig.enable) is off`, policy.urn);
      }
    },
  },
  {
    name: "edge-https-only",
    description:
      "The load balancer serves the API over HTTPS only, with TLS 1.2 or later: its HTTPS proxies have an SSL policy of TLS_1_2 or more, and an HTTP proxy's URL map only redirects to HTTPS.",
    enforcementLevel: "mandatory",
    validateStack: (args, reportViolation) => {
      const urlMaps = ofType(args.resources, T.urlMap);
      const sslPolicies = ofType(args.resources, T.sslPolicy);
      for (const proxy of ofType(args.resources, T.httpProxy)) {
        const urlMap = referenced(props(proxy).urlMap, urlMaps);
        if (!urlMap) continue;
        const map = props(urlMap);
        if (map.defaultUrlRedirect?.httpsRedirect !== true || map.defaultService !== undefined || (map.pathMatchers ?? []).length > 0 || (map.hostRules ?? []).length > 0) {
          reportViolation(`${proxy.name} serves plain HTTP through ${urlMap.name}; an HTTP proxy's URL map must only redirect to HTTPS (defaultUrlRedirect.httpsRedirect)`, proxy.urn);
        }
      }
      for (const proxy of ofType(args.resources, T.httpsProxy)) {
        const link = props(proxy).sslPolicy;
        const policy = link === undefined ? sslPolicies.find((p) => sameParent(p, proxy)) : referenced(link, sslPolicies);
        const tls = policy ? String(props(policy).minTlsVersion ?? "TLS_1_0") : "TLS_1_0";
        if (!["TLS_1_2", "TLS_1_3"].includes(tls)) reportViolation(`${proxy.name} accepts ${tls}${policy ? ` (SSL policy ${policy.name})` : " (no SSL policy: Google's default allows TLS 1.0)"}; expected TLS_1_2 or later`, proxy.urn);
      }
      for (const rule of ofType(args.resources, T.forwardingRule)) {
        if (String(props(rule).portRange ?? "") !== "443") continue;
        const target = referenced(props(rule).target, [...ofType(args.resources, T.httpProxy), ...ofType(args.resources, T.httpsProxy)]);
        if (target?.type === T.httpProxy) reportViolation(`${rule.name} serves plain HTTP on port 443`, rule.urn);
      }
    },
  },
  {
    name: "edge-hasura-not-on-run-app",
    description:
      "Behind the load balancer, Hasura's API admits only the load balancer and the VPC (ingress INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER): its run.app URL would otherwise bypass Cloud Armor. " +
      "The one exception is the wait for the domain's certificate (label pulsura-api-cutover=awaiting-certificate, infra/edge-cutover.ts), which edge-cutover-pending reports.",
    enforcementLevel: "mandatory",
    validateStack: (args, reportViolation) => {
      for (const api of hasuraApisBehindEdge(args.resources)) {
        const ingress = props(api).ingress ?? "INGRESS_TRAFFIC_ALL";
        if (ingress === "INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER" || (awaitsCertificate(api) && ingress === "INGRESS_TRAFFIC_ALL")) continue;
        reportViolation(`${api.name}: ingress ${ingress} behind the load balancer; expected INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER`, api.urn);
      }
    },
  },
  {
    name: "edge-cutover-pending",
    description:
      "Hasura's API stays open at its run.app URL until the API domain's managed certificate is ACTIVE, so that the deploy can reach it: the pulumi up after that narrows the ingress.",
    enforcementLevel: "advisory",
    validateStack: (args, reportViolation) => {
      for (const api of hasuraApisBehindEdge(args.resources).filter(awaitsCertificate)) {
        reportViolation(
          `${api.name} is still open at its run.app URL, outside Cloud Armor: the API domain's certificate is not ACTIVE yet. Create the DNS record of the apiDnsRecord output, ` +
            "and run pulumi up once the certificate is ACTIVE (the apiCutover output shows its status).",
          api.urn,
        );
      }
    },
  },
];

/** Hasura's API services that a serverless NEG of the edge sends requests to. */
function hasuraApisBehindEdge(resources: readonly PolicyResource[]): PolicyResource[] {
  const fronted = new Set(ofType(resources, T.neg).map((neg) => props(neg).cloudRun?.service).filter((service): service is string => typeof service === "string"));
  return resources.filter(isHasuraApi).filter((api) => fronted.has(String(props(api).name ?? api.name)));
}

/** The API waits for the domain's certificate before its ingress is narrowed (the program's label, infra/edge-cutover.ts). */
const awaitsCertificate = (api: PolicyResource) => props(api).labels?.[CUTOVER_LABEL.key] === CUTOVER_LABEL.value;
