import { z } from "zod";

/**
 * Hasura's webhook payloads (https://hasura.io/docs/latest/actions/action-handlers/,
 * .../event-triggers/payload/, and the scheduled-event payload: id, name, scheduled_time, payload, comment).
 */

// Session variable values are strings in Hasura; JWT claims that are numbers or booleans arrive as such in some setups.
const sessionVariablesSchema = z
  .record(z.string(), z.union([z.string(), z.number(), z.boolean()]))
  .transform((variables) => {
    const normalized: Record<string, string> = {};
    for (const [name, value] of Object.entries(variables)) normalized[name.toLowerCase()] = String(value);
    return normalized;
  });

const rowSchema = z.record(z.string(), z.unknown());

export const actionPayloadSchema = z.object({
  action: z.object({ name: z.string().min(1) }),
  input: z.record(z.string(), z.unknown()),
  session_variables: sessionVariablesSchema,
  request_query: z.string().optional(),
});

export const eventPayloadSchema = z
  .object({
    id: z.string().min(1),
    created_at: z.string().optional(),
    trigger: z.object({ name: z.string().min(1) }),
    table: z.object({ schema: z.string().min(1), name: z.string().min(1) }),
    event: z.object({
      op: z.enum(["INSERT", "UPDATE", "DELETE", "MANUAL"]),
      session_variables: sessionVariablesSchema.nullish(),
      data: z.object({ old: rowSchema.nullable(), new: rowSchema.nullable() }),
      trace_context: z.unknown().optional(),
    }),
    delivery_info: z.object({ max_retries: z.number(), current_retry: z.number() }).optional(),
  })
  .superRefine((payload, context) => {
    const { op, data } = payload.event;
    const expectOld = op === "UPDATE" || op === "DELETE";
    const expectNew = op !== "DELETE";
    if (expectOld !== (data.old !== null)) {
      context.addIssue({ code: "custom", path: ["event", "data", "old"], message: `${op} events ${expectOld ? "need" : "have no"} an old row` });
    }
    if (expectNew !== (data.new !== null)) {
      context.addIssue({ code: "custom", path: ["event", "data", "new"], message: `${op} events ${expectNew ? "need" : "have no"} a new row` });
    }
  });

export const cronPayloadSchema = z.object({
  id: z.string().min(1),
  // Absent for one-off scheduled events, which have no trigger name.
  name: z.string().nullish(),
  scheduled_time: z.string().min(1),
  payload: z.unknown(),
  comment: z.string().nullish(),
  created_at: z.string().optional(),
});

export type ActionPayload = z.output<typeof actionPayloadSchema>;
export type EventPayload = z.output<typeof eventPayloadSchema>;
export type CronPayload = z.output<typeof cronPayloadSchema>;
