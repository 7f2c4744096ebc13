/**
 * Cloud Load Balancing and Cloud Armor (the edge of `pulsura:apiDomain`, infra/components/edge.ts): a global external
 * Application Load Balancer with a serverless NEG, a Google-managed certificate, and a backend security policy.
 * Names are judged with the other Compute resources (./compute.ts).
 */
import { enumRule, show, stringAt, valueAt, type FidelityRule, type PlannedResource, type State } from "./rule";

const T = {
  neg: "gcp:compute/regionNetworkEndpointGroup:RegionNetworkEndpointGroup",
  backend: "gcp:compute/backendService:BackendService",
  certificate: "gcp:compute/managedSslCertificate:ManagedSslCertificate",
  httpsProxy: "gcp:compute/targetHttpsProxy:TargetHttpsProxy",
  httpProxy: "gcp:compute/targetHttpProxy:TargetHttpProxy",
  urlMap: "gcp:compute/uRLMap:URLMap",
  forwardingRule: "gcp:compute/globalForwardingRule:GlobalForwardingRule",
  sslPolicy: "gcp:compute/sSLPolicy:SSLPolicy",
  securityPolicy: "gcp:compute/securityPolicy:SecurityPolicy",
  address: "gcp:compute/globalAddress:GlobalAddress",
  run: "gcp:cloudrunv2/service:Service",
} as const;

const SERVERLESS_NEG_SOURCE = "https://cloud.google.com/load-balancing/docs/negs/serverless-neg-concepts#limitations";
const NEG_API_SOURCE = "https://cloud.google.com/compute/docs/reference/rest/v1/regionNetworkEndpointGroups";
const BACKEND_API_SOURCE = "https://cloud.google.com/compute/docs/reference/rest/v1/backendServices";
const MANAGED_CERT_SOURCE = "https://cloud.google.com/load-balancing/docs/ssl-certificates/google-managed-certs";
const ARMOR_POLICY_SOURCE = "https://cloud.google.com/compute/docs/reference/rest/v1/securityPolicies";
const RATE_LIMIT_SOURCE = "https://cloud.google.com/armor/docs/rate-limiting-overview";
const WAF_SOURCE = "https://cloud.google.com/armor/docs/waf-rules";

/** The resource an id, self link or name refers to among the earlier ones of the given types. */
function referenced(value: unknown, earlier: readonly PlannedResource[], types: readonly string[]): PlannedResource | undefined {
  if (typeof value !== "string" || value === "") return undefined;
  return earlier.find(
    (r) => types.includes(r.type) && [r.state.id, r.state.selfLink, r.state.name].some((ref) => typeof ref === "string" && ref !== "" && (ref === value || value.endsWith(`/${ref}`) || ref.endsWith(`/${value}`))),
  );
}

const isServerlessNeg = (r: PlannedResource | undefined) => r?.type === T.neg && r.inputs.networkEndpointType === "SERVERLESS";

/** Cloud Armor's interval values (rateLimitThreshold and banThreshold). */
export const ARMOR_INTERVALS = [10, 30, 60, 120, 180, 240, 300, 600, 900, 1200, 1800, 2700, 3600];

/**
 * The preconfigured WAF rule names Cloud Armor evaluates (the CRS 3.3 and 3.0 tables of the WAF rules page, plus the
 * CVE rule), each in its `-stable` and `-canary` form.
 */
export const PRECONFIGURED_WAF_RULES: readonly string[] = [
  ...["sqli", "xss", "lfi", "rfi", "rce", "methodenforcement", "scannerdetection", "protocolattack", "php", "sessionfixation", "java", "nodejs"].flatMap((set) => [`${set}-v33-stable`, `${set}-v33-canary`]),
  ...["sqli", "xss", "lfi", "rfi", "rce", "methodenforcement", "scannerdetection", "protocolattack", "php", "sessionfixation"].flatMap((set) => [`${set}-stable`, `${set}-canary`]),
  "cve-canary",
  "json-sqli-canary",
];

