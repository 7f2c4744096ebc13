/**
 * The one typed, validated view of a pulsura stack's configuration.
 *
 * `infra/index.ts` calls `loadStackConfig()` once, before any resource is declared. Everything a component needs
 * arrives through its args; no component reads Pulumi config. Defaults per environment live in this file only.
 *
 * Validation collects every problem at once and throws a single `pulumi.RunError` that names each bad key, the value
 * it got and what it expects, so `pulumi up` prints one readable message and no stack trace.
 */
// Types only, and RunError from its own module: the CLIs (tenant, flutter:configure, deploy:web) validate config
// without loading the whole Pulumi SDK (about 0.6 s per start). infra/stack-config.ts reads it from the runtime.
import type * as pulumi from "@pulumi/pulumi";
import { RunError } from "@pulumi/pulumi/errors";
import { z } from "zod";
import type { StackService } from "./service-wiring";
import { closest } from "./suggest";
// Monitoring (alerts, uptime check, budget): its schema and defaults live beside each other in infra/config/monitoring.ts.
import { monitoringInput, resolveMonitoring, type MonitoringConfig } from "./config/monitoring";
// Files (the bucket, its upload confirmation and the signed URLs' limits): infra/config/storage.ts.
import { resolveStorage, storageInput, storageProblems, type StorageConfig } from "./config/storage";
// The API's domain behind a load balancer with Cloud Armor (off without pulsura:apiDomain): infra/config/edge.ts.
import { apiDomainName, edgeInput, edgeProblems, resolveEdge, type EdgeConfig } from "./config/edge";
// The usage a cost estimate assumes: read by scripts/lib/cost/ only, validated here with the rest (infra/config/cost.ts).
import { costInput } from "./config/cost";
import { jobQueueInput, jobQueueProblems, resolveJobQueue, serviceHasJobs, type JobQueueConfig } from "./config/jobs";

/** Config namespace of this project (`pulsura:<key>`). */
export const CONFIG_NAMESPACE = "pulsura";

/** Stack config keys whose values must be Pulumi secrets (`pulumi config set --secret`). */
export const SECRET_CONFIG_KEYS = ["googleClientSecret", "facebookClientSecret", "appleClientSecret", "dockerHubPassword"] as const;
export type SecretConfigKey = (typeof SECRET_CONFIG_KEYS)[number];

/** Maps an OAuth provider to the secret config key holding its client secret. */
export const OAUTH_CLIENT_SECRET_KEYS = {
  google: "googleClientSecret",
  facebook: "facebookClientSecret",
  apple: "appleClientSecret",
} as const satisfies Record<string, SecretConfigKey>;
export type OAuthProviderName = keyof typeof OAUTH_CLIENT_SECRET_KEYS;

// ---------------------------------------------------------------------------------------------------------------------
// Connection limits of Cloud SQL for PostgreSQL.
//
// Source: Cloud SQL for PostgreSQL "Quotas and limits", section "Maximum concurrent connections" (default
// `max_connections` by instance memory): 0.6 GiB (db-f1-micro) 25; 1.7 GiB (db-g1-small) 50; 3.75 up to 6 GiB 100;
// 6 up to 7.5 GiB 200; 7.5 up to 15 GiB 400; 15 up to 30 GiB 500; 30 up to 60 GiB 600; 60 up to 120 GiB 800;
// 120 GiB and more 1,000. Each bound below is inclusive of the lower class (7.5 GiB counts as 200), which is the
// conservative reading. An explicit `database.maxConnections` replaces the table value (and sets the
// `max_connections` flag on the instance).
// ---------------------------------------------------------------------------------------------------------------------

/** Default `max_connections` of Cloud SQL for PostgreSQL by memory (GiB), first matching row wins. */
export const CLOUD_SQL_CONNECTION_LIMITS: ReadonlyArray<{ maxMemoryGiB: number; maxConnections: number }> = [
  { maxMemoryGiB: 0.6, maxConnections: 25 },
  { maxMemoryGiB: 1.7, maxConnections: 50 },
  { maxMemoryGiB: 6, maxConnections: 100 },
  { maxMemoryGiB: 7.5, maxConnections: 200 },
  { maxMemoryGiB: 15, maxConnections: 400 },
  { maxMemoryGiB: 30, maxConnections: 500 },
  { maxMemoryGiB: 60, maxConnections: 600 },
  { maxMemoryGiB: 120, maxConnections: 800 },
  { maxMemoryGiB: Number.POSITIVE_INFINITY, maxConnections: 1000 },
];

const SHARED_CORE_MEMORY_GIB: Record<string, number> = { "db-f1-micro": 0.6, "db-g1-small": 1.7 };

/** Memory in GiB of a Cloud SQL tier (`db-f1-micro`, `db-g1-small`, `db-custom-<cpus>-<MiB>`, `db-perf-optimized-N-<cpus>`…). */
export function tierMemoryGiB(tier: string): number | undefined {
  if (tier in SHARED_CORE_MEMORY_GIB) return SHARED_CORE_MEMORY_GIB[tier];
  const custom = /^db-custom-(\d+)-(\d+)$/.exec(tier);
  if (custom) return Number(custom[2]) / 1024;
  return undefined;
}

/** Connections the tier allows by default, from {@link CLOUD_SQL_CONNECTION_LIMITS}. */
export function tierConnectionLimit(tier: string): number | undefined {
  const memory = tierMemoryGiB(tier);
  if (memory === undefined) return undefined;
  return CLOUD_SQL_CONNECTION_LIMITS.find((row) => memory <= row.maxMemoryGiB)?.maxConnections;
}

/**
 * Connections kept free for Cloud SQL's own maintenance connections, superuser-reserved slots, migrations and an
 * operator's psql session: 10 % of the limit, at least 10.
 */
export function connectionHeadroom(limit: number): number {
  return Math.max(10, Math.ceil(limit * 0.1));
}

// ---------------------------------------------------------------------------------------------------------------------
// Regions where every product the stack uses is offered.
//
// 1st-gen Cloud Functions (the Firebase Auth user.create / user.delete triggers) is the most restrictive product:
// https://cloud.google.com/functions/1stgendocs/locations lists these 23 regions (Tier 1 and Tier 2), and every one of
// them is a Cloud Run region (https://cloud.google.com/run/docs/locations), so 2nd-gen functions and the Cloud Run
// services are offered there too. Cloud SQL and Artifact Registry were not checked region by region (their locations
// pages: https://cloud.google.com/sql/docs/postgres/locations, https://cloud.google.com/artifact-registry/docs/repositories/repo-locations).
// Refresh with `gcloud functions regions list`.
// ---------------------------------------------------------------------------------------------------------------------

/** Regions a stack may deploy into (`gcp:region`). */
export const SUPPORTED_REGIONS = [
  "asia-east1",
  "asia-east2",
  "asia-northeast1",
  "asia-northeast2",
  "asia-northeast3",
  "asia-south1",
  "asia-southeast1",
  "asia-southeast2",
  "australia-southeast1",
  "europe-central2",
  "europe-west1",
  "europe-west2",
  "europe-west3",
  "europe-west6",
  "northamerica-northeast1",
  "southamerica-east1",
  "us-central1",
  "us-east1",
  "us-east4",
  "us-west1",
  "us-west2",
  "us-west3",
  "us-west4",
] as const;

