import { CUTOVER_LABEL } from "../../../infra/edge-cutover";
import { EDGE_RESOURCE_TYPES } from "../../../policy/rules/edge";
import { resource } from "../support";
import type { PolicyCases } from "./types";

const T = EDGE_RESOURCE_TYPES;

const edge = resource("pulsura:edge:Edge", {}, { custom: false, name: "pulsura" });
const hasuraComponent = resource("pulsura:hasura:Hasura", {}, { custom: false, name: "pulsura" });
const child = (type: string, name: string, inputs: Record<string, unknown>) => resource(type, { name, ...inputs }, { parent: edge.urn, name });
const link = (collection: string, name: string) => `https://www.googleapis.com/compute/v1/projects/p/global/${collection}/${name}`;

const banRule = { priority: 3000, action: "rate_based_ban", match: { versionedExpr: "SRC_IPS_V1", config: { srcIpRanges: ["*"] } }, rateLimitOptions: { enforceOnKey: "IP", conformAction: "allow", exceedAction: "deny(429)", rateLimitThreshold: { count: 600, intervalSec: 60 } } };
const wafRule = { priority: 2000, action: "deny(403)", match: { expr: { expression: "evaluatePreconfiguredWaf('sqli-v33-stable', {'sensitivity': 1})" } } };
const defaultRule = { priority: 2147483647, action: "allow", match: { versionedExpr: "SRC_IPS_V1", config: { srcIpRanges: ["*"] } } };
const armor = (inputs: Record<string, unknown> = {}) =>
  child(T.armor, "pulsura-edge-armor", { selfLink: link("securityPolicies", "pulsura-edge-armor"), rules: [wafRule, banRule, defaultRule], adaptiveProtectionConfig: { layer7DdosDefenseConfig: { enable: true } }, ...inputs });
const backend = (inputs: Record<string, unknown> = {}) => child(T.backend, "pulsura-edge-backend", { loadBalancingScheme: "EXTERNAL_MANAGED", securityPolicy: link("securityPolicies", "pulsura-edge-armor"), ...inputs });

const tls = (minTlsVersion: string) => child(T.sslPolicy, "pulsura-edge-tls", { id: "projects/p/global/sslPolicies/pulsura-edge-tls", profile: "MODERN", minTlsVersion });
const httpsProxy = child(T.httpsProxy, "pulsura-edge-https", { id: "projects/p/global/targetHttpsProxies/pulsura-edge-https", urlMap: "projects/p/global/urlMaps/pulsura-edge-urls", sslPolicy: "projects/p/global/sslPolicies/pulsura-edge-tls" });
const redirectMap = (inputs: Record<string, unknown>) => child(T.urlMap, "pulsura-edge-redirect", { id: "projects/p/global/urlMaps/pulsura-edge-redirect", ...inputs });
const httpProxy = child(T.httpProxy, "pulsura-edge-http", { id: "projects/p/global/targetHttpProxies/pulsura-edge-http", urlMap: "projects/p/global/urlMaps/pulsura-edge-redirect" });
const forwardingRule = (port: string, target: string) => child(T.forwardingRule, `pulsura-edge-rule-${port}`, { portRange: port, target });

const neg = child(T.neg, "pulsura-edge-neg", { networkEndpointType: "SERVERLESS", cloudRun: { service: "pulsura-hasura" } });
const hasuraApi = (ingress: string, labels: Record<string, string> = {}) =>
  resource(
    "gcp:cloudrunv2/service:Service",
    { name: "pulsura-hasura", ingress, labels, template: { containers: [{ image: "europe-west1-docker.pkg.dev/p/pulsura-dockerhub/hasura/graphql-engine:v2.48.9" }] } },
    { parent: hasuraComponent.urn, name: "pulsura-hasura" },
  );
const awaiting = { [CUTOVER_LABEL.key]: CUTOVER_LABEL.value };

