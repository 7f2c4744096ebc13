/**
 * The shape of a fidelity rule: one documented constraint of a Google API on one field of one or more Pulumi resource
 * types, with the URL it comes from. The strict mocks (scripts/lib/mocks.ts) judge every registered resource by the
 * rules of its type before answering, so the offline plan refuses what Google Cloud would refuse.
 */

export type State = Record<string, unknown>;

/** A resource as the mocks saw it: the program's inputs and the state the mock answered with (autonames included). */
export interface PlannedResource {
  type: string;
  name: string;
  inputs: State;
  /** Inputs plus the mock's computed outputs. */
  state: State;
}

/** Facts the mocks know about the project that some constraints depend on. */
export interface FidelityContext {
  /** The project number the mocks answer with (Cloud Run's deterministic URL embeds it). */
  projectNumber: string;
  /** ISO date the runtime table is judged on. */
  today: string;
}

/** One rule: a constraint and where Google states it. */
export interface FidelityRule {
  /** `<service>/<constraint>`, e.g. `iam/service-account-id`. */
  id: string;
  /** Pulumi type tokens the rule judges. */
  types: readonly string[];
  /** The input the rule reads, as a dotted path. */
  field: string;
  /** What Google accepts, as people read it. */
  constraint: string;
  /** Where the constraint is documented. */
  source: string;
  /**
   * Problems of `resource`, each a description of the value that breaks the constraint; [] when it complies.
   * `earlier` are the resources registered before it in the same plan (for uniqueness and relations).
   */
  check(resource: PlannedResource, earlier: readonly PlannedResource[], ctx: FidelityContext): string[];
}

/** A broken rule, as the plan reports it. */
export interface FidelityViolation {
  rule: string;
  type: string;
  resource: string;
  field: string;
  problem: string;
  constraint: string;
  source: string;
}

const SECRET_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

/**
 * Inputs with Pulumi's secret wrappers (`{ <sig key>: <secret sig>, value }`, as mocks receive them) replaced by their
 * values: Google judges the value, not its secrecy.
 */
export function revealSecrets(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(revealSecrets);
  if (value === null || typeof value !== "object") return value;
  const object = value as State;
  if (object[SECRET_KEY] === SECRET_SIG) return revealSecrets(object.value);
  return Object.fromEntries(Object.entries(object).map(([k, v]) => [k, revealSecrets(v)]));
}

/** The value at a dotted path (`settings.backupConfiguration.transactionLogRetentionDays`). */
export function valueAt(state: State, path: string): unknown {
  let current: unknown = state;
  for (const part of path.split(".")) {
    if (current === null || typeof current !== "object") return undefined;
    current = (current as State)[part];
  }
  return current;
}

/** A string input, or undefined when absent or not (yet) a string. */
export function stringAt(state: State, path: string): string | undefined {
  const value = valueAt(state, path);
  return typeof value === "string" ? value : undefined;
}

/** A name-like value: the input, else what the mock answered (Pulumi's autoname). */
export function nameOf(resource: PlannedResource, field = "name"): string | undefined {
  return stringAt(resource.inputs, field) ?? stringAt(resource.state, field);
}

export const show = (value: unknown): string => JSON.stringify(value);

/** A rule that a string field matches a pattern (and, optionally, a length range). Absent values are not judged. */
export function patternRule(spec: Omit<FidelityRule, "check"> & { pattern: RegExp; min?: number; max?: number; read?: (r: PlannedResource) => string | undefined }): FidelityRule {
  const { pattern, min, max, read, ...rule } = spec;
  return {
    ...rule,
    check(resource) {
      const value = read ? read(resource) : stringAt(resource.inputs, rule.field);
      if (value === undefined) return [];
      const problems: string[] = [];
      if ((min !== undefined && value.length < min) || (max !== undefined && value.length > max)) problems.push(`got ${show(value)} (${value.length} characters)`);
      else if (!pattern.test(value)) problems.push(`got ${show(value)}`);
      return problems;
    },
  };
}

/** A rule that a field is one of an API enum's values. Absent values are not judged (the provider leaves them out). */
export function enumRule(spec: Omit<FidelityRule, "check" | "constraint"> & { values: readonly string[] }): FidelityRule {
  const { values, ...rule } = spec;
  return {
    ...rule,
    constraint: `one of ${values.join(", ")}`,
    check(resource) {
      const value = valueAt(resource.inputs, rule.field);
      return value === undefined || values.includes(value as string) ? [] : [`got ${show(value)}`];
    },
  };
}

/**
 * A rule that a name is unique among the earlier resources of the same types in the same scope (project, location):
 * the API answers 409 ALREADY_EXISTS to the second create.
 */
export function uniqueRule(spec: Omit<FidelityRule, "check" | "constraint"> & { read: (r: PlannedResource) => string | undefined; scope: (r: PlannedResource) => string; scopeName: string }): FidelityRule {
  const { read, scope, scopeName, ...rule } = spec;
  return {
    ...rule,
    constraint: `unique within the ${scopeName}`,
    check(resource, earlier) {
      const value = read(resource);
      if (value === undefined) return [];
      const clash = earlier.find((other) => rule.types.includes(other.type) && read(other) === value && scope(other) === scope(resource));
      return clash ? [`got ${show(value)}, already used by ${clash.type} "${clash.name}"`] : [];
    },
  };
}

/** `project` of a resource as a scope key (the mocks' project when the program leaves it to the provider). */
export const projectScope = (r: PlannedResource): string => String(r.inputs.project ?? "");
export const projectLocationScope = (r: PlannedResource): string => `${String(r.inputs.project ?? "")}/${String(r.inputs.location ?? r.inputs.region ?? "")}`;
