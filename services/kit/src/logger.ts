import pino, { type DestinationStream, type Logger } from "pino";
import { mapStack } from "./stack";

export type { Logger } from "pino";

/** Cloud Logging severities for pino's levels (https://cloud.google.com/logging/docs/reference/v2/rest/v2/LogEntry#logseverity). */
const severityByLevel: Record<number, string> = {
  10: "DEBUG", // trace
  20: "DEBUG",
  30: "INFO",
  40: "WARNING",
  50: "ERROR",
  60: "CRITICAL", // fatal
};

export interface LoggerOptions {
  /** pino level name. @default "info" */
  level?: string;
  /** Where JSON lines go. @default stdout (synchronously, so nothing is lost when the process exits) */
  destination?: DestinationStream;
}

/**
 * A pino logger writing JSON lines that Cloud Logging parses into structured entries: `severity`, `message`,
 * `time` (RFC 3339), and, on request loggers, `logging.googleapis.com/trace` (see {@link traceFields}) and the ids of
 * {@link correlationFields}.
 */
export function createLogger(options: LoggerOptions = {}): Logger {
  return pino(
    {
      level: options.level ?? "info",
      messageKey: "message",
      // Cloud Run labels every entry with its revision and instance: pid/hostname would only add noise.
      base: undefined,
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: {
        level: (_label, number) => ({ severity: severityByLevel[number] ?? "DEFAULT" }),
      },
      serializers: {
        err(error: Error) {
          const serialized = pino.stdSerializers.err(error);
          if (typeof serialized.stack === "string") serialized.stack = mapStack(serialized.stack);
          return serialized;
        },
      },
    },
    options.destination ?? pino.destination({ dest: 1, sync: true }),
  );
}

const traceKey = "logging.googleapis.com/trace";
const spanKey = "logging.googleapis.com/spanId";
const sampledKey = "logging.googleapis.com/trace_sampled";

/**
 * The Cloud Logging trace fields for a request, from `X-Cloud-Trace-Context: TRACE_ID/SPAN_ID;o=OPTIONS`
 * (or, failing that, W3C `traceparent`), so a request's log lines group under its trace in the console.
 * Returns undefined when the request carries no usable trace header.
 */
export function traceFields(
  headers: Record<string, string | string[] | undefined>,
  projectId: string,
): Record<string, string | boolean> | undefined {
  const cloudTrace = first(headers["x-cloud-trace-context"]);
  if (cloudTrace) {
    const match = /^([0-9a-fA-F]{32})(?:\/(\d+))?(?:;o=([01]))?/.exec(cloudTrace.trim());
    if (match) {
      const fields: Record<string, string | boolean> = { [traceKey]: `projects/${projectId}/traces/${match[1]!.toLowerCase()}` };
      // The legacy header carries the span id in decimal; Cloud Logging wants 16 hex digits.
      if (match[2]) fields[spanKey] = BigInt(match[2]).toString(16).padStart(16, "0").slice(-16);
      if (match[3]) fields[sampledKey] = match[3] === "1";
      return fields;
    }
  }
  const traceparent = first(headers.traceparent);
  if (traceparent) {
    const match = /^[0-9a-f]{2}-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/.exec(traceparent.trim());
    if (match) {
      return {
        [traceKey]: `projects/${projectId}/traces/${match[1]}`,
        [spanKey]: match[2]!,
        [sampledKey]: (parseInt(match[3]!, 16) & 1) === 1,
      };
    }
  }
  return undefined;
}

/** Header values worth logging as ids: printable ASCII without spaces or quotes, at most 128 characters. */
const loggableId = /^[\x21\x23-\x7e]{1,128}$/;

/**
 * Ids other systems log for the same request, so a kit line can be matched with theirs: `x-request-id` (Hasura's
 * http-log `detail.operation.request_id`, when the request carries it) as `requestId`, and `X-B3-TraceId` (the trace
 * Hasura propagates to webhooks in B3 headers, its own tracing's id) as `b3TraceId`. Values that do not look like ids are
 * left out rather than logged.
 */
export function correlationFields(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const fields: Record<string, string> = {};
  const requestId = first(headers["x-request-id"])?.trim();
  if (requestId && loggableId.test(requestId)) fields.requestId = requestId;
  const b3TraceId = first(headers["x-b3-traceid"])?.trim().toLowerCase();
  if (b3TraceId && /^(?:[0-9a-f]{16}|[0-9a-f]{32})$/.test(b3TraceId)) fields.b3TraceId = b3TraceId;
  return fields;
}

function first(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
