/**
 * Labels, shared by every Google service that takes them (Resource Manager's label requirements).
 */
import { show, valueAt, type FidelityRule, type State } from "./rule";

// Source: https://cloud.google.com/resource-manager/docs/labels-overview#requirements (the provider's own label
// validator for Cloud Functions links the same requirements): keys 1-63 characters, lowercase letters, digits,
// underscores and dashes, starting with a lowercase letter (international characters allowed); values 0-63 of the same
// characters; at most 64 labels per resource.
const LABELS_SOURCE = "https://cloud.google.com/resource-manager/docs/labels-overview#requirements";
const LABEL_KEY = /^[\p{Ll}\p{Lo}][\p{Ll}\p{Lo}\p{N}_-]{0,62}$/u;
const LABEL_VALUE = /^[\p{Ll}\p{Lo}\p{N}_-]{0,63}$/u;
const MAX_LABELS = 64;

/** Where each labelled type the program uses keeps its labels. */
export const LABEL_FIELDS: Readonly<Record<string, readonly string[]>> = {
  "gcp:sql/databaseInstance:DatabaseInstance": ["settings.userLabels"],
  "gcp:secretmanager/secret:Secret": ["labels"],
  "gcp:cloudrunv2/service:Service": ["labels", "template.labels"],
  "gcp:artifactregistry/repository:Repository": ["labels"],
  "gcp:storage/bucket:Bucket": ["labels"],
  "gcp:cloudfunctions/function:Function": ["labels"],
  "gcp:cloudfunctionsv2/function:Function": ["labels"],
  "gcp:compute/subnetwork:Subnetwork": ["labels"],
  "gcp:compute/globalAddress:GlobalAddress": ["labels"],
  "gcp:compute/globalForwardingRule:GlobalForwardingRule": ["labels"],
  "gcp:compute/securityPolicy:SecurityPolicy": ["labels"],
};

function labelMaps(inputs: State, type: string): Array<[string, Record<string, unknown>]> {
  return (LABEL_FIELDS[type] ?? [])
    .map((field) => [field, valueAt(inputs, field)] as const)
    .filter((entry): entry is readonly [string, Record<string, unknown>] => typeof entry[1] === "object" && entry[1] !== null)
    .map(([field, map]) => [field, map]);
}

export const labelRules: FidelityRule[] = [
  {
    id: "labels/key-value-format",
    types: Object.keys(LABEL_FIELDS),
    field: "labels",
    constraint: "keys 1-63 lowercase letters, digits, _ or -, starting with a lowercase letter; values 0-63 of the same characters",
    source: LABELS_SOURCE,
    check(resource) {
      const problems: string[] = [];
      for (const [field, labels] of labelMaps(resource.inputs, resource.type)) {
        for (const [key, value] of Object.entries(labels)) {
          if (!LABEL_KEY.test(key)) problems.push(`${field}: key ${show(key)}`);
          if (typeof value !== "string" || !LABEL_VALUE.test(value)) problems.push(`${field}: value ${show(value)} of key ${show(key)}`);
        }
      }
      return problems;
    },
  },
  {
    id: "labels/count",
    types: Object.keys(LABEL_FIELDS),
    field: "labels",
    constraint: `at most ${MAX_LABELS} labels per resource`,
    source: LABELS_SOURCE,
    check(resource) {
      return labelMaps(resource.inputs, resource.type)
        .filter(([, labels]) => Object.keys(labels).length > MAX_LABELS)
        .map(([field, labels]) => `${field}: got ${Object.keys(labels).length} labels`);
    },
  },
];
