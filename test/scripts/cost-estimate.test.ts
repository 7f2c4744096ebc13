/**
 * The cost estimate of the real stacks' plans, checked against the price table by computing a few components here,
 * from the table and the stacks' documented defaults (infra/config.ts), not from the estimator's own arithmetic.
 */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { connectionHeadroom, connectionPools, ENVIRONMENT_DEFAULTS, tierConnectionLimit } from "../../infra/config";
import { COST_DEFAULTS } from "../../infra/config/cost";
import { ASSUMPTION_KEYS, parseAssumeFlags, resolveAssumptions } from "../../scripts/lib/cost/assumptions";
import { estimateCost, type CostEstimate, type PlanResource } from "../../scripts/lib/cost/estimate";
import { loadPriceTable, MissingPriceError } from "../../scripts/lib/cost/prices";
import { estimatePlan } from "../../scripts/lib/cost/report";
import type { PlanDocument } from "../../scripts/lib/plan-diff";
import { loadStackConfig, repoRoot } from "../../scripts/lib/stack-files";
import { fixturePlanOf, planOf } from "../infra/support/plans";

const prices = loadPriceTable();
const HOURS = 730;
const SECONDS = HOURS * 3600;

function estimateOf(stack: string, options: { assume?: Record<string, number>; idle?: boolean; billingAccountFreeTier?: boolean } = {}): CostEstimate {
  const plan = planOf(stack) as unknown as PlanDocument;
  const { config } = loadStackConfig(join(repoRoot, `Pulumi.${stack}.yaml`), "pulsura");
  return estimatePlan(plan, config, { prices, ...options });
}

/** The estimate of a planned fixture stack (test/infra/fixtures/Pulumi.<name>.yaml). */
function fixtureEstimateOf(name: "everything" | "edge"): CostEstimate {
  const plan = fixturePlanOf(name) as unknown as PlanDocument;
  const { config } = loadStackConfig(join(repoRoot, "test", "infra", "fixtures", `Pulumi.${name}.yaml`), "pulsura");
  return estimatePlan(plan, config, { prices });
}

const component = (estimate: CostEstimate, type: string) => {
  const found = estimate.components.filter((c) => c.component.startsWith(`${type} `));
  if (found.length !== 1) throw new Error(`expected one ${type} in the estimate of ${estimate.stack}, found ${found.length}`);
  return found[0]!;
};
const p = (file: string, key: string, region = "europe-west1") => prices.price(file, key, region).usd;
const free = (file: string, key: string) => prices.entry(file, key).free?.quantity ?? 0;

