/**
 * The API at its own domain (pulsura:apiDomain, infra/components/edge.ts) as the offline plan declares it: prod with a
 * domain (the edge fixture), dev with one (the everything fixture), and every stack file, which has none.
 */
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { ARMOR_DEFAULT_PRIORITY, HASURA_ADMIN_PATHS, WAF_RULES } from "../../infra/components/edge";
import { HASURA_PUBLIC_HEALTH_PATH } from "../../infra/components/monitoring";
import { EDGE_DEFAULTS } from "../../infra/config/edge";
import { CUTOVER_LABEL, edgeCertificateName } from "../../infra/edge-cutover";
import { EDGE_RESOURCE_TYPES } from "../../policy/rules/edge";
import { renderOptionsFile } from "../../scripts/lib/web/dart";
import { contentSecurityPolicyDirectives, hostingSiteOf } from "../../scripts/lib/web/hosting";
import { clientOutputs, hostingOutputs } from "../../scripts/lib/web/outputs";
import { fixturePlanOf, onlyResourceOfType, planOf, plannedStacks, resourcesOfType } from "./support/plans";
import { runPlanCli } from "./support/run-plan";

const fixturesDir = join(__dirname, "fixtures");

const T = {
  address: "gcp:compute/globalAddress:GlobalAddress",
  certificate: "gcp:compute/managedSslCertificate:ManagedSslCertificate",
  ...EDGE_RESOURCE_TYPES,
  uptime: "gcp:monitoring/uptimeCheckConfig:UptimeCheckConfig",
} as const;
const EDGE_TYPES = Object.values(T).filter((type) => type.startsWith("gcp:compute/") && type !== T.address);

type Plan = ReturnType<typeof planOf>;
type Loose = any;
const hasuraApi = (plan: Plan): Loose => resourcesOfType(plan, T.run).find((r) => r.name.endsWith("-hasura"))!.inputs;
const envOf = (service: Loose, name: string) => service.template.containers[0].envs.find((e: Loose) => e.name === name)?.value;
const armorRules = (plan: Plan): Loose[] => (onlyResourceOfType(plan, T.armor).inputs as Loose).rules;

describe.each(plannedStacks())("stack %s, without pulsura:apiDomain", (stack) => {
  it("declares no load balancer, keeps Hasura open at its run.app URL and outputs that URL", () => {
    const plan = planOf(stack);
    for (const type of EDGE_TYPES) expect(resourcesOfType(plan, type), type).toEqual([]);
    expect(hasuraApi(plan).ingress).toBe("INGRESS_TRAFFIC_ALL");
    expect(plan.outputs.hasuraGraphqlUrl).toMatch(/^https:\/\/[a-z0-9-]+-hasura-\d+\.[a-z0-9-]+\.run\.app\/v1\/graphql$/);
    expect(plan.outputs).not.toHaveProperty("apiAddress");
  });
});

