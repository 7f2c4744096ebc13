/**
 * Input checks shared by the three Hasura dynamic providers.
 *
 * The functions here are plain and import nothing but ./hasura-api, because Pulumi serializes them with the
 * provider (see ./hasura-api.ts).
 */
import type * as pulumi from "@pulumi/pulumi";
import { normalizeEndpoint } from "./hasura-api";

/**
 * The value Pulumi puts in place of an input that is not known yet during a preview (e.g. the URL of a
 * Cloud Run service that does not exist yet). Same constant as `unknownValue` in @pulumi/pulumi's runtime/rpc.
 */
export const unknownInputValue = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/** True when a preview does not know this input yet. */
export function isUnknown(value: unknown): boolean {
  return value === unknownInputValue;
}

/** Check failures for the `endpoint` and `adminSecret` inputs every provider takes. */
export function connectionFailures(inputs: { endpoint?: unknown; adminSecret?: unknown }): pulumi.dynamic.CheckFailure[] {
  const failures: pulumi.dynamic.CheckFailure[] = [];
  if (!isUnknown(inputs.endpoint)) {
    try {
      normalizeEndpoint(inputs.endpoint as string);
    } catch (error) {
      failures.push({ property: "endpoint", reason: errorText(error) });
    }
  }
  if (!isUnknown(inputs.adminSecret) && (typeof inputs.adminSecret !== "string" || inputs.adminSecret === "")) {
    failures.push({ property: "adminSecret", reason: "the Hasura admin secret must be a non-empty string" });
  }
  return failures;
}

/** The message of any thrown value. */
export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
