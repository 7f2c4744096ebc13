import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import type { ArmorBan, ArmorThreshold, EdgeConfig } from "../config/edge";
import { PulsuraComponent } from "./component";

/**
 * Hasura's admin-secret paths, where a guessed secret would be tried: the metadata API and the schema API (run_sql),
 * v1 and v2 (https://hasura.io/docs/latest/api-reference/overview/). The deploy's migrations, seeds and metadata use
 * them too, through this load balancer.
 */
export const HASURA_ADMIN_PATHS = ["/v1/metadata", "/v2/query", "/v1/query"] as const;

/** The default rule every Cloud Armor policy ends with: lowest priority, every source. */
export const ARMOR_DEFAULT_PRIORITY = 2147483647;

/**
 * Google's preconfigured WAF rules (OWASP CRS 3.3) the edge evaluates, all at sensitivity 1, the high-confidence
 * signatures (https://cloud.google.com/armor/docs/rule-tuning#choose_a_sensitivity_level), and why each.
 *
 * Why sensitivity 1 and not more: a GraphQL request is a JSON body whose `query` is a document of braces,
 * parentheses, colons, quotes and `#` comments. The policy parses those bodies (`STANDARD_WITH_GRAPHQL`), so the
 * signatures look at the argument values and variables rather than the GraphQL syntax; even so, the CRS rules from
 * paranoia level 2 up (in sqli: 942200, 942260, 942340, 942370 and the like) match on runs of quotes, braces and SQL-
 * looking operators, which GraphQL filters (`{_eq: "…"}`, `_or`, `_and`) and ordinary text carry. Level 1 keeps the
 * libinjection-based detections.
 *
 * Left out, on purpose: rfi (the API fetches no URL a client sends, and URLs are ordinary GraphQL values), php,
 * java, nodejs and sessionfixation (Hasura is a Haskell binary behind a stateless JWT API: no PHP, JVM, Node or
 * session cookie to attack).
 */
export const WAF_RULES: ReadonlyArray<{ rule: string; sensitivity: number; why: string }> = [
  { rule: "sqli-v33-stable", sensitivity: 1, why: "SQL injection in the values of GraphQL variables and arguments (Hasura builds SQL from them)" },
  { rule: "xss-v33-stable", sensitivity: 1, why: "script injection in text the app later shows (names, descriptions)" },
  { rule: "lfi-v33-stable", sensitivity: 1, why: "path traversal probes (../, /etc/passwd) in paths and values" },
  { rule: "rce-v33-stable", sensitivity: 1, why: "shell command injection probes" },
  { rule: "protocolattack-v33-stable", sensitivity: 1, why: "request smuggling, response splitting and header injection" },
  { rule: "scannerdetection-v33-stable", sensitivity: 1, why: "known vulnerability scanners' user agents" },
  { rule: "methodenforcement-v33-stable", sensitivity: 1, why: "methods other than GET, HEAD, POST, OPTIONS (GraphQL, CORS preflight and the WebSocket upgrade use only those)" },
];

/**
 * The edge's settings are the stack's resolved `pulsura:apiDomain` and `pulsura:edge` (EdgeConfig: the domain, the
 * per-IP rate limits and bans, the admin paths' stricter ones, preview and Adaptive Protection), plus where it runs.
 */
export interface EdgeArgs extends EdgeConfig {
  projectId: string;
  /** Region of the Cloud Run service (the serverless NEG is regional). */
  region: string;
  /** The Cloud Run service every request goes to (Hasura's API), by name. */
  serviceName: pulumi.Input<string>;
  /** The managed certificate's name, fixed per domain (infra/edge-cutover.ts `edgeCertificateName`). */
  certificateName: string;
  labels: Record<string, string>;
}

/**
 * The API at its own domain: a global external Application Load Balancer (Envoy-based, `EXTERNAL_MANAGED`) whose one
 * backend is a serverless NEG of the Hasura API's Cloud Run service, a Google-managed certificate for the domain,
 * TLS 1.2+ only, plain HTTP answered with a redirect to HTTPS, and a Cloud Armor policy on the backend (per-IP
 * rate-based bans, a stricter one for the admin-secret paths, preconfigured WAF rules, Adaptive Protection).
 *
 * WebSocket subscriptions: a serverless NEG's backend service takes no `timeoutSec` (Google refuses one and the load
 * balancer does not apply it: https://cloud.google.com/load-balancing/docs/negs/serverless-neg-concepts#limitations);
 * the Cloud Run service's request timeout (3600 s on Hasura's API, infra/components/hasura.ts) is what ends a
 * WebSocket, as without the load balancer.
 *
 * The certificate becomes ACTIVE only once the domain's DNS A record points at {@link address} and Google has checked
 * it (usually 15-60 minutes): until then HTTPS on the domain fails, and Hasura stays at its run.app URL
 * (infra/edge-cutover.ts). See the README's "Custom domain".
 */
