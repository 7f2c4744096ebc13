/**
 * `HasuraSeeds`: runs the Hasura CLI project's `seeds/<source>/*.sql` through `/v2/query` run_sql at
 * `pulumi up`, in the given (file-name) order, each file in its own transaction, like `hasura seed apply`.
 *
 * A seed runs on create, and again whenever its content changes; new files run when they appear; removed files
 * are forgotten. When the endpoint changes (a new engine, possibly a new database) every seed runs again. Seeds
 * must therefore be idempotent (`insert ... on conflict do ...`). Whether a
 * stack gets seeds at all is decided by whoever creates this resource (stack config).
 */
import * as pulumi from "@pulumi/pulumi";
import type { Seed } from "../hasura/project";
import { redactSecret, runSql, waitForHealthy } from "./hasura-api";
import type { HasuraConnection, HealthCheckOptions } from "./hasura-api";
import { sha256 } from "./checksum";
import { connectionFailures, errorText, isUnknown } from "./provider-inputs";
import { findTransactionControl } from "./sql-transaction-control";

/** A seed file as the provider receives it. */
export interface SeedInput {
  file: string;
  sql: string;
  checksum: string;
}

/** What the provider remembers of a seed after running it. */
export interface SeedRecord {
  file: string;
  checksum: string;
}

export interface HasuraSeedsInputs {
  endpoint: string;
  adminSecret: string;
  source: string;
  seeds: SeedInput[];
  healthCheck?: HealthCheckOptions;
}

export interface HasuraSeedsOutputs {
  endpoint: string;
  source: string;
  /** The seeds at the last successful create/update; all of them ran with this content. */
  seeds: SeedRecord[];
  /** The files the last create/update ran. */
  lastAppliedFiles: string[];
}

/** Check failures of the source and the seed list (the constructor checks these early, too). */
function seedListFailures(source: unknown, seeds: unknown): pulumi.dynamic.CheckFailure[] {
  const failures: pulumi.dynamic.CheckFailure[] = [];
  if (typeof source !== "string" || source === "") {
    failures.push({ property: "source", reason: "source must name a Hasura database source, e.g. \"default\"" });
  }
  if (!Array.isArray(seeds)) {
    failures.push({ property: "seeds", reason: "seeds must be a list of { file, sql }" });
    return failures;
  }
  const seen = new Set<string>();
  for (const [index, seed] of (seeds as Partial<SeedInput>[]).entries()) {
    const property = `seeds[${index}]`;
    if (typeof seed?.file !== "string" || seed.file === "") {
      failures.push({ property, reason: "a seed has no file name" });
      continue;
    }
    if (seen.has(seed.file)) failures.push({ property, reason: `seed ${seed.file} appears twice` });
    seen.add(seed.file);
    if (typeof seed.sql !== "string") {
      failures.push({ property, reason: `seed ${seed.file} has no SQL` });
      continue;
    }
    if (typeof seed.checksum !== "string" || seed.checksum === "") {
      failures.push({ property, reason: `seed ${seed.file} has no checksum` });
    }
    for (const statement of findTransactionControl(seed.sql)) {
      failures.push({
        property,
        reason:
          `seeds/${String(source)}/${seed.file} line ${statement.line}: ${statement.statement} is not allowed. Hasura runs ` +
          "each seed in one transaction (run_sql); transaction control inside it would break that.",
      });
    }
  }
  return failures;
}

/** Seeds whose content differs from (or is missing in) what was applied, in the given order. */
function changedSeeds(applied: SeedRecord[] | undefined, seeds: SeedInput[]): SeedInput[] {
  const appliedChecksums = new Map((applied ?? []).map((record) => [record.file, record.checksum]));
  return seeds.filter((seed) => appliedChecksums.get(seed.file) !== seed.checksum);
}

