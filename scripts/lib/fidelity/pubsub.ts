/**
 * Pub/Sub topics and subscriptions (the files bucket's upload notifications, infra/components/storage.ts).
 */
import { patternRule, projectScope, show, stringAt, uniqueRule, valueAt, type FidelityRule } from "./rule";

const TOPIC = "gcp:pubsub/topic:Topic";
const SUBSCRIPTION = "gcp:pubsub/subscription:Subscription";
// "Resource names": start with a letter, letters, digits, - _ . ~ + %, 3-255 characters, not starting with "goog".
const NAMES_SOURCE = "https://cloud.google.com/pubsub/docs/pubsub-basics#resource_names";
const SUBSCRIPTION_REFERENCE = "https://cloud.google.com/pubsub/docs/reference/rest/v1/projects.subscriptions";
const NAME = /^(?!goog)[A-Za-z][A-Za-z0-9\-_.~+%]{2,254}$/;

/** Seconds of a protobuf Duration string (`"600s"`), undefined for another form. */
const durationSeconds = (value: string | undefined) => (value === undefined ? undefined : /^(\d+(?:\.\d+)?)s$/.exec(value) ? Number(value.slice(0, -1)) : Number.NaN);

export const pubsubRules: FidelityRule[] = [
  ...[TOPIC, SUBSCRIPTION].map((type) =>
    patternRule({
      id: type === TOPIC ? "pubsub/topic-name" : "pubsub/subscription-name",
      types: [type],
      field: "name",
      constraint: 'a letter first, then letters, digits, - _ . ~ + %; 3-255 characters; not starting with "goog"',
      source: NAMES_SOURCE,
      pattern: NAME,
      min: 3,
      max: 255,
    }),
  ),
  ...[TOPIC, SUBSCRIPTION].map((type) =>
    uniqueRule({
      id: type === TOPIC ? "pubsub/topic-name-unique" : "pubsub/subscription-name-unique",
      types: [type],
      field: "name",
      source: NAMES_SOURCE,
      read: (r) => stringAt(r.inputs, "name"),
      scope: projectScope,
      scopeName: "project",
    }),
  ),
  {
    // "ackDeadlineSeconds ... The minimum custom deadline you can specify is 10 seconds. The maximum custom deadline you
    // can specify is 600 seconds (10 minutes)."
    id: "pubsub/ack-deadline",
    types: [SUBSCRIPTION],
    field: "ackDeadlineSeconds",
    constraint: "10-600 seconds",
    source: SUBSCRIPTION_REFERENCE,
    check(resource) {
      const value = valueAt(resource.inputs, "ackDeadlineSeconds");
      if (value === undefined) return [];
      return Number.isInteger(value) && (value as number) >= 10 && (value as number) <= 600 ? [] : [`got ${show(value)}`];
    },
  },
  {
    // "messageRetentionDuration ... Defaults to 7 days. Cannot be more than 31 days or less than 10 minutes."
    id: "pubsub/message-retention",
    types: [SUBSCRIPTION],
    field: "messageRetentionDuration",
    constraint: "a duration in seconds (\"604800s\") from 10 minutes to 31 days",
    source: SUBSCRIPTION_REFERENCE,
    check(resource) {
      const raw = stringAt(resource.inputs, "messageRetentionDuration");
      const seconds = durationSeconds(raw);
      if (seconds === undefined) return [];
      return seconds >= 600 && seconds <= 31 * 86_400 ? [] : [`got ${show(raw)}`];
    },
  },
  {
    // Retry policy: "minimumBackoff ... between 0 and 600 seconds", "maximumBackoff ... between 0 and 600 seconds".
    id: "pubsub/retry-backoff",
    types: [SUBSCRIPTION],
    field: "retryPolicy",
    constraint: "minimumBackoff and maximumBackoff 0-600 s, minimum at most maximum",
    source: SUBSCRIPTION_REFERENCE,
    check(resource) {
      const min = durationSeconds(stringAt(resource.inputs, "retryPolicy.minimumBackoff"));
      const max = durationSeconds(stringAt(resource.inputs, "retryPolicy.maximumBackoff"));
      const problems: string[] = [];
      for (const [field, value] of [["minimumBackoff", min], ["maximumBackoff", max]] as const) {
        if (value !== undefined && !(value >= 0 && value <= 600)) problems.push(`${field} ${show(stringAt(resource.inputs, `retryPolicy.${field}`))} is not 0-600s`);
      }
      if (min !== undefined && max !== undefined && min > max) problems.push(`minimumBackoff ${min}s is above maximumBackoff ${max}s`);
      return problems;
    },
  },
  {
    // Push endpoints: "must be a publicly accessible HTTPS server" (https://cloud.google.com/pubsub/docs/push#properties);
    // an authenticated push signs its token for an https endpoint only.
    id: "pubsub/push-endpoint-https",
    types: [SUBSCRIPTION],
    field: "pushConfig.pushEndpoint",
    constraint: "an https:// URL",
    source: "https://cloud.google.com/pubsub/docs/push#properties",
    check(resource) {
      const endpoint = stringAt(resource.inputs, "pushConfig.pushEndpoint");
      if (endpoint === undefined) return [];
      return /^https:\/\/[^\s/]+(\/\S*)?$/.test(endpoint) ? [] : [`got ${show(endpoint)}`];
    },
  },
];
