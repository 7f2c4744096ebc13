/**
 * Cloud Run (Admin API v2): service names, the deterministic run.app URL the program builds itself, enums, timeout.
 */
import { enumRule, nameOf, patternRule, projectLocationScope, show, stringAt, uniqueRule, valueAt, type FidelityRule } from "./rule";

const SERVICE = "gcp:cloudrunv2/service:Service";

/** Names Cloud Run sets in every container (services and jobs, https://cloud.google.com/run/docs/container-contract#env-vars). */
const RUN_RESERVED_ENV: readonly string[] = ["PORT", "K_SERVICE", "K_REVISION", "K_CONFIGURATION", "CLOUD_RUN_JOB", "CLOUD_RUN_EXECUTION", "CLOUD_RUN_TASK_INDEX", "CLOUD_RUN_TASK_ATTEMPT", "CLOUD_RUN_TASK_COUNT"];
/** Environment variables per container. */
const RUN_ENV_MAX = 1000;
const CREATE_SOURCE = "https://cloud.google.com/run/docs/reference/rest/v2/projects.locations.services/create";

/**
 * Cloud Run's deterministic URL (https://<service>-<project number>.<region>.run.app) exists only when its DNS
 * segment, "<service>-<project number>" (plus any traffic tag), is at most 63 characters. With a 12-digit project
 * number that allows 50 characters, so today the < 50 rule on names is the tighter one; the check stays because the
 * program derives URLs (Hasura's, the services') from it instead of reading them from the API.
 */
export const DNS_LABEL_MAX = 63;

