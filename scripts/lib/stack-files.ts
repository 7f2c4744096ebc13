/**
 * Reading Pulumi project and stack files the way the Pulumi CLI hands them to a program.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import { parse } from "yaml";

/** The repository root (where Pulumi.yaml lives). */
export const repoRoot = resolve(__dirname, "..", "..");

const STACK_FILE = /^Pulumi\.([A-Za-z0-9_.-]+)\.yaml$/;

/** Placeholder for a secret config value that cannot be decrypted offline. */
export const SECRET_PLACEHOLDER = "[secret]";

export interface StackFile {
  stack: string;
  path: string;
}

/** Every `Pulumi.<stack>.yaml` in the root, sorted by stack name. */
export function listStackFiles(root = repoRoot): StackFile[] {
  return readdirSync(root)
    .map((file) => STACK_FILE.exec(file))
    .filter((match): match is RegExpExecArray => match !== null)
    .map((match) => ({ stack: match[1]!, path: join(root, match[0]) }))
    .sort((a, b) => a.stack.localeCompare(b.stack));
}

/** The Pulumi project name from Pulumi.yaml. */
export function projectName(root = repoRoot): string {
  const project = parse(readFileSync(join(root, "Pulumi.yaml"), "utf8")) as { name?: string };
  if (!project?.name) throw new Error("Pulumi.yaml has no project name");
  return project.name;
}

/** Stack name of a stack file path: `Pulumi.<stack>.yaml`. */
export function stackNameOf(path: string): string {
  const match = STACK_FILE.exec(basename(path));
  if (!match) throw new Error(`${path} is not a stack file: expected a name like Pulumi.<stack>.yaml`);
  return match[1]!;
}

export interface LoadedStackConfig {
  /** Config as the language host passes it: `namespace:key` → string (objects and lists as JSON). */
  config: Record<string, string>;
  /** Keys whose values are Pulumi secrets (`secure:` in the file). */
  secretKeys: string[];
}

function isSecure(value: unknown): boolean {
  return typeof value === "object" && value !== null && !Array.isArray(value) && Object.keys(value).length === 1 && "secure" in value;
}

function containsSecure(value: unknown): boolean {
  if (isSecure(value)) return true;
  if (Array.isArray(value)) return value.some(containsSecure);
  if (typeof value === "object" && value !== null) return Object.values(value).some(containsSecure);
  return false;
}

/** Replaces `{secure: ...}` leaves with a placeholder: encrypted values cannot be read offline. */
function withoutCiphertext(value: unknown): unknown {
  if (isSecure(value)) return SECRET_PLACEHOLDER;
  if (Array.isArray(value)) return value.map(withoutCiphertext);
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, withoutCiphertext(v)]));
  }
  return value;
}

/**
 * Reads a stack file into the config map the Pulumi language host would pass to the program. Keys without a namespace
 * belong to the project. Encrypted values cannot be decrypted here: they become "[secret]" and are marked secret.
 */
export function loadStackConfig(path: string, project: string): LoadedStackConfig {
  if (!existsSync(path)) throw new Error(`stack file ${path} does not exist`);
  return stackConfigFromText(readFileSync(path, "utf8"), project);
}

/** The config map of a stack file's text (see loadStackConfig). */
export function stackConfigFromText(text: string, project: string): LoadedStackConfig {
  const document = (parse(text) ?? {}) as { config?: Record<string, unknown> };
  const config: Record<string, string> = {};
  const secretKeys: string[] = [];
  for (const [rawKey, value] of Object.entries(document.config ?? {})) {
    const key = rawKey.includes(":") ? rawKey : `${project}:${rawKey}`;
    const plain = withoutCiphertext(value);
    config[key] = typeof plain === "string" ? plain : JSON.stringify(plain);
    if (containsSecure(value)) secretKeys.push(key);
  }
  return { config, secretKeys };
}
