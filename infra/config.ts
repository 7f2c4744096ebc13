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

const slug = (what: string) =>
  z.string().regex(/^[a-z][a-z0-9-]{0,20}[a-z0-9]$/, `${what}: 2-22 characters, lower-case letters, digits and dashes, starting with a letter`);

const domainName = z
  .string()
  .regex(/^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/, "a lower-case DNS name such as app.example.com (no scheme, no path)");

const positiveInt = z.number().int().min(1);
const nonNegativeInt = z.number().int().min(0);
const cpu = z.enum(["1", "2", "4", "8"]);
const memory = z.string().regex(/^\d+(Mi|Gi)$/, "a Cloud Run memory size such as 512Mi or 2Gi");

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
    backupStartTime: z.string().regex(/^([01]\d|2[0-3]):00$/, "an hour in UTC such as 03:00"),
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
    version: z.string().regex(/^v2\.\d+\.\d+$/, "a pinned Hasura v2 release such as v2.48.9 (never latest)"),
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
     * Docker Hub user the image proxy authenticates as (anonymous pulls are rate-limited); its password or access
     * token is the secret config key `dockerHubPassword`, stored in Secret Manager.
     */
    dockerHubUsername: z.string().regex(/^[a-z0-9]{4,30}$/, "a Docker Hub username (4-30 lower-case letters and digits)"),
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
  })
  .partial({ minInstances: true, maxInstances: true, cpu: true, memory: true, concurrency: true, poolSize: true })
  .strict();

const functionsInput = z
  .object({
    /** Warm instances of each user-sync function (a blocking function that is cold slows the first sign-up). */
    minInstances: nonNegativeInt,
    maxInstances: positiveInt,
  })
  .partial()
  .strict();

const oauthProviderInput = z.object({ clientId: z.string().min(1) }).strict();

