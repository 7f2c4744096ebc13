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

/**
 * Memory each vCPU count allows on a service ("vCPU and memory table", https://cloud.google.com/run/docs/configuring/services/cpu):
 * 1 vCPU up to 4 GiB, 2 up to 8 GiB, 4 from 2 to 16 GiB, 6 from 4 to 24 GiB, 8 from 4 to 32 GiB; "Values greater than 1
 * must be integer values". Below 1 vCPU (0.08 to 1): "A minimum of 0.5 vCPU is needed to set a memory limit greater than
 * 512MiB. A minimum of 1 vCPU is needed to set a memory limit greater than 1GiB", maximum concurrency 1, and "The billing
 * settings must be set to request-based billing" (so never `cpuIdle: false`, CPU always allocated).
 */
const RUN_CPU_MEMORY_GIB: Readonly<Record<string, { min: number; max: number }>> = {
  "1": { min: 0, max: 4 },
  "2": { min: 0, max: 8 },
  "4": { min: 2, max: 16 },
  "6": { min: 4, max: 24 },
  "8": { min: 4, max: 32 },
};
const CPU_SOURCE = "https://cloud.google.com/run/docs/configuring/services/cpu";

/** A Kubernetes-style quantity as Cloud Run reads `limits.cpu` ("1", "2", "500m"), in vCPU. */
function vcpus(value: string): number | undefined {
  const match = /^(\d+(?:\.\d+)?)(m?)$/.exec(value);
  if (!match) return undefined;
  return Number(match[1]) / (match[2] ? 1000 : 1);
}

/** A memory quantity ("512Mi", "1Gi", "1G"), in GiB. */
function gibibytes(value: string): number | undefined {
  const match = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|k|M|G)?$/.exec(value);
  if (!match) return undefined;
  const factor: Record<string, number> = { Ki: 2 ** -20, Mi: 2 ** -10, Gi: 1, k: 1e3 / 2 ** 30, M: 1e6 / 2 ** 30, G: 1e9 / 2 ** 30 };
  return Number(match[1]) * (match[2] ? factor[match[2]]! : 2 ** -30);
}

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
  {
    id: "run/cpu-memory",
    types: [SERVICE],
    field: "template.containers[].resources",
    constraint:
      "vCPU 0.08-1 or an integer up to 8 with its memory (1: ≤ 4 GiB, 2: ≤ 8 GiB, 4: 2-16 GiB, 6: 4-24 GiB, 8: 4-32 GiB); below 1 vCPU: request-based billing (cpuIdle not false), concurrency 1, ≤ 512 MiB under 0.5 vCPU, ≤ 1 GiB under 1",
    source: CPU_SOURCE,
    check(resource) {
      const containers = (valueAt(resource.inputs, "template.containers") as Array<{ name?: string; resources?: { limits?: Record<string, string>; cpuIdle?: boolean } }> | undefined) ?? [];
      const concurrency = valueAt(resource.inputs, "template.maxInstanceRequestConcurrency") as number | undefined;
      const problems: string[] = [];
      containers.forEach((container, index) => {
        const where = `container ${show(container.name ?? String(index))}`;
        const cpuText = container.resources?.limits?.cpu;
        const memoryText = container.resources?.limits?.memory;
        if (cpuText === undefined) return;
        const cpu = vcpus(cpuText);
        const memory = memoryText === undefined ? undefined : gibibytes(memoryText);
        if (cpu === undefined || cpu < 0.08 || cpu > 8 || (cpu > 1 && !(String(cpu) in RUN_CPU_MEMORY_GIB))) {
          problems.push(`${where}: cpu ${show(cpuText)} (0.08 to 1, or 1, 2, 4, 6, 8)`);
          return;
        }
        if (cpu < 1) {
          if (container.resources?.cpuIdle === false) problems.push(`${where}: cpu ${show(cpuText)} below 1 vCPU with CPU always allocated (cpuIdle false); it needs request-based billing`);
          if (concurrency !== undefined && concurrency !== 1) problems.push(`${where}: cpu ${show(cpuText)} below 1 vCPU with concurrency ${concurrency}; it needs 1`);
          const ceiling = cpu < 0.5 ? 0.5 : 1;
          if (memory !== undefined && memory > ceiling) problems.push(`${where}: memory ${show(memoryText)} above ${ceiling === 1 ? "1 GiB" : "512 MiB"} with cpu ${show(cpuText)}`);
          return;
        }
        const range = RUN_CPU_MEMORY_GIB[String(cpu)]!;
        if (memory !== undefined && (memory < range.min || memory > range.max)) problems.push(`${where}: memory ${show(memoryText)} with cpu ${show(cpuText)} (allowed ${range.min > 0 ? `${range.min}-` : "up to "}${range.max} GiB)`);
      });
      return problems;
    },
  },
  // "Minimum memory: The minimum memory setting varies depending on whether you use first generation or second
  // generation execution environment: 128 MiB for first generation, 512 MiB for second generation" (memory limits).
  // Every pulsura service runs in the second generation (infra/components/cloud-run.ts): a smaller memory setting, say
  // to shrink an always-on instance's bill, would pass the CPU table and fail at `pulumi up`.
  {
    id: "run/gen2-minimum-memory",
    types: [SERVICE],
    field: "template.containers[].resources.limits.memory",
    constraint: "at least 512 MiB per container in the second generation execution environment (EXECUTION_ENVIRONMENT_GEN2)",
    source: "https://cloud.google.com/run/docs/configuring/services/memory-limits",
    check(resource) {
      if (stringAt(resource.inputs, "template.executionEnvironment") !== "EXECUTION_ENVIRONMENT_GEN2") return [];
      const containers = (valueAt(resource.inputs, "template.containers") as Array<{ name?: string; resources?: { limits?: Record<string, string> } }> | undefined) ?? [];
      return containers.flatMap((container, index) => {
        const memoryText = container.resources?.limits?.memory;
        const memory = memoryText === undefined ? undefined : gibibytes(memoryText);
        return memory !== undefined && memory < 0.5 ? [`container ${show(container.name ?? String(index))}: memory ${show(memoryText)} below 512 MiB in the second generation`] : [];
      });
    },
  },
  // RevisionScaling: minInstanceCount "Minimum number of serving instances", maxInstanceCount "Maximum number of
  // serving instances"; the maximum cannot be below the minimum (https://cloud.google.com/run/docs/configuring/max-instances
  // and /min-instances set them together; a revision whose minimum exceeds its maximum is refused).
  {
    id: "run/scaling",
    types: [SERVICE],
    field: "template.scaling",
    constraint: "minInstanceCount and maxInstanceCount non-negative integers, maxInstanceCount ≥ minInstanceCount",
    source: "https://cloud.google.com/run/docs/reference/rest/v2/RevisionScaling",
    check(resource) {
      const min = valueAt(resource.inputs, "template.scaling.minInstanceCount") as number | undefined;
      const max = valueAt(resource.inputs, "template.scaling.maxInstanceCount") as number | undefined;
      const problems: string[] = [];
      for (const [field, value] of [["minInstanceCount", min], ["maxInstanceCount", max]] as const) {
        if (value !== undefined && !(Number.isInteger(value) && value >= 0)) problems.push(`${field} ${show(value)}`);
      }
      if (min !== undefined && max !== undefined && max < min) problems.push(`maxInstanceCount ${max} below minInstanceCount ${min}`);
      return problems;
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