export class Edge extends PulsuraComponent {
  /** The load balancer's IPv4 address: the domain's A record must point here. */
  readonly address: gcp.compute.GlobalAddress;
  readonly certificate: gcp.compute.ManagedSslCertificate;
  readonly securityPolicy: gcp.compute.SecurityPolicy;
  readonly backendService: gcp.compute.BackendService;
  /** https://<domain>: the API's base URL for every client. */
  readonly url: string;

  constructor(name: string, args: EdgeArgs, opts?: pulumi.ComponentResourceOptions) {
    super("pulsura:edge:Edge", name, opts);
    this.url = `https://${args.domain}`;
    this.address = new gcp.compute.GlobalAddress(
      `${name}-edge-ip`,
      { project: args.projectId, name: `${name}-edge-ip`, addressType: "EXTERNAL", ipVersion: "IPV4", description: `Address of ${args.domain}`, labels: args.labels },
      this.childOptions(),
    );
    this.certificate = new gcp.compute.ManagedSslCertificate(
      `${name}-edge-cert`,
      // Named per domain, so the program reads its status before declaring it (infra/edge-cutover.ts): a new domain is a
      // new name, which Pulumi creates before it deletes the old certificate, so the proxy is never without one.
      { project: args.projectId, name: args.certificateName, description: `Google-managed certificate of ${args.domain}`, managed: { domains: [args.domain] } },
      this.childOptions(),
    );
    this.securityPolicy = this.createSecurityPolicy(name, args);
    this.backendService = this.createBackend(name, args);
    this.createFrontends(name, args);
    this.registerOutputs({ address: this.address.address, url: this.url, securityPolicy: this.securityPolicy.name });
  }

  private createSecurityPolicy(name: string, args: EdgeArgs): gcp.compute.SecurityPolicy {
    const adminPaths = HASURA_ADMIN_PATHS.map((path) => `request.path.startsWith('${path}')`).join(" || ");
    const rules: gcp.types.input.compute.SecurityPolicyRule[] = [
      // First, so that its "allow" (conform action) ends the evaluation for admin calls under the limit: the deploy's
      // run_sql and metadata bodies are SQL and GraphQL documents the WAF signatures would match, and the admin secret
      // (checked by Hasura) guards these paths; the stricter limit makes guessing it slow.
      rateBasedBan(1000, "Hasura admin paths: stricter per-IP limit, then a ban", { expr: { expression: adminPaths } }, args.adminRateLimit, args.adminBan, args.preview),
      ...WAF_RULES.map(({ rule, sensitivity, why }, i) => ({
        priority: 2000 + i * 10,
        description: `WAF ${rule} (sensitivity ${sensitivity}): ${why}`.slice(0, 2048),
        action: "deny(403)",
        preview: args.preview,
        match: { expr: { expression: `evaluatePreconfiguredWaf('${rule}', {'sensitivity': ${sensitivity}})` } },
      })),
      rateBasedBan(3000, "Every path: per-IP limit, then a ban", { versionedExpr: "SRC_IPS_V1", config: { srcIpRanges: ["*"] } }, args.rateLimit, args.ban, args.preview),
      {
        priority: ARMOR_DEFAULT_PRIORITY,
        description: "Default: allow what no rule above refused",
        action: "allow",
        match: { versionedExpr: "SRC_IPS_V1", config: { srcIpRanges: ["*"] } },
      },
    ];
    return new gcp.compute.SecurityPolicy(
      `${name}-edge-armor`,
      {
        project: args.projectId,
        name: `${name}-edge-armor`,
        description: `Cloud Armor of ${args.domain}${args.preview ? " (rules in preview: logged, not enforced)" : ""}`,
        type: "CLOUD_ARMOR",
        // WAF signatures read the values inside JSON and GraphQL bodies, not the GraphQL syntax around them.
        advancedOptionsConfig: { jsonParsing: "STANDARD_WITH_GRAPHQL", logLevel: "NORMAL" },
        adaptiveProtectionConfig: { layer7DdosDefenseConfig: args.adaptiveProtection ? { enable: true, ruleVisibility: "STANDARD" } : { enable: false } },
        rules,
      },
      this.childOptions(),
    );
  }