/**
 * "Cloud Run reserves IP addresses in blocks of 16 (28 subnet mask) at a time" for Direct VPC egress
 * (https://cloud.google.com/run/docs/configuring/vpc-direct-vpc), so a subnet needs room for several blocks: at least
 * a /26 (the prefix may be at most 26). The page's own minimum could not be read offline (stored copies are cut).
 */
export const MAX_SUBNET_PREFIX_LENGTH = 26;

// ---------------------------------------------------------------------------------------------------------------------
// Schema of what a stack file may say. Every field is optional here: defaults per environment fill the rest.
// ---------------------------------------------------------------------------------------------------------------------

const domainName = z
  .string()
  .regex(/^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/, "a lower-case DNS name such as app.example.com (no scheme, no path)");

/**
 * A string setting that YAML may type as a number: `cpu: 2`, a numeric Docker Hub user or Facebook app id, a phone
 * code. An integer is read as its digits; other numbers stay numbers and are refused with a hint to quote them (YAML
 * has already changed them: `2.40` is 2.4, a 17-digit id has lost digits).
 */
const yamlString = <T extends z.ZodType<string>>(schema: T) =>
  z.preprocess((value) => (typeof value === "number" && Number.isSafeInteger(value) ? String(value) : value), schema);

const slug = (what: string) =>
  yamlString(z.string().regex(/^[a-z][a-z0-9-]{0,20}[a-z0-9]$/, `${what}: 2-22 characters, lower-case letters, digits and dashes, starting with a letter`));

const positiveInt = z.number().int().min(1);
const nonNegativeInt = z.number().int().min(0);
const cpu = yamlString(z.enum(["1", "2", "4", "8"]));
const memory = yamlString(z.string().regex(/^\d+(Mi|Gi)$/, "a Cloud Run memory size such as 512Mi or 2Gi"));

const networkInput = z
  .object({
    /** Primary range of the regional subnet that Cloud Run egresses through. */
    subnetCidr: z
      .string()
      .regex(/^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/, "an IPv4 CIDR such as 10.10.0.0/20")
      .refine(
        (cidr) => Number(cidr.split("/")[1]) <= MAX_SUBNET_PREFIX_LENGTH,
        `an IPv4 CIDR of at least /${MAX_SUBNET_PREFIX_LENGTH} (64 addresses) for Direct VPC egress, such as 10.10.0.0/20 (https://cloud.google.com/run/docs/configuring/vpc-direct-vpc)`,
      ),
    /** Size of the private services access range reserved for Cloud SQL. */
    privateServicesPrefixLength: z.number().int().min(16).max(24),
    /** Cloud Router + Cloud NAT for outbound internet from VPC egress. */
    nat: z.boolean(),
    /** A Serverless VPC Access connector; off by default because Cloud Run uses Direct VPC egress. */
    connector: z.boolean(),
    /** Range of the connector, when enabled. */
    connectorCidr: z.string().regex(/^\d{1,3}(\.\d{1,3}){3}\/28$/, "an IPv4 /28 CIDR such as 10.8.0.0/28"),
  })
  .partial()
  .strict();

const databaseInput = z
  .object({
    version: z.enum(["POSTGRES_15", "POSTGRES_16", "POSTGRES_17"]),
    tier: z.string().regex(/^db-(f1-micro|g1-small|custom-\d+-\d+)$/, "a Cloud SQL tier such as db-g1-small or db-custom-2-7680"),
    availability: z.enum(["ZONAL", "REGIONAL"]),
    diskSizeGb: z.number().int().min(10).max(65536),
    retainedBackups: z.number().int().min(1).max(365),
    pointInTimeRecovery: z.boolean(),
    transactionLogRetentionDays: z.number().int().min(1).max(35),
    backupStartTime: yamlString(z.string().regex(/^([01]\d|2[0-3]):00$/, "an hour in UTC such as 03:00")),
    deletionProtection: z.boolean(),
    queryInsights: z.boolean(),
    maintenanceDay: z.number().int().min(1).max(7),
    maintenanceHour: z.number().int().min(0).max(23),
    /** Overrides the tier's default `max_connections` (sets the flag). */
    maxConnections: z.number().int().min(25).max(10000),
  })
  .partial()
  .strict();

const hasuraInput = z
  .object({
    /** Hasura GraphQL Engine image tag, a pinned v2 release. */
    version: yamlString(z.string().regex(/^v2\.\d+\.\d+$/, "a pinned Hasura v2 release such as v2.48.9 (never latest)")),
    minInstances: nonNegativeInt,
    maxInstances: positiveInt,
    cpu,
    memory,
    concurrency: z.number().int().min(1).max(1000),
    /**
     * The `default` source's pool per instance: `pool_settings.max_connections`, written into the metadata at deploy
     * (infra/hasura/project.ts `withSourcePoolSize`), so it is what each Hasura instance really opens.
     */
    poolSize: z.number().int().min(1).max(100),
    /** Pool per instance on Hasura's metadata database: `HASURA_GRAPHQL_PG_CONNECTIONS`. */
    metadataPoolSize: z.number().int().min(1).max(50),
    /**
     * Hasura runs only the operations of the allow-list (hasura/metadata/query_collections.yaml, the app's documents) for
     * every role but admin: `HASURA_GRAPHQL_ENABLE_ALLOWLIST`. Always on in prod; a dev stack may turn it off to try
     * queries the app does not make yet.
     */
    allowList: z.boolean(),
    /**
     * The Hasura worker: one Cloud Run instance, CPU always allocated, that delivers event triggers, cron triggers and
     * async actions (the API's instances have them switched off). It reads the API's metadata, so its `default` source
     * pool is `hasura.poolSize` too (`pool_settings.max_connections` is one number in the metadata, not per service);
     * its own are its size and its metadata database pool. Its pools count once (one instance) in the budget.
     */
    worker: z
      .object({
        /**
         * Run the worker (default: prod true, dev false; refused false in prod). Without it, the API's instances process
         * event triggers, cron triggers and async actions themselves (the worker's settings, HASURA_WORKER_PROCESSING),
         * and they are delivered ONLY WHILE AN API INSTANCE RUNS: the API scales to zero in dev, and Cloud Run starts an
         * instance only for a request (https://cloud.google.com/run/docs/about-instance-autoscaling). An event from a
         * write outside the API (a service's own SQL, psql) waits in Hasura's event log until the next API request starts
         * one; a cron or scheduled event due while none runs is delivered late, once one starts, or dropped past its
         * tolerance (Hasura's default 6 hours). Worth about $46 a month at list price on an idle dev stack.
         */
        enabled: z.boolean(),
        cpu,
        memory,
        /** Pool on the metadata database (cron and scheduled events, async actions): `HASURA_GRAPHQL_PG_CONNECTIONS`. */
        metadataPoolSize: z.number().int().min(1).max(50),
      })
      .partial()
      .strict(),
    /**
     * Docker Hub user the image proxy authenticates as (anonymous pulls are rate-limited); its password or access
     * token is the secret config key `dockerHubPassword`, stored in Secret Manager.
     */
    dockerHubUsername: yamlString(z.string().regex(/^[a-z0-9]{4,30}$/, "a Docker Hub username (4-30 lower-case letters and digits)")),
  })
  .partial()
  .strict();