async function runSeeds(inputs: HasuraSeedsInputs, seeds: SeedInput[]): Promise<HasuraSeedsOutputs> {
  const { source, adminSecret } = inputs;
  const connection: HasuraConnection = { endpoint: inputs.endpoint, adminSecret };
  await waitForHealthy(inputs.endpoint, inputs.healthCheck);
  const ran: string[] = [];
  for (const seed of seeds) {
    try {
      if (seed.sql.trim() !== "") await runSql(connection, seed.sql, { source });
    } catch (error) {
      const before = ran.length > 0 ? `Ran before it in this run: ${ran.join(", ")}.` : "No seed ran before it in this run.";
      throw new Error(redactSecret(`Seed seeds/${source}/${seed.file} failed and was rolled back. ${before}\n${errorText(error)}`, adminSecret));
    }
    ran.push(seed.file);
  }
  return {
    endpoint: inputs.endpoint,
    source,
    seeds: inputs.seeds.map(({ file, checksum }) => ({ file, checksum })),
    lastAppliedFiles: ran,
  };
}

/** The provider; serialized with what it captures, like the migrations provider (see ./migrations.ts). */
export const seedsProvider: pulumi.dynamic.ResourceProvider<HasuraSeedsInputs, HasuraSeedsOutputs> = {
  check: async (_olds, news) => ({
    inputs: news,
    failures: [...connectionFailures(news), ...seedListFailures(news.source, news.seeds)],
  }),

  diff: async (_id, olds, news) => {
    if (isUnknown(news.endpoint) || news.endpoint !== olds.endpoint || news.source !== olds.source) return { changes: true };
    const before = (olds.seeds ?? []).map((seed) => `${seed.file}:${seed.checksum}`).sort();
    const after = news.seeds.map((seed) => `${seed.file}:${seed.checksum}`).sort();
    return { changes: before.join("\n") !== after.join("\n") };
  },

  create: async (inputs) => ({ id: `seeds/${inputs.source}`, outs: await runSeeds(inputs, inputs.seeds) }),

  update: async (_id, olds, news) => {
    const sameTarget = news.endpoint === olds.endpoint && news.source === olds.source;
    return { outs: await runSeeds(news, sameTarget ? changedSeeds(olds.seeds, news.seeds) : news.seeds) };
  },

  // Seeded rows stay: deleting the resource must never delete data.
  delete: async () => {},
};

export interface HasuraSeedsArgs {
  /** Base URL of the Hasura engine, e.g. the Cloud Run service URL (not the /v1/graphql URL). */
  endpoint: pulumi.Input<string>;
  /** The engine's admin secret. Stored as a Pulumi secret whatever is passed. */
  adminSecret: pulumi.Input<string>;
  /** The seed files in the order to run them, e.g. `readSeeds(hasuraProjectDir)` (file-name order). */
  seeds: ReadonlyArray<Seed>;
  /** The Hasura database source the seeds belong to. @default "default" */
  source?: string;
  /** How long to wait for `/hasura/healthz` before applying. @default 5 minutes, backoff 0.5 s doubling up to 10 s */
  healthCheck?: HealthCheckOptions;
}

/**
 * Runs the project's seed files at deploy time, again when one changes. Create it after `HasuraMigrations`
 * (`dependsOn`). Type token `pulumi-nodejs:dynamic/pulsura:HasuraSeeds`. Construction does no I/O.
 */
export class HasuraSeeds extends pulumi.dynamic.Resource {
  /** The seed files the last create/update ran. */
  declare public readonly lastAppliedFiles: pulumi.Output<string[]>;

  constructor(name: string, args: HasuraSeedsArgs, opts?: pulumi.CustomResourceOptions) {
    const source = args.source ?? "default";
    if (!Array.isArray(args.seeds)) {
      throw new Error(`HasuraSeeds ${name}: seeds must be a list (readSeeds(hasuraProjectDir))`);
    }
    const seeds: SeedInput[] = args.seeds.map((seed) => ({
      file: seed.file,
      sql: seed.sql,
      checksum: typeof seed.sql === "string" ? sha256(seed.sql) : "",
    }));
    const failures = seedListFailures(source, seeds);
    if (failures.length > 0) {
      throw new Error(`HasuraSeeds ${name}: ${failures.map((failure) => `${failure.property}: ${failure.reason}`).join("; ")}`);
    }
    super(
      seedsProvider,
      name,
      {
        endpoint: args.endpoint,
        adminSecret: pulumi.secret(args.adminSecret),
        source,
        seeds,
        healthCheck: args.healthCheck,
        lastAppliedFiles: undefined,
      },
      opts,
      "pulsura",
      "HasuraSeeds",
    );
  }
}
