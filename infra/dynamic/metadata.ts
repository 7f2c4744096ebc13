/**
 * `HasuraMetadata`: replaces the engine's metadata with the Hasura CLI project's `metadata/` at `pulumi up`,
 * through `/v1/metadata` `replace_metadata` (version 2, `allow_inconsistent_metadata: false`): either the whole
 * metadata is taken consistently, or the deploy fails with Hasura's list of inconsistent objects and the engine
 * keeps its previous metadata.
 *
 * The diff compares normalized metadata (./metadata-normalize.ts): reordered keys, reordered sets (tables,
 * permissions, columns, ...) and spelled-out defaults are no change, so `pulumi preview` shows an update exactly
 * when the applied metadata would differ. The engine's metadata is not read back for the diff: a change made by
 * hand on the engine is overwritten by the next change from the project, not detected before it.
 */
import * as pulumi from "@pulumi/pulumi";
import { exportMetadata, replaceMetadata, waitForHealthy } from "./hasura-api";
import type { HasuraConnection, HealthCheckOptions } from "./hasura-api";
import { metadataEquivalent } from "./metadata-normalize";
import { connectionFailures, isUnknown } from "./provider-inputs";

export interface HasuraMetadataInputs {
  endpoint: string;
  adminSecret: string;
  metadata: Record<string, unknown>;
  healthCheck?: HealthCheckOptions;
}

export interface HasuraMetadataOutputs {
  endpoint: string;
  /** The metadata as last applied. */
  metadata: Record<string, unknown>;
  /** The engine's `resource_version` right after the last apply (export_metadata v2). */
  resourceVersion: number;
}

/** Check failures of the metadata object (the constructor checks these early, too). */
function metadataFailures(metadata: unknown): pulumi.dynamic.CheckFailure[] {
  if (metadata === null || typeof metadata !== "object" || Array.isArray(metadata)) {
    return [{ property: "metadata", reason: "metadata must be the metadata object (readMetadata(hasuraProjectDir))" }];
  }
  const record = metadata as Record<string, unknown>;
  const failures: pulumi.dynamic.CheckFailure[] = [];
  if (record.version !== undefined && record.version !== 3) {
    failures.push({ property: "metadata", reason: `metadata version ${JSON.stringify(record.version)}: expected 3 (Hasura CLI config v3)` });
  }
  if (record.sources !== undefined && !Array.isArray(record.sources)) {
    failures.push({ property: "metadata", reason: "metadata.sources must be a list" });
  }
  return failures;
}

async function applyMetadata(inputs: HasuraMetadataInputs): Promise<HasuraMetadataOutputs> {
  const connection: HasuraConnection = { endpoint: inputs.endpoint, adminSecret: inputs.adminSecret };
  await waitForHealthy(inputs.endpoint, inputs.healthCheck);
  await replaceMetadata(connection, inputs.metadata);
  const exported = await exportMetadata(connection);
  return { endpoint: inputs.endpoint, metadata: inputs.metadata, resourceVersion: exported.resource_version };
}

/** The provider; serialized with what it captures, like the migrations provider (see ./migrations.ts). */
export const metadataProvider: pulumi.dynamic.ResourceProvider<HasuraMetadataInputs, HasuraMetadataOutputs> = {
  check: async (_olds, news) => ({
    inputs: news,
    failures: [...connectionFailures(news), ...metadataFailures(news.metadata)],
  }),

  diff: async (_id, olds, news) => {
    if (isUnknown(news.endpoint) || news.endpoint !== olds.endpoint) return { changes: true };
    return { changes: !metadataEquivalent(olds.metadata, news.metadata) };
  },

  create: async (inputs) => ({ id: "metadata", outs: await applyMetadata(inputs) }),

  update: async (_id, _olds, news) => ({ outs: await applyMetadata(news) }),

  // The engine keeps its metadata; removing the resource from the program only stops managing it.
  delete: async () => {},
};

export interface HasuraMetadataArgs {
  /** Base URL of the Hasura engine, e.g. the Cloud Run service URL (not the /v1/graphql URL). */
  endpoint: pulumi.Input<string>;
  /** The engine's admin secret. Stored as a Pulumi secret whatever is passed. */
  adminSecret: pulumi.Input<string>;
  /** The full v3 metadata object, e.g. `readMetadata(hasuraProjectDir)`. */
  metadata: Record<string, unknown>;
  /** How long to wait for `/hasura/healthz` before applying. @default 5 minutes, backoff 0.5 s doubling up to 10 s */
  healthCheck?: HealthCheckOptions;
}

/**
 * Applies the project's metadata at deploy time. Create it after `HasuraMigrations` (`dependsOn`), since the
 * metadata tracks tables the migrations create. Type token `pulumi-nodejs:dynamic/pulsura:HasuraMetadata`.
 * Construction does no I/O.
 */
export class HasuraMetadata extends pulumi.dynamic.Resource {
  /** The engine's `resource_version` right after the last apply. */
  declare public readonly resourceVersion: pulumi.Output<number>;

  constructor(name: string, args: HasuraMetadataArgs, opts?: pulumi.CustomResourceOptions) {
    const failures = metadataFailures(args.metadata);
    if (failures.length > 0) {
      throw new Error(`HasuraMetadata ${name}: ${failures.map((failure) => failure.reason).join("; ")}`);
    }
    super(
      metadataProvider,
      name,
      {
        endpoint: args.endpoint,
        adminSecret: pulumi.secret(args.adminSecret),
        metadata: args.metadata,
        healthCheck: args.healthCheck,
        resourceVersion: undefined,
      },
      opts,
      "pulsura",
      "HasuraMetadata",
    );
  }
}
