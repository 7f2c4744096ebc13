import { z } from "zod";

/**
 * The parts of a Hasura CLI metadata folder that the drift check compares with a service's handlers.
 * Built from disk at build time (`readHasuraMetadata` in `@pulsura/kit/build`) and embedded in the bundle,
 * so a running service can check itself without the `hasura/` folder.
 */
export interface HasuraMetadataSnapshot {
  /** Text of `metadata/actions.graphql` (the action fields and their custom types). */
  actionsGraphql: string;
  /** `actions` of `metadata/actions.yaml`. */
  actions: HasuraActionEntry[];
  /** `metadata/cron_triggers.yaml`. */
  cronTriggers: HasuraCronTriggerEntry[];
  /** Every table's `event_triggers`, with the table they are defined on. */
  eventTriggers: HasuraTableEventTrigger[];
}

const headerSchema = z.object({
  name: z.string(),
  value: z.string().optional(),
  value_from_env: z.string().optional(),
});

export const actionEntrySchema = z.object({
  name: z.string(),
  definition: z.object({
    handler: z.string(),
    kind: z.string().optional(),
    type: z.string().optional(),
    forward_client_headers: z.boolean().optional(),
    headers: z.array(headerSchema).optional(),
  }),
  permissions: z.array(z.object({ role: z.string() })).optional(),
});

export const cronTriggerEntrySchema = z.object({
  name: z.string(),
  webhook: z.string(),
  schedule: z.string(),
  payload: z.unknown().optional(),
  headers: z.array(headerSchema).optional(),
});

export const eventTriggerEntrySchema = z.object({
  name: z.string(),
  webhook: z.string().optional(),
  webhook_from_env: z.string().optional(),
  headers: z.array(headerSchema).optional(),
  definition: z
    .object({
      enable_manual: z.boolean().optional(),
      insert: z.unknown().optional(),
      update: z.unknown().optional(),
      delete: z.unknown().optional(),
    })
    .optional(),
});

export type HasuraHeaderEntry = z.output<typeof headerSchema>;
export type HasuraActionEntry = z.output<typeof actionEntrySchema>;
export type HasuraCronTriggerEntry = z.output<typeof cronTriggerEntrySchema>;
export type HasuraEventTriggerEntry = z.output<typeof eventTriggerEntrySchema>;

export interface HasuraTableEventTrigger {
  /** Database (source) name, e.g. `default`. */
  source: string;
  table: { schema: string; name: string };
  trigger: HasuraEventTriggerEntry;
}

/** Env var through which Hasura reaches a service: `PULSURA_SERVICE_<NAME>_URL` (dashes become underscores). */
export function serviceUrlEnvName(serviceName: string): string {
  return `PULSURA_SERVICE_${serviceName.toUpperCase().replace(/-/g, "_")}_URL`;
}

/** The webhook URL template Hasura metadata uses for a handler: `{{PULSURA_SERVICE_CORE_URL}}/actions/whoami`. */
export function handlerUrlTemplate(serviceName: string, folder: "actions" | "events" | "crons", name: string): string {
  return `{{${serviceUrlEnvName(serviceName)}}}/${folder}/${name}`;
}
