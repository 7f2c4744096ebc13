import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import * as runtimeConfig from "@pulumi/pulumi/runtime/config";
import { CONFIG_NAMESPACE, parseStackConfig, type StackConfig } from "./config";
import { checkServiceWiring } from "./service-wiring";

/** The repository this program is part of: its services/ and hasura/ folders are what the deploy builds and applies. */
const repositoryRoot = path.resolve(__dirname, "..");

/**
 * Where the service wiring check looks for services/<name>/ and hasura/: this checkout. `PULSURA_WIRING_ROOT` points it
 * at another folder with the same layout, for tests that plan services this checkout does not have (the fidelity
 * plans' long-named services); nothing else sets it.
 */
function wiringRoot(): string {
  return process.env.PULSURA_WIRING_ROOT ? path.resolve(process.env.PULSURA_WIRING_ROOT) : repositoryRoot;
}

/**
 * Whether a config key holds a secret (`secure:` in the stack file, or an ESC secret). The SDK knows it from the
 * language host's PULUMI_CONFIG_SECRET_KEYS but keeps the function out of its typings.
 */
function isConfigSecret(fullKey: string): boolean {
  const { isConfigSecret: sdkIsConfigSecret } = runtimeConfig as unknown as { isConfigSecret?: (key: string) => boolean };
  if (typeof sdkIsConfigSecret !== "function") throw new Error("@pulumi/pulumi/runtime/config no longer exports isConfigSecret: update infra/stack-config.ts");
  return sdkIsConfigSecret(fullKey);
}

/** Reads this stack's config from the Pulumi runtime, once (`infra/index.ts`, before any resource is declared). */
export function loadStackConfig(): StackConfig {
  const config = new pulumi.Config(CONFIG_NAMESPACE);
  const raw = pulumi.runtime.allConfig();
  const stack = pulumi.getStack();
  return parseStackConfig(
    stack,
    raw,
    (key) => (`${CONFIG_NAMESPACE}:${key}` in raw ? config.requireSecret(key) : undefined),
    // Local files only: pulumi up and preview check the services and the metadata's handlers as the offline plan does.
    { isSecret: isConfigSecret, checkServices: (services) => checkServiceWiring(stack, services, wiringRoot()) },
  );
}