describe("prod with pulsura:apiDomain (the edge fixture)", () => {
  const plan = () => fixturePlanOf("edge");
  const domain = "api.pulsura.example.com";

  it("plans cleanly: no refused input, no policy violation", () => {
    expect(plan().violations).toEqual([]);
  });

  it("reserves an external IPv4 address and a Google-managed certificate for exactly the domain", () => {
    const address = resourcesOfType(plan(), T.address).find((a) => a.name.endsWith("-edge-ip"))!.inputs;
    expect(address).toMatchObject({ addressType: "EXTERNAL", ipVersion: "IPV4" });
    expect(onlyResourceOfType(plan(), T.certificate).inputs).toMatchObject({ managed: { domains: [domain] } });
  });

  it("sends every HTTPS request to a serverless NEG of Hasura's API, through a backend with the Armor policy and no timeout or health check", () => {
    const neg = onlyResourceOfType(plan(), T.neg).inputs as Loose;
    expect(neg).toMatchObject({ networkEndpointType: "SERVERLESS", region: "europe-west1", cloudRun: { service: "pulsura-hasura" } });
    const backend = onlyResourceOfType(plan(), T.backend).inputs as Loose;
    expect(backend).toMatchObject({ loadBalancingScheme: "EXTERNAL_MANAGED", protocol: "HTTPS", enableCdn: false, logConfig: { enable: true, sampleRate: 1 } });
    expect(backend.securityPolicy).toMatch(/\/global\/securityPolicies\/pulsura-edge-armor$/);
    expect(backend.backends).toEqual([{ group: expect.stringMatching(/\/regions\/europe-west1\/networkEndpointGroups\/pulsura-edge-neg$/) }]);
    for (const field of ["timeoutSec", "healthChecks", "portName"]) expect(backend).not.toHaveProperty(field);
  });

  it("listens with HTTPS on 443 (TLS 1.2+, MODERN) and answers HTTP on 80 only with a redirect to HTTPS", () => {
    const rules = resourcesOfType(plan(), T.forwardingRule).map((r) => r.inputs as Loose);
    expect(rules.map((r) => [r.portRange, r.target.replace(/^.*\//, "")]).sort()).toEqual([["443", "pulsura-edge-https"], ["80", "pulsura-edge-http"]]);
    for (const rule of rules) expect(rule).toMatchObject({ loadBalancingScheme: "EXTERNAL_MANAGED", ipProtocol: "TCP", ipAddress: expect.stringMatching(/\/global\/addresses\/pulsura-edge-ip$/) });
    expect(onlyResourceOfType(plan(), T.sslPolicy).inputs).toMatchObject({ profile: "MODERN", minTlsVersion: "TLS_1_2" });
    const redirect = resourcesOfType(plan(), T.urlMap).find((m) => m.name.endsWith("-edge-redirect"))!.inputs as Loose;
    expect(redirect).toEqual(expect.objectContaining({ defaultUrlRedirect: { httpsRedirect: true, redirectResponseCode: "PERMANENT_REDIRECT", stripQuery: false } }));
    expect(redirect).not.toHaveProperty("defaultService");
  });

  it("with the certificate ACTIVE, narrows Hasura's API to internal and Cloud Load Balancing ingress, keeping its one-hour request timeout for subscriptions", () => {
    expect(hasuraApi(plan())).toMatchObject({ ingress: "INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER", invokerIamDisabled: true, template: { timeout: "3600s" } });
  });

  it("enforces Cloud Armor: admin paths first and stricter, the WAF rules at sensitivity 1, the per-IP ban from the stack config, and a default allow", () => {
    const rules = armorRules(plan());
    expect(rules.every((r) => r.preview !== true)).toBe(true);
    const [admin, ...rest] = rules;
    expect(admin.rateLimitOptions).toMatchObject({ enforceOnKey: "IP", exceedAction: "deny(429)", rateLimitThreshold: EDGE_DEFAULTS.prod.adminRateLimit });
    for (const path of HASURA_ADMIN_PATHS) expect(admin.match.expr.expression).toContain(`'${path}'`);
    const waf = rest.filter((r) => /evaluatePreconfiguredWaf/.test(r.match?.expr?.expression ?? ""));
    expect(waf.map((r) => r.match.expr.expression)).toEqual(WAF_RULES.map((w) => `evaluatePreconfiguredWaf('${w.rule}', {'sensitivity': 1})`));
    for (const r of waf) expect(r.action).toBe("deny(403)");
    const everyPath = rest.find((r) => r.action === "rate_based_ban")!;
    // The fixture raises the limit to 1200 a minute; the ban keeps prod's default.
    expect(everyPath.rateLimitOptions).toMatchObject({ rateLimitThreshold: { count: 1200, intervalSec: 60 }, banThreshold: { count: 3000, intervalSec: 300 }, banDurationSec: 600 });
    expect(Math.max(...waf.map((r) => r.priority))).toBeLessThan(everyPath.priority);
    expect(rules.at(-1)).toMatchObject({ priority: ARMOR_DEFAULT_PRIORITY, action: "allow" });
    expect(onlyResourceOfType(plan(), T.armor).inputs).toMatchObject({
      type: "CLOUD_ARMOR",
      advancedOptionsConfig: { jsonParsing: "STANDARD_WITH_GRAPHQL" },
      adaptiveProtectionConfig: { layer7DdosDefenseConfig: { enable: true, ruleVisibility: "STANDARD" } },
    });
  });

  it("gives clients the domain: GraphQL and WebSocket URLs, the Flutter options and the hosting CSP, and the DNS record to create", () => {
    const outputs = plan().outputs as Loose;
    expect(outputs).toMatchObject({ hasuraEndpoint: `https://${domain}`, hasuraGraphqlUrl: `https://${domain}/v1/graphql`, hasuraWebsocketUrl: `wss://${domain}/v1/graphql` });
    expect(outputs.apiDnsRecord).toBe(`${domain}. 300 IN A ${outputs.apiAddress}`);
    const dart = renderOptionsFile({ stack: "edge", firebase: clientOutputs(outputs, "edge").firebaseWebOptions, hasuraGraphqlUrl: outputs.hasuraGraphqlUrl, hasuraWebsocketUrl: outputs.hasuraWebsocketUrl, signInProviders: [] });
    expect(dart).toContain(`https://${domain}/v1/graphql`);
    expect(dart).not.toContain("run.app");
    const connect = new Map(contentSecurityPolicyDirectives(hostingSiteOf(hostingOutputs(outputs, "edge")))).get("connect-src")!;
    expect(connect).toEqual(expect.arrayContaining([`https://${domain}`, `wss://${domain}`]));
    expect(connect.join(" ")).not.toContain("run.app");
  });

  it("checks uptime through the load balancer at https://<apiDomain>/hasura/healthz", () => {
    expect((onlyResourceOfType(plan(), T.uptime).inputs as Loose).monitoredResource.labels.host).toBe(domain);
    expect((onlyResourceOfType(plan(), T.uptime).inputs as Loose).httpCheck.path).toBe(HASURA_PUBLIC_HEALTH_PATH);
  });

  it("keeps CORS to the web app's origins, and the services on Hasura's run.app URL through the VPC", () => {
    expect(envOf(hasuraApi(plan()), "HASURA_GRAPHQL_CORS_DOMAIN").split(",")).not.toContain(`https://${domain}`);
    expect(envOf(hasuraApi(plan()), "HASURA_GRAPHQL_CORS_DOMAIN")).toContain("https://app.pulsura.example.com");
    const core = resourcesOfType(plan(), T.run).find((r) => (r.inputs as Loose).name === "pulsura-core")!.inputs;
    expect(envOf(core, "HASURA_GRAPHQL_URL")).toMatch(/-hasura-\d+\.europe-west1\.run\.app\/v1\/graphql$/);
  });

  it("tells the deployer to create the DNS record, and that the pulumi up after the certificate turns ACTIVE makes the cut", () => {
    const steps = (plan().outputs as Loose).nextSteps.join("\n");
    expect(steps).toMatch(/API domain api\.pulsura\.example\.com: create the DNS record/);
    expect(steps).toContain(`gcloud compute ssl-certificates describe ${edgeCertificateName("pulsura", domain)} --global`);
    expect(steps).toMatch(/Once it is ACTIVE, run `pulumi up` again: it narrows Hasura's ingress/);
  });

  it("names the certificate per domain, reads its status (ACTIVE) and says Hasura is behind the load balancer", () => {
    expect(onlyResourceOfType(plan(), T.certificate).inputs).toMatchObject({ name: edgeCertificateName("pulsura", domain) });
    expect((plan().outputs as Loose).apiCutover).toEqual({ certificateStatus: "ACTIVE", hasura: expect.stringMatching(/^behind the load balancer/) });
    expect((hasuraApi(plan()).labels as Loose)[CUTOVER_LABEL.key]).toBeUndefined();
  });
});

// A stack's first `pulumi up` with a domain: the certificate does not exist yet, and nothing may depend on the domain.
describe.each(["ABSENT", "PROVISIONING", "PROVISIONING_FAILED"] as const)("prod with pulsura:apiDomain while its certificate is %s (a first pulumi up)", (status) => {
  const domain = "api.pulsura.example.com";
  let planned: Plan;
  beforeAll(async () => {
    const run = await runPlanCli(["--config-file", join(fixturesDir, "Pulumi.edge.yaml"), "--json", "--api-certificate", status]);
    if (run.exitCode !== 0) throw new Error(`planning the edge fixture with --api-certificate ${status} failed (exit ${run.exitCode}):\n${run.stderr}`);
    planned = JSON.parse(run.stdout) as Plan;
  }, 120_000);

  it("builds the whole edge but keeps Hasura's API open at run.app, labelled as waiting, with only the advisory finding", () => {
    for (const type of EDGE_TYPES) expect(resourcesOfType(planned, type).length, type).toBeGreaterThan(0);
    expect(hasuraApi(planned)).toMatchObject({ ingress: "INGRESS_TRAFFIC_ALL", labels: { [CUTOVER_LABEL.key]: CUTOVER_LABEL.value } });
    expect(planned.violations.map((v: Loose) => `${v.policy} ${v.enforcement}`)).toEqual(["edge-cutover-pending advisory"]);
  });

  it("runs the deploy's migrations, seeds, role grants and metadata, the functions' calls and the uptime check against run.app", () => {
    const runApp = /^https:\/\/pulsura-hasura-\d+\.europe-west1\.run\.app$/;
    const applied = planned.resources.filter((r) => r.type.startsWith("pulumi-nodejs:dynamic/pulsura:Hasura"));
    expect(applied.map((r) => r.name).sort()).toEqual(["pulsura-database-roles", "pulsura-metadata", "pulsura-migrations", "pulsura-seeds"]);
    for (const r of applied) expect((r.inputs as Loose).endpoint, r.name).toMatch(runApp);
    expect((onlyResourceOfType(planned, T.uptime).inputs as Loose).monitoredResource.labels.host).toMatch(/^pulsura-hasura-\d+\.europe-west1\.run\.app$/);
  });

  it("still gives clients the domain, and says where Hasura is until the cut", () => {
    expect(planned.outputs).toMatchObject({ hasuraGraphqlUrl: `https://${domain}/v1/graphql`, apiCutover: { certificateStatus: status, hasura: expect.stringMatching(/run\.app URL until the certificate is ACTIVE/) } });
  });
});

describe("dev with pulsura:apiDomain (the everything fixture)", () => {
  it("runs every Cloud Armor rule in preview, without Adaptive Protection, and the edge's policy finding is only advisory", () => {
    const plan = fixturePlanOf("everything");
    const rules = armorRules(plan).filter((r) => r.priority !== ARMOR_DEFAULT_PRIORITY);
    expect(rules.every((r) => r.preview === true)).toBe(true);
    expect(onlyResourceOfType(plan, T.armor).inputs).toMatchObject({ adaptiveProtectionConfig: { layer7DdosDefenseConfig: { enable: false } } });
    const findings = plan.violations.filter((v: Loose) => String(v.policy).startsWith("edge-"));
    expect(new Set(findings.map((v: Loose) => `${v.policy} ${v.enforcement}`))).toEqual(new Set(["edge-armor-enforced advisory"]));
  });
});
