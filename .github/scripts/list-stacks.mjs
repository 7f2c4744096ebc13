#!/usr/bin/env node
/**
 * Lists the pulsura stacks: every `Pulumi.<stack>.yaml` in the repository root, with the environment its
 * `pulsura:environment` names. The workflows build their stack matrices from this (never from a hand-kept list), and
 * test/workflows runs the same file, so the two cannot drift.
 *
 *   node .github/scripts/list-stacks.mjs [--root <dir>] [--only <stack>]... [--except <stack>]... [--github-output]
 *
 * Prints a JSON array of {"stack", "environment", "file"} sorted by stack name. With --github-output it also appends
 * `stacks=<that JSON>` and `count=<n>` to the file named by $GITHUB_OUTPUT, for `fromJSON(needs.<job>.outputs.stacks)`.
 * Exits 1 with a message naming the file when a stack file cannot be read or has no valid environment.
 */
import { appendFileSync, readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { parse } from "yaml";

/** Same rule as scripts/lib/stack-files.ts; the characters are also safe in shell words and job names. */
const STACK_FILE = /^Pulumi\.([A-Za-z0-9_.-]+)\.yaml$/;
/** An environment names a policy config file (policy/config.<environment>.json). */
const ENVIRONMENT = /^[a-z][a-z0-9-]*$/;

/**
 * @param {string} root
 * @param {{ only?: string[], except?: string[] }} filter `only`: keep just these stacks (when not empty); `except`: leave these out
 * @returns {Array<{stack: string, environment: string, file: string}>}
 */
export function listStacks(root, { only = [], except = [] } = {}) {
  const stacks = [];
  for (const file of readdirSync(root).sort()) {
    const match = STACK_FILE.exec(file);
    if (!match || except.includes(match[1]) || (only.length > 0 && !only.includes(match[1]))) continue;
    let document;
    try {
      document = parse(readFileSync(join(root, file), "utf8"));
    } catch (error) {
      throw new Error(`${file}: not valid YAML (${error.message.split("\n")[0]})`);
    }
    const environment = document?.config?.["pulsura:environment"];
    if (typeof environment !== "string" || !ENVIRONMENT.test(environment)) {
      throw new Error(`${file}: config "pulsura:environment" is ${JSON.stringify(environment) ?? "missing"}; expected an environment such as dev or prod`);
    }
    stacks.push({ stack: match[1], environment, file });
  }
  return stacks.sort((a, b) => a.stack.localeCompare(b.stack));
}

function main() {
  const { values } = parseArgs({
    options: {
      root: { type: "string", default: resolve(fileURLToPath(import.meta.url), "..", "..", "..") },
      only: { type: "string", multiple: true, default: [] },
      except: { type: "string", multiple: true, default: [] },
      "github-output": { type: "boolean", default: false },
    },
    strict: true,
  });
  const stacks = listStacks(values.root, { only: values.only, except: values.except });
  const json = JSON.stringify(stacks);
  process.stdout.write(`${json}\n`);
  if (values["github-output"]) {
    const outputFile = process.env.GITHUB_OUTPUT;
    if (!outputFile) throw new Error("--github-output: $GITHUB_OUTPUT is not set (run inside GitHub Actions, or set it to a file)");
    appendFileSync(outputFile, `stacks=${json}\ncount=${stacks.length}\n`);
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    main();
  } catch (error) {
    process.stderr.write(`list-stacks: ${error.message}\n`);
    process.exit(1);
  }
}