const serviceInput = z
  .object({
    name: slug("service name"),
    minInstances: nonNegativeInt,
    maxInstances: positiveInt,
    cpu,
    memory,
    concurrency: z.number().int().min(1).max(1000),
    /** `pg` pool size per instance. */
    poolSize: z.number().int().min(1).max(50),
    /** The Cloud Tasks queue of a service with jobs (src/jobs/): retries and dispatch limits (infra/config/jobs.ts). */
    jobs: jobQueueInput,
  })
  .partial({ minInstances: true, maxInstances: true, cpu: true, memory: true, concurrency: true, poolSize: true, jobs: true })
  .strict();

const functionsInput = z
  .object({
    /** Warm instances of the blocking function beforeUserCreated (a cold one slows a sign-up, within its 7 s). */
    minInstances: nonNegativeInt,
    /**
     * Warm instances of each user-event trigger (onUserCreated, onUserDeleted): retried, with no deadline, so a cold
     * start only delays the users row by its length.
     */
    triggerMinInstances: nonNegativeInt,
    /** Most instances of each user-sync function. */
    maxInstances: positiveInt,
  })
  .partial()
  .strict();

const oauthProviderInput = z.object({ clientId: yamlString(z.string().min(1)) }).strict();

const authInput = z
  .object({
    phone: z
      .object({
        enabled: z.boolean(),
        /** Test numbers (E.164 → 6-digit code), never real ones. */
        testPhoneNumbers: z.record(z.string().regex(/^\+[1-9]\d{6,14}$/, "E.164 phone number"), yamlString(z.string().regex(/^\d{6}$/, "a 6-digit code"))),
      })
      .partial()
      .strict(),
    email: z.object({ enabled: z.boolean(), passwordRequired: z.boolean() }).partial().strict(),
    google: oauthProviderInput,
    facebook: oauthProviderInput,
    apple: oauthProviderInput,
    /** ISO 3166 region codes that may receive sign-in SMS. */
    smsRegions: z.array(z.string().regex(/^[A-Z]{2}$/, "an ISO 3166-1 alpha-2 region code such as US")),
    /** What removing a Firebase user does to its row. */
    onUserDeleted: z.enum(["delete", "anonymize"]),
    /** Identity Platform is already enabled on the project: import its config instead of initializing it. */
    adoptExisting: z.boolean(),
  })
  .partial()
  .strict();

const firebaseInput = z
  .object({
    /** Firebase was already added to the project (console, CLI, another tool): import it instead of adding it. */
    adoptExisting: z.boolean(),
  })
  .partial()
  .strict();

const stackInput = z
  .object({
    environment: z.enum(["dev", "prod"]),
    tenant: slug("tenant"),
    domains: z.array(domainName),
    /** The API's own host name: a load balancer with a managed certificate and Cloud Armor in front of Hasura. */
    apiDomain: apiDomainName,
    /** Cloud Armor's limits and modes of the API domain's load balancer (infra/config/edge.ts). */
    edge: edgeInput,
    alertEmail: z.email("an e-mail address"),
    demoData: z.boolean(),
    network: networkInput,
    database: databaseInput,
    hasura: hasuraInput,
    services: z.array(serviceInput).min(1),
    functions: functionsInput,
    firebase: firebaseInput,
    auth: authInput,
    /** Alert thresholds, extra recipients and the optional billing budget (infra/config/monitoring.ts). */
    monitoring: monitoringInput,
    /** The files bucket and the signed URLs' limits (infra/config/storage.ts). */
    storage: storageInput,
    /** The usage the cost estimate assumes (infra/config/cost.ts); nothing deployed reads it. */
    cost: costInput,
  })
  .partial()
  .strict();

const gcpInput = z
  .object({
    project: z.string().regex(/^[a-z][a-z0-9-]{4,28}[a-z0-9]$/, "a GCP project id: 6-30 characters, lower-case letters, digits and dashes"),
    region: z.enum(SUPPORTED_REGIONS, {
      error: () =>
        `a region where 1st-gen Cloud Functions (the stack's most restrictive product) and Cloud Run are offered: ${SUPPORTED_REGIONS.join(", ")} (https://cloud.google.com/functions/1stgendocs/locations)`,
    }),
    // Identity Platform and Firebase bill their quota to the caller's project unless the provider names the stack's
    // project (X-Goog-User-Project): https://registry.terraform.io/providers/hashicorp/google/latest/docs/guides/provider_reference#user_project_override
    userProjectOverride: z.literal("true", { error: () => 'true (quota and billing of Identity Platform and Firebase calls go to the stack\'s project)' }),
    billingProject: z.string(),
  })
  .required();

// ---------------------------------------------------------------------------------------------------------------------
// The resolved config that components receive (through index.ts).
// ---------------------------------------------------------------------------------------------------------------------

export type Environment = "dev" | "prod";

export interface ServiceConfig {
  name: string;
  minInstances: number;
  maxInstances: number;
  cpu: string;
  memory: string;
  concurrency: number;
  poolSize: number;
  /** Its Cloud Tasks queue's settings (used when the service has src/jobs/). */
  jobs: JobQueueConfig;
}

export interface HasuraWorkerConfig {
  /** The worker runs; false: the API's instances process events, crons and async actions, only while one runs (dev). */
  enabled: boolean;
  cpu: string;
  memory: string;
  /** Connections of the worker to Hasura's metadata database (its source pool is `hasura.poolSize`, from the metadata). */
  metadataPoolSize: number;
}

export interface OAuthProviderConfig {
  clientId: string;
  /** The client secret, a Pulumi secret read from `pulsura:<provider>ClientSecret`. */
  clientSecret: pulumi.Output<string>;
}