  private createBackend(name: string, args: EdgeArgs): gcp.compute.BackendService {
    const neg = new gcp.compute.RegionNetworkEndpointGroup(
      `${name}-edge-neg`,
      { project: args.projectId, region: args.region, name: `${name}-edge-neg`, networkEndpointType: "SERVERLESS", cloudRun: { service: args.serviceName } },
      this.childOptions(),
    );
    return new gcp.compute.BackendService(
      `${name}-edge-backend`,
      {
        project: args.projectId,
        name: `${name}-edge-backend`,
        description: `Hasura's API behind ${args.domain}`,
        loadBalancingScheme: "EXTERNAL_MANAGED",
        protocol: "HTTPS",
        // No health check, port name or timeout: serverless NEG backends take none (Cloud Run's own timeout applies).
        backends: [{ group: neg.id }],
        securityPolicy: this.securityPolicy.selfLink,
        // Per-user GraphQL answers are never cached at the edge.
        enableCdn: false,
        // Every request logged: Cloud Armor's decisions (and, in preview, what it would have done) are in these logs.
        logConfig: { enable: true, sampleRate: 1 },
      },
      this.childOptions(),
    );
  }

  /** HTTPS on 443 to the backend; HTTP on 80 only redirects to HTTPS. */
  private createFrontends(name: string, args: EdgeArgs): void {
    const tls = new gcp.compute.SSLPolicy(`${name}-edge-tls`, { project: args.projectId, name: `${name}-edge-tls`, profile: "MODERN", minTlsVersion: "TLS_1_2" }, this.childOptions());
    const urlMap = new gcp.compute.URLMap(`${name}-edge-urls`, { project: args.projectId, name: `${name}-edge-urls`, defaultService: this.backendService.id }, this.childOptions());
    const httpsProxy = new gcp.compute.TargetHttpsProxy(
      `${name}-edge-https`,
      { project: args.projectId, name: `${name}-edge-https`, urlMap: urlMap.id, sslCertificates: [this.certificate.id], sslPolicy: tls.id },
      this.childOptions(),
    );
    new gcp.compute.GlobalForwardingRule(
      `${name}-edge-https-rule`,
      { project: args.projectId, name: `${name}-edge-https-rule`, target: httpsProxy.id, ipAddress: this.address.id, ipProtocol: "TCP", portRange: "443", loadBalancingScheme: "EXTERNAL_MANAGED", labels: args.labels },
      this.childOptions(),
    );
    // 308 keeps the method and body (a POSTed GraphQL request stays a POST), unlike 301.
    const redirect = new gcp.compute.URLMap(
      `${name}-edge-redirect`,
      { project: args.projectId, name: `${name}-edge-redirect`, defaultUrlRedirect: { httpsRedirect: true, redirectResponseCode: "PERMANENT_REDIRECT", stripQuery: false } },
      this.childOptions(),
    );
    const httpProxy = new gcp.compute.TargetHttpProxy(`${name}-edge-http`, { project: args.projectId, name: `${name}-edge-http`, urlMap: redirect.id }, this.childOptions());
    new gcp.compute.GlobalForwardingRule(
      `${name}-edge-http-rule`,
      { project: args.projectId, name: `${name}-edge-http-rule`, target: httpProxy.id, ipAddress: this.address.id, ipProtocol: "TCP", portRange: "80", loadBalancingScheme: "EXTERNAL_MANAGED", labels: args.labels },
      this.childOptions(),
    );
  }
}

/** A per-client-IP rate-based ban: 429 above `limit`, then banned for `ban.durationSec` once over `ban` (throttle, then ban). */
function rateBasedBan(
  priority: number,
  description: string,
  match: gcp.types.input.compute.SecurityPolicyRuleMatch,
  limit: ArmorThreshold,
  ban: ArmorBan,
  preview: boolean,
): gcp.types.input.compute.SecurityPolicyRule {
  return {
    priority,
    description,
    // A rate-based ban from the start: Cloud Armor refuses to turn one into a throttle later, the other way round works
    // (https://cloud.google.com/armor/docs/rate-limiting-overview).
    action: "rate_based_ban",
    preview,
    match,
    rateLimitOptions: {
      enforceOnKey: "IP",
      conformAction: "allow",
      exceedAction: "deny(429)",
      rateLimitThreshold: { count: limit.count, intervalSec: limit.intervalSec },
      banThreshold: { count: ban.count, intervalSec: ban.intervalSec },
      banDurationSec: ban.durationSec,
    },
  };
}
