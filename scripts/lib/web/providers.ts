/**
 * Which sign-in methods a stack turns on in Firebase Auth, so the Flutter app shows only those.
 *
 * The stack's `signInProviders` output is the source when it exists. Stacks whose program does not export it yet are
 * read from their stack file instead, through the same validated config (`infra/config.ts`) the program uses.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { parseStackConfig, type StackConfig } from "../../../infra/config";
import { loadStackConfig, projectName, repoRoot } from "../stack-files";

/** Sign-in methods the template knows, in the order its sign-in screen shows them. */
export const SIGN_IN_PROVIDERS = ["phone", "email", "google", "facebook", "apple"] as const;
export type SignInProvider = (typeof SIGN_IN_PROVIDERS)[number];

/** The enabled sign-in methods of a validated stack config. */
export function signInProvidersOf(auth: StackConfig["auth"]): SignInProvider[] {
  const enabled = new Set<SignInProvider>();
  if (auth.phone.enabled) enabled.add("phone");
  if (auth.email.enabled) enabled.add("email");
  for (const provider of ["google", "facebook", "apple"] as const) {
    if (auth.oauth[provider]) enabled.add(provider);
  }
  return SIGN_IN_PROVIDERS.filter((p) => enabled.has(p));
}

/**
 * Validates a `signInProviders` output: a list of known provider names.
 *
 * @returns the providers in display order, or a reason when the value is not such a list.
 */
export function parseSignInProviders(value: unknown): { providers: SignInProvider[] } | { reason: string } {
  if (!Array.isArray(value)) return { reason: `expected a list such as ["phone","email"], got ${JSON.stringify(value)}` };
  const unknown = value.filter((p) => !(SIGN_IN_PROVIDERS as readonly unknown[]).includes(p));
  if (unknown.length > 0) return { reason: `unknown providers ${JSON.stringify(unknown)}: expected some of ${SIGN_IN_PROVIDERS.join(", ")}` };
  return { providers: SIGN_IN_PROVIDERS.filter((p) => value.includes(p)) };
}

/** Path of a stack's file in the repository, or undefined when there is none. */
export function stackFilePath(stack: string, root = repoRoot): string | undefined {
  const path = join(root, `Pulumi.${stack}.yaml`);
  return existsSync(path) ? path : undefined;
}

/**
 * The enabled sign-in methods read from a stack file, validated and defaulted exactly as the program does.
 *
 * @throws StackConfigError when the stack file is invalid.
 */
export function signInProvidersFromStackFile(stack: string, path: string, root = repoRoot): SignInProvider[] {
  const { config } = loadStackConfig(path, projectName(root));
  // Only the presence of an OAuth client secret matters here (it is what turns a provider on); its value stays unread.
  const stackConfig = parseStackConfig(stack, config, (key) => (`pulsura:${key}` in config ? pulumi.secret("unread") : undefined));
  return signInProvidersOf(stackConfig.auth);
}
