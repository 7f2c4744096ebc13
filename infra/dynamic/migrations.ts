/**
 * `HasuraMigrations`: applies the Hasura CLI project's pending `up.sql` files at `pulumi up`, through Hasura's
 * own API (`/v2/query` run_sql), and records them where the Hasura CLI records them, so `hasura migrate status`
 * against the deployed engine agrees with what Pulumi applied.
 *
 * Where the CLI (config v3) keeps migration state, from hasura/graphql-engine `cli/`:
 * - `cli/internal/statestore/migrations/catalogstate.go` (`CatalogStateStore`): "from v1.4 clients are expected
 *   to make use of the catalog API rather than assuming a SQL backend"; `SetVersion(database, version, dirty)`
 *   reads the CLI state, calls `state.SetMigration(database, fmt.Sprintf("%d", version), dirty)` and writes it back.
 * - `cli/internal/statestore/statestore.go`: the CLI state is the `cli_state` of `get_catalog_state`, shaped
 *   `{ migrations: { <database>: { "<version>": <dirty bool> } }, settings: {...}, isStateCopyCompleted }`,
 *   and is written with `set_catalog_state` `{ type: "cli", state }` (cli/internal/hasura/catalogstate).
 * - `cli/migrate/migrate.go` `runMigrations`: runs the migration, then `SetVersion(version, false)`.
 * - The older `hdb_catalog.schema_migrations (version bigint, dirty boolean)` table is only read once by a
 *   config v3 CLI, to copy pre-v3 state (`copyStateToCatalogStateAPIIfRequired`); it is not written here.
 *
 * So an applied migration is `cli_state.migrations[source][version] = false`. This provider writes `true` (dirty)
 * just before running a migration and `false` after it committed, like golang-migrate's dirty flag: if the
 * deploy dies between the two, the next deploy stops at the dirty version instead of running it twice. A
 * migration whose SQL fails was rolled back by Hasura, so its dirty mark is removed again. All other keys of
 * `cli_state` (settings, other sources, isStateCopyCompleted) are kept as they are.
 *
 * Applied migrations are immutable: editing an applied `up.sql` is an error in preview (diff) and in update,
 * because the change would never reach the database. Removing an applied migration from the project is allowed
 * and does nothing (e.g. after `hasura migrate squash`). `delete` never drops anything.
 */
import * as pulumi from "@pulumi/pulumi";
import type { Migration } from "../hasura/project";
import { getCatalogState, redactSecret, runSql, setCatalogState, waitForHealthy } from "./hasura-api";
import type { HasuraConnection, HealthCheckOptions } from "./hasura-api";
import { sha256 } from "./checksum";
import { connectionFailures, errorText, isUnknown } from "./provider-inputs";
import { findTransactionControl } from "./sql-transaction-control";

/** A migration as the provider receives it: the `up.sql` text and its SHA-256. */
export interface MigrationInput {
  version: string;
  name: string;
  up: string;
  checksum: string;
}

/** What the provider remembers of a migration after applying it (the state stays small: no SQL). */
export interface MigrationRecord {
  version: string;
  name: string;
  checksum: string;
}

export interface HasuraMigrationsInputs {
  endpoint: string;
  adminSecret: string;
  source: string;
  migrations: MigrationInput[];
  healthCheck?: HealthCheckOptions;
}

export interface HasuraMigrationsOutputs {
  endpoint: string;
  source: string;
  /** The project's migrations at the last successful create/update; all of them are applied. */
  migrations: MigrationRecord[];
  /** Every version recorded as applied on the server for the source, in version order. */
  appliedVersions: string[];
  /** The versions the last create/update applied (empty when nothing was pending). */
  lastAppliedVersions: string[];
}

/** Check failures of all migrations inputs. */
function migrationsFailures(inputs: Partial<HasuraMigrationsInputs>): pulumi.dynamic.CheckFailure[] {
  return [...connectionFailures(inputs), ...migrationListFailures(inputs.source, inputs.migrations)];
}