export const edgeCases: PolicyCases = {
  "edge-armor-attached": {
    // Before its first deploy the backend's link to the policy is unknown: the policy of its component stands in.
    pass: [edge, armor(), backend(), backend({ securityPolicy: undefined })],
    fail: [edge, armor({ rules: [defaultRule] }), backend(), child(T.backend, "pulsura-bare-backend", { loadBalancingScheme: "EXTERNAL_MANAGED", securityPolicy: "projects/p/global/securityPolicies/gone" })],
    message: /has no Cloud Armor security policy|has no per-IP rate-based rule|denies nothing by a preconfigured WAF rule/,
  },
  "edge-armor-enforced": {
    pass: [edge, armor()],
    fail: [edge, armor({ rules: [{ ...wafRule, preview: true }, banRule, defaultRule], adaptiveProtectionConfig: { layer7DdosDefenseConfig: { enable: false } } })],
    message: /rules 2000 are in preview|Adaptive Protection .* is off/,
  },
  "edge-https-only": {
    pass: [edge, tls("TLS_1_2"), httpsProxy, redirectMap({ defaultUrlRedirect: { httpsRedirect: true } }), httpProxy, forwardingRule("443", "projects/p/global/targetHttpsProxies/pulsura-edge-https"), forwardingRule("80", "projects/p/global/targetHttpProxies/pulsura-edge-http")],
    fail: [edge, tls("TLS_1_0"), httpsProxy, redirectMap({ defaultService: "projects/p/global/backendServices/pulsura-edge-backend" }), httpProxy, forwardingRule("443", "projects/p/global/targetHttpProxies/pulsura-edge-http")],
    message: /accepts TLS_1_0|serves plain HTTP through pulsura-edge-redirect|serves plain HTTP on port 443/,
  },
  "edge-hasura-not-on-run-app": {
    pass: [
      edge,
      hasuraComponent,
      neg,
      hasuraApi("INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER"),
      resource("gcp:cloudrunv2/service:Service", { name: "pulsura-hasura", ingress: "INGRESS_TRAFFIC_ALL", labels: awaiting, template: { containers: [{ image: "europe-west1-docker.pkg.dev/p/pulsura-dockerhub/hasura/graphql-engine:v2.48.9" }] } }, { parent: hasuraComponent.urn, name: "pulsura-hasura-awaiting" }),
      resource("gcp:cloudrunv2/service:Service", { name: "pulsura-hasura", ingress: "INGRESS_TRAFFIC_ALL", template: { containers: [{ image: "europe-west1-docker.pkg.dev/p/pulsura-dockerhub/hasura/graphql-engine:v2.48.9" }] } }),
    ],
    // While the domain's certificate is not ACTIVE the program keeps ingress all and says so with the label; the label
    // excuses nothing else (internal-only would lock the load balancer out too).
    fail: [edge, hasuraComponent, neg, hasuraApi("INGRESS_TRAFFIC_ALL"), resource("gcp:cloudrunv2/service:Service", { name: "pulsura-hasura", ingress: "INGRESS_TRAFFIC_INTERNAL_ONLY", labels: awaiting, template: { containers: [{ image: "europe-west1-docker.pkg.dev/p/pulsura-dockerhub/hasura/graphql-engine:v2.48.9" }] } }, { parent: hasuraComponent.urn, name: "pulsura-hasura-2" })],
    message: /ingress INGRESS_TRAFFIC_(ALL|INTERNAL_ONLY) behind the load balancer/,
  },
  "edge-cutover-pending": {
    pass: [edge, hasuraComponent, neg, hasuraApi("INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER")],
    fail: [edge, hasuraComponent, neg, hasuraApi("INGRESS_TRAFFIC_ALL", awaiting)],
    message: /pulsura-hasura is still open at its run.app URL, outside Cloud Armor: the API domain's certificate is not ACTIVE yet/,
    enforcement: "advisory",
  },
};
