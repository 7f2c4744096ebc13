/**
 * Per-stack inventories in the style of cloud-foundation-fabric's plan tests: the counts of each resource type and
 * the inputs of every resource, committed under test/infra/inventory/<stack>.yaml so a change to what a stack would
 * create shows in review. They are regenerated only on purpose: `npm run test:update-inventory`.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import type { PlanResult } from "../../scripts/lib/offline-plan";
import { repoRoot } from "../../scripts/lib/stack-files";
import { INVENTORIED_FIXTURES } from "./support/global-plans";
import { fixturePlanOf, planOf, plannedStacks } from "./support/plans";

const inventoryDir = join(repoRoot, "test", "infra", "inventory");
const updating = process.env.PULSURA_UPDATE_INVENTORY === "1";

/**
 * Long text inputs (migration SQL, metadata documents) are reviewed in hasura/ itself; the inventory records a
 * fingerprint that changes whenever they do.
 */
function fingerprintLongText(value: unknown): unknown {
  if (typeof value === "string" && value.length > 300) return `[${value.length} characters, sha256:${createHash("sha256").update(value).digest("hex").slice(0, 12)}]`;
  if (Array.isArray(value)) return value.map(fingerprintLongText);
  if (value && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, fingerprintLongText(v)]));
  return value;
}

/** The Hasura project's documents (migrations, seeds, metadata) as one fingerprint per input. */
function fingerprintDocuments(inputs: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(inputs).map(([k, v]) => [k, typeof v === "object" && v !== null ? fingerprintLongText(JSON.stringify(v)) : fingerprintLongText(v)]));
}

interface Inventory {
  counts: Record<string, number>;
  values: Record<string, { type: string; parent: string | null; protect?: boolean; inputs: Record<string, unknown> }>;
  outputs: Record<string, unknown>;
}

function inventoryOf(plan: PlanResult): Inventory {
  const counts: Record<string, number> = {};
  for (const r of plan.resources) counts[r.type] = (counts[r.type] ?? 0) + 1;
  // Components share the tenant's name (children are `${name}-<role>`), so they are keyed with their type.
  const keyOf = (r: PlanResult["resources"][number]) => (r.custom ? r.name : `${r.type} ${r.name}`);
  const nameOf = new Map(plan.resources.map((r) => [r.urn, keyOf(r)]));
  const values: Inventory["values"] = {};
  for (const r of [...plan.resources].sort((a, b) => keyOf(a).localeCompare(keyOf(b)))) {
    // The serialized dynamic provider is code, reviewed as code: keep it out of the inventory.
    const { __provider: _provider, ...inputs } = r.inputs;
    values[keyOf(r)] = { type: r.type, parent: r.parent ? nameOf.get(r.parent)! : null, ...(r.protect ? { protect: true } : {}), inputs: (r.type.startsWith("pulumi-nodejs:dynamic") ? fingerprintDocuments(inputs) : fingerprintLongText(inputs)) as Record<string, unknown> };
  }
  return { counts: Object.fromEntries(Object.entries(counts).sort(([a], [b]) => a.localeCompare(b))), values, outputs: plan.outputs };
}

/** Dotted paths of the leaves that differ between two JSON-like values (`inputs.metadata`, `template.containers[0].image`). */
function changedPaths(before: unknown, after: unknown, at = ""): string[] {
  const isObject = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null;
  if (!isObject(before) || !isObject(after) || Array.isArray(before) !== Array.isArray(after)) {
    return JSON.stringify(before) === JSON.stringify(after) ? [] : [at || "(value)"];
  }
  const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])];
  return keys.flatMap((key) => changedPaths(before[key], after[key], Array.isArray(before) ? `${at}[${key}]` : at ? `${at}.${key}` : key));
}

/** What differs, by resource and field, and how to accept it: the first thing a reader of a failed run needs. */
function describeChange(stack: string, file: string, actual: Inventory, expected: Inventory): string {
  const lines: string[] = [];
  const list = (names: string[]) => (names.length > 8 ? `${names.slice(0, 8).join(", ")} and ${names.length - 8} more` : names.join(", "));
  const added = Object.keys(actual.values).filter((name) => !(name in expected.values));
  const removed = Object.keys(expected.values).filter((name) => !(name in actual.values));
  if (added.length > 0) lines.push(`  new resources: ${list(added)}`);
  if (removed.length > 0) lines.push(`  resources no longer declared: ${list(removed)}`);
  for (const name of Object.keys(actual.values).filter((candidate) => candidate in expected.values)) {
    const paths = changedPaths(expected.values[name], actual.values[name]);
    if (paths.length > 0) lines.push(`  ${name}: ${list(paths)}`);
  }
  const counts = changedPaths(expected.counts, actual.counts);
  if (counts.length > 0) lines.push(`  counts of: ${list(counts)}`);
  const outputs = changedPaths(expected.outputs, actual.outputs);
  if (outputs.length > 0) lines.push(`  outputs: ${list(outputs)}`);
  return [
    `the inventory of stack ${stack} differs from ${file}:`,
    ...lines,
    "If the change is intended (a handler added with npm run new changes the metadata fingerprints), regenerate it with",
    "`npm run test:update-inventory` and review the diff.",
  ].join("\n");
}

/** Every stack file, and the fixtures with an inventory (stacks the committed files do not show, e.g. prod with an API domain). */
const inventoried = [
  ...plannedStacks().map((stack) => ({ stack, file: `${stack}.yaml`, plan: () => planOf(stack) })),
  ...INVENTORIED_FIXTURES.map((fixture) => ({ stack: `fixture ${fixture}`, file: `fixture-${fixture}.yaml`, plan: () => fixturePlanOf(fixture) })),
];

describe("inventory", () => {
  for (const { stack, file: fileName, plan } of inventoried) {
    it(`of stack ${stack} matches test/infra/inventory/${fileName}`, () => {
      const actual = inventoryOf(plan());
      const file = join(inventoryDir, fileName);
      if (updating) {
        mkdirSync(inventoryDir, { recursive: true });
        const header = `# Inventory of stack "${stack}": what the offline plan declares. Regenerate with: npm run test:update-inventory\n`;
        writeFileSync(file, header + stringify(actual, { sortMapEntries: false, lineWidth: 0 }));
      }
      expect(existsSync(file), `${file} is missing (a new stack file?): generate it with \`npm run test:update-inventory\` and review it`).toBe(true);
      const expected = parse(readFileSync(file, "utf8")) as Inventory;
      const message = describeChange(stack, `test/infra/inventory/${fileName}`, actual, expected);
      expect(actual.counts, message).toEqual(expected.counts);
      expect(actual.values, message).toEqual(expected.values);
      expect(actual.outputs, message).toEqual(expected.outputs);
    });
  }
});