/** Check failures of the source and the migration list (the constructor checks these early, too). */
function migrationListFailures(source: unknown, migrations: unknown): pulumi.dynamic.CheckFailure[] {
  const failures: pulumi.dynamic.CheckFailure[] = [];
  if (typeof source !== "string" || source === "") {
    failures.push({ property: "source", reason: "source must name a Hasura database source, e.g. \"default\"" });
  }
  if (!Array.isArray(migrations)) {
    failures.push({ property: "migrations", reason: "migrations must be a list of { version, name, up }" });
    return failures;
  }
  const seen = new Set<string>();
  for (const [index, migration] of (migrations as Partial<MigrationInput>[]).entries()) {
    const property = `migrations[${index}]`;
    if (typeof migration?.version !== "string" || !/^\d+$/.test(migration.version)) {
      failures.push({ property, reason: `version ${JSON.stringify(migration?.version)} is not a decimal number` });
      continue;
    }
    const file = migrationFile(typeof source === "string" ? source : "default", { version: migration.version, name: String(migration.name) });
    if (seen.has(versionKey(migration.version))) failures.push({ property, reason: `version ${migration.version} appears twice` });
    seen.add(versionKey(migration.version));
    if (typeof migration.name !== "string" || migration.name === "") {
      failures.push({ property, reason: `migration ${migration.version} has no name` });
    }
    if (typeof migration.up !== "string") {
      failures.push({ property, reason: `${file} is missing` });
      continue;
    }
    if (typeof migration.checksum !== "string" || migration.checksum === "") {
      failures.push({ property, reason: `${file} has no checksum` });
    }
    for (const statement of findTransactionControl(migration.up)) {
      failures.push({
        property,
        reason:
          `${file} line ${statement.line}: ${statement.statement} is not allowed. Hasura runs each migration in one ` +
          "transaction (run_sql); transaction control inside it would break that. Remove the statement.",
      });
    }
  }
  return failures;
}

/** The file a migration comes from, as the Hasura CLI lays it out; used in every message about it. */
function migrationFile(source: string, migration: { version: string; name: string }): string {
  return `migrations/${source}/${migration.version}_${migration.name}/up.sql`;
}

/**
 * The key of a version in the CLI state: the CLI writes `fmt.Sprintf("%d", version)`, so "01" is recorded as "1".
 */
function versionKey(version: string): string {
  return BigInt(version).toString();
}

/** Numeric order of decimal version strings of any length (13-digit ms or 19-digit ns timestamps). */
function compareVersions(a: string, b: string): number {
  const difference = BigInt(a) - BigInt(b);
  return difference < 0n ? -1 : difference > 0n ? 1 : 0;
}

/**
 * The applied migrations whose up.sql changed since they were applied.
 * @throws an error naming each edited file
 */
function assertNoEditedMigrations(source: string, applied: MigrationRecord[] | undefined, project: MigrationInput[]): void {
  const appliedChecksums = new Map((applied ?? []).map((record) => [versionKey(record.version), record.checksum]));
  const edited = project.filter((migration) => {
    const before = appliedChecksums.get(versionKey(migration.version));
    return before !== undefined && migration.checksum !== undefined && before !== migration.checksum;
  });
  if (edited.length === 0) return;
  throw new Error(
    `Applied migrations were edited: ${edited.map((migration) => migrationFile(source, migration)).join(", ")}. ` +
      "An applied migration never runs again, so the edit would not reach the database. Revert the edit and add " +
      "a new migration (hasura migrate create) with the change instead.",
  );
}

type RecordedVersions = Map<string, boolean>;

/** The CLI's migration state of one source: version -> dirty. */
async function readRecordedVersions(connection: HasuraConnection, source: string): Promise<RecordedVersions> {
  const state = await getCatalogState(connection);
  const migrations = state.cli_state.migrations;
  const forSource =
    migrations !== null && typeof migrations === "object" ? (migrations as Record<string, unknown>)[source] : undefined;
  const recorded: RecordedVersions = new Map();
  if (forSource !== null && typeof forSource === "object") {
    for (const [version, dirty] of Object.entries(forSource as Record<string, unknown>)) {
      if (/^\d+$/.test(version)) recorded.set(versionKey(version), dirty === true);
    }
  }
  return recorded;
}