export interface StackConfig {
  stack: string;
  environment: Environment;
  tenant: string;
  gcp: { project: string; region: string; userProjectOverride: "true"; billingProject: string };
  domains: string[];
  /** Origins allowed by Hasura's CORS: https://<domain> for each domain, plus localhost in dev. */
  corsOrigins: string[];
  alertEmail?: string;
  demoData: boolean;
  network: { subnetCidr: string; privateServicesPrefixLength: number; nat: boolean; connector: boolean; connectorCidr: string };
  database: {
    version: string;
    tier: string;
    availability: "ZONAL" | "REGIONAL";
    diskSizeGb: number;
    retainedBackups: number;
    pointInTimeRecovery: boolean;
    transactionLogRetentionDays: number;
    backupStartTime: string;
    deletionProtection: boolean;
    queryInsights: boolean;
    maintenanceDay: number;
    maintenanceHour: number;
    /** Explicit `max_connections` flag, when config sets one. */
    maxConnections?: number;
    /** Connections the instance accepts: the flag or the tier's default. */
    connectionLimit: number;
  };
  hasura: {
    version: string;
    minInstances: number;
    maxInstances: number;
    cpu: string;
    memory: string;
    concurrency: number;
    poolSize: number;
    metadataPoolSize: number;
    /** Only allow-listed operations run (every role but admin). */
    allowList: boolean;
    /** The one instance that delivers event triggers, cron triggers and async actions. */
    worker: HasuraWorkerConfig;
    /** Docker Hub credentials of the image proxy, when config gives them (else anonymous pulls). */
    dockerHub?: { username: string; password: pulumi.Output<string> };
  };
  /** Import Firebase / Identity Platform instead of creating them (they can be created only once per project). */
  adoptExisting: { firebase: boolean; identityPlatform: boolean };
  services: ServiceConfig[];
  /** minInstances: the blocking function's; triggerMinInstances: each user-event trigger's. */
  functions: { minInstances: number; triggerMinInstances: number; maxInstances: number };
  auth: {
    phone: { enabled: boolean; testPhoneNumbers: Record<string, string> };
    email: { enabled: boolean; passwordRequired: boolean };
    oauth: Partial<Record<OAuthProviderName, OAuthProviderConfig>>;
    smsRegions: string[];
    onUserDeleted: "delete" | "anonymize";
  };
  /** Alert recipients, thresholds and the optional budget (`pulsura:monitoring`, defaults per environment). */
  monitoring: MonitoringConfig;
  /** The files bucket and the limits of the URLs the core service signs (`pulsura:storage`, defaults per environment). */
  storage: StorageConfig;
  /**
   * The API's domain and its load balancer's Cloud Armor settings (`pulsura:apiDomain`, `pulsura:edge`); undefined
   * without a domain: Hasura is then reached at its run.app URL, as before.
   */
  edge?: EdgeConfig;
}

type StackInput = z.infer<typeof stackInput>;

/** Defaults that do not differ between environments. */
const SHARED_DEFAULTS = {
  network: { subnetCidr: "10.10.0.0/20", privateServicesPrefixLength: 20, nat: true, connector: false, connectorCidr: "10.8.0.0/28" },
  services: [{ name: "core" }],
  auth: {
    phone: { enabled: true, testPhoneNumbers: {} },
    email: { enabled: false, passwordRequired: true },
    smsRegions: [],
    onUserDeleted: "delete",
  },
} as const;

/** Defaults per environment. A stack file overrides any of them. */
export const ENVIRONMENT_DEFAULTS = {
  dev: {
    demoData: true,
    // No Cloud NAT in dev (issue 21: $4.67 a month idle, its IP address and gateway): nothing the stack runs needs it.
    // Through the VPC, Private Google Access reaches Google's APIs (Firebase's keys at www.googleapis.com, Secret
    // Manager, Cloud Tasks, IAM) and the internal run.app services (https://cloud.google.com/run/docs/securing/ingress,
    // "Internal"); NAT is only for addresses outside Google. A dev stack whose handler calls a third-party API sets
    // `pulsura:network.nat: true` (prod keeps it on for that).
    network: { ...SHARED_DEFAULTS.network, nat: false },
    database: {
      version: "POSTGRES_17",
      // Shared core: cheap, no SLA, enough for a team's dev stack.
      tier: "db-g1-small",
      availability: "ZONAL",
      diskSizeGb: 10,
      retainedBackups: 7,
      pointInTimeRecovery: false,
      transactionLogRetentionDays: 1,
      backupStartTime: "03:00",
      deletionProtection: false,
      queryInsights: false,
      maintenanceDay: 7,
      maintenanceHour: 3,
    },
    // db-g1-small allows 50 connections (40 after headroom): the API 2 × (6 + 2) and 2 × 4 per service fit three
    // services (two beside a worker, 1 × (6 + 2), when one is turned on); db-f1-micro's 25 (15 after headroom) fit not
    // even the API's 16, so db-g1-small is the cheapest tier this budget allows.
    // Idle cost, weighed (issue 21): the worker was most of an idle dev stack's cost, $44.71 of $79.66 a month at list
    // price (`npm run plan -- --stack dev --cost --idle`). Dev runs without it: the API's instances process events, crons
    // and async actions themselves, so they are delivered only while an API instance runs (hasura.worker.enabled, above,
    // says what that means). A dev stack whose crons must fire on time sets `pulsura:hasura.worker.enabled: true`; prod
    // always runs the worker (refused otherwise, and the policy hasura-worker-present is mandatory there). When it runs,
    // the worker is the smallest instance Cloud Run bills by instance: 1 vCPU (less than 1 needs request-based billing,
    // https://cloud.google.com/run/docs/configuring/services/cpu).
    hasura: {
      version: "v2.48.9",
      minInstances: 0,
      maxInstances: 2,
      cpu: "1",
      memory: "1Gi",
      concurrency: 80,
      poolSize: 6,
      metadataPoolSize: 2,
      allowList: true,
      worker: { enabled: false, cpu: "1", memory: "512Mi", metadataPoolSize: 2 },
    },
    service: { minInstances: 0, maxInstances: 2, cpu: "1", memory: "512Mi", concurrency: 80, poolSize: 4 },
    services: SHARED_DEFAULTS.services,
    // The blocking function's cold start fits its 7 s (https://firebase.google.com/docs/functions/auth-blocking-events):
    // in the Functions emulator the first sign-up took 0.8 s on a 2-core machine at load 2 (2.2 s at load 16), of which
    // loading the bundle is 0.33 s; a warm one 30 ms (issue 22). A dev stack takes that once after idling, for free.
    functions: { minInstances: 0, triggerMinInstances: 0, maxInstances: 5 },
    auth: SHARED_DEFAULTS.auth,
  },
  prod: {
    demoData: false,
    network: SHARED_DEFAULTS.network,
    database: {
      version: "POSTGRES_17",
      // Dedicated core (2 vCPU, 7.5 GiB): required for the Cloud SQL SLA and regional HA.
      tier: "db-custom-2-7680",
      availability: "REGIONAL",
      diskSizeGb: 20,
      retainedBackups: 14,
      pointInTimeRecovery: true,
      transactionLogRetentionDays: 7,
      backupStartTime: "02:00",
      deletionProtection: true,
      queryInsights: true,
      maintenanceDay: 7,
      maintenanceHour: 3,
    },
    // db-custom-2-7680 allows 200 (180 after headroom): the API 4 × (18 + 5), the worker 1 × (18 + 5) and core 10 × 5
    // are 165, which leaves 15 for a second, smaller service. The API needs fewer source connections now that the
    // worker polls the event log.
    hasura: {
      version: "v2.48.9",
      minInstances: 1,
      maxInstances: 4,
      cpu: "2",
      memory: "2Gi",
      concurrency: 100,
      poolSize: 18,
      metadataPoolSize: 5,
      allowList: true,
      worker: { enabled: true, cpu: "1", memory: "1Gi", metadataPoolSize: 5 },
    },
    service: { minInstances: 1, maxInstances: 10, cpu: "1", memory: "512Mi", concurrency: 80, poolSize: 5 },
    services: SHARED_DEFAULTS.services,
    // One warm blocking function keeps sign-ups off cold starts, which Google's runtime adds on top of the bundle's
    // own load (https://cloud.google.com/functions/docs/configuring/min-instances): $2.74 a month at list price
    // (`npm run plan -- --stack prod --cost`). The two user-event triggers stay cold ($4.27 a month each if warm): they
    // are retried and have no deadline, so a cold start delays the users row by about a second after an idle spell,
    // which createOrganization answers with 409 user-not-found ("try again in a moment").
    functions: { minInstances: 1, triggerMinInstances: 0, maxInstances: 20 },
    auth: SHARED_DEFAULTS.auth,
  },
} as const;

