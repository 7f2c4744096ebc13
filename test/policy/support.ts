import type { InventoryResource } from "../../policy/offline";

let counter = 0;

/** A resource as the offline plan would record it, for policy tests. */
export function resource(type: string, inputs: Record<string, unknown>, extra: Partial<InventoryResource> = {}): InventoryResource {
  counter += 1;
  const name = extra.name ?? `r${counter}`;
  return { urn: `urn:pulumi:test::pulsura::${type}::${name}`, type, name, parent: null, inputs, dependencies: [], protect: false, custom: true, ...extra };
}