/**
 * Sets (`true` dirty / `false` applied) or removes (`undefined`) one version in the CLI state, keeping
 * everything else of the state, as the CLI's `SetVersion` / `RemoveVersion` do (read, modify, write).
 */
async function recordVersion(
  connection: HasuraConnection,
  source: string,
  version: string,
  dirty: boolean | undefined,
): Promise<void> {
  const state = await getCatalogState(connection);
  const cliState: Record<string, unknown> = { ...state.cli_state };
  const isRecord = (value: unknown): value is Record<string, unknown> =>
    value !== null && typeof value === "object" && !Array.isArray(value);
  const migrations: Record<string, unknown> = isRecord(cliState.migrations) ? { ...cliState.migrations } : {};
  const forSource: Record<string, unknown> = isRecord(migrations[source]) ? { ...migrations[source] } : {};
  if (dirty === undefined) delete forSource[version];
  else forSource[version] = dirty;
  migrations[source] = forSource;
  cliState.migrations = migrations;
  await setCatalogState(connection, "cli", cliState);
}

/** Waits for the engine, then applies every pending migration in version order, each in its own transaction. */
async function applyPendingMigrations(inputs: HasuraMigrationsInputs): Promise<HasuraMigrationsOutputs> {
  const { source, adminSecret } = inputs;
  const connection: HasuraConnection = { endpoint: inputs.endpoint, adminSecret };
  const ordered = [...inputs.migrations].sort((a, b) => compareVersions(a.version, b.version));
  await waitForHealthy(inputs.endpoint, inputs.healthCheck);

  const recorded = await readRecordedVersions(connection, source);
  const dirty = [...recorded].filter(([, isDirty]) => isDirty).map(([version]) => version);
  if (dirty.length > 0) {
    throw new Error(
      `Hasura's migration state marks version(s) ${dirty.join(", ")} of source "${source}" as dirty: an earlier ` +
        "apply stopped between running a migration and recording it. Check whether the migration's changes are in " +
        "the database, then either record it as applied (hasura migrate apply --skip-execution --version <v> " +
        `--database-name ${source}) or forget it (hasura migrate delete --version <v> --server --database-name ${source}), ` +
        "and deploy again.",
    );
  }

  const appliedNow: string[] = [];
  for (const migration of ordered) {
    const key = versionKey(migration.version);
    if (recorded.has(key)) continue;
    const file = migrationFile(source, migration);
    await recordVersion(connection, source, key, true);
    try {
      // The CLI records a migration with an empty up.sql without running anything; so do we.
      if (migration.up.trim() !== "") await runSql(connection, migration.up, { source });
    } catch (error) {
      let cleanup = "";
      try {
        await recordVersion(connection, source, key, undefined);
      } catch (cleanupError) {
        cleanup = `\nIts dirty mark in Hasura's migration state could not be removed: ${errorText(cleanupError)}`;
      }
      const before = appliedNow.length > 0 ? `Applied before it in this run: ${appliedNow.join(", ")}.` : "Nothing was applied in this run.";
      throw new Error(
        redactSecret(`Migration ${file} failed and was rolled back. ${before}\n${errorText(error)}${cleanup}`, adminSecret),
      );
    }
    await recordVersion(connection, source, key, false);
    appliedNow.push(key);
  }

  const appliedVersions = [...new Set([...recorded.keys(), ...appliedNow])].sort(compareVersions);
  return {
    endpoint: inputs.endpoint,
    source,
    migrations: ordered.map(({ version, name, checksum }) => ({ version, name, checksum })),
    appliedVersions,
    lastAppliedVersions: appliedNow,
  };
}