// ---------------------------------------------------------------------------------------------------------------------
// Reading and validating.
// ---------------------------------------------------------------------------------------------------------------------

/** Raw config as Pulumi hands it to the program: fully-qualified keys, values as strings (objects as JSON). */
export type RawConfig = Record<string, string>;

/** One problem with the stack config. */
export interface ConfigProblem {
  /** The key as a user writes it with `pulumi config set --path`, e.g. `pulsura:database.tier`. */
  key: string;
  got: string;
  expected: string;
}

/** Thrown when the stack config is invalid; `pulumi up` prints its message without a stack trace. */
export class StackConfigError extends RunError {
  constructor(
    readonly stackName: string,
    readonly problems: ConfigProblem[],
  ) {
    super(formatProblems(stackName, problems));
    this.name = "StackConfigError";
  }
}

export function formatProblems(stack: string, problems: ConfigProblem[]): string {
  const lines = problems.map((p) => `  - ${p.key}: got ${p.got}, expected ${p.expected}`);
  return [`Stack "${stack}" has ${problems.length} invalid config value${problems.length === 1 ? "" : "s"}:`, ...lines].join("\n");
}

/** A value as a problem message shows it: JSON, cut at 80 characters; "nothing" when missing. */
export function describeValue(value: unknown): string {
  if (value === undefined) return "nothing";
  const json = JSON.stringify(value);
  return json.length > 80 ? `${json.slice(0, 77)}...` : json;
}

function valueAt(root: unknown, path: ReadonlyArray<PropertyKey>): unknown {
  let current = root;
  for (const part of path) {
    if (current === null || typeof current !== "object") return undefined;
    current = (current as Record<PropertyKey, unknown>)[part];
  }
  return current;
}

function keyOf(namespace: string, path: ReadonlyArray<PropertyKey>): string {
  const [head, ...rest] = path;
  let key = `${namespace}:${String(head)}`;
  for (const part of rest) key += typeof part === "number" ? `[${part}]` : `.${String(part)}`;
  return key;
}

function expectedFrom(issue: z.core.$ZodIssue, value: unknown): string {
  switch (issue.code) {
    case "invalid_type":
      // YAML types 2.40 and long ids as numbers before anyone reads them: only quotes keep the text.
      if (issue.expected === "string" && typeof value === "number") return "a string: quote the value in the stack file (YAML read it as a number)";
      return issue.expected === "object" ? "an object" : issue.expected === "array" ? "a list" : `a ${issue.expected}`;
    case "invalid_value":
      // A schema's own message (e.g. the supported regions with their source) says more than the bare list.
      if (issue.message && !issue.message.startsWith("Invalid")) return issue.message;
      return `one of ${issue.values.map((v) => JSON.stringify(v)).join(" | ")}`;
    case "too_small":
      if (issue.origin === "array") return `at least ${issue.minimum} item${issue.minimum === 1 ? "" : "s"}`;
      if (issue.origin === "string") return `at least ${issue.minimum} characters`;
      return `a number >= ${issue.minimum}`;
    case "too_big":
      if (issue.origin === "array") return `at most ${issue.maximum} items`;
      if (issue.origin === "string") return `at most ${issue.maximum} characters`;
      return `a number <= ${issue.maximum}`;
    case "invalid_format":
      return issue.message && !issue.message.startsWith("Invalid") ? issue.message : `a valid ${issue.format}`;
    default:
      return issue.message;
  }
}

/** Keys whose values a problem must not print, whatever their namespace or spelling. */
const SECRET_LOOKING_KEY = /secret|password|token|private.?key/i;

/** A value as a problem shows it, unless its key looks like a secret's: a typo must not print the secret. */
function describeValueOf(key: string, value: unknown): string {
  const lastPart = key.split(/[:.[\]]/).filter(Boolean).pop() ?? key;
  if (value !== undefined && (SECRET_LOOKING_KEY.test(key) || closest(lastPart, SECRET_CONFIG_KEYS) !== undefined)) return "a value (not shown: the key looks like a secret's)";
  return describeValue(value);
}

/** The keys an object schema at `path` of `schema` knows, for "did you mean"; none when the path leads elsewhere. */
function knownKeysAt(schema: z.ZodType, path: ReadonlyArray<PropertyKey>): string[] {
  let current: z.core.$ZodType | undefined = schema;
  const rest = [...path];
  for (;;) {
    const def = current?._zod.def as z.core.$ZodTypeDef & Record<string, unknown> | undefined;
    if (!def) return [];
    if (def.type === "optional" || def.type === "nullable" || def.type === "default") current = def.innerType as z.core.$ZodType;
    else if (def.type === "pipe") current = def.out as z.core.$ZodType;
    else if (rest.length === 0) return def.type === "object" ? Object.keys(def.shape as object) : [];
    else if (def.type === "object") current = (def.shape as Record<string, z.core.$ZodType>)[String(rest.shift())];
    else if (def.type === "array") {
      rest.shift();
      current = def.element as z.core.$ZodType;
    } else if (def.type === "record") {
      rest.shift();
      current = def.valueType as z.core.$ZodType;
    } else return [];
  }
}

/**
 * Turns zod issues into problems, resolving unknown keys into one problem each (with the closest known key when
 * `schema` is given and one is close). Shared with infra/bootstrap.
 */
export function problemsFromIssues(namespace: string, input: unknown, issues: z.core.$ZodIssue[], schema?: z.ZodType, extraRootKeys: readonly string[] = []): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  for (const issue of issues) {
    if (issue.code === "unrecognized_keys") {
      const candidates = schema ? [...knownKeysAt(schema, issue.path), ...(issue.path.length === 0 ? extraRootKeys : [])] : [];
      for (const unknownKey of issue.keys) {
        const path = [...issue.path, unknownKey];
        const key = keyOf(namespace, path);
        const suggestion = closest(unknownKey, candidates);
        const expected = `no such key (unknown setting)${suggestion ? `; did you mean ${keyOf(namespace, [...issue.path, suggestion])}?` : ""}`;
        problems.push({ key, got: describeValueOf(key, valueAt(input, path)), expected });
      }
      continue;
    }
    const key = keyOf(namespace, issue.path);
    const value = valueAt(input, issue.path);
    problems.push({ key, got: describeValueOf(key, value), expected: expectedFrom(issue, value) });
  }
  return problems;
}

/** A raw config value: JSON where it parses (objects, lists, numbers, booleans), else the string itself. */
export function parseRawValue(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}