type ArmorRule = {
  priority?: number;
  action?: string;
  preview?: boolean;
  match?: { versionedExpr?: string; config?: { srcIpRanges?: string[] }; expr?: { expression?: string } };
  rateLimitOptions?: {
    conformAction?: string;
    exceedAction?: string;
    enforceOnKey?: string;
    rateLimitThreshold?: { count?: number; intervalSec?: number };
    banThreshold?: { count?: number; intervalSec?: number };
    banDurationSec?: number;
  };
};

const rulesOf = (r: PlannedResource) => (valueAt(r.inputs, "rules") as ArmorRule[] | undefined) ?? [];
const where = (rule: ArmorRule) => `rule ${show(rule.priority)}`;

export const loadBalancingRules: FidelityRule[] = [
  // A serverless NEG "can't have any network endpoints, such as IP addresses or ports" and points at exactly one of
  // cloudRun, appEngine, cloudFunction (or serverlessDeployment); a cloudRun NEG names a service or a URL mask. It is
  // regional: in the region of what it points at.
  {
    id: "lb/serverless-neg",
    types: [T.neg],
    field: "cloudRun",
    constraint: "networkEndpointType SERVERLESS with a region, exactly one of cloudRun, appEngine, cloudFunction, serverlessDeployment (cloudRun with service or urlMask), and no network, subnetwork or defaultPort",
    source: NEG_API_SOURCE,
    check(resource) {
      const inputs = resource.inputs;
      if (inputs.networkEndpointType !== "SERVERLESS") return [];
      const problems: string[] = [];
      const targets = ["cloudRun", "appEngine", "cloudFunction", "serverlessDeployment"].filter((field) => inputs[field] !== undefined);
      if (targets.length !== 1) problems.push(`points at ${targets.length === 0 ? "nothing" : targets.join(" and ")}`);
      if (inputs.cloudRun !== undefined && !stringAt(inputs, "cloudRun.service") && !stringAt(inputs, "cloudRun.urlMask")) problems.push("cloudRun without service or urlMask");
      for (const field of ["network", "subnetwork", "defaultPort"]) if (inputs[field] !== undefined) problems.push(`${field} set on a serverless NEG`);
      if (!inputs.region) problems.push("no region");
      return problems;
    },
  },
  // A serverless NEG reaches a Cloud Run service only through the "Internal and Cloud Load Balancing" or "All" ingress:
  // "Internal" refuses the load balancer's requests (https://cloud.google.com/run/docs/securing/ingress). And the NEG
  // must be in the service's region.
  {
    id: "lb/serverless-neg-run-service",
    types: [T.neg],
    field: "cloudRun.service",
    constraint: "a Cloud Run service of the NEG's region whose ingress admits load balancers (INGRESS_TRAFFIC_ALL or INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER)",
    source: "https://cloud.google.com/run/docs/securing/ingress",
    check(resource, earlier) {
      const service = stringAt(resource.inputs, "cloudRun.service");
      if (!service) return [];
      // The service may be declared after its NEG (a NEG may name a service created later): judged from the service's side too.
      const run = earlier.find((r) => r.type === T.run && (r.inputs.name ?? r.state.name) === service);
      if (!run) return [];
      const problems: string[] = [];
      if (run.inputs.ingress === "INGRESS_TRAFFIC_INTERNAL_ONLY") problems.push(`service ${show(service)} has ingress INGRESS_TRAFFIC_INTERNAL_ONLY, which refuses the load balancer`);
      if (run.inputs.location !== undefined && resource.inputs.region !== undefined && run.inputs.location !== resource.inputs.region) problems.push(`service ${show(service)} is in ${show(run.inputs.location)}, the NEG in ${show(resource.inputs.region)}`);
      return problems;
    },
  },
  {
    id: "lb/run-service-behind-neg",
    types: [T.run],
    field: "ingress",
    constraint: "a service that a serverless NEG of the plan points at admits load balancers (INGRESS_TRAFFIC_ALL or INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER)",
    source: "https://cloud.google.com/run/docs/securing/ingress",
    check(resource, earlier) {
      const name = resource.inputs.name ?? resource.state.name;
      const neg = earlier.find((r) => isServerlessNeg(r) && stringAt(r.inputs, "cloudRun.service") === name);
      return neg && resource.inputs.ingress === "INGRESS_TRAFFIC_INTERNAL_ONLY" ? [`ingress INGRESS_TRAFFIC_INTERNAL_ONLY, but NEG ${show(neg.name)} sends load balancer traffic to it`] : [];
    },
  },
  enumRule({
    id: "lb/backend-scheme",
    types: [T.backend, T.forwardingRule],
    field: "loadBalancingScheme",
    source: BACKEND_API_SOURCE,
    values: ["EXTERNAL", "EXTERNAL_MANAGED", "INTERNAL_MANAGED", "INTERNAL_SELF_MANAGED"],
  }),
  // Serverless NEG backends: "You can't use health checks with serverless backends", the backend service's timeout,
  // port name and (for the global external ALB) balancing capacity do not apply and are refused; at most one serverless
  // NEG per region; protocol HTTP, HTTPS or HTTP2.
  {
    id: "lb/serverless-backend",
    types: [T.backend],
    field: "backends",
    constraint: "with serverless NEG backends: no healthChecks, timeoutSec, portName, maxRatePerEndpoint or capacityScaler; protocol HTTP, HTTPS or HTTP2; one NEG per region",
    source: SERVERLESS_NEG_SOURCE,
    check(resource, earlier) {
      const backends = (valueAt(resource.inputs, "backends") as Array<State> | undefined) ?? [];
      const negs = backends.map((b) => referenced(b.group, earlier, [T.neg])).filter(isServerlessNeg);
      if (negs.length === 0) return [];
      const problems: string[] = [];
      const inputs = resource.inputs;
      if (Array.isArray(inputs.healthChecks) ? inputs.healthChecks.length > 0 : inputs.healthChecks !== undefined) problems.push("healthChecks set");
      for (const field of ["timeoutSec", "portName"]) if (inputs[field] !== undefined) problems.push(`${field} ${show(inputs[field])} set`);
      for (const backend of backends) for (const field of ["maxRatePerEndpoint", "capacityScaler", "maxUtilization"]) if (backend[field] !== undefined) problems.push(`backend ${field} set`);
      if (inputs.protocol !== undefined && !["HTTP", "HTTPS", "HTTP2"].includes(String(inputs.protocol))) problems.push(`protocol ${show(inputs.protocol)}`);
      const regions = negs.map((n) => String(n!.inputs.region));
      for (const region of new Set(regions.filter((r, i) => regions.indexOf(r) !== i))) problems.push(`two serverless NEGs in ${region}`);
      return problems;
    },
  },
  // "A load balancer's forwarding rule and its backend service must use the same load balancing scheme"; an
  // EXTERNAL_MANAGED forwarding rule (global external ALB) reaches the backend through a proxy and a URL map.
  {
    id: "lb/scheme-match",
    types: [T.forwardingRule],
    field: "loadBalancingScheme",
    constraint: "the scheme of the backend services its proxy's URL map sends to",
    source: "https://cloud.google.com/load-balancing/docs/forwarding-rule-concepts",
    check(resource, earlier) {
      const proxy = referenced(resource.inputs.target, earlier, [T.httpsProxy, T.httpProxy]);
      const urlMap = proxy && referenced(proxy.inputs.urlMap, earlier, [T.urlMap]);
      const backend = urlMap && referenced(urlMap.inputs.defaultService, earlier, [T.backend]);
      const scheme = resource.inputs.loadBalancingScheme ?? "EXTERNAL";
      const backendScheme = backend?.inputs.loadBalancingScheme ?? "EXTERNAL";
      return backend && scheme !== backendScheme ? [`${show(scheme)}, backend service ${show(backend.name)} has ${show(backendScheme)}`] : [];
    },
  },
  // ipAddress: a reserved external address (an internal one, such as a VPC peering range, is refused for an external
  // forwarding rule); the ports of an external ALB's frontends: HTTPS on a TCP port range of one port.
  {
    id: "lb/forwarding-rule-frontend",
    types: [T.forwardingRule],
    field: "ipAddress",
    constraint: "an EXTERNAL global address, ipProtocol TCP, portRange of one port, a target proxy",
    source: "https://cloud.google.com/load-balancing/docs/forwarding-rule-concepts",
    check(resource, earlier) {
      const problems: string[] = [];
      const address = referenced(resource.inputs.ipAddress, earlier, [T.address]);
      if (address && (address.inputs.addressType ?? "EXTERNAL") !== "EXTERNAL") problems.push(`address ${show(address.name)} is ${show(address.inputs.addressType)}`);
      if (resource.inputs.ipProtocol !== undefined && resource.inputs.ipProtocol !== "TCP") problems.push(`ipProtocol ${show(resource.inputs.ipProtocol)}`);
      const ports = stringAt(resource.inputs, "portRange");
      if (ports !== undefined && !/^\d{1,5}(-\d{1,5})?$/.test(ports)) problems.push(`portRange ${show(ports)}`);
      else if (ports !== undefined) {
        const [low, high = low] = ports.split("-").map(Number);
        if (low !== high || low! < 1 || low! > 65535) problems.push(`portRange ${show(ports)} (an external Application Load Balancer listens on one port per forwarding rule)`);
      }
      if (!resource.inputs.target) problems.push("no target proxy");
      return problems;
    },
  },
  // UrlMap: "defaultService, defaultUrlRedirect or defaultRouteAction.weightedBackendService: only one of them", and a
  // redirect's response code is one of the API's enum.
  {
    id: "lb/url-map-default",
    types: [T.urlMap],
    field: "defaultService",
    constraint: "exactly one of defaultService, defaultUrlRedirect, defaultRouteAction; redirectResponseCode one of MOVED_PERMANENTLY_DEFAULT, FOUND, SEE_OTHER, TEMPORARY_REDIRECT, PERMANENT_REDIRECT",
    source: "https://cloud.google.com/compute/docs/reference/rest/v1/urlMaps",
    check(resource) {
      const set = ["defaultService", "defaultUrlRedirect", "defaultRouteAction"].filter((field) => resource.inputs[field] !== undefined);
      const problems = set.length === 1 ? [] : [`${set.length === 0 ? "none" : set.join(" and ")} set`];
      const code = stringAt(resource.inputs, "defaultUrlRedirect.redirectResponseCode");
      if (code !== undefined && !["MOVED_PERMANENTLY_DEFAULT", "FOUND", "SEE_OTHER", "TEMPORARY_REDIRECT", "PERMANENT_REDIRECT"].includes(code)) problems.push(`redirectResponseCode ${show(code)}`);
      return problems;
    },
  },
  // "You can attach up to 15 SSL certificates to a target HTTPS proxy" (compute SSL certificates; Certificate Manager
  // certificates or a map instead are the other field).
  {
    id: "lb/https-proxy-certificates",
    types: [T.httpsProxy],
    field: "sslCertificates",
    constraint: "1-15 SSL certificates (or Certificate Manager certificates / a certificate map instead, not both)",
    source: "https://cloud.google.com/load-balancing/docs/quotas#ssl_certificates",
    check(resource) {
      const certificates = (valueAt(resource.inputs, "sslCertificates") as unknown[] | undefined) ?? [];
      const others = ["certificateManagerCertificates", "certificateMap"].filter((field) => resource.inputs[field] !== undefined);
      if (certificates.length > 0 && others.length > 0) return [`sslCertificates with ${others.join(" and ")}`];
      if (others.length === 0 && (certificates.length < 1 || certificates.length > 15)) return [`${certificates.length} certificates`];
      return [];
    },
  },
  // Google-managed certificates: "up to 100 domains" each, no wildcard ("Google-managed certificates don't support
  // wildcard domains"), fully qualified names; domains can't be changed in place (the provider replaces the resource).
  {
    id: "lb/managed-certificate-domains",
    types: [T.certificate],
    field: "managed.domains",
    constraint: "1-100 fully qualified domain names, no wildcard, no trailing dot, each label 1-63 characters",
    source: MANAGED_CERT_SOURCE,
    check(resource) {
      const domains = (valueAt(resource.inputs, "managed.domains") as unknown[] | undefined) ?? [];
      if (resource.inputs.managed === undefined) return [];
      if (domains.length < 1 || domains.length > 100) return [`${domains.length} domains`];
      return domains
        .filter((domain) => typeof domain !== "string" || domain.includes("*") || domain.endsWith(".") || !/^([a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?\.)+[a-zA-Z0-9-]{1,63}$/.test(domain) || domain.length > 253)
        .map((domain) => `domain ${show(domain)}`);
    },
  },
  // SslPolicy: profile COMPATIBLE, MODERN, RESTRICTED or CUSTOM (customFeatures only with CUSTOM), minTlsVersion
  // TLS_1_0, TLS_1_1, TLS_1_2 or TLS_1_3.
  {
    id: "lb/ssl-policy",
    types: [T.sslPolicy],
    field: "profile",
    constraint: "profile COMPATIBLE, MODERN, RESTRICTED or CUSTOM (customFeatures only with CUSTOM); minTlsVersion TLS_1_0, TLS_1_1, TLS_1_2 or TLS_1_3",
    source: "https://cloud.google.com/load-balancing/docs/ssl-policies-concepts",
    check(resource) {
      const problems: string[] = [];
      const profile = resource.inputs.profile;
      if (profile !== undefined && !["COMPATIBLE", "MODERN", "RESTRICTED", "CUSTOM"].includes(String(profile))) problems.push(`profile ${show(profile)}`);
      if (resource.inputs.customFeatures !== undefined && profile !== "CUSTOM") problems.push("customFeatures without profile CUSTOM");
      const tls = resource.inputs.minTlsVersion;
      if (tls !== undefined && !["TLS_1_0", "TLS_1_1", "TLS_1_2", "TLS_1_3"].includes(String(tls))) problems.push(`minTlsVersion ${show(tls)}`);
      return problems;
    },
  },
  // A backend service takes a backend security policy (type CLOUD_ARMOR); an edge policy (CLOUD_ARMOR_EDGE) goes in
  // edgeSecurityPolicy, a network one on no backend service of an Application Load Balancer.
  {
    id: "armor/backend-policy-type",
    types: [T.backend],
    field: "securityPolicy",
    constraint: "a security policy of type CLOUD_ARMOR (the default type)",
    source: "https://cloud.google.com/armor/docs/security-policy-overview#policy-types",
    check(resource, earlier) {
      const policy = referenced(resource.inputs.securityPolicy, earlier, [T.securityPolicy]);
      const type = policy?.inputs.type ?? "CLOUD_ARMOR";
      return policy && type !== "CLOUD_ARMOR" ? [`policy ${show(policy.name)} of type ${show(type)}`] : [];
    },
  },
  enumRule({ id: "armor/policy-type", types: [T.securityPolicy], field: "type", source: ARMOR_POLICY_SOURCE, values: ["CLOUD_ARMOR", "CLOUD_ARMOR_EDGE", "CLOUD_ARMOR_NETWORK"] }),
  // "There must always be a default rule (rule with priority 2147483647 and match '*')"; priorities are unique
  // integers 0-2147483647.
  {
    id: "armor/rule-priorities",
    types: [T.securityPolicy],
    field: "rules",
    constraint: "unique integer priorities 0-2147483647, and a default rule: priority 2147483647 matching srcIpRanges [\"*\"] (SRC_IPS_V1)",
    source: ARMOR_POLICY_SOURCE,
    check(resource) {
      const rules = rulesOf(resource);
      if (rules.length === 0) return [];
      const problems: string[] = [];
      const priorities = rules.map((rule) => rule.priority);
      for (const priority of priorities) if (!Number.isInteger(priority) || priority! < 0 || priority! > 2147483647) problems.push(`priority ${show(priority)}`);
      for (const priority of new Set(priorities.filter((p, i) => priorities.indexOf(p) !== i))) problems.push(`priority ${show(priority)} used twice`);
      const fallback = rules.find((rule) => rule.priority === 2147483647);
      if (!fallback || fallback.match?.versionedExpr !== "SRC_IPS_V1" || JSON.stringify(fallback.match?.config?.srcIpRanges) !== '["*"]') problems.push("no default rule (priority 2147483647 matching *)");
      return problems;
    },
  },
  // Rule actions: allow, deny(403|404|502), redirect, throttle, rate_based_ban. rateLimitOptions "must be specified if
  // the action is rate_based_ban or throttle; cannot be specified for any other actions"; conformAction "allow" only;
  // exceedAction deny(403|404|429|502) or redirect; banThreshold and banDurationSec only with rate_based_ban;
  // thresholds' intervals one of 10, 30, 60, 120, 180, 240, 300, 600, 900, 1200, 1800, 2700, 3600 s; counts 1-10,000
  // for a rate-based ban, 1-1,000,000 for a throttle; enforceOnKey one of the API's keys.
  {
    id: "armor/rule-actions",
    types: [T.securityPolicy],
    field: "rules[].action",
    constraint:
      "action allow, deny(403|404|502), redirect, throttle or rate_based_ban; rateLimitOptions exactly with throttle and rate_based_ban (conformAction allow, exceedAction deny(403|404|429|502) or redirect, intervals of 10-3600 s from the documented list, counts 1-10000 for a ban, 1-1000000 for a throttle; banThreshold and banDurationSec only with rate_based_ban)",
    source: RATE_LIMIT_SOURCE,
    check(resource) {
      const problems: string[] = [];
      for (const rule of rulesOf(resource)) {
        const action = String(rule.action ?? "");
        if (!/^(allow|deny\((403|404|502)\)|redirect|throttle|rate_based_ban)$/.test(action)) problems.push(`${where(rule)}: action ${show(rule.action)}`);
        const limited = action === "throttle" || action === "rate_based_ban";
        const options = rule.rateLimitOptions;
        if (limited !== (options !== undefined)) {
          problems.push(`${where(rule)}: ${limited ? "no rateLimitOptions" : "rateLimitOptions"} with action ${show(action)}`);
          continue;
        }
        if (!options) continue;
        if (options.conformAction !== "allow") problems.push(`${where(rule)}: conformAction ${show(options.conformAction)}`);
        if (!/^(deny\((403|404|429|502)\)|redirect)$/.test(String(options.exceedAction))) problems.push(`${where(rule)}: exceedAction ${show(options.exceedAction)}`);
        const keys = ["ALL", "IP", "HTTP_HEADER", "XFF_IP", "HTTP_COOKIE", "HTTP_PATH", "SNI", "REGION_CODE", "TLS_JA3_FINGERPRINT", "TLS_JA4_FINGERPRINT", "USER_IP"];
        if (options.enforceOnKey !== undefined && !keys.includes(options.enforceOnKey)) problems.push(`${where(rule)}: enforceOnKey ${show(options.enforceOnKey)}`);
        const maxCount = action === "rate_based_ban" ? 10_000 : 1_000_000;
        const thresholds: Array<[string, { count?: number; intervalSec?: number } | undefined]> = [["rateLimitThreshold", options.rateLimitThreshold], ["banThreshold", options.banThreshold]];
        if (!options.rateLimitThreshold) problems.push(`${where(rule)}: no rateLimitThreshold`);
        for (const [field, threshold] of thresholds) {
          if (!threshold) continue;
          if (!Number.isInteger(threshold.count) || threshold.count! < 1 || threshold.count! > maxCount) problems.push(`${where(rule)}: ${field}.count ${show(threshold.count)}`);
          if (!ARMOR_INTERVALS.includes(Number(threshold.intervalSec))) problems.push(`${where(rule)}: ${field}.intervalSec ${show(threshold.intervalSec)}`);
        }
        if (action !== "rate_based_ban" && (options.banThreshold !== undefined || options.banDurationSec !== undefined)) problems.push(`${where(rule)}: banThreshold or banDurationSec with action ${show(action)}`);
        if (options.banDurationSec !== undefined && !(Number.isInteger(options.banDurationSec) && options.banDurationSec > 0)) problems.push(`${where(rule)}: banDurationSec ${show(options.banDurationSec)}`);
      }
      return problems;
    },
  },
  // evaluatePreconfiguredWaf('<rule>', {'sensitivity': N}): a rule name of the WAF rules page, a sensitivity of 0-4
  // ("You can select a sensitivity between 0 and 4", https://cloud.google.com/armor/docs/rule-tuning).
  {
    id: "armor/waf-rules",
    types: [T.securityPolicy],
    field: "rules[].match.expr.expression",
    constraint: "evaluatePreconfiguredWaf with a documented rule name (CRS 3.3 or 3.0, -stable or -canary) and sensitivity 0-4",
    source: WAF_SOURCE,
    check(resource) {
      const problems: string[] = [];
      for (const rule of rulesOf(resource)) {
        const expression = rule.match?.expr?.expression ?? "";
        for (const call of expression.matchAll(/evaluatePreconfigured(?:Waf|Expr)\(\s*'([^']*)'\s*(?:,\s*\{\s*'sensitivity'\s*:\s*(-?\d+)\s*\})?/g)) {
          if (!PRECONFIGURED_WAF_RULES.includes(call[1]!)) problems.push(`${where(rule)}: WAF rule ${show(call[1])}`);
          if (call[2] !== undefined && !(Number(call[2]) >= 0 && Number(call[2]) <= 4)) problems.push(`${where(rule)}: sensitivity ${call[2]}`);
        }
      }
      return problems;
    },
  },
  // Adaptive Protection is a feature of backend security policies (type CLOUD_ARMOR); ruleVisibility STANDARD or
  // PREMIUM (PREMIUM needs Cloud Armor Enterprise, which the offline plan cannot see: pulsura uses STANDARD).
  {
    id: "armor/adaptive-protection",
    types: [T.securityPolicy],
    field: "adaptiveProtectionConfig",
    constraint: "only on a CLOUD_ARMOR (backend) policy; layer7DdosDefenseConfig.ruleVisibility STANDARD or PREMIUM, and only when enabled",
    source: "https://cloud.google.com/armor/docs/adaptive-protection-overview",
    check(resource) {
      const config = valueAt(resource.inputs, "adaptiveProtectionConfig.layer7DdosDefenseConfig") as { enable?: boolean; ruleVisibility?: string } | undefined;
      if (!config) return [];
      const problems: string[] = [];
      const type = resource.inputs.type ?? "CLOUD_ARMOR";
      if (config.enable && type !== "CLOUD_ARMOR") problems.push(`enabled on a ${show(type)} policy`);
      if (config.ruleVisibility !== undefined && !["STANDARD", "PREMIUM"].includes(config.ruleVisibility)) problems.push(`ruleVisibility ${show(config.ruleVisibility)}`);
      if (config.ruleVisibility !== undefined && !config.enable) problems.push("ruleVisibility without enable");
      return problems;
    },
  },
  // advancedOptionsConfig.jsonParsing DISABLED, STANDARD or STANDARD_WITH_GRAPHQL; jsonCustomConfig "only applicable
  // when jsonParsing is set to STANDARD"; logLevel NORMAL or VERBOSE.
  {
    id: "armor/advanced-options",
    types: [T.securityPolicy],
    field: "advancedOptionsConfig",
    constraint: "jsonParsing DISABLED, STANDARD or STANDARD_WITH_GRAPHQL (jsonCustomConfig only with STANDARD), logLevel NORMAL or VERBOSE",
    source: "https://cloud.google.com/armor/docs/security-policy-overview#json-parsing",
    check(resource) {
      const options = valueAt(resource.inputs, "advancedOptionsConfig") as { jsonParsing?: string; logLevel?: string; jsonCustomConfig?: unknown } | undefined;
      if (!options) return [];
      const problems: string[] = [];
      if (options.jsonParsing !== undefined && !["DISABLED", "STANDARD", "STANDARD_WITH_GRAPHQL"].includes(options.jsonParsing)) problems.push(`jsonParsing ${show(options.jsonParsing)}`);
      if (options.jsonCustomConfig !== undefined && options.jsonParsing !== "STANDARD") problems.push("jsonCustomConfig without jsonParsing STANDARD");
      if (options.logLevel !== undefined && !["NORMAL", "VERBOSE"].includes(options.logLevel)) problems.push(`logLevel ${show(options.logLevel)}`);
      return problems;
    },
  },
];
