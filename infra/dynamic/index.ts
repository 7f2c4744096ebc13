/**
 * Deploy-time apply of the Hasura CLI project through Hasura's own API, as Pulumi dynamic resources:
 * `HasuraMigrations` (run_sql + the CLI's catalog state), `HasuraMetadata` (replace_metadata v2) and
 * `HasuraSeeds` (run_sql). Each waits for `/hasura/healthz` first. Typical wiring:
 *
 *   const migrations = new HasuraMigrations("hasura-migrations", { endpoint, adminSecret, migrations: readMigrations(dir) });
 *   const seeds = new HasuraSeeds("hasura-seeds", { endpoint, adminSecret, seeds: readSeeds(dir) }, { dependsOn: [migrations] });
 *   new HasuraMetadata("hasura-metadata", { endpoint, adminSecret, metadata: readMetadata(dir) }, { dependsOn: [migrations] });
 */
export { HasuraMigrations, migrationsProvider } from "./migrations";
export type { HasuraMigrationsArgs, HasuraMigrationsInputs, HasuraMigrationsOutputs, MigrationInput, MigrationRecord } from "./migrations";
export { HasuraMetadata, metadataProvider } from "./metadata";
export type { HasuraMetadataArgs, HasuraMetadataInputs, HasuraMetadataOutputs } from "./metadata";
export { HasuraSeeds, seedsProvider } from "./seeds";
export type { HasuraSeedsArgs, HasuraSeedsInputs, HasuraSeedsOutputs, SeedInput, SeedRecord } from "./seeds";
export { canonicalJson, metadataEquivalent, normalizeMetadata } from "./metadata-normalize";
export type { HealthCheckOptions } from "./hasura-api";
export { HasuraDatabaseRoles, databaseRolesProvider, roleGrantSql, roleRevokeSql } from "./database-roles";
export type { HasuraDatabaseRolesArgs, HasuraDatabaseRolesInputs, HasuraDatabaseRolesOutputs, RoleGrant } from "./database-roles";
