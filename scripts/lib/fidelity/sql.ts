/**
 * Cloud SQL for PostgreSQL: enums, tiers per edition, point-in-time recovery limits per edition, the password policy,
 * and the generators of the passwords the policy must accept.
 */
import { enumRule, show, stringAt, valueAt, type FidelityRule, type PlannedResource } from "./rule";

const INSTANCE = "gcp:sql/databaseInstance:DatabaseInstance";
const USER = "gcp:sql/user:User";
const RANDOM_PASSWORD = "random:index/randomPassword:RandomPassword";

const EDITIONS_SOURCE = "https://cloud.google.com/sql/docs/postgres/editions-intro";

type Edition = "ENTERPRISE" | "ENTERPRISE_PLUS";

/**
 * The edition an instance gets: the explicit one, else the API's default, which is Enterprise Plus for PostgreSQL 16
 * and later and Enterprise before (editions-intro, "default edition").
 */
export function editionOf(instance: PlannedResource): Edition {
  const explicit = stringAt(instance.inputs, "settings.edition");
  if (explicit === "ENTERPRISE" || explicit === "ENTERPRISE_PLUS") return explicit;
  const version = /^POSTGRES_(\d+)/.exec(stringAt(instance.inputs, "databaseVersion") ?? "");
  return version && Number(version[1]) >= 16 ? "ENTERPRISE_PLUS" : "ENTERPRISE";
}

/**
 * Problems of a tier for an edition. Enterprise: shared core (db-f1-micro, db-g1-small) or custom machines
 * db-custom-<vCPUs>-<MiB> with 1 or an even number of vCPUs up to 96, 0.9-6.5 GB per vCPU, a multiple of 256 MB and at
 * least 3.75 GB (https://cloud.google.com/sql/docs/postgres/create-instance#machine-types). Enterprise Plus: the
 * performance-optimized N2 machines db-perf-optimized-N-<vCPUs>, no shared core and no custom tiers (editions-intro).
 * Memory-optimized and C4A Enterprise Plus tiers exist too; pulsura uses none, so they are refused until added here.
 */
export function tierProblems(tier: string, edition: Edition): string[] {
  if (edition === "ENTERPRISE_PLUS") return /^db-perf-optimized-N-\d+$/.test(tier) ? [] : [`got ${show(tier)}: Enterprise Plus takes db-perf-optimized-N-<vCPUs> tiers (no shared-core or custom tiers)`];
  if (tier === "db-f1-micro" || tier === "db-g1-small") return [];
  const custom = /^db-custom-(\d+)-(\d+)$/.exec(tier);
  if (!custom) return [`got ${show(tier)}: Enterprise takes db-f1-micro, db-g1-small or db-custom-<vCPUs>-<MiB>`];
  const cpus = Number(custom[1]);
  const mib = Number(custom[2]);
  const problems: string[] = [];
  if (!(cpus === 1 || (cpus % 2 === 0 && cpus >= 2 && cpus <= 96))) problems.push(`${cpus} vCPUs (1 or an even number up to 96)`);
  if (mib % 256 !== 0) problems.push(`${mib} MiB is not a multiple of 256`);
  if (mib < 3840) problems.push(`${mib} MiB is under 3840`);
  if (mib / cpus < 0.9 * 1024 || mib / cpus > 6.5 * 1024) problems.push(`${(mib / cpus / 1024).toFixed(2)} GB per vCPU (0.9-6.5)`);
  return problems.length ? [`got ${show(tier)}: ${problems.join("; ")}`] : [];
}

/** Character classes COMPLEXITY_DEFAULT demands, with the RandomPassword inputs that guarantee each. */
const CLASSES = [
  { name: "lowercase", flag: "lower", min: "minLower" },
  { name: "uppercase", flag: "upper", min: "minUpper" },
  { name: "numeric", flag: "numeric", min: "minNumeric" },
  { name: "non-alphanumeric", flag: "special", min: "minSpecial" },
] as const;

/** What a RandomPassword's inputs fail to guarantee of a policy (every class present, at least minLength long). */
export function generatorProblems(generator: PlannedResource, minLength: number | undefined, complexity: boolean): string[] {
  const inputs = generator.inputs;
  const problems: string[] = [];
  const length = Number(inputs.length ?? 0);
  if (minLength !== undefined && length < minLength) problems.push(`length ${length} < minLength ${minLength}`);
  if (complexity) {
    for (const c of CLASSES) {
      // Every flag defaults to true and every min* to 0 (@pulumi/random RandomPassword): only a min of 1 or more
      // guarantees a class.
      if (inputs[c.flag] === false) problems.push(`${c.flag}: false (no ${c.name} characters)`);
      else if (!(Number(inputs[c.min] ?? 0) >= 1)) problems.push(`${c.min} ${show(inputs[c.min] ?? 0)} (${c.name} characters not guaranteed)`);
    }
  }
  return problems;
}

/** Problems of a literal password under the policy. */
function literalProblems(password: string, minLength: number | undefined, complexity: boolean): string[] {
  const problems: string[] = [];
  if (minLength !== undefined && password.length < minLength) problems.push(`a ${password.length}-character literal < minLength ${minLength}`);
  const tests = { lowercase: /[a-z]/, uppercase: /[A-Z]/, numeric: /[0-9]/, "non-alphanumeric": /[^A-Za-z0-9]/ };
  if (complexity) for (const [name, test] of Object.entries(tests)) if (!test.test(password)) problems.push(`a literal without ${name} characters`);
  return problems;
}

