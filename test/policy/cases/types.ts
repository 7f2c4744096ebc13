import type { InventoryResource } from "../../../policy/offline";

/** A policy's passing and failing inventories, and what the failure says. */
export interface PolicyCase {
  pass: InventoryResource[];
  fail: InventoryResource[];
  /** Every violation message of the failing case matches this. */
  message: RegExp;
}

export type PolicyCases = Record<string, PolicyCase>;
