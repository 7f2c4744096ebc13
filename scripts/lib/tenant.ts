/**
 * Forking a stack file for a new tenant, and listing stacks. Pure file logic; scripts/tenant.ts is the CLI.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { isMap, isScalar, parseDocument, type Document } from "yaml";
import { parseStackConfig, SECRET_CONFIG_KEYS, StackConfigError } from "../../infra/config";
import { listStackFiles, loadStackConfig, projectName, stackConfigFromText } from "./stack-files";

/** Tenant (and stack) names: what `pulsura:tenant` accepts. */
const TENANT_NAME = /^[a-z][a-z0-9-]{0,20}[a-z0-9]$/;
const PROJECT_ID = /^[a-z][a-z0-9-]{4,28}[a-z0-9]$/;

export interface ForkOptions {
  tenant: string;
  from: string;
  project: string;
  region?: string;
  domain?: string;
  /** Where the tenant's alerts go. The source's address alerts the source's team, so it is never copied. */
  alertEmail?: string;
  /** Folder with Pulumi.yaml and the stack files. */
  root: string;
}

export interface ForkResult {
  path: string;
  /** The stack file's `secretsprovider`, for `pulumi stack init --secrets-provider`; undefined when the source had none. */
  secretsProvider?: string;
  /** Secret keys the source stack had, to be set for the new stack with `pulumi config set --secret`. */
  secretKeys: string[];
  /** The source's alert address, left out of the fork (it alerts the source's team); undefined when it had none. */
  droppedAlertEmail?: string;
}

/** The fork was refused; nothing was written. */
export class ForkRefused extends Error {}

/** One line per stack, for `tenant list`. */
export interface StackSummary {
  stack: string;
  environment: string;
  project: string;
  region: string;
  domains: string[];
}

function parseJson(value: string | undefined): unknown {
  if (value === undefined) return undefined;
  try {
    return JSON.parse(value);
  } catch {
    return value;
  }
}

/** Every stack file's environment, project, region and domains. */
export function listStacks(root: string): StackSummary[] {
  const project = projectName(root);
  return listStackFiles(root).map(({ stack, path }) => {
    const { config } = loadStackConfig(path, project);
    const domains = parseJson(config["pulsura:domains"]);
    return {
      stack,
      environment: config["pulsura:environment"] ?? "?",
      project: config["gcp:project"] ?? "?",
      region: config["gcp:region"] ?? "?",
      domains: Array.isArray(domains) ? domains.map(String) : [],
    };
  });
}

/**
 * Stack-specific encryption settings: a new stack gets its own data key from `pulumi stack init`. The `secretsprovider`
 * (the bootstrap's KMS key, shared by every stack of the organization) is kept, so the fork never falls back to a
 * passphrase.
 */
const ENCRYPTION_KEYS = ["encryptionsalt", "encryptedkey"];

function isSecure(node: unknown): boolean {
  return isMap(node) && node.items.length === 1 && isScalar(node.items[0]!.key) && node.items[0]!.key.value === "secure";
}

/** Removes encrypted values (top-level or nested) from the config map; returns the keys they were under. */
function dropSecureValues(document: Document): string[] {
  const config = document.get("config", true);
  if (!isMap(config)) return [];
  const dropped: string[] = [];
  const walk = (map: typeof config, prefix: string) => {
    for (const item of [...map.items]) {
      const key = `${prefix}${isScalar(item.key) ? String(item.key.value) : String(item.key)}`;
      if (isSecure(item.value)) {
        map.delete(item.key);
        dropped.push(key);
      } else if (isMap(item.value)) {
        walk(item.value, `${key}.`);
      }
    }
  };
  walk(config, "");
  return dropped;
}

/**
 * Writes `Pulumi.<tenant>.yaml` from the source stack: its non-secret config, the tenant's project, region and domain.
 * Validates the result with the program's own schema and refuses — writing nothing — when the name is invalid, the
 * file exists, or the project or domain already belongs to another stack.
 */