describe("the cost estimate of the dev stack", () => {
  const dev = estimateOf("dev");

  it("prices its db-g1-small zonal instance and 10 GB SSD disk at the table's europe-west1 prices", () => {
    const database = component(dev, "pulsura:data:Database");
    expect(database.alwaysOn).toBeCloseTo(HOURS * p("cloud-sql", "sharedCore.db-g1-small") + 10 * p("cloud-sql", "storage.PD_SSD"), 2);
  });

  it("is idle at the database, the secret versions past the free six, the images and function source kept: no Hasura worker, no NAT", () => {
    const plan = planOf("dev");
    // Nothing of Cloud Run or Cloud NAT is always on: the API scales to zero and no worker runs (issue 21).
    expect(plan.resources.filter((r) => r.type === "gcp:cloudrunv2/service:Service" && r.name.endsWith("-hasura-worker"))).toEqual([]);
    expect(plan.resources.filter((r) => r.type === "gcp:compute/routerNat:RouterNat")).toEqual([]);
    const alwaysOnPrices = new Set(dev.components.flatMap((c) => c.lines.filter((l) => l.category === "always-on" && l.usd > 0).map((l) => l.price.split(":")[0])));
    expect([...alwaysOnPrices].sort()).toEqual(["artifact-registry", "cloud-sql", "cloud-storage", "secret-manager"]);
    const versions = plan.resources.filter((r) => r.type === "gcp:secretmanager/secretVersion:SecretVersion").length;
    const quantityOf = (price: string, category = "always-on") => dev.components.flatMap((c) => c.lines).filter((l) => l.price === price && l.category === category).reduce((sum, l) => sum + l.quantity, 0);
    const imagesGb = quantityOf("artifact-registry:storageGbMonth");
    // The functions' source archive in its bucket (europe-west1 has no Cloud Storage free tier).
    const sourceGb = quantityOf("cloud-storage:standardGbMonth");
    const expected =
      HOURS * p("cloud-sql", "sharedCore.db-g1-small") +
      10 * p("cloud-sql", "storage.PD_SSD") +
      Math.max(0, versions - free("secret-manager", "activeVersionMonth")) * p("secret-manager", "activeVersionMonth") +
      Math.max(0, imagesGb - free("artifact-registry", "storageGbMonth")) * p("artifact-registry", "storageGbMonth") +
      sourceGb * p("cloud-storage", "standardGbMonth");
    expect(dev.idle).toBeCloseTo(expected, 2);
  });

  it("charges a dev stack that turns the worker and the uptime check on (fixture everything) both instances all month", () => {
    const everything = fixtureEstimateOf("everything");
    const always = component(everything, "pulsura:hasura:Hasura").lines.filter((l) => l.resource.startsWith("gcp:cloudrunv2/service:Service") && l.category === "always-on");
    // The worker (1 vCPU, 512 MiB), and the API (1 vCPU, 1 GiB), which scales to zero but which the uptime check calls
    // through the edge from 6 locations every 300 s: billed by instance, it never gets to zero. The free tier once.
    expect(always.some((l) => l.resource.endsWith("-hasura-worker"))).toBe(true);
    expect(always.some((l) => l.resource.endsWith("-hasura") && l.description.includes("kept up by uptime check"))).toBe(true);
    const expected =
      (SECONDS * (1 + 1) - free("cloud-run", "instance.vcpuSecond")) * p("cloud-run", "instance.vcpuSecond") +
      (SECONDS * (1 + 0.5) - free("cloud-run", "instance.gibSecond")) * p("cloud-run", "instance.gibSecond");
    expect(always.reduce((sum, l) => sum + l.usd, 0)).toBeCloseTo(expected, 2);
    expect(everything.idle).toBeGreaterThan(dev.idle + expected);
    // Behind the edge the API is still the public one: its egress is the API's, not a service's.
    expect(component(everything, "pulsura:hasura:Hasura").lines.some((l) => l.price === "networking:internetEgressGib")).toBe(true);
  });

  it("adds up: components to totals, always-on and usage to the total, and the idle figure is the always-on total", () => {
    const sum = (pick: (c: CostEstimate["components"][number]) => number) => dev.components.reduce((s, c) => s + pick(c), 0);
    expect(dev.totals.alwaysOn).toBeCloseTo(sum((c) => c.alwaysOn), 2);
    expect(dev.totals.usage).toBeCloseTo(sum((c) => c.usage), 2);
    expect(dev.totals.total).toBeCloseTo(dev.totals.alwaysOn + dev.totals.usage, 2);
    expect(dev.idle).toBe(dev.totals.alwaysOn);
    expect(dev.pricesReadOn).toBe(prices.readOn);
  });

  it("charges every priced resource of the plan to the component it was declared in", () => {
    const plan = planOf("dev");
    const priced = ["gcp:sql/databaseInstance:DatabaseInstance", "gcp:cloudrunv2/service:Service", "gcp:cloudfunctions/function:Function", "gcp:cloudfunctionsv2/function:Function", "gcp:compute/routerNat:RouterNat", "gcp:secretmanager/secretVersion:SecretVersion", "gcp:storage/bucket:Bucket", "gcp:artifactregistry/repository:Repository", "gcp:monitoring/uptimeCheckConfig:UptimeCheckConfig"];
    const byUrn = new Map(plan.resources.map((r) => [r.urn, r]));
    for (const resource of plan.resources.filter((r) => priced.includes(r.type))) {
      let owner = resource;
      while (!owner.type.startsWith("pulsura:") && owner.parent && byUrn.get(owner.parent)) owner = byUrn.get(owner.parent)!;
      const charged = dev.components.find((c) => c.component === `${owner.type} ${owner.name}`);
      expect(charged?.lines.some((l) => l.resource === `${resource.type} ${resource.name}`), `${resource.type} ${resource.name} under ${owner.type} ${owner.name}`).toBe(true);
    }
  });

  it("changes only the usage part when the assumptions change, and --idle leaves the always-on part", () => {
    const busy = estimateOf("dev", { assume: parseAssumeFlags(["apiRequests=10000000", "egressGb=200", "filesGb=100", "databaseGb=20", "logsGb=80"]) });
    expect(busy.totals.alwaysOn).toBe(dev.totals.alwaysOn);
    expect(busy.totals.usage).toBeGreaterThan(dev.totals.usage + 10);
    const idle = estimateOf("dev", { idle: true });
    expect(idle.totals.alwaysOn).toBe(dev.totals.alwaysOn);
    expect(idle.totals.usage).toBe(0);
    expect(idle.assumptions.every((a) => a.value === 0 && a.source === "--idle")).toBe(true);
  });

  it("costs more without the billing account's free tiers (one more stack on an account that uses them)", () => {
    const shared = estimateOf("dev", { billingAccountFreeTier: false });
    expect(shared.totals.alwaysOn).toBeGreaterThan(dev.totals.alwaysOn);
    // The six free secret versions are worth 6 × their price to the always-on part.
    const secrets = (e: CostEstimate) => component(e, "pulsura:security:Secrets").alwaysOn;
    expect(secrets(shared) - secrets(dev)).toBeCloseTo(free("secret-manager", "activeVersionMonth") * p("secret-manager", "activeVersionMonth"), 2);
  });

  it("states every assumption with its source, the default of the stack's environment unless set", () => {
    expect(dev.assumptions.map((a) => a.key)).toEqual(ASSUMPTION_KEYS);
    for (const a of dev.assumptions) expect(a).toEqual({ key: a.key, value: COST_DEFAULTS.dev[a.key], source: "default (dev)" });
    const set = resolveAssumptions("dev", { "pulsura:cost": JSON.stringify({ apiRequests: 42 }) }, { egressGb: 7 });
    expect(set.find((a) => a.key === "apiRequests")).toEqual({ key: "apiRequests", value: 42, source: "pulsura:cost" });
    expect(set.find((a) => a.key === "egressGb")).toEqual({ key: "egressGb", value: 7, source: "--assume" });
    expect(() => resolveAssumptions("dev", { "pulsura:cost": JSON.stringify({ apiRequest: 42 }) })).toThrow(/pulsura:cost: .*apiRequest/);
    expect(() => parseAssumeFlags(["apiRequest=5"])).toThrow("--assume apiRequest: no such assumption (did you mean apiRequests?)");
    expect(() => parseAssumeFlags(["egressGb=-1"])).toThrow("--assume egressGb=-1: expected a number >= 0");
  });

  it("refuses a region the price table does not have, naming the region and the file", () => {
    const plan = planOf("dev");
    const run = () => estimateCost({ stack: "dev", region: "asia-east1", environment: "dev", resources: plan.resources, assumptions: resolveAssumptions("dev", {}), prices });
    expect(run).toThrow(MissingPriceError);
    expect(run).toThrow(/^region asia-east1 has no price "[^"]+" in \S*infra\/prices\/[a-z-]+\.json \(it lists [a-z0-9-]+(, [a-z0-9-]+)*\): add the region's list price from https:\/\/cloud\.google\.com\//);
  });
});