/**
 * The provider. Its functions reference only functions of this directory and globals, because Pulumi
 * serializes the provider with everything it captures into the resource's `__provider` input and runs it in a
 * separate Node process without TypeScript (test/infra/dynamic/serialization.test.ts runs it that way).
 */
export const migrationsProvider: pulumi.dynamic.ResourceProvider<HasuraMigrationsInputs, HasuraMigrationsOutputs> = {
  check: async (_olds, news) => ({ inputs: news, failures: migrationsFailures(news) }),

  diff: async (_id, olds, news) => {
    assertNoEditedMigrations(news.source, olds.migrations, news.migrations);
    if (isUnknown(news.endpoint) || news.endpoint !== olds.endpoint || news.source !== olds.source) {
      return { changes: true };
    }
    const before = (olds.migrations ?? []).map((migration) => versionKey(migration.version)).sort();
    const after = news.migrations.map((migration) => versionKey(migration.version)).sort();
    return { changes: before.join(",") !== after.join(",") };
  },

  create: async (inputs) => {
    const outs = await applyPendingMigrations(inputs);
    return { id: `migrations/${inputs.source}`, outs };
  },

  update: async (_id, olds, news) => {
    assertNoEditedMigrations(news.source, olds.migrations, news.migrations);
    return { outs: await applyPendingMigrations(news) };
  },

  // Deleting the resource must never drop data: the schema outlives the Pulumi resource.
  delete: async () => {},
};

export interface HasuraMigrationsArgs {
  /** Base URL of the Hasura engine, e.g. the Cloud Run service URL (not the /v1/graphql URL). */
  endpoint: pulumi.Input<string>;
  /** The engine's admin secret. Stored as a Pulumi secret whatever is passed. */
  adminSecret: pulumi.Input<string>;
  /** The migrations of the source, e.g. `readMigrations(hasuraProjectDir)`. Applied in version order. */
  migrations: ReadonlyArray<Pick<Migration, "version" | "name" | "up">>;
  /** The Hasura database source the migrations belong to. @default "default" */
  source?: string;
  /** How long to wait for `/hasura/healthz` before applying. @default 5 minutes, backoff 0.5 s doubling up to 10 s */
  healthCheck?: HealthCheckOptions;
}

/**
 * Applies pending migrations of one Hasura source at deploy time (see the file comment for the state format).
 * Type token `pulumi-nodejs:dynamic/pulsura:HasuraMigrations`. Construction does no I/O.
 */
export class HasuraMigrations extends pulumi.dynamic.Resource {
  /** Every version recorded as applied on the server for the source after the last deploy. */
  declare public readonly appliedVersions: pulumi.Output<string[]>;
  /** The versions the last create/update applied. */
  declare public readonly lastAppliedVersions: pulumi.Output<string[]>;

  constructor(name: string, args: HasuraMigrationsArgs, opts?: pulumi.CustomResourceOptions) {
    const source = args.source ?? "default";
    if (!Array.isArray(args.migrations)) {
      throw new Error(`HasuraMigrations ${name}: migrations must be a list (readMigrations(hasuraProjectDir))`);
    }
    const migrations: MigrationInput[] = args.migrations.map((migration) => ({
      version: migration.version,
      name: migration.name,
      up: migration.up,
      checksum: typeof migration.up === "string" ? sha256(migration.up) : "",
    }));
    const failures = migrationListFailures(source, migrations);
    if (failures.length > 0) {
      throw new Error(`HasuraMigrations ${name}: ${failures.map((failure) => `${failure.property}: ${failure.reason}`).join("; ")}`);
    }
    super(
      migrationsProvider,
      name,
      {
        endpoint: args.endpoint,
        adminSecret: pulumi.secret(args.adminSecret),
        source,
        migrations,
        healthCheck: args.healthCheck,
        appliedVersions: undefined,
        lastAppliedVersions: undefined,
      },
      opts,
      "pulsura",
      "HasuraMigrations",
    );
  }
}
