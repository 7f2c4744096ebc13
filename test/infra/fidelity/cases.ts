/**
 * A compliant and a non-compliant set of resources for every fidelity rule, keyed by rule id. Resources are judged in
 * order, each against the ones before it (as the mocks register them).
 */
import type { FidelityContext, PlannedResource } from "../../../scripts/lib/fidelity";

export interface RuleCase {
  pass: PlannedResource[];
  fail: PlannedResource[];
  /** What the failing case's problem says. */
  message: RegExp;
  ctx?: Partial<FidelityContext>;
}

type State = Record<string, unknown>;

/** A planned resource; the mock's state is the inputs plus `state`. */
const res = (type: string, name: string, inputs: State, state: State = {}): PlannedResource => ({ type, name, inputs, state: { ...inputs, ...state } });

const T = {
  account: "gcp:serviceaccount/account:Account",
  projectMember: "gcp:projects/iAMMember:IAMMember",
  secretMember: "gcp:secretmanager/secretIamMember:SecretIamMember",
  runMember: "gcp:cloudrunv2/serviceIamMember:ServiceIamMember",
  run: "gcp:cloudrunv2/service:Service",
  connector: "gcp:vpcaccess/connector:Connector",
  repository: "gcp:artifactregistry/repository:Repository",
  secret: "gcp:secretmanager/secret:Secret",
  bucket: "gcp:storage/bucket:Bucket",
  gen1: "gcp:cloudfunctions/function:Function",
  gen2: "gcp:cloudfunctionsv2/function:Function",
  network: "gcp:compute/network:Network",
  subnet: "gcp:compute/subnetwork:Subnetwork",
  instance: "gcp:sql/databaseInstance:DatabaseInstance",
  user: "gcp:sql/user:User",
  password: "random:index/randomPassword:RandomPassword",
  poolProvider: "gcp:iam/workloadIdentityPoolProvider:WorkloadIdentityPoolProvider",
  exclusion: "gcp:logging/projectExclusion:ProjectExclusion",
  topic: "gcp:pubsub/topic:Topic",
  subscription: "gcp:pubsub/subscription:Subscription",
  notification: "gcp:storage/notification:Notification",
  queue: "gcp:cloudtasks/queue:Queue",
  queueMember: "gcp:cloudtasks/queueIamMember:QueueIamMember",
} as const;

const account = (name: string, accountId: string) => res(T.account, name, { project: "p-one", accountId });
const run = (name: string, inputs: State) => res(T.run, name, { project: "p-one", location: "europe-west1", ...inputs });
const instance = (settings: State, databaseVersion = "POSTGRES_17") => res(T.instance, "db", { databaseVersion, settings: { edition: "ENTERPRISE", ...settings } }, { name: "db-1234567" });
const policy = { enablePasswordPolicy: true, complexity: "COMPLEXITY_DEFAULT", minLength: 20 };
const generator = (name: string, inputs: State, result: string) => res(T.password, name, inputs, { result });
const user = (password: string) => res(T.user, "db-user", { instance: "db-1234567", name: "app", password });
/** A condition of exactly `length` characters. */
const conditionOf = (length: number) => `assertion.sub == "${"x".repeat(length - 'assertion.sub == ""'.length)}"`;
const customAttributes = (count: number) => Object.fromEntries(Array.from({ length: count }, (_, i) => [`attribute.claim_${i}`, `assertion.claim_${i}`]));
const poolProvider = (inputs: State) => res(T.poolProvider, "github-actions", { project: "p-admin", workloadIdentityPoolId: "github", workloadIdentityPoolProviderId: "github-actions", ...inputs });
const exclusion = (name: string, inputs: State) => res(T.exclusion, name, { project: "p-one", name, filter: 'log_id("run.googleapis.com/stdout")', ...inputs });
const guaranteed = { length: 32, minLower: 1, minUpper: 1, minNumeric: 1, minSpecial: 1, overrideSpecial: "-_.~" };

// Monitoring, log-based metrics and budgets (scripts/lib/fidelity/monitoring.ts, logging.ts, billing.ts).
const M = {
  alert: "gcp:monitoring/alertPolicy:AlertPolicy",
  uptime: "gcp:monitoring/uptimeCheckConfig:UptimeCheckConfig",
  channel: "gcp:monitoring/notificationChannel:NotificationChannel",
  dashboard: "gcp:monitoring/dashboard:Dashboard",
  logMetric: "gcp:logging/metric:Metric",
  budget: "gcp:billing/budget:Budget",
} as const;
const RUN_5XX = 'metric.type="run.googleapis.com/request_count" AND resource.type="cloud_run_revision" AND metric.labels.response_code_class="5xx"';
const agg = (perSeriesAligner: string, crossSeriesReducer = "REDUCE_SUM", alignmentPeriod = "300s") => ({ alignmentPeriod, perSeriesAligner, crossSeriesReducer, groupByFields: [] });
const threshold = (filter: string, extra: State = {}) => ({ filter, aggregations: [agg("ALIGN_RATE")], comparison: "COMPARISON_GT", thresholdValue: 1, duration: "300s", ...extra });
const alertPolicy = (name: string, conditionThreshold: State, extra: State = {}) =>
  res(M.alert, name, { project: "p-one", displayName: name, combiner: "OR", severity: "ERROR", conditions: [{ displayName: "c", conditionThreshold }], ...extra });
const logMetric = (name: string, inputs: State = {}) =>
  res(M.logMetric, `m-${name}`, { project: "p-one", name, filter: 'resource.type="cloud_run_revision" AND jsonPayload.type="event-trigger"', metricDescriptor: { metricKind: "DELTA", valueType: "INT64" }, ...inputs });
const uptime = (inputs: State) =>
  res(M.uptime, "u", { project: "p-one", period: "60s", timeout: "10s", monitoredResource: { type: "uptime_url", labels: { project_id: "p-one", host: "h.run.app" } }, httpCheck: { path: "/hasura/healthz", port: 443 }, ...inputs });
const dashboardJson = (filter: string, extraWidget: State = {}) =>
  JSON.stringify({
    displayName: "d",
    mosaicLayout: { columns: 48, tiles: [{ xPos: 0, yPos: 0, width: 24, height: 16, widget: { title: "t", xyChart: { dataSets: [{ plotType: "LINE", timeSeriesQuery: { timeSeriesFilter: { filter, aggregation: agg("ALIGN_RATE", "REDUCE_SUM", "60s") } } }] }, ...extraWidget } }] },
  });
const budget = (inputs: State) => res(M.budget, "b", { billingAccount: "012345-6789AB-CDEF01", displayName: "pulsura monthly", thresholdRules: [{ thresholdPercent: 0.5, spendBasis: "CURRENT_SPEND" }], ...inputs });

