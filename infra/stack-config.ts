import * as pulumi from "@pulumi/pulumi";
import { CONFIG_NAMESPACE, parseStackConfig, type StackConfig } from "./config";

/** Reads this stack's config from the Pulumi runtime, once (`infra/index.ts`, before any resource is declared). */
export function loadStackConfig(): StackConfig {
  const config = new pulumi.Config(CONFIG_NAMESPACE);
  const raw = pulumi.runtime.allConfig();
  return parseStackConfig(pulumi.getStack(), raw, (key) =>
    `${CONFIG_NAMESPACE}:${key}` in raw ? config.requireSecret(key) : undefined,
  );
}