describe("the cost estimate of the prod stack", () => {
  const prod = estimateOf("prod");

  it("prices its regional db-custom-2-7680 instance and 20 GB SSD disk twice (primary and standby)", () => {
    const database = component(prod, "pulsura:data:Database");
    const instance = 2 * HOURS * (2 * p("cloud-sql", "vcpu") + 7.5 * p("cloud-sql", "memory"));
    expect(database.alwaysOn).toBeCloseTo(instance + 2 * 20 * p("cloud-sql", "storage.PD_SSD"), 2);
  });

  it("charges the Hasura API's min instance (2 vCPU, 2 GiB) and the worker's (1 vCPU, 1 GiB) all month, the free tier once", () => {
    const always = component(prod, "pulsura:hasura:Hasura").lines.filter((l) => l.resource.startsWith("gcp:cloudrunv2/service:Service") && l.category === "always-on");
    expect(always.some((l) => l.resource.endsWith(" pulsura-hasura-worker"))).toBe(true);
    const expected =
      (SECONDS * (2 + 1) - free("cloud-run", "instance.vcpuSecond")) * p("cloud-run", "instance.vcpuSecond") +
      (SECONDS * (2 + 1) - free("cloud-run", "instance.gibSecond")) * p("cloud-run", "instance.gibSecond");
    expect(always.reduce((sum, l) => sum + l.usd, 0)).toBeCloseTo(expected, 2);
    // Without the billing account's free tier (one more stack on it), the free vCPU-seconds are worth their price.
    const shared = estimateOf("prod", { billingAccountFreeTier: false });
    const cpu = (e: CostEstimate) => component(e, "pulsura:hasura:Hasura").lines.filter((l) => l.price === "cloud-run:instance.vcpuSecond" && l.category === "always-on").reduce((sum, l) => sum + l.usd, 0);
    expect(cpu(shared) - cpu(prod)).toBeCloseTo(free("cloud-run", "instance.vcpuSecond") * p("cloud-run", "instance.vcpuSecond"), 2);
  });

  it("charges the min instances of the core service at Cloud Run's idle rate (request-based) for the whole month", () => {
    const core = component(prod, "pulsura:services:Microservice").lines.filter((l) => l.resource.startsWith("gcp:cloudrunv2/service:Service") && l.category === "always-on");
    expect(core.reduce((sum, l) => sum + l.usd, 0)).toBeCloseTo(SECONDS * (1 * p("cloud-run", "idle.vcpuSecond") + 0.5 * p("cloud-run", "idle.gibSecond")), 2);
  });

  it("costs more than dev, always-on and in total", () => {
    const dev = estimateOf("dev");
    expect(prod.totals.alwaysOn).toBeGreaterThan(dev.totals.alwaysOn);
    expect(prod.totals.total).toBeGreaterThan(dev.totals.total);
  });
});

