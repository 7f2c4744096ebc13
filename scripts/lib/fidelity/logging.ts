/**
 * Cloud Logging: exclusions on the _Default sink (projects.exclusions).
 */
import { nameOf, patternRule, projectScope, show, stringAt, uniqueRule, type FidelityRule } from "./rule";

const EXCLUSION = "gcp:logging/projectExclusion:ProjectExclusion";
// LogExclusion.name: "A client-assigned identifier, such as "load-balancer-exclusion". Identifiers are limited to 100
// characters and can include only letters, digits, underscores, hyphens, and periods. First character has to be
// alphanumeric."
const EXCLUSION_SOURCE = "https://cloud.google.com/logging/docs/reference/v2/rest/v2/exclusions";
// "Length of an exclusion filter: 20,000 characters" and "Number of exclusion filters per sink: 50" (system limits).
const QUOTAS_SOURCE = "https://cloud.google.com/logging/quotas";
const MAX_FILTER_CHARACTERS = 20_000;
const MAX_EXCLUSIONS_PER_SINK = 50;

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
    constraint: `a non-empty filter of at most ${MAX_FILTER_CHARACTERS} characters`,
    source: QUOTAS_SOURCE,
    check(resource) {
      const filter = stringAt(resource.inputs, "filter");
      if (filter === undefined) return [];
      if (filter.trim() === "") return [`got ${show(filter)} (an empty filter would exclude every log entry; the API requires one)`];
      return filter.length > MAX_FILTER_CHARACTERS ? [`got a filter of ${filter.length} characters`] : [];
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
];
