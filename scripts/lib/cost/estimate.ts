/**
 * The monthly cost of a planned stack, from the plan's resources and their inputs (never from a list of components):
 * each priced resource (Cloud SQL instance, Cloud Run service, function, NAT gateway, forwarding rule, Armor policy,
 * secret version, bucket, topic, repository, uptime check, log-based metric) gives line items, each charged to the
 * pulsura component it was declared in, split into always-on cost (what the stack costs with no traffic: its idle
 * cost) and usage-driven cost (from the stated assumptions, infra/config/cost.ts). Prices come from the dated table in
 * infra/prices/ (./prices.ts); free tiers are applied per meter, to always-on consumption first.
 */
import type { CostAssumptionKey, CostAssumptions } from "../../../infra/config/cost";
import { MissingPriceError, type PriceTable, type PriceUse } from "./prices";

/** Hours in a month, as Google's pricing calculator counts them. */
export const HOURS_PER_MONTH = 730;
export const SECONDS_PER_MONTH = HOURS_PER_MONTH * 3600;

/**
 * Modelling figures the plan cannot know and no pricing page gives; printed with every estimate. None depends on
 * traffic, so `--assume` does not change them.
 */
export const MODEL = {
  /** Billable seconds per function invocation (the auth functions call Hasura once; a cold start takes longer). */
  functionSeconds: 1,
  /** Size of one service image in Artifact Registry (Node 24 slim base plus the bundled service). */
  serviceImageGb: 0.15,
  /** Size of the cached images of a remote (Docker Hub proxy) repository: the pinned Hasura image. */
  remoteCacheGb: 0.2,
  /** Size of one function source archive in a bucket. */
  sourceArchiveGb: 0.01,
  /** Share of the database that changes per day: what each incremental backup after the first stores. */
  dailyChangeRate: 0.05,
  /** Locations an uptime check without selectedRegions runs from (every checker region). */
  uptimeCheckRegions: 6,
  /** Bytes per point of a log-based metric (INT64; a distribution is about 80), one point per minute, one series. */
  metricPointBytes: { scalar: 8, distribution: 80 },
  /** Smallest billable Pub/Sub message. */
  pubsubMessageBytes: 1000,
} as const;

/** A resource of a plan, as `npm run plan -- --json` prints it. */
export interface PlanResource {
  urn: string;
  type: string;
  name: string;
  parent: string | null;
  inputs: Record<string, unknown>;
}

export type CostCategory = "always-on" | "usage";

export interface CostLine {
  /** What is billed, e.g. `Cloud SQL db-g1-small (ZONAL): 730 instance-hours`. */
  description: string;
  category: CostCategory;
  /** The resource it comes from (`<type> <name>`), or the project. */
  resource: string;
  /** `<price file>:<price key>`. */
  price: string;
  quantity: number;
  unit: string;
  unitPrice: number;
  /** Quantity the free tier covers. */
  free: number;
  /** USD per month after the free tier. */
  usd: number;
}

export interface ComponentCost {
  /** `<type> <name>` of the pulsura component, or `(project)` for what no component declares. */
  component: string;
  alwaysOn: number;
  usage: number;
  total: number;
  lines: CostLine[];
}

export interface AssumptionUse {
  key: CostAssumptionKey;
  value: number;
  /** `default (dev)`, `pulsura:cost` or `--assume`. */
  source: string;
}

/** The estimate as `--cost` prints it and `--json` puts under `cost`. */
export interface CostEstimate {
  stack: string;
  region: string;
  environment: string;
  currency: "USD";
  /** The price table's date (its oldest price). */
  pricesReadOn: string;
  /** Free tiers per billing account applied (off with --no-free-tier: the billing account's free tier is used elsewhere). */
  billingAccountFreeTier: boolean;
  components: ComponentCost[];
  totals: { alwaysOn: number; usage: number; total: number };
  /** Monthly cost with no traffic: the always-on total. */
  idle: number;
  assumptions: AssumptionUse[];
  model: typeof MODEL;
  /** Prices the estimate used whose figure was not read from the official page (infra/prices/README.md). */
  unconfirmedPrices: PriceUse[];
  /** What the estimate leaves out, and why. */
  notes: string[];
}