const authInput = z
  .object({
    phone: z
      .object({
        enabled: z.boolean(),
        /** Test numbers (E.164 → 6-digit code), never real ones. */
        testPhoneNumbers: z.record(z.string().regex(/^\+[1-9]\d{6,14}$/, "E.164 phone number"), z.string().regex(/^\d{6}$/, "a 6-digit code")),
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
    alertEmail: z.email("an e-mail address"),
    demoData: z.boolean(),
    network: networkInput,
    database: databaseInput,
    hasura: hasuraInput,
    services: z.array(serviceInput).min(1),
    functions: functionsInput,
    firebase: firebaseInput,
    auth: authInput,
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
    /** Docker Hub credentials of the image proxy, when config gives them (else anonymous pulls). */
    dockerHub?: { username: string; password: pulumi.Output<string> };
  };
  /** Import Firebase / Identity Platform instead of creating them (they can be created only once per project). */
  adoptExisting: { firebase: boolean; identityPlatform: boolean };
  services: ServiceConfig[];
  functions: { minInstances: number; maxInstances: number };
  auth: {
    phone: { enabled: boolean; testPhoneNumbers: Record<string, string> };
    email: { enabled: boolean; passwordRequired: boolean };
    oauth: Partial<Record<OAuthProviderName, OAuthProviderConfig>>;
    smsRegions: string[];
    onUserDeleted: "delete" | "anonymize";
  };
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
    network: SHARED_DEFAULTS.network,
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
    // db-g1-small allows 50 connections (40 after headroom): Hasura 2 × (8 + 2) plus 2 × 4 per service fits two services.
    hasura: { version: "v2.48.9", minInstances: 0, maxInstances: 2, cpu: "1", memory: "1Gi", concurrency: 80, poolSize: 8, metadataPoolSize: 2, allowList: true },
    service: { minInstances: 0, maxInstances: 2, cpu: "1", memory: "512Mi", concurrency: 80, poolSize: 4 },
    services: SHARED_DEFAULTS.services,
    functions: { minInstances: 0, maxInstances: 5 },
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
    hasura: { version: "v2.48.9", minInstances: 1, maxInstances: 4, cpu: "2", memory: "2Gi", concurrency: 100, poolSize: 20, metadataPoolSize: 5, allowList: true },
    service: { minInstances: 1, maxInstances: 10, cpu: "1", memory: "512Mi", concurrency: 80, poolSize: 5 },
    services: SHARED_DEFAULTS.services,
    functions: { minInstances: 1, maxInstances: 20 },
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

function expectedFrom(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case "invalid_type":
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

/** Turns zod issues into problems, resolving unknown keys into one problem each. Shared with infra/bootstrap. */
export function problemsFromIssues(namespace: string, input: unknown, issues: z.core.$ZodIssue[]): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  for (const issue of issues) {
    if (issue.code === "unrecognized_keys") {
      for (const unknownKey of issue.keys) {
        const path = [...issue.path, unknownKey];
        problems.push({ key: keyOf(namespace, path), got: describeValue(valueAt(input, path)), expected: "no such key (unknown setting)" });
      }
      continue;
    }
    problems.push({ key: keyOf(namespace, issue.path), got: describeValue(valueAt(input, issue.path)), expected: expectedFrom(issue) });
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

/** Splits raw Pulumi config into this project's keys, the gcp provider's keys and the rest. */
function splitRawConfig(raw: RawConfig): { pulsura: Record<string, unknown>; gcp: Record<string, unknown> } {
  const pulsura: Record<string, unknown> = {};
  const gcp: Record<string, unknown> = {};
  for (const [fullKey, rawValue] of Object.entries(raw)) {
    const [namespace, key] = fullKey.split(":", 2) as [string, string];
    if (namespace === CONFIG_NAMESPACE) {
      if ((SECRET_CONFIG_KEYS as readonly string[]).includes(key)) continue;
      // Strings that look like numbers stay strings unless the schema wants a number: JSON.parse handles objects, lists,
      // numbers and booleans the way `pulumi config set --path` stores them.
      pulsura[key] = parseRawValue(rawValue);
    } else if (namespace === "gcp" && (key === "project" || key === "region" || key === "userProjectOverride" || key === "billingProject")) {
      gcp[key] = rawValue;
    }
  }
  return { pulsura, gcp };
}

function mergeService(defaults: (typeof ENVIRONMENT_DEFAULTS)[Environment]["service"], service: z.infer<typeof serviceInput>): ServiceConfig {
  return { ...defaults, ...service } as ServiceConfig;
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
 * database pool in each Hasura instance, and each microservice's `pg` pool in each of its instances. The Firebase
 * functions reach the data through Hasura's GraphQL API only, so they open none.
 */
export function connectionPools(config: Pick<StackConfig, "hasura" | "services">): ConnectionPool[] {
  return [
    { key: "pulsura:hasura.poolSize", opener: 'Hasura source "default"', instances: config.hasura.maxInstances, size: config.hasura.poolSize },
    { key: "pulsura:hasura.metadataPoolSize", opener: "Hasura metadata database", instances: config.hasura.maxInstances, size: config.hasura.metadataPoolSize },
    ...config.services.map((s, i) => ({ key: `pulsura:services[${i}].poolSize`, opener: `service ${s.name}`, instances: s.maxInstances, size: s.poolSize })),
  ];
}

/** Checks that the connection pools fit in the database, naming every pool and the numbers to change when they do not. */
function checkConnectionBudget(config: Omit<StackConfig, "auth" | "adoptExisting">): ConfigProblem[] {
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

/**
 * Validates raw stack config (as `pulumi.runtime.allConfig()` returns it) and resolves defaults per environment.
 * Secret values (OAuth client secrets) are read through `readSecret`, which returns a Pulumi secret output.
 *
 * @throws StackConfigError naming every invalid key.
 */
export function parseStackConfig(
  stack: string,
  raw: RawConfig,
  readSecret: (key: SecretConfigKey) => pulumi.Output<string> | undefined,
): StackConfig {
  const { pulsura, gcp } = splitRawConfig(raw);
  const problems: ConfigProblem[] = [];

  const gcpResult = gcpInput.safeParse(gcp);
  if (!gcpResult.success) problems.push(...problemsFromIssues("gcp", gcp, gcpResult.error.issues));

  const stackResult = stackInput.safeParse(pulsura);
  if (!stackResult.success) problems.push(...problemsFromIssues(CONFIG_NAMESPACE, pulsura, stackResult.error.issues));

  const environment = stackResult.success ? stackResult.data.environment : undefined;
  const tenant = stackResult.success ? stackResult.data.tenant : undefined;
  if (stackResult.success && environment === undefined) {
    problems.push({ key: "pulsura:environment", got: "nothing", expected: 'one of "dev" | "prod" (required)' });
  }
  if (stackResult.success && tenant === undefined) {
    problems.push({ key: "pulsura:tenant", got: "nothing", expected: "a tenant name (required)" });
  }
  if (problems.length > 0 || !gcpResult.success || !stackResult.success || !environment || !tenant) {
    throw new StackConfigError(stack, problems);
  }

  const input: StackInput = stackResult.data;
  const defaults = ENVIRONMENT_DEFAULTS[environment];
  const database = { ...defaults.database, ...input.database };
  const connectionLimit = database.maxConnections ?? tierConnectionLimit(database.tier);
  if (connectionLimit === undefined) {
    problems.push({ key: "pulsura:database.tier", got: describeValue(database.tier), expected: "a tier with known memory, or set database.maxConnections" });
  }
  const services = (input.services ?? defaults.services).map((s) => mergeService(defaults.service, s));
  const duplicate = services.map((s) => s.name).find((name, i, all) => all.indexOf(name) !== i);
  if (duplicate) problems.push({ key: "pulsura:services", got: `two services named "${duplicate}"`, expected: "unique service names" });

  // The Docker Hub user travels with its password (below), not with Hasura's scaling settings.
  const { dockerHubUsername, ...hasuraSettings } = input.hasura ?? {};
  const domains = input.domains ?? [];
  const corsOrigins = [...domains.map((d) => `https://${d}`), ...(environment === "dev" ? ["http://localhost:*"] : [])];

  const resolved: Omit<StackConfig, "auth" | "adoptExisting"> = {
    stack,
    environment,
    tenant,
    gcp: gcpResult.data,
    domains,
    corsOrigins,
    alertEmail: input.alertEmail,
    demoData: input.demoData ?? defaults.demoData,
    network: { ...defaults.network, ...input.network },
    database: { ...database, connectionLimit: connectionLimit ?? 0 },
    hasura: { ...defaults.hasura, ...hasuraSettings },
    services,
    functions: { ...defaults.functions, ...input.functions },
  };

  const scaled = [["hasura", resolved.hasura], ["functions", resolved.functions], ...services.map((s, i) => [`services[${i}]`, s] as const)] as const;
  for (const [part, settings] of scaled) {
    if (settings.minInstances > settings.maxInstances) {
      problems.push({ key: `pulsura:${part}.minInstances`, got: String(settings.minInstances), expected: `at most maxInstances (${settings.maxInstances})` });
    }
  }
  if (environment === "prod") {
    if (!resolved.alertEmail) problems.push({ key: "pulsura:alertEmail", got: "nothing", expected: "an e-mail address for alerts (required in prod)" });
    if (input.hasura?.allowList === false) {
      problems.push({ key: "pulsura:hasura.allowList", got: "false", expected: "true in prod: without the allow-list anyone can send Hasura any query the permissions allow, however deep" });
    }
    if (Object.keys(input.auth?.phone?.testPhoneNumbers ?? {}).length > 0) {
      problems.push({ key: "pulsura:auth.phone.testPhoneNumbers", got: describeValue(input.auth?.phone?.testPhoneNumbers), expected: "no test phone numbers in prod" });
    }
  }
  if (connectionLimit !== undefined) problems.push(...checkConnectionBudget(resolved));

  if (gcpResult.data.billingProject !== gcpResult.data.project) {
    problems.push({
      key: "gcp:billingProject",
      got: describeValue(gcpResult.data.billingProject),
      expected: `the stack's project ${JSON.stringify(gcpResult.data.project)} (Identity Platform and Firebase quota is billed there)`,
    });
  }
  if (input.auth?.apple) {
    problems.push({
      key: "pulsura:auth.apple",
      got: describeValue(input.auth.apple),
      expected:
        "no auth.apple: Sign in with Apple needs Identity Platform's appleSignInConfig (team id, key id, private key), which the Pulumi gcp " +
        "provider's DefaultSupportedIdpConfig does not expose (only clientId/clientSecret); enable Apple in the Firebase console instead",
    });
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
    const providerInput = input.auth?.[provider];
    if (!providerInput || provider === "apple") continue;
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
    oauth[provider] = { clientId: providerInput.clientId, clientSecret };
  }

  if (problems.length > 0) throw new StackConfigError(stack, problems);

  return {
    ...resolved,
    hasura: { ...resolved.hasura, ...(dockerHub ? { dockerHub } : {}) },
    adoptExisting: { firebase: input.firebase?.adoptExisting ?? false, identityPlatform: input.auth?.adoptExisting ?? false },
    auth: {
      phone: { ...defaults.auth.phone, ...input.auth?.phone },
      email: { ...defaults.auth.email, ...input.auth?.email },
      oauth,
      smsRegions: input.auth?.smsRegions ?? [...defaults.auth.smsRegions],
      onUserDeleted: input.auth?.onUserDeleted ?? defaults.auth.onUserDeleted,
    },
  };
}
