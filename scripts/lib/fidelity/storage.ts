/**
 * Cloud Storage buckets. Names are global: the plan can check their form and uniqueness in the stack, never that
 * nobody else in the world already owns the name.
 */
import { enumRule, nameOf, show, valueAt, uniqueRule, type FidelityRule } from "./rule";

const BUCKET = "gcp:storage/bucket:Bucket";
const NOTIFICATION = "gcp:storage/notification:Notification";
// Pub/Sub notifications for Cloud Storage: payload formats and event types.
const NOTIFICATION_SOURCE = "https://cloud.google.com/storage/docs/json_api/v1/notifications";
const EVENT_TYPES = ["OBJECT_FINALIZE", "OBJECT_METADATA_UPDATE", "OBJECT_DELETE", "OBJECT_ARCHIVE"] as const;
// CORS: "method": HTTP methods, or "*" for any (https://cloud.google.com/storage/docs/cors-configurations).
const CORS_METHODS = ["GET", "HEAD", "PUT", "POST", "DELETE", "PATCH", "OPTIONS", "*"] as const;
// Lifecycle conditions (https://cloud.google.com/storage/docs/lifecycle#conditions): the ages are whole days >= 0,
// withState is LIVE, ARCHIVED or ANY, prefixes and suffixes are non-empty strings; a rule needs at least one condition.
const LIFECYCLE_SOURCE = "https://cloud.google.com/storage/docs/lifecycle#conditions";
const LIFECYCLE_DAYS = ["age", "daysSinceNoncurrentTime", "daysSinceCustomTime", "numNewerVersions"] as const;
// Soft delete: 0 (off) or 7-90 days (https://cloud.google.com/storage/docs/soft-delete#retention-duration).
const SOFT_DELETE_SOURCE = "https://cloud.google.com/storage/docs/soft-delete#retention-duration";
// Bucket naming requirements. The provider dropped its client-side copy of them in v6.47.0 ("same validations being
// performed on API"), so only the API refuses a bad name.
const NAMING_SOURCE = "https://cloud.google.com/storage/docs/buckets#naming";

/** Problems of a bucket name under the documented naming requirements. */
function bucketNameProblems(name: string): string[] {
  const problems: string[] = [];
  if (!/^[a-z0-9][a-z0-9._-]*[a-z0-9]$/.test(name)) problems.push("only lowercase letters, digits, -, _ and ., starting and ending with a letter or digit");
  const dotted = name.includes(".");
  if (name.length < 3 || name.length > (dotted ? 222 : 63)) problems.push(`3-63 characters (222 with dots, each part at most 63): ${name.length}`);
  if (dotted && name.split(".").some((part) => part.length > 63)) problems.push("each dot-separated part at most 63 characters");
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(name)) problems.push("not an IP address");
  if (name.startsWith("goog")) problems.push('no "goog" prefix');
  if (/g[o0]{2}g[l1]e/.test(name)) problems.push('no "google" or close misspellings');
  return problems;
}

type Loose = Record<string, unknown>;
const listAt = (inputs: Loose, path: string): Loose[] => (Array.isArray(valueAt(inputs, path)) ? (valueAt(inputs, path) as Loose[]) : []);

export const storageRules: FidelityRule[] = [
  enumRule({ id: "storage/notification-payload", types: [NOTIFICATION], field: "payloadFormat", source: NOTIFICATION_SOURCE, values: ["JSON_API_V1", "NONE"] }),
  {
    id: "storage/notification-event-types",
    types: [NOTIFICATION],
    field: "eventTypes",
    constraint: `each one of ${EVENT_TYPES.join(", ")}`,
    source: NOTIFICATION_SOURCE,
    check(resource) {
      const types = valueAt(resource.inputs, "eventTypes");
      if (types === undefined) return [];
      return (Array.isArray(types) ? types : [types]).filter((t) => !(EVENT_TYPES as readonly unknown[]).includes(t)).map((t) => `got ${show(t)}`);
    },
  },
  {
    id: "storage/cors-methods",
    types: [BUCKET],
    field: "cors[].methods",
    constraint: `each one of ${CORS_METHODS.join(", ")}`,
    source: "https://cloud.google.com/storage/docs/cors-configurations",
    check(resource) {
      return listAt(resource.inputs, "cors").flatMap((rule) => ((rule.methods as unknown[] | undefined) ?? []).filter((m) => !(CORS_METHODS as readonly unknown[]).includes(m)).map((m) => `got method ${show(m)}`));
    },
  },
  {
    id: "storage/lifecycle-condition",
    types: [BUCKET],
    field: "lifecycleRules[].condition",
    constraint: "at least one condition; ages whole days >= 0; withState LIVE, ARCHIVED or ANY; non-empty prefixes",
    source: LIFECYCLE_SOURCE,
    check(resource) {
      return listAt(resource.inputs, "lifecycleRules").flatMap((rule, i) => {
        const condition = (rule.condition ?? {}) as Loose;
        const problems: string[] = [];
        if (Object.values(condition).every((v) => v === undefined)) problems.push(`rule ${i} has no condition`);
        for (const field of LIFECYCLE_DAYS) {
          const value = condition[field];
          if (value !== undefined && !(Number.isInteger(value) && (value as number) >= 0)) problems.push(`rule ${i} ${field} ${show(value)} is not a whole number >= 0`);
        }
        if (condition.withState !== undefined && !["LIVE", "ARCHIVED", "ANY"].includes(condition.withState as string)) problems.push(`rule ${i} withState ${show(condition.withState)}`);
        for (const field of ["matchesPrefixes", "matchesSuffixes"]) {
          const list = condition[field];
          if (Array.isArray(list) && list.some((p) => typeof p !== "string" || p === "")) problems.push(`rule ${i} ${field} has an empty entry`);
        }
        return problems;
      });
    },
  },
  {
    id: "storage/soft-delete-duration",
    types: [BUCKET],
    field: "softDeletePolicy.retentionDurationSeconds",
    constraint: "0 (off) or 604800-7776000 seconds (7-90 days)",
    source: SOFT_DELETE_SOURCE,
    check(resource) {
      const value = valueAt(resource.inputs, "softDeletePolicy.retentionDurationSeconds");
      if (value === undefined) return [];
      const seconds = Number(value);
      return seconds === 0 || (seconds >= 604_800 && seconds <= 7_776_000) ? [] : [`got ${show(value)}`];
    },
  },
  {
    id: "storage/bucket-name",
    types: [BUCKET],
    field: "name",
    constraint: 'lowercase letters, digits, -, _, .; 3-63 characters (222 dotted); not an IP; no "goog" prefix or "google"',
    source: NAMING_SOURCE,
    check(resource) {
      const name = nameOf(resource);
      if (name === undefined) return [];
      const problems = bucketNameProblems(name);
      return problems.length ? [`got ${show(name)}: ${problems.join("; ")}`] : [];
    },
  },
  uniqueRule({
    id: "storage/bucket-name-unique",
    types: [BUCKET],
    field: "name",
    source: NAMING_SOURCE,
    read: (r) => nameOf(r),
    scope: () => "global",
    scopeName: "global bucket namespace (this stack; names others own are not visible offline)",
  }),
];