export interface EstimateOptions {
  stack: string;
  region: string;
  environment: string;
  resources: readonly PlanResource[];
  assumptions: AssumptionUse[];
  prices: PriceTable;
  /** Apply free tiers that are per billing account. @default true */
  billingAccountFreeTier?: boolean;
}

interface GrossLine extends Omit<CostLine, "free" | "usd" | "unitPrice" | "unit"> {
  component: string;
  file: string;
  key: string;
}

const PROJECT = "(project)";

/** Component of each resource: its nearest ancestor of a pulsura type (`pulsura:<area>:<Name>`). */
function componentsByUrn(resources: readonly PlanResource[]): (resource: PlanResource) => string {
  const byUrn = new Map(resources.map((r) => [r.urn, r]));
  return (resource) => {
    for (let current: PlanResource | undefined = resource; current; current = current.parent ? byUrn.get(current.parent) : undefined) {
      if (current.type.startsWith("pulsura:")) return `${current.type} ${current.name}`;
    }
    return PROJECT;
  };
}

const record = (value: unknown): Record<string, unknown> => (value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : {});
const list = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);
const num = (value: unknown, fallback: number): number => (typeof value === "number" && Number.isFinite(value) ? value : fallback);

/** How often an uptime check runs (`period`, e.g. "300s") and from how many checker locations. */
function uptimeCheckCadence(check: PlanResource): { period: number; regions: number } {
  const period = Number(String(check.inputs.period ?? "60s").replace(/s$/, ""));
  const regions = list(check.inputs.selectedRegions).length || MODEL.uptimeCheckRegions;
  return { period, regions };
}

/** Average seconds between two requests of an uptime check: its period shared by its locations. */
function uptimeCheckGapSeconds(check: PlanResource): number {
  const { period, regions } = uptimeCheckCadence(check);
  return period / regions;
}

/**
 * Whether an uptime check calls a Cloud Run service: its host is the service's run.app URL
 * (`<service>-<project number>.<region>.run.app`), or a custom host in front of a service that takes traffic only from
 * the stack's load balancer (the edge's API domain).
 */
function checksService(check: PlanResource, service: PlanResource): boolean {
  const host = String(record(record(check.inputs.monitoredResource).labels).host ?? "");
  const serviceName = String(service.inputs.name ?? service.name);
  if (host.endsWith(".run.app")) return host.startsWith(`${serviceName}-`);
  return host !== "" && service.inputs.ingress === "INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER";
}

/** vCPUs of a Cloud Run CPU limit: "1", "2", "1000m". */
export function vcpus(cpu: unknown): number {
  const text = String(cpu ?? "1");
  return text.endsWith("m") ? Number(text.slice(0, -1)) / 1000 : Number(text);
}

/** GiB of a memory size: "512Mi", "1Gi", "256M", "2G". */
export function gib(memory: unknown): number {
  const match = /^(\d+(?:\.\d+)?)(Mi|Gi|M|G)$/.exec(String(memory ?? ""));
  if (!match) throw new Error(`memory ${JSON.stringify(memory)}: expected a size such as 512Mi, 1Gi or 256M`);
  const value = Number(match[1]);
  return match[2]!.startsWith("G") ? value : value / 1024;
}

/** vCPUs a 2nd-gen function gets by default for its memory (https://cloud.google.com/functions/docs/configuring/memory). */
function functionVcpus(memoryGib: number): number {
  if (memoryGib <= 0.25) return 0.167;
  if (memoryGib <= 0.5) return 0.333;
  if (memoryGib <= 1) return 0.583;
  if (memoryGib <= 2) return 1;
  if (memoryGib <= 8) return 2;
  return 4;
}

/** CPU clock a 1st-gen function's memory size provisions, in GHz (infra/prices/cloud-functions.json $comment). */
function gen1Ghz(memoryMb: number): number {
  if (memoryMb <= 128) return 0.2;
  if (memoryMb <= 256) return 0.4;
  if (memoryMb <= 512) return 0.8;
  if (memoryMb <= 1024) return 1.4;
  if (memoryMb <= 2048) return 2.4;
  return 4.8;
}