/**
 * Config namespaces a stack may set. `pulsura:` is this program's, validated here; `gcp:` is the Google provider's (the
 * program reads and checks `project`, `region`, `userProjectOverride` and `billingProject`; its other settings are the
 * provider's). `docker:` and `random:` configure the program's other providers (@pulumi/docker builds the service
 * images, @pulumi/random makes passwords) and `pulumi:` is the engine's own (e.g. `pulumi:disable-default-providers`):
 * Pulumi hands those to the provider or the engine, so they pass unchecked. Any other namespace configures nothing this
 * program uses, which is a typo (`pulsra:`) more often than not: refused, with the closest namespace.
 */
export const CONFIG_NAMESPACES = [CONFIG_NAMESPACE, "gcp", "docker", "random", "pulumi"] as const;

const GCP_KEYS = ["project", "region", "userProjectOverride", "billingProject"] as const;

/** Splits raw Pulumi config into this project's keys and the gcp provider's keys; refuses unknown namespaces. */
function splitRawConfig(raw: RawConfig): { pulsura: Record<string, unknown>; gcp: Record<string, unknown>; secrets: Partial<Record<SecretConfigKey, true>>; problems: ConfigProblem[] } {
  const pulsura: Record<string, unknown> = {};
  const gcp: Record<string, unknown> = {};
  const secrets: Partial<Record<SecretConfigKey, true>> = {};
  const problems: ConfigProblem[] = [];
  for (const [fullKey, rawValue] of Object.entries(raw)) {
    const separator = fullKey.indexOf(":");
    const namespace = separator < 0 ? "" : fullKey.slice(0, separator);
    const key = fullKey.slice(separator + 1);
    if (namespace === CONFIG_NAMESPACE) {
      if ((SECRET_CONFIG_KEYS as readonly string[]).includes(key)) {
        secrets[key as SecretConfigKey] = true;
        continue;
      }
      // Strings that look like numbers stay strings unless the schema wants a number: JSON.parse handles objects, lists,
      // numbers and booleans the way `pulumi config set --path` stores them.
      pulsura[key] = parseRawValue(rawValue);
    } else if (namespace === "gcp") {
      if ((GCP_KEYS as readonly string[]).includes(key)) gcp[key] = rawValue;
    } else if (!(CONFIG_NAMESPACES as readonly string[]).includes(namespace)) {
      const suggested = closest(namespace, CONFIG_NAMESPACES);
      const suggestedKey = suggested === CONFIG_NAMESPACE ? `${suggested}:${closest(key, [...stackKeys, ...SECRET_CONFIG_KEYS]) ?? key}` : suggested && `${suggested}:${key}`;
      problems.push({
        key: fullKey,
        got: describeValueOf(fullKey, parseRawValue(rawValue)),
        expected:
          `a key of a namespace this program or its providers read (${CONFIG_NAMESPACES.map((n) => `${n}:`).join(", ")}); ` +
          `"${namespace}" is none of them${suggestedKey ? `: did you mean ${suggestedKey}?` : ""}`,
      });
    }
  }
  return { pulsura, gcp, secrets, problems };
}

const stackKeys = Object.keys(stackInput.shape);

type Path = ReadonlyArray<PropertyKey>;

/**
 * Parses what it can: the issues of `input` against `schema`, and the data of `input` without the values those issues
 * point at (each removed value is a broken path), parsed with `salvageSchema` (`schema` with optional fields, when its
 * fields are required). A value whose issue remains once removed (a required field) takes its parent with it. Checks
 * across fields then run on the data, skipping those that read a broken path, so every problem shows at once.
 */
function parseSalvaging<S extends z.ZodType>(schema: S, input: Record<string, unknown>, salvageSchema: z.ZodType = schema): { issues: z.core.$ZodIssue[]; data: z.output<S> | undefined; broken: Path[] } {
  const first = schema.safeParse(input);
  if (first.success) return { issues: [], data: first.data, broken: [] };
  const pruned = structuredClone(input);
  const broken: Path[] = [];
  let issues = first.error.issues;
  // Each round removes at least one value, so the rounds end; the bound only guards against a schema surprise.
  for (let round = 0; round < 50; round++) {
    for (const issue of issues) {
      if (issue.code === "unrecognized_keys") {
        for (const key of issue.keys) removeAt(pruned, [...issue.path, key]);
        continue;
      }
      let path: Path = issue.path;
      while (path.length > 0 && valueAt(pruned, path) === undefined) path = path.slice(0, -1);
      if (path.length === 0) return { issues: first.error.issues, data: undefined, broken: [[]] };
      removeAt(pruned, path);
      broken.push(path);
    }
    const retry = salvageSchema.safeParse(pruned);
    if (retry.success) return { issues: first.error.issues, data: retry.data as z.output<S>, broken };
    issues = retry.error.issues;
  }
  return { issues: first.error.issues, data: undefined, broken: [[]] };
}

function removeAt(root: unknown, path: Path): void {
  const parent = valueAt(root, path.slice(0, -1));
  if (parent !== null && typeof parent === "object") delete (parent as Record<PropertyKey, unknown>)[path[path.length - 1]!];
}

const isPrefix = (prefix: Path, path: Path) => prefix.length <= path.length && prefix.every((part, i) => part === path[i]);

function mergeService(environment: Environment, defaults: (typeof ENVIRONMENT_DEFAULTS)[Environment]["service"], service: z.infer<typeof serviceInput>): ServiceConfig {
  const merged = { ...defaults, ...service };
  return { ...merged, jobs: resolveJobQueue(environment, service.jobs, merged) } as ServiceConfig;
}

/** One connection pool the stack opens, per instance of what opens it. */
export interface ConnectionPool {
  /** The config key that sizes it, e.g. `pulsura:hasura.poolSize`. */
  key: string;
  /** What opens it, e.g. `Hasura source "default"`. */
  opener: string;
  /** Instances that can run at once, each with its own pool. */
  instances: number;
  /** Connections per instance. */
  size: number;
}

/**
 * Every pool the stack really opens on the database at full scale: Hasura's `default` source pool and its metadata
 * database pool in each instance of the Hasura API and in the Hasura worker's one instance (when it runs), and each microservice's
 * `pg` pool in each of its instances. The Firebase
 * functions reach the data through Hasura's GraphQL API only, so they open none.
 */
export function connectionPools(config: Pick<StackConfig, "hasura"> & { services: ReadonlyArray<Pick<ServiceConfig, "name" | "maxInstances" | "poolSize">> }): ConnectionPool[] {
  return [
    { key: "pulsura:hasura.poolSize", opener: 'Hasura source "default"', instances: config.hasura.maxInstances, size: config.hasura.poolSize },
    { key: "pulsura:hasura.metadataPoolSize", opener: "Hasura metadata database", instances: config.hasura.maxInstances, size: config.hasura.metadataPoolSize },
    // The worker runs exactly one instance (min = max = 1), with the metadata's source pool like every API instance.
    ...(config.hasura.worker.enabled
      ? [
          { key: "pulsura:hasura.poolSize", opener: 'Hasura worker source "default"', instances: 1, size: config.hasura.poolSize },
          { key: "pulsura:hasura.worker.metadataPoolSize", opener: "Hasura worker metadata database", instances: 1, size: config.hasura.worker.metadataPoolSize },
        ]
      : []),
    ...config.services.map((s, i) => ({ key: `pulsura:services[${i}].poolSize`, opener: `service ${s.name}`, instances: s.maxInstances, size: s.poolSize })),
  ];
}