describe("the load balancer and Cloud Armor, where a plan has them", () => {
  // A synthetic Edge (issue 19 adds the real one): two global forwarding rules and a policy with three rules.
  const edgeUrn = "urn:pulumi:dev::pulsura::pulsura:edge:Edge::pulsura";
  const edge: PlanResource[] = [
    { urn: edgeUrn, type: "pulsura:edge:Edge", name: "pulsura", parent: null, inputs: {} },
    ...["https", "http-redirect"].map((role) => ({ urn: `${edgeUrn}-${role}`, type: "gcp:compute/globalForwardingRule:GlobalForwardingRule", name: `pulsura-${role}`, parent: edgeUrn, inputs: { loadBalancingScheme: "EXTERNAL_MANAGED" } })),
    { urn: `${edgeUrn}-armor`, type: "gcp:compute/securityPolicy:SecurityPolicy", name: "pulsura-armor", parent: edgeUrn, inputs: { rules: [{ priority: 1000 }, { priority: 2000 }, { priority: 2147483647 }] } },
  ];
  const assumptions = resolveAssumptions("prod", {});
  const estimate = estimateCost({ stack: "edge", region: "europe-west1", environment: "prod", resources: [...planOf("prod").resources, ...edge], assumptions, prices });
  const usage = Object.fromEntries(assumptions.map((a) => [a.key, a.value]));

  it("charges the forwarding rules, the policy and its rules as always-on cost of the Edge component", () => {
    const component = estimate.components.find((c) => c.component === "pulsura:edge:Edge pulsura")!;
    expect(component.alwaysOn).toBeCloseTo(2 * HOURS * p("networking", "lb.forwardingRuleHour.first5") + p("cloud-armor", "policyMonth") + 3 * p("cloud-armor", "ruleMonth"), 2);
    const expectedUsage = (usage.apiRequests! / 1e6) * p("cloud-armor", "requests") + (usage.egressGb! + usage.ingressGb!) * p("networking", "lb.processedGib");
    expect(component.usage).toBeCloseTo(expectedUsage, 2);
  });

  it("bills forwarding rules beyond the first five at the lower price", () => {
    const rules: PlanResource[] = Array.from({ length: 7 }, (_, i) => ({ urn: `u${i}`, type: "gcp:compute/globalForwardingRule:GlobalForwardingRule", name: `rule-${i}`, parent: null, inputs: {} }));
    const seven = estimateCost({ stack: "rules", region: "europe-west1", environment: "prod", resources: rules, assumptions: resolveAssumptions("prod", {}, {}, true), prices });
    expect(seven.totals.alwaysOn).toBeCloseTo(HOURS * (5 * p("networking", "lb.forwardingRuleHour.first5") + 2 * p("networking", "lb.forwardingRuleHour.additional")), 2);
  });

  it("prices no load balancer when the plan has no forwarding rule, and says so", () => {
    const plain = estimateOf("prod");
    expect(plain.components.some((c) => c.lines.some((l) => l.price.startsWith("cloud-armor:") || l.price.startsWith("networking:lb.")))).toBe(false);
    expect(plain.notes).toContain("No forwarding rule in the plan: no load balancer is priced.");
  });
});