const SHARED_CORE_TIERS = ["db-f1-micro", "db-g1-small"];

/**
 * Estimates a planned stack's monthly cost.
 * @throws MissingPriceError when the stack's region (or a price it needs) is not in the table, naming region and file
 */
export function estimateCost(options: EstimateOptions): CostEstimate {
  const { resources } = options;
  const billingAccountFreeTier = options.billingAccountFreeTier ?? true;
  const usage = Object.fromEntries(options.assumptions.map((a) => [a.key, a.value])) as CostAssumptions;
  const componentOf = componentsByUrn(resources);
  const gross: GrossLine[] = [];
  const add = (resource: PlanResource | undefined, category: CostCategory, file: string, key: string, quantity: number, description: string) => {
    if (quantity <= 0) return;
    gross.push({
      component: resource ? componentOf(resource) : PROJECT,
      resource: resource ? `${resource.type} ${resource.name}` : PROJECT,
      category,
      file,
      key,
      price: `${file}:${key}`,
      quantity,
      description,
    });
  };
  const ofType = (type: string) => resources.filter((r) => r.type === type);
  const notes: string[] = [];

  // --- Cloud SQL -------------------------------------------------------------------------------------------------
  for (const instance of ofType("gcp:sql/databaseInstance:DatabaseInstance")) {
    const settings = record(instance.inputs.settings);
    const tier = String(settings.tier ?? "");
    const availability = String(settings.availabilityType ?? "ZONAL");
    const edition = String(settings.edition ?? "ENTERPRISE");
    if (edition !== "ENTERPRISE") throw new MissingPriceError(`Cloud SQL ${instance.name}: edition ${edition} has no prices in infra/prices/cloud-sql.json (it has Enterprise edition prices)`);
    const copies = availability === "REGIONAL" ? 2 : 1;
    const ha = copies === 2 ? "REGIONAL: primary and standby" : "ZONAL";
    const custom = /^db-custom-(\d+)-(\d+)$/.exec(tier);
    if (SHARED_CORE_TIERS.includes(tier)) {
      add(instance, "always-on", "cloud-sql", `sharedCore.${tier}`, HOURS_PER_MONTH * copies, `Cloud SQL ${tier} (${ha}): ${copies} × ${HOURS_PER_MONTH} h`);
    } else if (custom) {
      const [cpus, memoryGb] = [Number(custom[1]), Number(custom[2]) / 1024];
      add(instance, "always-on", "cloud-sql", "vcpu", cpus * HOURS_PER_MONTH * copies, `Cloud SQL ${tier} (${ha}): ${cpus} vCPU × ${copies} × ${HOURS_PER_MONTH} h`);
      add(instance, "always-on", "cloud-sql", "memory", memoryGb * HOURS_PER_MONTH * copies, `Cloud SQL ${tier} (${ha}): ${memoryGb} GB × ${copies} × ${HOURS_PER_MONTH} h`);
    } else {
      throw new MissingPriceError(`Cloud SQL ${instance.name}: tier ${JSON.stringify(tier)} has no prices in infra/prices/cloud-sql.json (shared-core ${SHARED_CORE_TIERS.join(", ")} or db-custom-<vCPUs>-<MiB>)`);
    }
    const diskType = String(settings.diskType ?? "PD_SSD");
    const diskGb = num(settings.diskSize, 10);
    add(instance, "always-on", "cloud-sql", `storage.${diskType}`, diskGb * copies, `Cloud SQL ${diskType} disk: ${diskGb} GB × ${copies}`);
    const backups = record(settings.backupConfiguration);
    if (backups.enabled !== false) {
      const retained = num(record(backups.backupRetentionSettings).retainedBackups, 7);
      const storedGb = usage.databaseGb * (1 + MODEL.dailyChangeRate * (retained - 1));
      add(instance, "usage", "cloud-sql", "backups", storedGb, `Cloud SQL backups: ${retained} retained of ${usage.databaseGb} GB data (${MODEL.dailyChangeRate * 100}% change per day)`);
    }
  }

  // --- Cloud Run services and 2nd-gen functions --------------------------------------------------------------------
  /** Instance-seconds Cloud Run may run through the VPC (NAT counts instances): always-on and from traffic. */
  let vpcAlwaysOnInstances = 0;
  let vpcTrafficInstanceSeconds = 0;
  const services = ofType("gcp:cloudrunv2/service:Service");
  const uptimeChecks = ofType("gcp:monitoring/uptimeCheckConfig:UptimeCheckConfig");
  for (const service of services) {
    const template = record(service.inputs.template);
    const container = record(list(template.containers)[0]);
    const resourcesOf = record(container.resources);
    const limits = record(resourcesOf.limits);
    const cpu = vcpus(limits.cpu);
    const memory = gib(limits.memory ?? "512Mi");
    const scaling = record(template.scaling);
    const min = num(scaling.minInstanceCount, 0);
    const max = num(scaling.maxInstanceCount, 100);
    const instanceBased = resourcesOf.cpuIdle === false;
    const billing = instanceBased ? "instance-based (CPU always allocated)" : "request-based";
    const shape = `${cpu} vCPU, ${memory} GiB`;
    const throughVpc = record(template.vpcAccess).egress === "ALL_TRAFFIC";
    if (throughVpc) vpcAlwaysOnInstances += min;
    if (min > 0) {
      const seconds = min * SECONDS_PER_MONTH;
      const [cpuKey, memoryKey] = instanceBased ? ["instance.vcpuSecond", "instance.gibSecond"] : ["idle.vcpuSecond", "idle.gibSecond"];
      const state = instanceBased ? "" : " (idle rate)";
      add(service, "always-on", "cloud-run", cpuKey, cpu * seconds, `Cloud Run ${service.name}: ${min} min instance(s) × ${shape}, ${billing}: vCPU-seconds${state}`);
      add(service, "always-on", "cloud-run", memoryKey, memory * seconds, `Cloud Run ${service.name}: ${min} min instance(s) × ${shape}, ${billing}: GiB-seconds${state}`);
    }
    // The stack's own uptime check is traffic too: it calls the service from every checker location each period, so a
    // scale-to-zero service billed by instance (charged from an instance's start to its shutdown,
    // https://cloud.google.com/run/docs/configuring/billing-settings) keeps an instance up all month with no user.
    const wakingCheck = min === 0 && instanceBased ? uptimeChecks.find((check) => checksService(check, service)) : undefined;
    if (wakingCheck) {
      const gap = uptimeCheckGapSeconds(wakingCheck);
      const why = `1 instance kept up by uptime check ${wakingCheck.name} (a request every ${fmt(gap)} s on average) × ${shape}, ${billing}`;
      add(service, "always-on", "cloud-run", "instance.vcpuSecond", cpu * SECONDS_PER_MONTH, `Cloud Run ${service.name}: ${why}: vCPU-seconds`);
      add(service, "always-on", "cloud-run", "instance.gibSecond", memory * SECONDS_PER_MONTH, `Cloud Run ${service.name}: ${why}: GiB-seconds`);
      if (throughVpc) vpcAlwaysOnInstances += 1;
    }
    // A service that never scales past its minimum (the Hasura worker) takes no traffic of its own.
    // The public API: open to the internet, or behind the stack's load balancer (the edge), where its ingress narrows.
    const isPublic = service.inputs.ingress === "INGRESS_TRAFFIC_ALL" || service.inputs.ingress === "INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER";
    const requests = max <= min ? 0 : isPublic ? usage.apiRequests : usage.apiRequests * usage.serviceCallsPerRequest;
    const busySeconds = requests * usage.requestSeconds;
    if (throughVpc) vpcTrafficInstanceSeconds += busySeconds;
    const who = isPublic ? "API requests" : "calls from Hasura";
    // An instance the uptime check keeps up serves the traffic too (up to its concurrency): no more instance time.
    if (wakingCheck) {
      // Nothing to add: the instance is billed all month above.
    } else if (instanceBased) {
      add(service, "usage", "cloud-run", "instance.vcpuSecond", cpu * busySeconds, `Cloud Run ${service.name}: ${fmt(requests)} ${who} × ${usage.requestSeconds} s × ${cpu} vCPU`);
      add(service, "usage", "cloud-run", "instance.gibSecond", memory * busySeconds, `Cloud Run ${service.name}: ${fmt(requests)} ${who} × ${usage.requestSeconds} s × ${memory} GiB`);
    } else {
      add(service, "usage", "cloud-run", "request.vcpuSecond", cpu * busySeconds, `Cloud Run ${service.name}: ${fmt(requests)} ${who} × ${usage.requestSeconds} s × ${cpu} vCPU`);
      add(service, "usage", "cloud-run", "request.gibSecond", memory * busySeconds, `Cloud Run ${service.name}: ${fmt(requests)} ${who} × ${usage.requestSeconds} s × ${memory} GiB`);
      add(service, "usage", "cloud-run", "request.requests", requests / 1e6, `Cloud Run ${service.name}: ${fmt(requests)} ${who}`);
    }
    if (isPublic) add(service, "usage", "networking", "internetEgressGib", usage.egressGb, `Internet egress of ${service.name}: ${usage.egressGb} GB (Premium Tier)`);
  }
  // What the idle figure of a stack without the Hasura worker leaves out is not money but delivery: say so beside it.
  const isHasura = (service: PlanResource) => list(record(service.inputs.template).containers).some((c) => /\/hasura\/graphql-engine[:@]/.test(String(record(c).image)));
  const hasuraServices = services.filter(isHasura);
  if (hasuraServices.length > 0 && !hasuraServices.some((s) => /-hasura-worker$/.test(String(s.inputs.name ?? s.name)))) {
    notes.push("No Hasura worker: the API's instances deliver events, crons and async actions, only while one runs (pulsura:hasura.worker.enabled).");
  }
  for (const fn of ofType("gcp:cloudfunctionsv2/function:Function")) {
    const config = record(fn.inputs.serviceConfig);
    const memory = gib(config.availableMemory ?? "256M");
    const cpu = config.availableCpu !== undefined ? vcpus(config.availableCpu) : functionVcpus(memory);
    const min = num(config.minInstanceCount, 0);
    const shape = `${cpu} vCPU, ${memory} GiB`;
    if (min > 0) {
      add(fn, "always-on", "cloud-run", "idle.vcpuSecond", cpu * min * SECONDS_PER_MONTH, `Function ${fn.name} (2nd gen): ${min} min instance(s) × ${shape}: vCPU-seconds (idle rate)`);
      add(fn, "always-on", "cloud-run", "idle.gibSecond", memory * min * SECONDS_PER_MONTH, `Function ${fn.name} (2nd gen): ${min} min instance(s) × ${shape}: GiB-seconds (idle rate)`);
    }
    const calls = usage.signUps;
    add(fn, "usage", "cloud-run", "request.vcpuSecond", cpu * calls * MODEL.functionSeconds, `Function ${fn.name} (2nd gen): ${fmt(calls)} sign-ups × ${MODEL.functionSeconds} s × ${cpu} vCPU`);
    add(fn, "usage", "cloud-run", "request.gibSecond", memory * calls * MODEL.functionSeconds, `Function ${fn.name} (2nd gen): ${fmt(calls)} sign-ups × ${MODEL.functionSeconds} s × ${memory} GiB`);
    add(fn, "usage", "cloud-run", "request.requests", calls / 1e6, `Function ${fn.name} (2nd gen): ${fmt(calls)} invocations`);
  }

  // --- 1st-gen functions ------------------------------------------------------------------------------------------
  for (const fn of ofType("gcp:cloudfunctions/function:Function")) {
    const memoryMb = num(fn.inputs.availableMemoryMb, 256);
    const [gb, ghz] = [memoryMb / 1024, gen1Ghz(memoryMb)];
    const min = num(fn.inputs.minInstances, 0);
    if (min > 0) {
      add(fn, "always-on", "cloud-functions", "idle.gbSecond", gb * min * SECONDS_PER_MONTH, `Function ${fn.name} (1st gen, ${memoryMb} MB): ${min} min instance(s): GB-seconds (idle)`);
      add(fn, "always-on", "cloud-functions", "idle.ghzSecond", ghz * min * SECONDS_PER_MONTH, `Function ${fn.name} (1st gen, ${ghz} GHz): ${min} min instance(s): GHz-seconds (idle)`);
    }
    const calls = usage.signUps;
    add(fn, "usage", "cloud-functions", "invocations", calls / 1e6, `Function ${fn.name} (1st gen): ${fmt(calls)} invocations (one per sign-up)`);
    add(fn, "usage", "cloud-functions", "gbSecond", gb * calls * MODEL.functionSeconds, `Function ${fn.name} (1st gen): ${fmt(calls)} × ${MODEL.functionSeconds} s × ${gb} GB`);
    add(fn, "usage", "cloud-functions", "ghzSecond", ghz * calls * MODEL.functionSeconds, `Function ${fn.name} (1st gen): ${fmt(calls)} × ${MODEL.functionSeconds} s × ${ghz} GHz`);
  }

  // --- Cloud NAT ----------------------------------------------------------------------------------------------------
  for (const nat of ofType("gcp:compute/routerNat:RouterNat")) {
    const gatewayHours = (instances: number, hours: number): [string, number] =>
      instances > 32 ? ["nat.gatewayHourCap", hours] : ["nat.instanceHour", instances * hours];
    const [alwaysKey, alwaysQuantity] = gatewayHours(vpcAlwaysOnInstances, HOURS_PER_MONTH);
    add(nat, "always-on", "networking", alwaysKey, alwaysQuantity, `Cloud NAT ${nat.name}: ${vpcAlwaysOnInstances} always-on instance(s) on VPC egress × ${HOURS_PER_MONTH} h`);
    add(nat, "always-on", "networking", "nat.ipHour", HOURS_PER_MONTH, `Cloud NAT ${nat.name}: one external IP (AUTO_ONLY) × ${HOURS_PER_MONTH} h`);
    add(nat, "usage", "networking", "nat.instanceHour", vpcTrafficInstanceSeconds / 3600, `Cloud NAT ${nat.name}: instances started by traffic, ${fmt(vpcTrafficInstanceSeconds / 3600)} instance-hours`);
    add(nat, "usage", "networking", "nat.processedGib", usage.natGb, `Cloud NAT ${nat.name}: ${usage.natGb} GB processed`);
  }

  // --- Load balancer and Cloud Armor (the Edge, where the plan has one) ---------------------------------------------
  const forwardingRules = [...ofType("gcp:compute/globalForwardingRule:GlobalForwardingRule"), ...ofType("gcp:compute/forwardingRule:ForwardingRule")];
  forwardingRules.forEach((rule, i) => {
    const key = i < 5 ? "lb.forwardingRuleHour.first5" : "lb.forwardingRuleHour.additional";
    add(rule, "always-on", "networking", key, HOURS_PER_MONTH, `Forwarding rule ${rule.name} (${i < 5 ? "one of the first 5" : "beyond the first 5"}) × ${HOURS_PER_MONTH} h`);
  });
  if (forwardingRules.length > 0) {
    const first = forwardingRules[0]!;
    add(first, "usage", "networking", "lb.processedGib", usage.egressGb + usage.ingressGb, `Load balancer data processed: ${usage.egressGb} GB out + ${usage.ingressGb} GB in`);
  } else {
    notes.push("No forwarding rule in the plan: no load balancer is priced.");
  }
  const policies = ofType("gcp:compute/securityPolicy:SecurityPolicy");
  const separateRules = ofType("gcp:compute/securityPolicyRule:SecurityPolicyRule");
  for (const policy of policies) {
    const policyId = [policy.name, String(policy.inputs.name ?? "")];
    const own = separateRules.filter((rule) => policyId.some((id) => id && String(rule.inputs.securityPolicy ?? "").split("/").pop() === id));
    const rules = list(policy.inputs.rules).length + own.length;
    add(policy, "always-on", "cloud-armor", "policyMonth", 1, `Cloud Armor policy ${policy.name}`);
    add(policy, "always-on", "cloud-armor", "ruleMonth", rules, `Cloud Armor policy ${policy.name}: ${rules} rule(s)`);
    add(policy, "usage", "cloud-armor", "requests", usage.apiRequests / 1e6, `Cloud Armor policy ${policy.name}: ${fmt(usage.apiRequests)} requests evaluated`);
  }

  // --- Secret Manager -----------------------------------------------------------------------------------------------
  const secretsById = new Map(ofType("gcp:secretmanager/secret:Secret").map((s) => [String(s.inputs.secretId ?? s.name), s]));
  for (const version of ofType("gcp:secretmanager/secretVersion:SecretVersion")) {
    const secret = secretsById.get(String(version.inputs.secret ?? "").split("/").pop() ?? "");
    const replicas = list(record(record(secret?.inputs.replication).userManaged).replicas).length;
    const locations = Math.max(1, replicas);
    add(version, "always-on", "secret-manager", "activeVersionMonth", locations, `Secret version ${version.name}: ${locations} location(s)`);
  }

  // --- Cloud Storage and Pub/Sub --------------------------------------------------------------------------------------
  const objects = ofType("gcp:storage/bucketObject:BucketObject");
  for (const bucket of ofType("gcp:storage/bucket:Bucket")) {
    const storageClass = String(bucket.inputs.storageClass ?? "STANDARD");
    if (storageClass !== "STANDARD") throw new MissingPriceError(`bucket ${bucket.name}: storage class ${storageClass} has no price in infra/prices/cloud-storage.json (it has STANDARD)`);
    // A bucket browsers reach (CORS) holds the users' files; the others hold what the stack itself uploads.
    if (list(bucket.inputs.cors).length > 0) {
      add(bucket, "usage", "cloud-storage", "standardGbMonth", usage.filesGb, `Bucket ${bucket.name}: ${usage.filesGb} GB of files`);
    } else {
      const held = objects.filter((o) => String(o.inputs.bucket ?? "").startsWith(String(bucket.inputs.name ?? bucket.name))).length;
      add(bucket, "always-on", "cloud-storage", "standardGbMonth", held * MODEL.sourceArchiveGb, `Bucket ${bucket.name}: ${held} object(s) the stack uploads × ${MODEL.sourceArchiveGb} GB`);
    }
  }
  const subscriptions = ofType("gcp:pubsub/subscription:Subscription");
  for (const topic of ofType("gcp:pubsub/topic:Topic")) {
    const topicName = String(topic.inputs.name ?? topic.name);
    const deliveries = subscriptions.filter((s) => String(s.inputs.topic ?? "").split("/").pop() === topicName).length;
    const tib = (usage.uploads * MODEL.pubsubMessageBytes * (1 + deliveries)) / 1024 ** 4;
    add(topic, "usage", "pubsub", "throughputTib", tib, `Topic ${topicName}: ${fmt(usage.uploads)} messages × ${MODEL.pubsubMessageBytes} B, published and delivered to ${deliveries} subscription(s)`);
  }

  // --- Artifact Registry ----------------------------------------------------------------------------------------------
  for (const repository of ofType("gcp:artifactregistry/repository:Repository")) {
    if (repository.inputs.mode === "REMOTE_REPOSITORY") {
      add(repository, "always-on", "artifact-registry", "storageGbMonth", MODEL.remoteCacheGb, `Repository ${repository.name} (remote): ${MODEL.remoteCacheGb} GB of cached images`);
      continue;
    }
    const keep = list(repository.inputs.cleanupPolicies)
      .map((p) => num(record(record(p).mostRecentVersions).keepCount, 0))
      .reduce((a, b) => Math.max(a, b), 0);
    const images = keep > 0 ? keep : 10;
    add(repository, "always-on", "artifact-registry", "storageGbMonth", images * MODEL.serviceImageGb, `Repository ${repository.name}: ${images} image(s) kept × ${MODEL.serviceImageGb} GB`);
  }

  // --- Monitoring and Logging ---------------------------------------------------------------------------------------
  for (const check of uptimeChecks) {
    const { period, regions } = uptimeCheckCadence(check);
    const executions = (SECONDS_PER_MONTH / period) * regions;
    add(check, "always-on", "observability", "monitoring.uptimeExecutions", executions / 1000, `Uptime check ${check.name}: every ${period} s from ${regions} locations, ${fmt(executions)} executions`);
  }
  for (const metric of ofType("gcp:logging/metric:Metric")) {
    const distribution = record(metric.inputs.metricDescriptor).valueType === "DISTRIBUTION";
    const bytes = (SECONDS_PER_MONTH / 60) * (distribution ? MODEL.metricPointBytes.distribution : MODEL.metricPointBytes.scalar);
    add(metric, "usage", "observability", "monitoring.dataMib", bytes / 1024 ** 2, `Log-based metric ${metric.name}: one point a minute while its logs flow`);
  }
  add(undefined, "usage", "observability", "logging.storageGib", usage.logsGb, `Cloud Logging: ${usage.logsGb} GB ingested into log buckets`);
  const alertPolicies = ofType("gcp:monitoring/alertPolicy:AlertPolicy").length;
  if (alertPolicies > 0) notes.push(`${alertPolicies} alert policies are not priced: the alerting charges could not be read (infra/prices/observability.json).`);
  notes.push(
    "Not priced: Identity Platform (free up to 49,999 monthly active users; phone sign-in SMS is billed per message by country), Firebase Hosting (its free quota), Cloud Build minutes of function deploys, the functions' own gcf-artifacts images, Secret Manager access operations and Cloud Storage operations (cents).",
  );

  return finish(options, billingAccountFreeTier, gross, notes);
}