export const monitoringRuleCases: Record<string, RuleCase> = {
  "monitoring/alert-combiner": { pass: [alertPolicy("a", threshold(RUN_5XX))], fail: [alertPolicy("a", threshold(RUN_5XX), { combiner: "ANY" })], message: /"ANY"/ },
  "monitoring/alert-severity": { pass: [alertPolicy("a", threshold(RUN_5XX))], fail: [alertPolicy("a", threshold(RUN_5XX), { severity: "HIGH" })], message: /"HIGH"/ },
  "monitoring/alert-conditions": {
    pass: [alertPolicy("a", threshold(RUN_5XX))],
    fail: [alertPolicy("a", threshold(RUN_5XX), { conditions: Array.from({ length: 7 }, () => ({ displayName: "c", conditionThreshold: threshold(RUN_5XX) })) })],
    message: /7 conditions/,
  },
  "monitoring/alert-filter-syntax": {
    pass: [alertPolicy("a", threshold(`${RUN_5XX} AND resource.labels.service_name=one_of("a", "b")`))],
    // A bare word as a value, as in `metric.type = run.googleapis.com/...`, does not parse.
    fail: [alertPolicy("a", threshold("metric.type=run.googleapis.com/request_count AND"))],
    message: /does not parse/,
  },
  "monitoring/alert-metric-known": {
    pass: [logMetric("pulsura/hasura/event_failures"), alertPolicy("a", threshold(RUN_5XX)), alertPolicy("b", threshold('metric.type="logging.googleapis.com/user/pulsura/hasura/event_failures"', { aggregations: [agg("ALIGN_SUM")] }))],
    fail: [
      alertPolicy("a", threshold('metric.type="run.googleapis.com/request_counts"')),
      // A percentile needs a distribution: request_count is an INT64 counter.
      alertPolicy("b", threshold(RUN_5XX, { aggregations: [agg("ALIGN_PERCENTILE_95", "REDUCE_MAX")] })),
    ],
    message: /neither in scripts\/lib\/fidelity\/monitoring-metrics\.ts|ALIGN_PERCENTILE_95 does not take a DELTA INT64 metric/,
  },
  "monitoring/alert-threshold": {
    pass: [alertPolicy("a", threshold(RUN_5XX, { duration: "0s" }))],
    fail: [alertPolicy("a", threshold(RUN_5XX, { duration: "90s", aggregations: [agg("ALIGN_RATE", "REDUCE_SUM", "30s")] }))],
    message: /duration: got "90s"|alignmentPeriod: got "30s"/,
  },
  "monitoring/uptime-period": { pass: [uptime({})], fail: [uptime({ period: "120s" })], message: /"120s"/ },
  "monitoring/uptime-timeout": { pass: [uptime({ timeout: "60s" })], fail: [uptime({ timeout: "61s" })], message: /"61s"/ },
  "monitoring/uptime-http-check": { pass: [uptime({})], fail: [uptime({ httpCheck: { path: "hasura/healthz", port: 443 } })], message: /path: got "hasura\/healthz"/ },
  "monitoring/notification-channel": {
    pass: [res(M.channel, "c", { type: "email", labels: { email_address: "ops@example.com" } })],
    fail: [res(M.channel, "c", { type: "email", labels: { address: "ops@example.com" } })],
    message: /without an address/,
  },
  "monitoring/dashboard-json": {
    pass: [res(M.dashboard, "d", { dashboardJson: dashboardJson(RUN_5XX) })],
    // "xyCharts" is no Widget field.
    fail: [res(M.dashboard, "d", { dashboardJson: dashboardJson(RUN_5XX, { xyCharts: {} }) })],
    message: /xyCharts|Unrecognized key/,
  },
  "logging/metric-name": { pass: [logMetric("pulsura/hasura/event_failures")], fail: [logMetric("/pulsura/event failures")], message: /got "\/pulsura\/event failures"/ },
  "logging/metric-name-unique": { pass: [logMetric("a"), logMetric("b")], fail: [logMetric("a"), { ...logMetric("a"), name: "m-a2" }], message: /already used/ },
  "logging/metric-filter": {
    pass: [logMetric("a", { filter: 'resource.type="cloud_run_revision" jsonPayload.detail.response.type:* severity>=ERROR' })],
    fail: [logMetric("a", { filter: 'resource.type=="cloud_run_revision" AND (jsonPayload.type="event-trigger"' })],
    message: /"==" at/,
  },
  "logging/metric-descriptor": {
    pass: [logMetric("a", { metricDescriptor: { metricKind: "DELTA", valueType: "INT64", labels: [{ key: "trigger" }] }, labelExtractors: { trigger: "EXTRACT(jsonPayload.detail.event_name)" } })],
    fail: [logMetric("a", { metricDescriptor: { metricKind: "GAUGE", valueType: "DISTRIBUTION" } })],
    message: /metricKind: got "GAUGE"|DISTRIBUTION needs valueExtractor/,
  },
  "billing/budget-thresholds": {
    pass: [budget({})],
    fail: [budget({ thresholdRules: [{ thresholdPercent: -0.1 }, { thresholdPercent: 1, spendBasis: "FORECAST" }] })],
    message: /thresholdPercent: got -0.1|spendBasis: got "FORECAST"/,
  },
  "billing/budget-account": { pass: [budget({})], fail: [budget({ billingAccount: "0123456789AB" })], message: /billingAccount: got "0123456789AB"/ },
};


// Load balancing and Cloud Armor (scripts/lib/fidelity/loadbalancing.ts): the edge of pulsura:apiDomain.
const L = {
  neg: "gcp:compute/regionNetworkEndpointGroup:RegionNetworkEndpointGroup",
  backend: "gcp:compute/backendService:BackendService",
  certificate: "gcp:compute/managedSslCertificate:ManagedSslCertificate",
  httpsProxy: "gcp:compute/targetHttpsProxy:TargetHttpsProxy",
  urlMap: "gcp:compute/uRLMap:URLMap",
  forwardingRule: "gcp:compute/globalForwardingRule:GlobalForwardingRule",
  sslPolicy: "gcp:compute/sSLPolicy:SSLPolicy",
  armor: "gcp:compute/securityPolicy:SecurityPolicy",
  address: "gcp:compute/globalAddress:GlobalAddress",
} as const;
const ids = (collection: string, name: string) => ({ id: `projects/p-one/${collection}/${name}`, selfLink: `https://www.googleapis.com/compute/v1/projects/p-one/${collection}/${name}` });
const neg = (inputs: State = {}) => res(L.neg, "neg", { project: "p-one", region: "europe-west1", name: "neg", networkEndpointType: "SERVERLESS", cloudRun: { service: "api" }, ...inputs }, ids("regions/europe-west1/networkEndpointGroups", "neg"));
const backend = (inputs: State = {}) =>
  res(L.backend, "backend", { project: "p-one", name: "backend", loadBalancingScheme: "EXTERNAL_MANAGED", protocol: "HTTPS", backends: [{ group: "projects/p-one/regions/europe-west1/networkEndpointGroups/neg" }], ...inputs }, ids("global/backendServices", "backend"));