describe("idle cost of the dev defaults", () => {
  it("uses the cheapest Cloud SQL tier of the price table whose connections fit the dev pools at full scale", () => {
    const dev = ENVIRONMENT_DEFAULTS.dev;
    const services = dev.services.map((service) => ({ ...dev.service, ...service }));
    const needed = connectionPools({ hasura: dev.hasura, services }).reduce((sum, pool) => sum + pool.instances * pool.size, 0);
    const fits = (tier: string) => {
      const limit = tierConnectionLimit(tier)!;
      return limit - connectionHeadroom(limit) >= needed;
    };
    const sharedCore = Object.keys(prices.files["cloud-sql"]!.prices).filter((k) => k.startsWith("sharedCore.")).map((k) => k.slice("sharedCore.".length));
    const cheapest = sharedCore.filter(fits).sort((a, b) => p("cloud-sql", `sharedCore.${a}`) - p("cloud-sql", `sharedCore.${b}`))[0];
    expect(dev.database.tier).toBe(cheapest);
  });

  it("keeps functions at zero minimum instances in dev: no always-on cost for them", () => {
    const functions = estimateOf("dev").components.find((c) => c.component.startsWith("pulsura:auth:AuthFunctions "))!;
    expect(functions.alwaysOn).toBe(0);
  });

  it("runs no Hasura worker and no Cloud NAT in dev by default, and keeps both in prod", () => {
    expect(ENVIRONMENT_DEFAULTS.dev.hasura.worker.enabled).toBe(false);
    expect(ENVIRONMENT_DEFAULTS.dev.network.nat).toBe(false);
    expect(ENVIRONMENT_DEFAULTS.prod.hasura.worker.enabled).toBe(true);
    expect(ENVIRONMENT_DEFAULTS.prod.network.nat).toBe(true);
    const hasura = component(estimateOf("dev"), "pulsura:hasura:Hasura");
    expect(hasura.lines.filter((l) => l.category === "always-on" && l.price.startsWith("cloud-run:"))).toEqual([]);
    expect(estimateOf("dev").components.find((c) => c.component.startsWith("pulsura:network:Network "))?.alwaysOn ?? 0).toBe(0);
    // What the dev figure leaves out is delivery, not money: the estimate says so beside it, and only there.
    const note = "No Hasura worker: the API's instances deliver events, crons and async actions, only while one runs (pulsura:hasura.worker.enabled).";
    expect(estimateOf("dev").notes).toContain(note);
    expect(estimateOf("prod").notes).not.toContain(note);
  });
});