export const sqlRules: FidelityRule[] = [
  // Provider: StringInSlice(ENTERPRISE, ENTERPRISE_PLUS) on settings.edition.
  enumRule({ id: "sql/edition", types: [INSTANCE], field: "settings.edition", source: EDITIONS_SOURCE, values: ["ENTERPRISE", "ENTERPRISE_PLUS"] }),
  // Provider: StringInSlice(REGIONAL, ZONAL) on settings.availability_type.
  enumRule({
    id: "sql/availability-type",
    types: [INSTANCE],
    field: "settings.availabilityType",
    source: "https://cloud.google.com/sql/docs/postgres/admin-api/rest/v1/instances#sqlavailabilitytype",
    values: ["ZONAL", "REGIONAL"],
  }),
  {
    id: "sql/tier-for-edition",
    types: [INSTANCE],
    field: "settings.tier",
    constraint: "Enterprise: db-f1-micro, db-g1-small or a valid db-custom-<vCPUs>-<MiB>; Enterprise Plus: db-perf-optimized-N-<vCPUs>",
    source: EDITIONS_SOURCE,
    check(instance) {
      const tier = stringAt(instance.inputs, "settings.tier");
      return tier === undefined ? [] : tierProblems(tier, editionOf(instance));
    },
  },
  // "the number of days to retain logs, from 1-35 for Cloud SQL Enterprise Plus edition, or 1-7 for Cloud SQL Enterprise
  // edition" (Configure PITR); the PITR page says the same of transactionLogRetentionDays.
  {
    id: "sql/pitr-retention",
    types: [INSTANCE],
    field: "settings.backupConfiguration.transactionLogRetentionDays",
    constraint: "1-7 days on Enterprise, 1-35 on Enterprise Plus",
    source: "https://cloud.google.com/sql/docs/postgres/backup-recovery/configure-pitr",
    check(instance) {
      const days = valueAt(instance.inputs, "settings.backupConfiguration.transactionLogRetentionDays");
      if (days === undefined) return [];
      const edition = editionOf(instance);
      const max = edition === "ENTERPRISE_PLUS" ? 35 : 7;
      return typeof days === "number" && Number.isInteger(days) && days >= 1 && days <= max ? [] : [`got ${show(days)} on ${edition} (at most ${max})`];
    },
  },
  // Provider: complexity StringInSlice(COMPLEXITY_DEFAULT, COMPLEXITY_UNSPECIFIED), min_length IntBetween(0, 2147483647).
  {
    id: "sql/password-policy",
    types: [INSTANCE],
    field: "settings.passwordValidationPolicy",
    constraint: "complexity COMPLEXITY_DEFAULT or COMPLEXITY_UNSPECIFIED; minLength an integer >= 0",
    source: "https://cloud.google.com/sql/docs/postgres/admin-api/rest/v1/instances#passwordvalidationpolicy",
    check(instance) {
      const policy = valueAt(instance.inputs, "settings.passwordValidationPolicy") as Record<string, unknown> | undefined;
      if (!policy) return [];
      const problems: string[] = [];
      if (policy.complexity !== undefined && !["COMPLEXITY_DEFAULT", "COMPLEXITY_UNSPECIFIED"].includes(policy.complexity as string)) problems.push(`complexity ${show(policy.complexity)}`);
      if (policy.minLength !== undefined && !(Number.isInteger(policy.minLength) && (policy.minLength as number) >= 0)) problems.push(`minLength ${show(policy.minLength)}`);
      return problems;
    },
  },
  // COMPLEXITY_DEFAULT: "A combination of lowercase, uppercase, numeric, and non-alphanumeric characters" (how many of
  // each is not documented: one of each is assumed). Cloud SQL checks a built-in user's password against the
  // instance's policy when the user is created or its password set. disallowUsernameSubstring is not judged: no
  // generator setting can guarantee it (the chance that 32 random characters contain the user name is negligible).
  {
    id: "sql/user-password-policy",
    types: [USER],
    field: "password",
    constraint: "a password (or the RandomPassword that makes it) that always meets the instance's passwordValidationPolicy",
    source: "https://cloud.google.com/sql/docs/postgres/built-in-authentication#instance_password_policies",
    check(user, earlier) {
      const password = stringAt(user.inputs, "password");
      const instanceName = stringAt(user.inputs, "instance");
      if (password === undefined || instanceName === undefined) return [];
      const instance = earlier.find((r) => r.type === INSTANCE && (r.state.name === instanceName || r.name === instanceName));
      const policy = instance ? (valueAt(instance.inputs, "settings.passwordValidationPolicy") as Record<string, unknown> | undefined) : undefined;
      if (!policy || policy.enablePasswordPolicy !== true) return [];
      const minLength = typeof policy.minLength === "number" ? policy.minLength : undefined;
      const complexity = policy.complexity === "COMPLEXITY_DEFAULT";
      const generator = earlier.find((r) => r.type === RANDOM_PASSWORD && r.state.result === password);
      const problems = generator ? generatorProblems(generator, minLength, complexity) : literalProblems(password, minLength, complexity);
      const origin = generator ? `RandomPassword "${generator.name}"` : "the password";
      return problems.length ? [`${origin} against ${instance!.type} "${instance!.name}" (${complexity ? "COMPLEXITY_DEFAULT, " : ""}minLength ${minLength ?? "unset"}): ${problems.join("; ")}`] : [];
    },
  },
];