const urlMap = (inputs: State = {}) => res(L.urlMap, "urls", { project: "p-one", name: "urls", defaultService: "projects/p-one/global/backendServices/backend", ...inputs }, ids("global/urlMaps", "urls"));
const httpsProxy = (inputs: State = {}) =>
  res(L.httpsProxy, "https", { project: "p-one", name: "https", urlMap: "projects/p-one/global/urlMaps/urls", sslCertificates: ["projects/p-one/global/sslCertificates/cert"], ...inputs }, ids("global/targetHttpsProxies", "https"));
const address = (inputs: State = {}) => res(L.address, "ip", { project: "p-one", name: "ip", addressType: "EXTERNAL", ...inputs }, ids("global/addresses", "ip"));
const forwardingRule = (inputs: State = {}) =>
  res(L.forwardingRule, "rule", { project: "p-one", name: "rule", target: "projects/p-one/global/targetHttpsProxies/https", ipAddress: "projects/p-one/global/addresses/ip", ipProtocol: "TCP", portRange: "443", loadBalancingScheme: "EXTERNAL_MANAGED", ...inputs });
const defaultRule = { priority: 2147483647, action: "allow", match: { versionedExpr: "SRC_IPS_V1", config: { srcIpRanges: ["*"] } } };
const banRule = (options: State = {}, action = "rate_based_ban") => ({
  priority: 1000,
  action,
  match: { versionedExpr: "SRC_IPS_V1", config: { srcIpRanges: ["*"] } },
  rateLimitOptions: { enforceOnKey: "IP", conformAction: "allow", exceedAction: "deny(429)", rateLimitThreshold: { count: 600, intervalSec: 60 }, banThreshold: { count: 3000, intervalSec: 300 }, banDurationSec: 600, ...options },
});
const wafRule = (expression: string) => ({ priority: 2000, action: "deny(403)", match: { expr: { expression } } });
const armor = (inputs: State = {}) => res(L.armor, "armor", { project: "p-one", name: "armor", type: "CLOUD_ARMOR", rules: [banRule(), defaultRule], ...inputs }, ids("global/securityPolicies", "armor"));

export const loadBalancingRuleCases: Record<string, RuleCase> = {
  "lb/serverless-neg": {
    pass: [neg()],
    fail: [neg({ cloudRun: { tag: "blue" } }), neg({ appEngine: { service: "default" } }), neg({ network: "vpc" })],
    message: /cloudRun without service or urlMask|points at cloudRun and appEngine|network set on a serverless NEG/,
  },
  "lb/serverless-neg-run-service": {
    pass: [run("s", { name: "api", ingress: "INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER" }), neg()],
    fail: [run("s", { name: "api", ingress: "INGRESS_TRAFFIC_INTERNAL_ONLY" }), neg({ region: "europe-west3" })],
    message: /INGRESS_TRAFFIC_INTERNAL_ONLY, which refuses the load balancer|is in "europe-west1", the NEG in "europe-west3"/,
  },
  "lb/run-service-behind-neg": {
    pass: [neg(), run("s", { name: "api", ingress: "INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER" })],
    fail: [neg(), run("s", { name: "api", ingress: "INGRESS_TRAFFIC_INTERNAL_ONLY" })],
    message: /but NEG "neg" sends load balancer traffic to it/,
  },
  "lb/backend-scheme": { pass: [backend()], fail: [backend({ loadBalancingScheme: "EXTERNAL_GLOBAL" })], message: /"EXTERNAL_GLOBAL"/ },
  "lb/serverless-backend": {
    pass: [neg(), backend()],
    // What an instance-group backend service takes, refused with a serverless NEG behind it.
    fail: [neg(), backend({ healthChecks: ["projects/p-one/global/healthChecks/hc"], timeoutSec: 3600, backends: [{ group: "projects/p-one/regions/europe-west1/networkEndpointGroups/neg", capacityScaler: 1 }] })],
    message: /healthChecks set|timeoutSec 3600 set|backend capacityScaler set/,
  },
  "lb/scheme-match": {
    pass: [backend(), urlMap(), httpsProxy(), forwardingRule()],
    fail: [backend(), urlMap(), httpsProxy(), forwardingRule({ loadBalancingScheme: "EXTERNAL" })],
    message: /"EXTERNAL", backend service "backend" has "EXTERNAL_MANAGED"/,
  },
  "lb/forwarding-rule-frontend": {
    pass: [address(), forwardingRule()],
    fail: [address({ addressType: "INTERNAL", purpose: "VPC_PEERING" }), forwardingRule({ portRange: "80-443" })],
    message: /address "ip" is "INTERNAL"|portRange "80-443"/,
  },
  "lb/url-map-default": {
    pass: [urlMap(), res(L.urlMap, "redirect", { defaultUrlRedirect: { httpsRedirect: true, redirectResponseCode: "PERMANENT_REDIRECT" } })],
    fail: [urlMap({ defaultUrlRedirect: { httpsRedirect: true } }), res(L.urlMap, "redirect", { defaultUrlRedirect: { httpsRedirect: true, redirectResponseCode: "308" } })],
    message: /defaultService and defaultUrlRedirect set|redirectResponseCode "308"/,
  },
  "lb/https-proxy-certificates": {
    pass: [httpsProxy()],
    fail: [httpsProxy({ sslCertificates: Array.from({ length: 16 }, (_, i) => `projects/p-one/global/sslCertificates/c${i}`) })],
    message: /16 certificates/,
  },
  "lb/managed-certificate-domains": {
    pass: [res(L.certificate, "cert", { managed: { domains: ["api.example.com"] } })],
    fail: [res(L.certificate, "cert", { managed: { domains: ["*.example.com"] } }), res(L.certificate, "cert2", { managed: { domains: [] } })],
    message: /domain "\*\.example\.com"|0 domains/,
  },
  "lb/ssl-policy": {
    pass: [res(L.sslPolicy, "tls", { profile: "MODERN", minTlsVersion: "TLS_1_2" })],
    fail: [res(L.sslPolicy, "tls", { profile: "MODERN", minTlsVersion: "TLS1_2", customFeatures: ["TLS_AES_128_GCM_SHA256"] })],
    message: /minTlsVersion "TLS1_2"|customFeatures without profile CUSTOM/,
  },
  "armor/backend-policy-type": {
    pass: [armor(), backend({ securityPolicy: "https://www.googleapis.com/compute/v1/projects/p-one/global/securityPolicies/armor" })],
    fail: [armor({ type: "CLOUD_ARMOR_EDGE" }), backend({ securityPolicy: "https://www.googleapis.com/compute/v1/projects/p-one/global/securityPolicies/armor" })],
    message: /policy "armor" of type "CLOUD_ARMOR_EDGE"/,
  },
  "armor/policy-type": { pass: [armor()], fail: [armor({ type: "CLOUD_ARMOR_BACKEND" })], message: /"CLOUD_ARMOR_BACKEND"/ },
  "armor/rule-priorities": {
    pass: [armor()],
    fail: [armor({ rules: [banRule(), { ...banRule(), priority: 1000 }] })],
    message: /priority 1000 used twice|no default rule/,
  },
  "armor/rule-actions": {
    pass: [armor(), armor({ rules: [banRule({ banThreshold: undefined, banDurationSec: undefined, rateLimitThreshold: { count: 500000, intervalSec: 60 } }, "throttle"), defaultRule] })],
    fail: [
      armor({ rules: [banRule({ rateLimitThreshold: { count: 20000, intervalSec: 45 } }), defaultRule] }),
      armor({ rules: [banRule({}, "throttle"), { ...wafRule("true"), action: "deny(429)" }, defaultRule] }),
    ],
    message: /rateLimitThreshold\.count 20000|rateLimitThreshold\.intervalSec 45|banThreshold or banDurationSec with action "throttle"|action "deny\(429\)"/,
  },
  "armor/waf-rules": {
    pass: [armor({ rules: [wafRule("evaluatePreconfiguredWaf('sqli-v33-stable', {'sensitivity': 1})"), defaultRule] })],
    fail: [armor({ rules: [wafRule("evaluatePreconfiguredWaf('sqli-v34-stable', {'sensitivity': 5})"), defaultRule] })],
    message: /WAF rule "sqli-v34-stable"|sensitivity 5/,
  },
  "armor/adaptive-protection": {
    pass: [armor({ adaptiveProtectionConfig: { layer7DdosDefenseConfig: { enable: true, ruleVisibility: "STANDARD" } } })],
    fail: [armor({ type: "CLOUD_ARMOR_EDGE", adaptiveProtectionConfig: { layer7DdosDefenseConfig: { enable: true, ruleVisibility: "ENTERPRISE" } } })],
    message: /enabled on a "CLOUD_ARMOR_EDGE" policy|ruleVisibility "ENTERPRISE"/,
  },
  "armor/advanced-options": {
    pass: [armor({ advancedOptionsConfig: { jsonParsing: "STANDARD_WITH_GRAPHQL", logLevel: "NORMAL" } })],
    fail: [armor({ advancedOptionsConfig: { jsonParsing: "GRAPHQL", jsonCustomConfig: { contentTypes: ["application/graphql"] } } })],
    message: /jsonParsing "GRAPHQL"|jsonCustomConfig without jsonParsing STANDARD/,
  },
};