/** Applies free tiers per meter (always-on consumption first), prices every line and sums per component. */
function finish(options: EstimateOptions, billingAccountFreeTier: boolean, gross: GrossLine[], notes: string[]): CostEstimate {
  const { prices, region } = options;
  const used = new Map<string, PriceUse>();
  const remainingFree = new Map<string, number>();
  const ordered = [...gross].sort((a, b) => (a.category === b.category ? 0 : a.category === "always-on" ? -1 : 1));
  const priced = new Map<GrossLine, CostLine>();
  for (const line of ordered) {
    const price = prices.price(line.file, line.key, region);
    used.set(line.price, price);
    const scope = prices.entry(line.file, line.key).free?.scope;
    if (!remainingFree.has(line.price)) remainingFree.set(line.price, scope === "project" || billingAccountFreeTier ? prices.free(line.file, line.key, region) : 0);
    const free = Math.min(line.quantity, remainingFree.get(line.price)!);
    remainingFree.set(line.price, remainingFree.get(line.price)! - free);
    priced.set(line, { description: line.description, category: line.category, resource: line.resource, price: line.price, quantity: line.quantity, unit: price.unit, unitPrice: price.usd, free, usd: (line.quantity - free) * price.usd });
  }
  const components = new Map<string, ComponentCost>();
  for (const line of gross) {
    const cost = priced.get(line)!;
    const component = components.get(line.component) ?? { component: line.component, alwaysOn: 0, usage: 0, total: 0, lines: [] };
    component.lines.push(cost);
    if (cost.category === "always-on") component.alwaysOn += cost.usd;
    else component.usage += cost.usd;
    component.total = component.alwaysOn + component.usage;
    components.set(line.component, component);
  }
  const list = [...components.values()].map((c) => ({ ...c, alwaysOn: cents(c.alwaysOn), usage: cents(c.usage), total: cents(c.total) })).sort((a, b) => b.total - a.total || a.component.localeCompare(b.component));
  const alwaysOn = cents(list.reduce((sum, c) => sum + c.alwaysOn, 0));
  const usageTotal = cents(list.reduce((sum, c) => sum + c.usage, 0));
  return {
    stack: options.stack,
    region,
    environment: options.environment,
    currency: "USD",
    pricesReadOn: prices.readOn,
    billingAccountFreeTier,
    components: list,
    totals: { alwaysOn, usage: usageTotal, total: cents(alwaysOn + usageTotal) },
    idle: alwaysOn,
    assumptions: options.assumptions,
    model: MODEL,
    unconfirmedPrices: [...used.values()].filter((p) => !p.confirmed).sort((a, b) => `${a.file}:${a.key}`.localeCompare(`${b.file}:${b.key}`)),
    notes,
  };
}

/** Rounded to cents, so totals add up as printed. */
const cents = (usd: number) => Math.round(usd * 100) / 100;

/** A count for a description: 100000 → 100,000. */
function fmt(value: number): string {
  return value.toLocaleString("en-US", { maximumFractionDigits: 2 });
}
