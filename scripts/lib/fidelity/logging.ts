/**
 * Cloud Logging: exclusions on the _Default sink (projects.exclusions) and log-based metrics. Filters of both are parsed
 * with the Logging query language (logging-query.ts).
 */
import { LoggingQueryError, parseLoggingQuery } from "./logging-query";
import { nameOf, patternRule, projectScope, show, stringAt, uniqueRule, valueAt, type FidelityRule, type State } from "./rule";

const EXCLUSION = "gcp:logging/projectExclusion:ProjectExclusion";
const METRIC = "gcp:logging/metric:Metric";
const SOURCE = "https://cloud.google.com/logging/docs/reference/v2/rest/v2/projects.metrics";
// LogExclusion.name: "A client-assigned identifier, such as "load-balancer-exclusion". Identifiers are limited to 100
// characters and can include only letters, digits, underscores, hyphens, and periods. First character has to be
// alphanumeric."
const EXCLUSION_SOURCE = "https://cloud.google.com/logging/docs/reference/v2/rest/v2/exclusions";
// "Length of an exclusion filter: 20,000 characters" and "Number of exclusion filters per sink: 50" (system limits).
const QUOTAS_SOURCE = "https://cloud.google.com/logging/quotas";
const MAX_FILTER_CHARACTERS = 20_000;
const MAX_EXCLUSIONS_PER_SINK = 50;

/** Problems of a filter in the Logging query language: [] when it parses. */
function queryProblems(filter: string): string[] {
  try {
    parseLoggingQuery(filter);
    return [];
  } catch (error) {
    if (error instanceof LoggingQueryError) return [`${error.message}: ${show(filter)}`];
    throw error;
  }
}

export const loggingRules: FidelityRule[] = [
  patternRule({
    id: "logging/exclusion-name",
    types: [EXCLUSION],
    field: "name",
    constraint: "1-100 letters, digits, _, - or ., starting with a letter or digit",
    source: EXCLUSION_SOURCE,
    pattern: /^[A-Za-z0-9][A-Za-z0-9_.-]*$/,
    min: 1,
    max: 100,
    read: (r) => nameOf(r),
  }),
  uniqueRule({
    id: "logging/exclusion-name-unique",
    types: [EXCLUSION],
    field: "name",
    source: EXCLUSION_SOURCE,
    read: (r) => nameOf(r),
    scope: projectScope,
    scopeName: "project",
  }),
  {
    id: "logging/exclusion-filter-length",
    types: [EXCLUSION],
    field: "filter",
    constraint: `a non-empty filter of at most ${MAX_FILTER_CHARACTERS} characters that parses (Logging query language)`,
    source: QUOTAS_SOURCE,
    check(resource) {
      const filter = stringAt(resource.inputs, "filter");
      if (filter === undefined) return [];
      if (filter.trim() === "") return [`got ${show(filter)} (an empty filter would exclude every log entry; the API requires one)`];
      return filter.length > MAX_FILTER_CHARACTERS ? [`got a filter of ${filter.length} characters`] : queryProblems(filter);
    },
  },
  {
    id: "logging/exclusions-per-project",
    types: [EXCLUSION],
    field: "project",
    constraint: `at most ${MAX_EXCLUSIONS_PER_SINK} exclusions on a project's _Default sink`,
    source: QUOTAS_SOURCE,
    check(resource, earlier) {
      const count = earlier.filter((other) => other.type === EXCLUSION && projectScope(other) === projectScope(resource)).length + 1;
      return count > MAX_EXCLUSIONS_PER_SINK ? [`got exclusion number ${count} on project ${show(projectScope(resource))}`] : [];
    },
  },

  // LogMetric.name: "up to 100 characters ... A-Z, a-z, 0-9, and _-.,+!*',()%/ ... (/) ... cannot be the first character".
  patternRule({
    id: "logging/metric-name",
    types: [METRIC],
    field: "name",
    constraint: "1-100 characters of A-Z a-z 0-9 _-.,+!*',()%/, not starting with /",
    source: `${SOURCE}#LogMetric`,
    pattern: /^[A-Za-z0-9_.,+!*'()%-][A-Za-z0-9_.,+!*'()%/-]*$/,
    min: 1,
    max: 100,
    read: (r) => nameOf(r),
  }),
  uniqueRule({ id: "logging/metric-name-unique", types: [METRIC], field: "name", source: `${SOURCE}/create`, read: (r) => nameOf(r), scope: projectScope, scopeName: "project" }),
  {
    id: "logging/metric-filter",
    types: [METRIC],
    field: "filter",
    constraint: "a query of the Logging query language that parses",
    source: "https://cloud.google.com/logging/docs/view/logging-query-language",
    check(r) {
      const filter = stringAt(r.inputs, "filter");
      return filter === undefined ? [] : queryProblems(filter);
    },
  },
  {
    id: "logging/metric-descriptor",
    types: [METRIC],
    field: "metricDescriptor",
    constraint:
      "metricKind DELTA; valueType INT64 (a counter, no valueExtractor) or DISTRIBUTION (valueExtractor and bucketOptions); labelExtractors exactly for the descriptor's labels, at most 10, each an EXTRACT() or REGEXP_EXTRACT()",
    source: "https://cloud.google.com/logging/docs/logs-based-metrics/labels",
    check(r) {
      const descriptor = valueAt(r.inputs, "metricDescriptor") as State | undefined;
      if (!descriptor) return [];
      const problems: string[] = [];
      if (descriptor.metricKind !== "DELTA") problems.push(`metricKind: got ${show(descriptor.metricKind)}`);
      const valueType = descriptor.valueType;
      const extractor = valueAt(r.inputs, "valueExtractor");
      if (valueType === "INT64" && extractor !== undefined) problems.push("a counter (INT64) has a valueExtractor");
      else if (valueType === "DISTRIBUTION" && (extractor === undefined || valueAt(r.inputs, "bucketOptions") === undefined)) problems.push("a DISTRIBUTION needs valueExtractor and bucketOptions");
      else if (valueType !== "INT64" && valueType !== "DISTRIBUTION") problems.push(`valueType: got ${show(valueType)}`);
      const extract = /^(EXTRACT\([^()]+\)|REGEXP_EXTRACT\([^,()]+,\s*"(?:[^"\\]|\\.)*"\))$/;
      if (typeof extractor === "string" && !extract.test(extractor)) problems.push(`valueExtractor: got ${show(extractor)}`);
      const labels = ((descriptor.labels as State[] | undefined) ?? []).map((l) => String(l.key));
      const extractors = (valueAt(r.inputs, "labelExtractors") as Record<string, string> | undefined) ?? {};
      if (labels.length > 10) problems.push(`${labels.length} labels`);
      if ([...labels].sort().join() !== Object.keys(extractors).sort().join()) problems.push(`labels ${show(labels)} but labelExtractors for ${show(Object.keys(extractors))}`);
      for (const [key, value] of Object.entries(extractors)) if (!extract.test(value)) problems.push(`labelExtractors.${key}: got ${show(value)}`);
      return problems;
    },
  },
];