export function forkStack(options: ForkOptions): ForkResult {
  const { tenant, root } = options;
  if (!TENANT_NAME.test(tenant)) {
    throw new ForkRefused(`Invalid tenant name "${tenant}": use 2-22 lower-case letters, digits and dashes, starting with a letter.`);
  }
  if (!PROJECT_ID.test(options.project)) {
    throw new ForkRefused(`Invalid GCP project id "${options.project}": 6-30 lower-case letters, digits and dashes, starting with a letter.`);
  }
  const target = join(root, `Pulumi.${tenant}.yaml`);
  if (existsSync(target)) throw new ForkRefused(`Pulumi.${tenant}.yaml already exists: pick another tenant name or edit that file.`);
  const source = join(root, `Pulumi.${options.from}.yaml`);
  if (!existsSync(source)) throw new ForkRefused(`No stack "${options.from}" to fork from (Pulumi.${options.from}.yaml does not exist).`);

  for (const other of listStacks(root)) {
    if (other.project === options.project) throw new ForkRefused(`GCP project ${options.project} already belongs to stack "${other.stack}".`);
    if (options.domain && other.domains.includes(options.domain)) throw new ForkRefused(`Domain ${options.domain} already belongs to stack "${other.stack}".`);
  }

  const document = parseDocument(readFileSync(source, "utf8"));
  for (const key of ENCRYPTION_KEYS) document.delete(key);
  const secretKeys = dropSecureValues(document);
  const sourceAlertEmail = document.getIn(["config", "pulsura:alertEmail"]);
  const environment = String(document.getIn(["config", "pulsura:environment"]) ?? "");
  if (options.alertEmail) {
    document.setIn(["config", "pulsura:alertEmail"], options.alertEmail);
  } else {
    if (environment === "prod") {
      throw new ForkRefused(
        `A prod tenant needs its own alert address: pass --alert-email <address>${sourceAlertEmail ? ` (the source's, ${String(sourceAlertEmail)}, alerts the source's team)` : ""}.`,
      );
    }
    document.deleteIn(["config", "pulsura:alertEmail"]);
  }
  document.setIn(["config", "gcp:project"], options.project);
  if (options.region) document.setIn(["config", "gcp:region"], options.region);
  // Identity Platform and Firebase must bill quota to the tenant's project, not to the deployer's home project.
  document.setIn(["config", "gcp:userProjectOverride"], true);
  document.setIn(["config", "gcp:billingProject"], options.project);
  document.setIn(["config", "pulsura:tenant"], tenant);
  // The source's domains serve the source stack; the tenant gets its own or none.
  document.setIn(["config", "pulsura:domains"], document.createNode(options.domain ? [options.domain] : []));
  // The API domain's certificate and DNS record are the source stack's too: the tenant sets its own apiDomain, or has none.
  document.deleteIn(["config", "pulsura:apiDomain"]);
  // The source's header comment describes the source stack (YAML keeps it on the document, its contents or the first
  // key, depending on blank lines); the fork gets its own. Comments on single settings stay.
  if (document.contents) document.contents.commentBefore = null;
  if (isMap(document.contents)) for (const item of document.contents.items) if (isScalar(item.key)) item.key.commentBefore = null;
  document.commentBefore = ` Stack for tenant "${tenant}", forked from "${options.from}" by \`npm run tenant -- new\`.\n Secrets are not copied: set them with \`pulumi config set --secret <key> <value> --stack ${tenant}\`.`;
  const text = document.toString({ lineWidth: 0 });

  validateForked(tenant, text, secretKeys, root);
  writeFileSync(target, text, { flag: "wx" });
  const secretsProvider = document.get("secretsprovider");
  return { path: target, secretKeys, secretsProvider: typeof secretsProvider === "string" ? secretsProvider : undefined, droppedAlertEmail: !options.alertEmail && sourceAlertEmail ? String(sourceAlertEmail) : undefined };
}

/** Validates the forked file with the program's schema, treating secrets still to be set as present. */
function validateForked(tenant: string, text: string, secretKeys: string[], root: string): void {
  const { config } = stackConfigFromText(text, projectName(root));
  try {
    const toBeSet = new Set([...secretKeys, ...SECRET_CONFIG_KEYS.map((k) => `pulsura:${k}`)]);
    parseStackConfig(tenant, config, (key) => (toBeSet.has(`pulsura:${key}`) ? pulumi.secret("to be set") : undefined));
  } catch (error) {
    if (error instanceof StackConfigError) throw new ForkRefused(`The forked config is invalid:\n${error.message}`);
    throw error;
  }
}
