/**
 * Cloud Run functions: 1st gen (Cloud Functions v1 API) and 2nd gen (v2 API). Runtimes are judged by the one dated
 * table, infra/runtimes.ts.
 */
import { runtimeStatus, type FunctionGeneration } from "../../../infra/runtimes";
import { enumRule, nameOf, patternRule, projectLocationScope, show, stringAt, uniqueRule, valueAt, type FidelityRule, type PlannedResource } from "./rule";

const GEN1 = "gcp:cloudfunctions/function:Function";
const GEN2 = "gcp:cloudfunctionsv2/function:Function";

const runtimeOf = (r: PlannedResource): string | undefined => stringAt(r.inputs, r.type === GEN1 ? "runtime" : "buildConfig.runtime");
const generationOf = (r: PlannedResource): FunctionGeneration => (r.type === GEN1 ? "gen1" : "gen2");

export const functionsRules: FidelityRule[] = [
  // The provider's validateResourceCloudFunctionsFunctionName (resource_cloudfunctions_function.go): a letter, then up
  // to 61 letters, digits, - or _, ending with a letter or digit.
  patternRule({
    id: "functions/gen1-name",
    types: [GEN1],
    field: "name",
    constraint: "1-63 characters matching ^[a-zA-Z](?:[-_a-zA-Z0-9]{0,61}[a-zA-Z0-9])?$",
    source: "https://cloud.google.com/functions/docs/reference/rest/v1/projects.locations.functions#CloudFunction",
    pattern: /^[a-zA-Z](?:[-_a-zA-Z0-9]{0,61}[a-zA-Z0-9])?$/,
    read: (r) => nameOf(r),
  }),
  // functionId: "should be 4-63 characters, and valid characters are /[a-z][0-9]-/". That a 2nd-gen name starts with a
  // letter and does not end with a hyphen is not stated there; it is checked because the function's Cloud Run service
  // takes the same name (Cloud Run's service rules).
  patternRule({
    id: "functions/gen2-name",
    types: [GEN2],
    field: "name",
    constraint: "4-63 lowercase letters, digits or hyphens, starting with a letter, not ending with a hyphen",
    source: "https://cloud.google.com/functions/docs/reference/rest/v2/projects.locations.functions/create",
    pattern: /^[a-z][a-z0-9-]{2,61}[a-z0-9]$/,
    min: 4,
    max: 63,
    read: (r) => nameOf(r),
  }),
  // One namespace per project and region for both generations: the v2 API lists and manages 1st-gen functions too
  // (Function.environment GEN_1 / GEN_2).
  uniqueRule({
    id: "functions/name-unique",
    types: [GEN1, GEN2],
    field: "name",
    source: "https://cloud.google.com/functions/docs/reference/rest/v2/projects.locations.functions/create",
    read: (r) => nameOf(r)?.toLowerCase(),
    scope: projectLocationScope,
    scopeName: "project and region (1st and 2nd gen share the namespace)",
  }),
  {
    id: "functions/runtime",
    types: [GEN1, GEN2],
    field: "runtime",
    constraint: "a runtime of infra/runtimes.ts offered by the function's generation and not decommissioned",
    source: "https://cloud.google.com/functions/docs/runtime-support",
    check(resource, _earlier, ctx) {
      const runtime = runtimeOf(resource);
      if (runtime === undefined) return [];
      const status = runtimeStatus(runtime, generationOf(resource), ctx.today);
      switch (status.kind) {
        case "unknown":
          return [`got ${show(runtime)}, not in infra/runtimes.ts`];
        case "wrong-generation":
          return [`got ${show(runtime)}, which ${generationOf(resource)} does not offer (only ${status.runtime.generations.join(", ")})`];
        case "decommissioned":
          return [`got ${show(runtime)}, decommissioned on ${status.decommission}: creates and updates fail`];
        default:
          return [];
      }
    },
  },
  // Provider enums: allowedIngressSettings (1st gen) and serviceConfig.ingressSettings (2nd gen).
  enumRule({
    id: "functions/gen1-ingress-settings",
    types: [GEN1],
    field: "ingressSettings",
    source: "https://cloud.google.com/functions/docs/reference/rest/v1/projects.locations.functions#ingresssettings",
    values: ["ALLOW_ALL", "ALLOW_INTERNAL_ONLY", "ALLOW_INTERNAL_AND_GCLB"],
  }),
  enumRule({
    id: "functions/gen2-ingress-settings",
    types: [GEN2],
    field: "serviceConfig.ingressSettings",
    source: "https://cloud.google.com/functions/docs/reference/rest/v2/projects.locations.functions#ingresssettings",
    values: ["ALLOW_ALL", "ALLOW_INTERNAL_ONLY", "ALLOW_INTERNAL_AND_GCLB"],
  }),
  // 1st gen: the provider's IntBetween(1, 540) on `timeout` (the v1 API reference gives only the 60 s default).
  {
    id: "functions/gen1-timeout",
    types: [GEN1],
    field: "timeout",
    constraint: "1-540 seconds",
    source: "https://github.com/hashicorp/terraform-provider-google/blob/main/google/services/cloudfunctions/resource_cloudfunctions_function.go",
    check(resource) {
      const timeout = valueAt(resource.inputs, "timeout");
      return timeout === undefined || (typeof timeout === "number" && Number.isInteger(timeout) && timeout >= 1 && timeout <= 540) ? [] : [`got ${show(timeout)}`];
    },
  },
];