/** Checks that the connection pools fit in the database, naming every pool and the numbers to change when they do not. */
function checkConnectionBudget(config: Pick<StackConfig, "database" | "hasura" | "services">): ConfigProblem[] {
  const limit = config.database.connectionLimit;
  const headroom = connectionHeadroom(limit);
  const budget = limit - headroom;
  const pools = connectionPools(config);
  const total = pools.reduce((sum, p) => sum + p.instances * p.size, 0);
  if (total <= budget) return [];
  const breakdown = pools.map((p) => `${p.key} (${p.opener}) maxInstances ${p.instances} × ${p.size} = ${p.instances * p.size}`).join("; ");
  return [
    {
      key: "pulsura:database.tier",
      got: `${total} connections at full scale (${breakdown})`,
      expected:
        `at most ${budget} = ${limit} allowed by ${config.database.maxConnections ? "database.maxConnections" : `tier ${config.database.tier}`}` +
        ` minus ${headroom} headroom; lower maxInstances or a pool size, choose a larger database.tier, or set database.maxConnections`,
    },
  ];
}

/** What the caller knows beyond the config values (the Pulumi runtime, the repository). */
export interface ParseOptions {
  /**
   * Whether a fully-qualified key holds a Pulumi secret (`secure:` in the stack file). When given, a secret config key
   * (SECRET_CONFIG_KEYS) set in plain text is refused.
   */
  isSecret?: (fullKey: string) => boolean;
  /**
   * Checks of the stack's services against something beyond the config, run with the other checks so every problem
   * shows at once: the program passes infra/service-wiring.ts (each service has its folder, every service the Hasura
   * metadata calls is deployed). Injected so that the CLIs validating config do not load what it reads with.
   */
  checkServices?: (services: readonly StackService[]) => ConfigProblem[];
}

/**
 * Validates raw stack config (as `pulumi.runtime.allConfig()` returns it) and resolves defaults per environment.
 * Secret values (OAuth client secrets) are read through `readSecret`, which returns a Pulumi secret output.
 *
 * Every problem is reported at once: checks across fields (min/max instances, the connection budget, prod rules…) run
 * on whatever parsed, and skip only what reads a broken value, or a default when the environment itself is unknown.
 *
 * @throws StackConfigError naming every invalid key.
 */