export const runRules: FidelityRule[] = [
  // serviceId: "must begin with letter, and cannot end with hyphen; must contain fewer than 50 characters"; the
  // characters are lowercase letters, digits and hyphens (the service becomes a DNS label).
  patternRule({
    id: "run/service-name",
    types: [SERVICE],
    field: "name",
    constraint: "1-49 lowercase letters, digits or hyphens, starting with a letter, not ending with a hyphen",
    source: CREATE_SOURCE,
    pattern: /^[a-z](?:[a-z0-9-]*[a-z0-9])?$/,
    min: 1,
    max: 49,
    read: (r) => nameOf(r),
  }),
  {
    id: "run/deterministic-url",
    types: [SERVICE],
    field: "name",
    constraint: `"<name>-<project number>" at most ${DNS_LABEL_MAX} characters, or the service has no deterministic run.app URL`,
    source: "https://cloud.google.com/run/docs/triggering/https-request#deterministic",
    check(resource, _earlier, ctx) {
      const name = nameOf(resource);
      if (name === undefined) return [];
      const segment = `${name}-${ctx.projectNumber}`;
      return segment.length > DNS_LABEL_MAX ? [`got ${show(name)}: "${segment}" is ${segment.length} characters`] : [];
    },
  },
  uniqueRule({
    id: "run/service-name-unique",
    types: [SERVICE],
    field: "name",
    source: CREATE_SOURCE,
    read: (r) => nameOf(r),
    scope: projectLocationScope,
    scopeName: "project and region",
  }),
  // The provider's enum (resource_cloud_run_v2_service.go, `ingress`) and the API's Service.ingress.
  enumRule({
    id: "run/ingress",
    types: [SERVICE],
    field: "ingress",
    source: "https://cloud.google.com/run/docs/reference/rest/v2/projects.locations.services#ingresstraffic",
    values: ["INGRESS_TRAFFIC_ALL", "INGRESS_TRAFFIC_INTERNAL_ONLY", "INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER"],
  }),
  enumRule({
    id: "run/vpc-egress",
    types: [SERVICE],
    field: "template.vpcAccess.egress",
    source: "https://cloud.google.com/run/docs/reference/rest/v2/VpcAccess#vpcegress",
    values: ["ALL_TRAFFIC", "PRIVATE_RANGES_ONLY"],
  }),
  // "The timeout is set by default to 5 minutes (300 seconds) and can be extended up to 60 minutes (3600 seconds)";
  // the provider takes a Duration string ("300s", validated by ^[0-9]+(?:\.[0-9]{1,9})?s$).
  {
    id: "run/request-timeout",
    types: [SERVICE],
    field: "template.timeout",
    constraint: 'a duration such as "300s", at most 3600s',
    source: "https://cloud.google.com/run/docs/configuring/request-timeout",
    check(resource) {
      const timeout = stringAt(resource.inputs, "template.timeout");
      if (timeout === undefined) return [];
      const match = /^([0-9]+(?:\.[0-9]{1,9})?)s$/.exec(timeout);
      return match && Number(match[1]) <= 3600 ? [] : [`got ${show(timeout)}`];
    },
  },
  // Secret volumes: each item maps a secret version to "the relative path of the file ... May not be an absolute path.
  // May not contain the path element '..'. May not start with the string '..'" (KeyToPath), and when items are given
  // "they must specify a key and a path" (SecretVolumeSource); a container's volume mount names one of the revision's
  // volumes (VolumeMount.name: "This must match the Name of a Volume").
  {
    id: "run/secret-volumes",
    types: [SERVICE],
    field: "template.volumes",
    constraint: "secret items with a version and a relative path without '..', and every volume mount naming a declared volume",
    source: "https://cloud.google.com/run/docs/reference/rest/Shared.Types/KeyToPath",
    check(resource) {
      const volumes = (valueAt(resource.inputs, "template.volumes") as Array<{ name?: string; secret?: { items?: Array<{ version?: string; path?: string }> } }> | undefined) ?? [];
      const containers = (valueAt(resource.inputs, "template.containers") as Array<{ volumeMounts?: Array<{ name?: string; mountPath?: string }> }> | undefined) ?? [];
      const problems: string[] = [];
      for (const volume of volumes) {
        for (const item of volume.secret?.items ?? []) {
          if (!item.version) problems.push(`volume ${show(volume.name)}: an item without a version`);
          const path = item.path ?? "";
          if (!path || path.startsWith("/") || path.startsWith("..") || path.split("/").includes("..")) problems.push(`volume ${show(volume.name)}: item path ${show(path)}`);
        }
      }
      const declared = new Set(volumes.map((v) => v.name));
      for (const mount of containers.flatMap((c) => c.volumeMounts ?? [])) {
        if (!declared.has(mount.name)) problems.push(`a volume mount at ${show(mount.mountPath)} names ${show(mount.name)}, which is no volume of the revision`);
      }
      return problems;
    },
  },
  // Environment variable names: "The environment variables defined in the container runtime contract are reserved and
  // cannot be set. In particular, the PORT environment variable is injected inside your container by Cloud Run"
  // (https://cloud.google.com/run/docs/configuring/services/environment-variables, "Reserved names"); the contract
  // lists PORT, K_SERVICE, K_REVISION and K_CONFIGURATION for services and CLOUD_RUN_JOB, CLOUD_RUN_EXECUTION,
  // CLOUD_RUN_TASK_INDEX, CLOUD_RUN_TASK_ATTEMPT, CLOUD_RUN_TASK_COUNT for jobs
  // (https://cloud.google.com/run/docs/container-contract#env-vars). A key cannot be empty, contain "=" or start with
  // X_GOOGLE_, and a container takes at most 1000 variables
  // (https://cloud.google.com/run/docs/configuring/services/overview-environment-variables). One name once per container.
  {
    id: "run/env-names",
    types: [SERVICE],
    field: "template.containers[].envs[].name",
    constraint: "not a reserved name (PORT, K_SERVICE, K_REVISION, K_CONFIGURATION, CLOUD_RUN_*), not empty, no '=', no X_GOOGLE_ prefix, each once, at most 1000",
    source: "https://cloud.google.com/run/docs/container-contract#env-vars",
    check(resource) {
      const containers = (valueAt(resource.inputs, "template.containers") as Array<{ name?: string; envs?: Array<{ name?: string }> }> | undefined) ?? [];
      const problems: string[] = [];
      containers.forEach((container, index) => {
        const where = `container ${show(container.name ?? String(index))}`;
        const names = (container.envs ?? []).map((env) => env.name ?? "");
        if (names.length > RUN_ENV_MAX) problems.push(`${where}: ${names.length} environment variables, at most ${RUN_ENV_MAX}`);
        for (const name of names) {
          if (RUN_RESERVED_ENV.includes(name)) problems.push(`${where}: ${show(name)} is reserved by Cloud Run's container contract`);
          else if (name === "" || name.includes("=") || name.startsWith("X_GOOGLE_")) problems.push(`${where}: ${show(name)} is not a valid name (empty, with "=", or X_GOOGLE_…)`);
        }
        const repeated = names.filter((name, i) => names.indexOf(name) !== i);
        for (const name of new Set(repeated)) problems.push(`${where}: ${show(name)} is set twice`);
      });
      return problems;
    },
  },
];