export const ruleCases: Record<string, RuleCase> = {
  ...monitoringRuleCases,
  ...loadBalancingRuleCases,
  // iam
  "iam/service-account-id": {
    pass: [account("a", "pulsura-functions-build")],
    fail: [account("a", "abcdefghij-klmnopqrstu-functions")],
    message: /32 characters/,
  },
  "iam/service-account-id-unique": {
    pass: [account("a", "tenant-functions"), account("b", "tenant-functions-b")],
    // What `${name}-${id}`.slice(0, 30) makes of `…-functions` and `…-functions-build` on a long tenant name.
    fail: [account("a", "abcdefghij-klmnopqr-functions"), account("b", "abcdefghij-klmnopqr-functions")],
    message: /already used by gcp:serviceaccount\/account:Account "a"/,
  },
  "iam/service-account-text": {
    pass: [res(T.account, "a", { project: "p-one", accountId: "pulsura-hasura", displayName: "é".repeat(50), description: "d".repeat(256) })],
    // 51 two-byte characters: 102 UTF-8 bytes, though only 51 characters.
    fail: [res(T.account, "a", { project: "p-one", accountId: "pulsura-hasura", displayName: "é".repeat(51) })],
    message: /displayName is 102 UTF-8 bytes, at most 100/,
  },
  "iam/role-grantable": {
    pass: [
      res(T.projectMember, "m1", { project: "p-one", role: "roles/logging.logWriter", member: "serviceAccount:a@p-one.iam.gserviceaccount.com" }),
      res(T.secretMember, "m2", { secretId: "s", role: "roles/secretmanager.secretAccessor", member: "serviceAccount:a@p-one.iam.gserviceaccount.com" }),
      res(T.queueMember, "m3", { name: "q", role: "roles/cloudtasks.enqueuer", member: "serviceAccount:a@p-one.iam.gserviceaccount.com" }),
    ],
    fail: [
      res(T.secretMember, "m", { secretId: "s", role: "roles/run.invoker", member: "allUsers" }),
      res(T.queueMember, "m4", { name: "q", role: "roles/run.invoker", member: "serviceAccount:a@p-one.iam.gserviceaccount.com" }),
    ],
    message: /on a (secretmanager\.secret|cloudtasks\.queue)/,
  },
  "iam/member-format": {
    pass: [res(T.runMember, "m", { name: "svc", role: "roles/run.invoker", member: "allUsers" })],
    fail: [res(T.runMember, "m", { name: "svc", role: "roles/run.invoker", member: "a@p-one.iam.gserviceaccount.com" })],
    message: /got "a@p-one/,
  },
  "iam/wif-attribute-condition": {
    pass: [poolProvider({ attributeCondition: conditionOf(4096) })],
    fail: [poolProvider({ attributeCondition: conditionOf(4097) })],
    message: /the condition is 4097 characters; Google accepts at most 4096/,
  },
  "iam/wif-attribute-mapping": {
    pass: [poolProvider({ attributeMapping: { "google.subject": "assertion.sub", "attribute.pulsura_identity": `"x".size() > 0 ? "deployer" : "none"`, ...customAttributes(49) } })],
    fail: [
      poolProvider({ attributeMapping: { "attribute.repository": "assertion.repository" } }),
      poolProvider({ attributeMapping: { "google.subject": "assertion.sub", "attribute.Pulsura-Identity": "assertion.sub" } }),
      poolProvider({ attributeMapping: { "google.subject": "assertion.sub", ...customAttributes(51) } }),
      poolProvider({ attributeMapping: { "google.subject": `assertion.sub + "${"x".repeat(2048)}"` } }),
    ],
    message: /no google\.subject|custom attribute "attribute\.Pulsura-Identity"|51 custom attributes|2066-character expression; Google accepts at most 2048/,
  },
  // run
  "run/service-name": {
    pass: [run("s", { name: "abcdefghij-klmnopqrstu-abcdefghij-klmnopqrstu" })],
    fail: [run("s", { name: "abcdefghij-klmnopqrstu-abcdefghij-klmnopqrstu-hasura" })],
    message: /52 characters/,
  },
  "run/deterministic-url": {
    pass: [run("s", { name: "pulsura-hasura" })],
    // With a 12-digit project number the < 50 rule is binding; a longer number shows the DNS-label limit on its own.
    fail: [run("s", { name: "abcdefghij-klmnopqrstu-abcdefghij-klmnopq" })],
    ctx: { projectNumber: "1234567890123456789012" },
    message: /is 64 characters/,
  },
  "run/service-name-unique": {
    pass: [run("a", { name: "t-core" }), run("b", { name: "t-hasura" })],
    fail: [run("a", { name: "t-core" }), run("b", { name: "t-core" })],
    message: /already used/,
  },
  "run/ingress": {
    pass: [run("s", { ingress: "INGRESS_TRAFFIC_INTERNAL_ONLY" })],
    fail: [run("s", { ingress: "INTERNAL_ONLY" })],
    message: /"INTERNAL_ONLY"/,
  },
  "run/vpc-egress": {
    pass: [run("s", { template: { vpcAccess: { egress: "ALL_TRAFFIC" } } })],
    fail: [run("s", { template: { vpcAccess: { egress: "ALL" } } })],
    message: /"ALL"/,
  },
  "run/request-timeout": {
    pass: [run("s", { template: { timeout: "3600s" } })],
    fail: [run("s", { template: { timeout: "3601s" } })],
    message: /3601s/,
  },
  "run/env-names": {
    pass: [run("s", { template: { containers: [{ image: "i", envs: [{ name: "HASURA_GRAPHQL_ENABLE_ALLOWLIST", value: "true" }, { name: "NODE_ENV", value: "production" }] }] } })],
    fail: [
      run("s", { template: { containers: [{ image: "i", envs: [{ name: "PORT", value: "8080" }] }] } }),
      run("t", { template: { containers: [{ image: "i", envs: [{ name: "A", value: "1" }, { name: "A", value: "2" }] }] } }),
      run("u", { template: { containers: [{ image: "i", envs: [{ name: "X_GOOGLE_THING", value: "1" }] }] } }),
    ],
    message: /"PORT" is reserved by Cloud Run's container contract|"A" is set twice|"X_GOOGLE_THING" is not a valid name/,
  },
  "run/cpu-memory": {
    pass: [
      run("s", { template: { containers: [{ image: "i", resources: { limits: { cpu: "1", memory: "512Mi" }, cpuIdle: false } }] } }),
      run("t", { template: { containers: [{ image: "i", resources: { limits: { cpu: "4", memory: "2Gi" } } }] } }),
      run("u", { template: { maxInstanceRequestConcurrency: 1, containers: [{ image: "i", resources: { limits: { cpu: "500m", memory: "1Gi" }, cpuIdle: true } }] } }),
    ],
    fail: [
      // Below 1 vCPU, CPU always allocated (instance-based billing) is refused.
      run("s", { template: { maxInstanceRequestConcurrency: 1, containers: [{ image: "i", resources: { limits: { cpu: "500m", memory: "512Mi" }, cpuIdle: false } }] } }),
      run("t", { template: { containers: [{ image: "i", resources: { limits: { cpu: "1", memory: "8Gi" } } }] } }),
      run("u", { template: { containers: [{ image: "i", resources: { limits: { cpu: "4", memory: "1Gi" } } }] } }),
      run("v", { template: { containers: [{ image: "i", resources: { limits: { cpu: "3", memory: "4Gi" } } }] } }),
    ],
    message: /request-based billing|memory "8Gi" with cpu "1"|memory "1Gi" with cpu "4"|cpu "3"/,
  },
  "run/gen2-minimum-memory": {
    pass: [
      run("s", { template: { executionEnvironment: "EXECUTION_ENVIRONMENT_GEN2", containers: [{ image: "i", resources: { limits: { cpu: "1", memory: "512Mi" } } }] } }),
      // The first generation allows 128 MiB.
      run("t", { template: { executionEnvironment: "EXECUTION_ENVIRONMENT_GEN1", containers: [{ image: "i", resources: { limits: { cpu: "1", memory: "256Mi" } } }] } }),
    ],
    fail: [run("s", { template: { executionEnvironment: "EXECUTION_ENVIRONMENT_GEN2", containers: [{ image: "i", resources: { limits: { cpu: "1", memory: "256Mi" } } }] } })],
    message: /memory "256Mi" below 512 MiB in the second generation/,
  },
  "run/scaling": {
    pass: [run("s", { template: { scaling: { minInstanceCount: 1, maxInstanceCount: 1 } } }), run("t", { template: { scaling: { minInstanceCount: 0, maxInstanceCount: 2 } } })],
    fail: [run("s", { template: { scaling: { minInstanceCount: 2, maxInstanceCount: 1 } } })],
    message: /maxInstanceCount 1 below minInstanceCount 2/,
  },
  "run/secret-volumes": {
    pass: [
      run("s", {
        template: {
          volumes: [{ name: "ca", secret: { secret: "db-server-ca", items: [{ version: "1", path: "server-ca.pem" }] } }],
          containers: [{ image: "i", volumeMounts: [{ name: "ca", mountPath: "/etc/pulsura/db-ca" }] }],
        },
      }),
    ],
    fail: [
      run("s", { template: { volumes: [{ name: "ca", secret: { secret: "x", items: [{ version: "1", path: "/etc/ca.pem" }] } }] } }),
      run("t", { template: { volumes: [{ name: "ca", secret: { secret: "x", items: [{ version: "1", path: "a/../../b" }] } }] } }),
      run("u", { template: { volumes: [{ name: "ca", secret: { secret: "x", items: [{ path: "ca.pem" }] } }] } }),
      run("v", { template: { volumes: [], containers: [{ image: "i", volumeMounts: [{ name: "ca", mountPath: "/etc/ca" }] }] } }),
    ],
    message: /item path "\/etc\/ca\.pem"|item path "a\/\.\.\/\.\.\/b"|an item without a version|names "ca", which is no volume of the revision/,
  },
  // vpcaccess
  "vpcaccess/connector-name": {
    pass: [res(T.connector, "c", { name: "abcdefghij-klmnopqrstu-co" })],
    fail: [res(T.connector, "c", { name: "abcdefghij-klmnopqrstu-conn" })],
    message: /27 characters/,
  },
  "vpcaccess/connector-name-unique": {
    pass: [res(T.connector, "a", { name: "t-conn" }), res(T.connector, "b", { name: "t-conn-2" })],
    fail: [res(T.connector, "a", { name: "t-conn" }), res(T.connector, "b", { name: "t-conn" })],
    message: /already used/,
  },
  "vpcaccess/connector-range": {
    pass: [res(T.connector, "c", { ipCidrRange: "10.8.0.0/28" })],
    fail: [res(T.connector, "c", { ipCidrRange: "10.8.0.0/24" })],
    message: /\/24/,
  },
  "vpcaccess/connector-instances": {
    pass: [res(T.connector, "c", { minInstances: 2, maxInstances: 3 })],
    fail: [res(T.connector, "c", { minInstances: 1, maxInstances: 3 })],
    message: /minInstances 1/,
  },
  // artifactregistry
  "artifactregistry/repository-id": {
    pass: [res(T.repository, "r", { repositoryId: "pulsura-dockerhub" })],
    fail: [res(T.repository, "r", { repositoryId: "Pulsura_dockerhub" })],
    message: /Pulsura_dockerhub/,
  },
  "artifactregistry/repository-id-unique": {
    pass: [res(T.repository, "a", { repositoryId: "t-core", location: "europe-west1" }), res(T.repository, "b", { repositoryId: "t-core", location: "us-east1" })],
    fail: [res(T.repository, "a", { repositoryId: "t-core", location: "europe-west1" }), res(T.repository, "b", { repositoryId: "t-core", location: "europe-west1" })],
    message: /already used/,
  },
  "artifactregistry/mode": {
    pass: [res(T.repository, "r", { mode: "REMOTE_REPOSITORY" })],
    fail: [res(T.repository, "r", { mode: "REMOTE" })],
    message: /"REMOTE"/,
  },
  // secretmanager
  "secretmanager/secret-id": {
    pass: [res(T.secret, "s", { secretId: "pulsura-db_core-password" })],
    fail: [res(T.secret, "s", { secretId: "pulsura.db.core" })],
    message: /pulsura\.db\.core/,
  },
  "secretmanager/secret-id-unique": {
    pass: [res(T.secret, "a", { project: "p-one", secretId: "x" }), res(T.secret, "b", { project: "p-two", secretId: "x" })],
    fail: [res(T.secret, "a", { project: "p-one", secretId: "x" }), res(T.secret, "b", { project: "p-one", secretId: "x" })],
    message: /already used/,
  },
  // storage
  "storage/bucket-name": {
    // No name input: judged by the autoname the mock answered with.
    pass: [res(T.bucket, "pulsura-source", {}, { name: "pulsura-source-1a2b3c4" })],
    fail: [res(T.bucket, "b", { name: "google-pulsura-source" })],
    message: /google/,
  },
  "storage/bucket-name-unique": {
    pass: [res(T.bucket, "a", { name: "t-source" }), res(T.bucket, "b", { name: "t-files" })],
    fail: [res(T.bucket, "a", { name: "t-source" }), res(T.bucket, "b", { name: "t-source" })],
    message: /already used/,
  },
  "storage/notification-payload": {
    pass: [res(T.notification, "n", { bucket: "b", payloadFormat: "JSON_API_V1" })],
    fail: [res(T.notification, "n", { bucket: "b", payloadFormat: "JSON" })],
    message: /got "JSON"/,
  },
  "storage/notification-event-types": {
    pass: [res(T.notification, "n", { bucket: "b", eventTypes: ["OBJECT_FINALIZE"] })],
    fail: [res(T.notification, "n", { bucket: "b", eventTypes: ["OBJECT_CREATE"] })],
    message: /OBJECT_CREATE/,
  },
  "storage/cors-methods": {
    pass: [res(T.bucket, "b", { name: "t-files", cors: [{ origins: ["https://a.example.com"], methods: ["GET", "PUT"] }] })],
    fail: [res(T.bucket, "b", { name: "t-files", cors: [{ origins: ["https://a.example.com"], methods: ["UPLOAD"] }] })],
    message: /UPLOAD/,
  },
  "storage/lifecycle-condition": {
    pass: [res(T.bucket, "b", { name: "t-files", lifecycleRules: [{ action: { type: "Delete" }, condition: { age: 1, matchesPrefixes: ["uploads/"] } }] })],
    fail: [res(T.bucket, "b", { name: "t-files", lifecycleRules: [{ action: { type: "Delete" }, condition: { age: 0.5, withState: "NONCURRENT" } }] })],
    message: /age 0.5|withState "NONCURRENT"/,
  },
  "storage/soft-delete-duration": {
    pass: [res(T.bucket, "b", { name: "t-files", softDeletePolicy: { retentionDurationSeconds: 0 } }), res(T.bucket, "c", { name: "t-c", softDeletePolicy: { retentionDurationSeconds: 604800 } })],
    fail: [res(T.bucket, "b", { name: "t-files", softDeletePolicy: { retentionDurationSeconds: 86400 } })],
    message: /86400/,
  },
  // pubsub
  "pubsub/topic-name": {
    pass: [res(T.topic, "t", { project: "p", name: "pulsura-files-uploaded" })],
    fail: [res(T.topic, "t", { project: "p", name: "goog-files" })],
    message: /goog-files/,
  },
  "pubsub/subscription-name": {
    pass: [res(T.subscription, "s", { project: "p", name: "pulsura-files-uploaded-push" })],
    fail: [res(T.subscription, "s", { project: "p", name: "1-push" })],
    message: /1-push/,
  },
  "pubsub/topic-name-unique": {
    pass: [res(T.topic, "a", { project: "p", name: "t-a" }), res(T.topic, "b", { project: "p", name: "t-b" })],
    fail: [res(T.topic, "a", { project: "p", name: "t-a" }), res(T.topic, "b", { project: "p", name: "t-a" })],
    message: /already used/,
  },
  "pubsub/subscription-name-unique": {
    pass: [res(T.subscription, "a", { project: "p", name: "s-a" }), res(T.subscription, "b", { project: "p", name: "s-b" })],
    fail: [res(T.subscription, "a", { project: "p", name: "s-a" }), res(T.subscription, "b", { project: "p", name: "s-a" })],
    message: /already used/,
  },
  "cloudtasks/location": {
    pass: [res(T.queue, "q", { project: "p", location: "europe-west1", name: "a-jobs" }), res(T.queue, "q2", { project: "p", location: "us-central1", name: "a-jobs" })],
    fail: [res(T.queue, "q", { project: "p", location: "europe-west4", name: "a-jobs" }), res(T.queue, "q2", { project: "p", location: "australia-southeast1", name: "a-jobs" })],
    message: /got "(europe-west4|australia-southeast1)": Cloud Tasks is available in/,
  },
  "cloudtasks/queue-id": {
    pass: [res(T.queue, "q", { project: "p", location: "europe-west1", name: "acme-core-jobs" })],
    fail: [res(T.queue, "q", { project: "p", location: "europe-west1", name: "acme_core.jobs" }), res(T.queue, "q2", { project: "p", location: "europe-west1", name: "q".repeat(101) })],
    message: /got "/,
  },
  "cloudtasks/queue-id-unique": {
    pass: [res(T.queue, "q1", { project: "p", location: "europe-west1", name: "a-jobs" }), res(T.queue, "q2", { project: "p", location: "europe-west4", name: "a-jobs" })],
    fail: [res(T.queue, "q1", { project: "p", location: "europe-west1", name: "a-jobs" }), res(T.queue, "q2", { project: "p", location: "europe-west1", name: "a-jobs" })],
    message: /already used/,
  },
  "cloudtasks/max-dispatches-per-second": {
    pass: [res(T.queue, "q", { name: "q", rateLimits: { maxDispatchesPerSecond: 500 } })],
    fail: [res(T.queue, "q", { name: "q", rateLimits: { maxDispatchesPerSecond: 501 } }), res(T.queue, "q0", { name: "q0", rateLimits: { maxDispatchesPerSecond: 0 } })],
    message: /got (501|0)/,
  },
  "cloudtasks/max-concurrent-dispatches": {
    pass: [res(T.queue, "q", { name: "q", rateLimits: { maxConcurrentDispatches: 5000 } })],
    fail: [res(T.queue, "q", { name: "q", rateLimits: { maxConcurrentDispatches: 5001 } })],
    message: /got 5001/,
  },
  "cloudtasks/max-attempts": {
    pass: [res(T.queue, "q", { name: "q", retryConfig: { maxAttempts: -1 } }), res(T.queue, "q2", { name: "q2", retryConfig: { maxAttempts: 10 } })],
    fail: [res(T.queue, "q", { name: "q", retryConfig: { maxAttempts: -2 } })],
    message: /got -2/,
  },
  "cloudtasks/backoff": {
    pass: [res(T.queue, "q", { name: "q", retryConfig: { minBackoff: "10s", maxBackoff: "300s", maxRetryDuration: "0s", maxDoublings: 4 } })],
    fail: [
      res(T.queue, "q", { name: "q", retryConfig: { minBackoff: "600s", maxBackoff: "300s" } }),
      res(T.queue, "q2", { name: "q2", retryConfig: { minBackoff: "10 seconds" } }),
      res(T.queue, "q3", { name: "q3", retryConfig: { maxDoublings: -1 } }),
    ],
    message: /minBackoff|maxDoublings/,
  },
  "pubsub/ack-deadline": {
    pass: [res(T.subscription, "s", { project: "p", name: "s-a", ackDeadlineSeconds: 60 })],
    fail: [res(T.subscription, "s", { project: "p", name: "s-a", ackDeadlineSeconds: 5 })],
    message: /got 5/,
  },
  "pubsub/message-retention": {
    pass: [res(T.subscription, "s", { project: "p", name: "s-a", messageRetentionDuration: "604800s" })],
    fail: [res(T.subscription, "s", { project: "p", name: "s-a", messageRetentionDuration: "60s" })],
    message: /60s/,
  },
  "pubsub/retry-backoff": {
    pass: [res(T.subscription, "s", { project: "p", name: "s-a", retryPolicy: { minimumBackoff: "10s", maximumBackoff: "600s" } })],
    fail: [res(T.subscription, "s", { project: "p", name: "s-a", retryPolicy: { minimumBackoff: "10s", maximumBackoff: "900s" } })],
    message: /maximumBackoff "900s"/,
  },
  "pubsub/push-endpoint-https": {
    pass: [res(T.subscription, "s", { project: "p", name: "s-a", pushConfig: { pushEndpoint: "https://core-abc-ew.a.run.app/push/storage-object-finalized" } })],
    fail: [res(T.subscription, "s", { project: "p", name: "s-a", pushConfig: { pushEndpoint: "http://core/push/storage-object-finalized" } })],
    message: /http:\/\/core/,
  },
  // functions
  "functions/gen1-name": {
    pass: [res(T.gen1, "f", { name: "pulsura-onUserCreated" })],
    fail: [res(T.gen1, "f", { name: "9-onUserCreated" })],
    message: /9-onUserCreated/,
  },
  "functions/gen2-name": {
    pass: [res(T.gen2, "f", { name: "pulsura-before-user-created" })],
    fail: [res(T.gen2, "f", { name: "pulsura-beforeUserCreated" })],
    message: /beforeUserCreated/,
  },
  "functions/name-unique": {
    pass: [res(T.gen1, "a", { name: "t-on-user", region: "europe-west1" }), res(T.gen2, "b", { name: "t-before-user", location: "europe-west1" })],
    fail: [res(T.gen1, "a", { name: "t-on-user", region: "europe-west1" }), res(T.gen2, "b", { name: "t-on-user", location: "europe-west1" })],
    message: /already used/,
  },
  "functions/runtime": {
    pass: [res(T.gen1, "a", { runtime: "nodejs22" }), res(T.gen2, "b", { buildConfig: { runtime: "nodejs24" } })],
    fail: [res(T.gen1, "a", { runtime: "nodejs24" }), res(T.gen2, "b", { buildConfig: { runtime: "nodejs20" } }), res(T.gen2, "c", { buildConfig: { runtime: "nodejs99" } })],
    ctx: { today: "2026-12-01" },
    message: /gen1 does not offer|decommissioned on 2026-10-30|not in infra\/runtimes\.ts/,
  },
  "functions/gen1-ingress-settings": {
    pass: [res(T.gen1, "f", { ingressSettings: "ALLOW_INTERNAL_ONLY" })],
    fail: [res(T.gen1, "f", { ingressSettings: "INTERNAL_ONLY" })],
    message: /INTERNAL_ONLY/,
  },
  "functions/gen2-ingress-settings": {
    pass: [res(T.gen2, "f", { serviceConfig: { ingressSettings: "ALLOW_ALL" } })],
    fail: [res(T.gen2, "f", { serviceConfig: { ingressSettings: "ALL" } })],
    message: /"ALL"/,
  },
  "functions/gen1-timeout": {
    pass: [res(T.gen1, "f", { timeout: 540 })],
    fail: [res(T.gen1, "f", { timeout: 600 })],
    message: /600/,
  },
  // compute
  "compute/resource-name": {
    pass: [res(T.subnet, "s", {}, { name: "abcdefghij-klmnopqrstu-private-services-range-1a2b3c4" })],
    fail: [res(T.network, "n", { name: "Pulsura_vpc" })],
    message: /Pulsura_vpc/,
  },
  "compute/resource-name-unique": {
    pass: [res(T.network, "a", { name: "t-vpc" }), res(T.subnet, "b", { name: "t-vpc", region: "europe-west1" })],
    fail: [res(T.network, "a", { name: "t-vpc" }), res(T.network, "b", { name: "t-vpc" })],
    message: /already used/,
  },
  // sql
  "sql/edition": {
    pass: [instance({ edition: "ENTERPRISE_PLUS", tier: "db-perf-optimized-N-2" })],
    fail: [instance({ edition: "ENTERPRISE_PLUS_PLUS" })],
    message: /ENTERPRISE_PLUS_PLUS/,
  },
  "sql/availability-type": {
    pass: [instance({ availabilityType: "REGIONAL" })],
    fail: [instance({ availabilityType: "MULTI_REGIONAL" })],
    message: /MULTI_REGIONAL/,
  },
  "sql/tier-for-edition": {
    pass: [instance({ tier: "db-g1-small" }), instance({ tier: "db-custom-2-7680" }), instance({ edition: "ENTERPRISE_PLUS", tier: "db-perf-optimized-N-8" })],
    fail: [
      instance({ edition: "ENTERPRISE_PLUS", tier: "db-g1-small" }),
      // No edition on PostgreSQL 17: the API's default, Enterprise Plus, has no shared-core tiers.
      instance({ edition: undefined, tier: "db-f1-micro" }),
      instance({ tier: "db-custom-3-3840" }),
    ],
    message: /Enterprise Plus takes db-perf-optimized|3 vCPUs/,
  },
  "sql/pitr-retention": {
    pass: [instance({ backupConfiguration: { transactionLogRetentionDays: 7 } }), instance({ edition: "ENTERPRISE_PLUS", backupConfiguration: { transactionLogRetentionDays: 35 } })],
    fail: [instance({ backupConfiguration: { transactionLogRetentionDays: 14 } })],
    message: /got 14 on ENTERPRISE \(at most 7\)/,
  },
  "sql/password-policy": {
    pass: [instance({ passwordValidationPolicy: policy })],
    fail: [instance({ passwordValidationPolicy: { ...policy, complexity: "COMPLEXITY_STRONG", minLength: -1 } })],
    message: /complexity "COMPLEXITY_STRONG"|minLength -1/,
  },
  "sql/user-password-policy": {
    pass: [instance({ passwordValidationPolicy: policy }), generator("pw", guaranteed, "mock-good"), user("mock-good")],
    fail: [
      instance({ passwordValidationPolicy: policy }),
      // Today's generators: no special characters at all against COMPLEXITY_DEFAULT.
      generator("pw", { length: 32, special: false, minUpper: 2, minLower: 2, minNumeric: 2 }, "mock-bad"),
      user("mock-bad"),
    ],
    message: /RandomPassword "pw".*special: false/,
  },
  // firebase
  "firebase/hosting-site-id": {
    pass: [res("gcp:firebase/hostingSite:HostingSite", "site", { siteId: "northwind-traders-intl-prod-01-app" })],
    fail: [res("gcp:firebase/hostingSite:HostingSite", "site", { siteId: "pulsura_dev_app" })],
    message: /pulsura_dev_app/,
  },
  // identityplatform
  "identityplatform/idp-id": {
    pass: [res("gcp:identityplatform/defaultSupportedIdpConfig:DefaultSupportedIdpConfig", "idp", { idpId: "apple.com" })],
    fail: [res("gcp:identityplatform/defaultSupportedIdpConfig:DefaultSupportedIdpConfig", "idp", { idpId: "apple" })],
    message: /"apple"/,
  },
  "identityplatform/blocking-event": {
    pass: [res("gcp:identityplatform/config:Config", "c", { blockingFunctions: { triggers: [{ eventType: "beforeCreate", functionUri: "https://t-before-user-created-abc-ew.a.run.app" }] } })],
    fail: [res("gcp:identityplatform/config:Config", "c", { blockingFunctions: { triggers: [{ eventType: "beforeUserCreated", functionUri: "https://x" }] } })],
    message: /beforeUserCreated/,
  },
  // logging
  "logging/exclusion-name": {
    pass: [exclusion("pulsura-hasura-http-ok", {}), exclusion("x", { name: "A1_b.c-d" }), exclusion("long", { name: "a".repeat(100) })],
    fail: [exclusion("dash", { name: "-hasura-http-ok" }), exclusion("colon", { name: "hasura:http" }), exclusion("long", { name: "a".repeat(101) })],
    message: /hasura|101 characters/,
  },
  "logging/exclusion-name-unique": {
    pass: [exclusion("a", { name: "x" }), exclusion("b", { name: "x", project: "p-two" })],
    fail: [exclusion("a", { name: "x" }), exclusion("b", { name: "x" })],
    message: /already used/,
  },
  "logging/exclusion-filter-length": {
    pass: [exclusion("a", { filter: `severity<ERROR AND jsonPayload.x="${"y".repeat(20_000 - 'severity<ERROR AND jsonPayload.x=""'.length)}"` })],
    fail: [exclusion("a", { filter: `severity<ERROR AND jsonPayload.x="${"y".repeat(20_001 - 'severity<ERROR AND jsonPayload.x=""'.length)}"` }), exclusion("b", { filter: " " })],
    message: /20001 characters|empty filter/,
  },
  "logging/exclusions-per-project": {
    pass: [...Array.from({ length: 50 }, (_, i) => exclusion(`e${i}`, {})), exclusion("other", { project: "p-two" })],
    fail: Array.from({ length: 51 }, (_, i) => exclusion(`e${i}`, {})),
    message: /exclusion number 51/,
  },
  // labels
  "labels/key-value-format": {
    pass: [res(T.secret, "s", { labels: { environment: "dev", "managed-by": "pulsura" } })],
    fail: [res(T.secret, "s", { labels: { Environment: "Dev" } })],
    message: /key "Environment"/,
  },
  "labels/count": {
    pass: [res(T.bucket, "b", { labels: Object.fromEntries(Array.from({ length: 64 }, (_, i) => [`k${i}`, "v"])) })],
    fail: [res(T.bucket, "b", { labels: Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`k${i}`, "v"])) })],
    message: /65 labels/,
  },
};
