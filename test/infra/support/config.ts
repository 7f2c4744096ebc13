/**
 * Helpers of the config tests: a minimal valid prod stack's raw config, and the problems a config is refused with.
 */
import * as pulumi from "@pulumi/pulumi";
import { expect } from "vitest";
import { parseStackConfig, StackConfigError, type RawConfig } from "../../../infra/config";

/** The raw config of a minimal valid prod stack (prod needs alertEmail). */
export const PROD_RAW: RawConfig = {
  "gcp:project": "pulsura-test",
  "gcp:region": "europe-west1",
  "gcp:userProjectOverride": "true",
  "gcp:billingProject": "pulsura-test",
  "pulsura:environment": "prod",
  "pulsura:tenant": "acme",
  "pulsura:alertEmail": "ops@example.com",
};

/** Parses raw config with every secret key read as a placeholder secret. */
export const parseWithSecrets = (raw: RawConfig) => parseStackConfig("test", raw, () => pulumi.secret("x"));

/** The problems `parse` throws as `key: got …, expected …`; fails the test when it does not throw a StackConfigError. */
export function configProblems(parse: () => unknown): string[] {
  try {
    parse();
  } catch (error) {
    expect(error).toBeInstanceOf(StackConfigError);
    return (error as StackConfigError).problems.map((p) => `${p.key}: got ${p.got}, expected ${p.expected}`);
  }
  throw new Error("expected the config to be rejected");
}
