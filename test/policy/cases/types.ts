import type { InventoryResource } from "../../../policy/offline";

/** A policy's passing and failing inventories, and what the failure says. */
export interface PolicyCase {
  pass: InventoryResource[];
  fail: InventoryResource[];
  /** Every violation message of the failing case matches this. */
  message: RegExp;
  /** The level its violations have in prod. @default "mandatory" */
  enforcement?: "mandatory" | "advisory";
  /** Run the rule as on this day (ISO date), for rules that read the calendar. @default the real today */
  today?: string;
}

export type PolicyCases = Record<string, PolicyCase>;