export function parseStackConfig(
  stack: string,
  raw: RawConfig,
  readSecret: (key: SecretConfigKey) => pulumi.Output<string> | undefined,
  options: ParseOptions = {},
): StackConfig {
  const { pulsura, gcp, secrets, problems } = splitRawConfig(raw);

  const gcpParsed = parseSalvaging(gcpInput, gcp, gcpInput.partial());
  problems.push(...problemsFromIssues("gcp", gcp, gcpParsed.issues));
  const stackParsed = parseSalvaging(stackInput, pulsura);
  problems.push(...problemsFromIssues(CONFIG_NAMESPACE, pulsura, stackParsed.issues, stackInput, SECRET_CONFIG_KEYS));

  const broken: Path[] = [...gcpParsed.broken.map((p) => ["gcp", ...p]), ...stackParsed.broken.map((p) => [CONFIG_NAMESPACE, ...p])];
  const input: StackInput = stackParsed.data ?? {};
  const gcpData: Partial<StackConfig["gcp"]> = gcpParsed.data ?? {};
  const environment = input.environment;
  const tenant = input.tenant;
  /** None of the paths (`["pulsura", "hasura", "poolSize"]`) is or holds a broken value. */
  const intact = (...paths: Path[]) => paths.every((path) => !broken.some((b) => isPrefix(b, path) || isPrefix(path, b)));
  /** Intact, and set in the stack file unless the environment (whose defaults fill the rest) is known. */
  const known = (...paths: Path[]) => intact(...paths) && (environment !== undefined || paths.every((path) => valueAt(pulsura, path.slice(1)) !== undefined));
  const at = (...path: PropertyKey[]): Path => [CONFIG_NAMESPACE, ...path];

  if (environment === undefined && intact(at("environment"))) {
    problems.push({ key: "pulsura:environment", got: "nothing", expected: 'one of "dev" | "prod" (required)' });
  }
  if (tenant === undefined && intact(at("tenant"))) {
    problems.push({ key: "pulsura:tenant", got: "nothing", expected: "a tenant name (required)" });
  }

  // Without a valid environment, dev's defaults stand in; every check below that would read one of them is skipped.
  const defaults = ENVIRONMENT_DEFAULTS[environment ?? "dev"];
  const database = { ...defaults.database, ...input.database };
  const connectionLimit = database.maxConnections ?? tierConnectionLimit(database.tier);
  if (connectionLimit === undefined && known(at("database", "tier"))) {
    problems.push({ key: "pulsura:database.tier", got: describeValue(database.tier), expected: "a tier with known memory, or set database.maxConnections" });
  }
  const services = (input.services ?? defaults.services).map((s) => mergeService(environment ?? "dev", defaults.service, s));
  const serviceNames = services.map((_, i) => at("services", i, "name"));
  const duplicate = services.map((s) => s.name).find((name, i, all) => all.indexOf(name) !== i);
  if (duplicate && intact(...serviceNames)) problems.push({ key: "pulsura:services", got: `two services named "${duplicate}"`, expected: "unique service names" });

  // The Docker Hub user travels with its password (below), not with Hasura's scaling settings.
  const { dockerHubUsername, ...hasuraSettings } = input.hasura ?? {};
  const domains = input.domains ?? [];
  const corsOrigins = [...domains.map((d) => `https://${d}`), ...(environment === "dev" ? ["http://localhost:*"] : [])];
  const { worker: workerSettings, ...apiSettings } = hasuraSettings;
  const hasura = { ...defaults.hasura, ...apiSettings, worker: { ...defaults.hasura.worker, ...workerSettings } };
  const functions = { ...defaults.functions, ...input.functions };

  // Every minimum of instances is at most the same part's maxInstances.
  const scaled: ReadonlyArray<{ part: readonly PropertyKey[]; minKey: string; min: number; max: number }> = [
    { part: ["hasura"], minKey: "minInstances", min: hasura.minInstances, max: hasura.maxInstances },
    { part: ["functions"], minKey: "minInstances", min: functions.minInstances, max: functions.maxInstances },
    { part: ["functions"], minKey: "triggerMinInstances", min: functions.triggerMinInstances, max: functions.maxInstances },
    ...services.map((s, i) => ({ part: ["services", i], minKey: "minInstances", min: s.minInstances, max: s.maxInstances })),
  ];
  for (const { part, minKey, min, max } of scaled) {
    if (min > max && known(at(...part, minKey), at(...part, "maxInstances"))) {
      problems.push({ key: keyOf(CONFIG_NAMESPACE, [...part, minKey]), got: String(min), expected: `at most maxInstances (${max})` });
    }
  }
  if (environment === "prod") {
    if (!input.alertEmail && intact(at("alertEmail"))) problems.push({ key: "pulsura:alertEmail", got: "nothing", expected: "an e-mail address for alerts (required in prod)" });
    if (input.hasura?.allowList === false) {
      problems.push({ key: "pulsura:hasura.allowList", got: "false", expected: "true in prod: without the allow-list anyone can send Hasura any query the permissions allow, however deep" });
    }
    if (input.monitoring?.uptimeCheck === false) {
      problems.push({ key: "pulsura:monitoring.uptimeCheck", got: "false", expected: "true in prod: the uptime check is the alert that the public API is down" });
    }
    if (input.hasura?.worker?.enabled === false) {
      problems.push({
        key: "pulsura:hasura.worker.enabled",
        got: "false",
        expected: "true in prod: without the worker, events, crons and async actions are delivered only while an API instance runs",
      });
    }
    if (Object.keys(input.auth?.phone?.testPhoneNumbers ?? {}).length > 0) {
      problems.push({ key: "pulsura:auth.phone.testPhoneNumbers", got: describeValue(input.auth?.phone?.testPhoneNumbers), expected: "no test phone numbers in prod" });
    }
  }
  if (intact(at("storage"))) problems.push(...storageProblems(environment, input.storage));
  services.forEach((s, i) => {
    const hasJobs = input.services?.[i]?.jobs !== undefined || serviceHasJobs(s.name);
    if (hasJobs && intact(at("services", i, "jobs"), at("services", i, "maxInstances"), at("services", i, "poolSize"))) {
      problems.push(...jobQueueProblems(keyOf(CONFIG_NAMESPACE, ["services", i, "jobs"]), s.jobs, s));
    }
  });
  if (intact(at("apiDomain"), at("edge"), at("domains"))) problems.push(...edgeProblems(environment, input.apiDomain, domains, input.edge));
  const budgetInputs = [
    at("database", "tier"),
    at("database", "maxConnections"),
    at("hasura", "maxInstances"),
    at("hasura", "poolSize"),
    at("hasura", "metadataPoolSize"),
    at("hasura", "worker", "metadataPoolSize"),
    at("hasura", "worker", "enabled"),
    ...services.flatMap((_, i) => [at("services", i, "maxInstances"), at("services", i, "poolSize")]),
  ];
  // The connection budget reads defaults by design (most pools are defaulted): it needs the environment and intact inputs.
  if (connectionLimit !== undefined && environment !== undefined && intact(...budgetInputs)) {
    problems.push(...checkConnectionBudget({ database: { ...database, connectionLimit }, hasura, services }));
  }

  if (gcpData.billingProject !== undefined && gcpData.project !== undefined && gcpData.billingProject !== gcpData.project) {
    problems.push({
      key: "gcp:billingProject",
      got: describeValue(gcpData.billingProject),
      expected: `the stack's project ${JSON.stringify(gcpData.project)} (Identity Platform and Firebase quota is billed there)`,
    });
  }
  if (valueAt(pulsura, ["auth", "apple"]) !== undefined) {
    problems.push({
      key: "pulsura:auth.apple",
      got: describeValue(valueAt(pulsura, ["auth", "apple"])),
      expected:
        "no auth.apple: Sign in with Apple needs Identity Platform's appleSignInConfig (team id, key id, private key), which the Pulumi gcp " +
        "provider's DefaultSupportedIdpConfig does not expose (only clientId/clientSecret); enable Apple in the Firebase console instead",
    });
  }

  // Secrets in the stack file's clear text are readable by anyone with the repository: only `--secret` encrypts them.
  if (options.isSecret) {
    for (const key of SECRET_CONFIG_KEYS) {
      const fullKey = `${CONFIG_NAMESPACE}:${key}`;
      if (!secrets[key] || options.isSecret(fullKey)) continue;
      problems.push({
        key: fullKey,
        got: "a value in plain text (not shown)",
        expected: `a Pulumi secret: delete the plain value from the stack file (Pulumi.${stack}.yaml), then set it with: pulumi config set --secret ${key} <value> --stack ${stack}`,
      });
    }
  }

  let dockerHub: StackConfig["hasura"]["dockerHub"];
  if (dockerHubUsername) {
    const password = readSecret("dockerHubPassword");
    if (password) dockerHub = { username: dockerHubUsername, password };
    else {
      problems.push({
        key: "pulsura:dockerHubPassword",
        got: "nothing",
        expected: `the Docker Hub password or access token of hasura.dockerHubUsername, set with: pulumi config set --secret dockerHubPassword <value> --stack ${stack}`,
      });
    }
  }

  const oauth: StackConfig["auth"]["oauth"] = {};
  for (const provider of Object.keys(OAUTH_CLIENT_SECRET_KEYS) as OAuthProviderName[]) {
    if (provider === "apple" || valueAt(pulsura, ["auth", provider]) === undefined) continue;
    const secretKey = OAUTH_CLIENT_SECRET_KEYS[provider];
    const clientSecret = readSecret(secretKey);
    if (!clientSecret) {
      problems.push({
        key: `pulsura:${secretKey}`,
        got: "nothing",
        expected: `the ${provider} OAuth client secret, set with: pulumi config set --secret ${secretKey} <value> --stack ${stack}`,
      });
      continue;
    }
    const providerInput = input.auth?.[provider];
    if (providerInput) oauth[provider] = { clientId: providerInput.clientId, clientSecret };
  }

  if (options.checkServices && intact(at("services"), ...serviceNames)) {
    problems.push(...options.checkServices(services.map((s, i) => ({ name: s.name, key: input.services ? `pulsura:services[${i}].name` : "pulsura:services" }))));
  }

  if (problems.length > 0 || environment === undefined || tenant === undefined || !gcpParsed.data || !stackParsed.data) {
    throw new StackConfigError(stack, problems);
  }

  return {
    stack,
    environment,
    tenant,
    gcp: gcpParsed.data,
    domains,
    corsOrigins,
    alertEmail: input.alertEmail,
    demoData: input.demoData ?? defaults.demoData,
    network: { ...defaults.network, ...input.network },
    database: { ...database, connectionLimit: connectionLimit ?? 0 },
    hasura: { ...hasura, ...(dockerHub ? { dockerHub } : {}) },
    services,
    functions,
    adoptExisting: { firebase: input.firebase?.adoptExisting ?? false, identityPlatform: input.auth?.adoptExisting ?? false },
    auth: {
      phone: { ...defaults.auth.phone, ...input.auth?.phone },
      email: { ...defaults.auth.email, ...input.auth?.email },
      oauth,
      smsRegions: input.auth?.smsRegions ?? [...defaults.auth.smsRegions],
      onUserDeleted: input.auth?.onUserDeleted ?? defaults.auth.onUserDeleted,
    },
    monitoring: resolveMonitoring(environment, input.alertEmail, input.monitoring),
    storage: resolveStorage(environment, input.storage),
    ...(input.apiDomain ? { edge: resolveEdge(environment, input.apiDomain, input.edge) } : {}),
  };
}
