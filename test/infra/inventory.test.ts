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
import { planOf, plannedStacks } from "./support/plans";

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

describe("inventory", () => {
  for (const stack of plannedStacks()) {
    it(`of stack ${stack} matches test/infra/inventory/${stack}.yaml`, () => {
      const actual = inventoryOf(planOf(stack));
      const file = join(inventoryDir, `${stack}.yaml`);
      if (updating) {
        mkdirSync(inventoryDir, { recursive: true });
        const header = `# Inventory of stack "${stack}": what the offline plan declares. Regenerate with: npm run test:update-inventory\n`;
        writeFileSync(file, header + stringify(actual, { sortMapEntries: false, lineWidth: 0 }));
      }
      expect(existsSync(file), `${file} is missing: run npm run test:update-inventory and review it`).toBe(true);
      const expected = parse(readFileSync(file, "utf8")) as Inventory;
      expect(actual.counts).toEqual(expected.counts);
      expect(actual.values).toEqual(expected.values);
      expect(actual.outputs).toEqual(expected.outputs);
    });
  }
});
