/**
 * npm run plan -- --stack <name> [--json]
 * npm run plan -- --config-file <path> [--stack <name>] [--json]
 *
 * --inventory prints the full plan record (with each resource's dependencies and protect flag) as one JSON line.
 *
 * Plans a stack offline: the real program under Pulumi's mocks with the stack file's config, then the policy pack.
 * Exit codes: 0 clean or advisory violations only; 1 invalid config, bad arguments, a program error, or resource inputs
 * Google Cloud would refuse (the strict mocks' fidelity rules, all listed at once); 2 a mandatory policy is violated.
 */
import { parseArgs } from "node:util";
import { PlanError, planExitCode, planJson, planTree, runOfflinePlan } from "./lib/offline-plan";

const USAGE = "usage: npm run plan -- --stack <name> [--json]\n       npm run plan -- --config-file <Pulumi.<stack>.yaml> [--stack <name>] [--json]";

async function main(): Promise<number> {
  let values: { stack?: string; "config-file"?: string; json?: boolean; inventory?: boolean; help?: boolean };
  try {
    ({ values } = parseArgs({
      options: { stack: { type: "string" }, "config-file": { type: "string" }, json: { type: "boolean" }, inventory: { type: "boolean" }, help: { type: "boolean", short: "h" } },
      strict: true,
    }));
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n${USAGE}\n`);
    return 1;
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (!values.stack && !values["config-file"]) {
    process.stderr.write(`Name a stack with --stack or a stack file with --config-file.\n${USAGE}\n`);
    return 1;
  }
  try {
    const plan = await runOfflinePlan({ stack: values.stack, configFile: values["config-file"] });
    // --inventory (for tests and tools) adds what policies see: dependencies, protect, the environment.
    const rendered = values.inventory ? JSON.stringify(plan) : values.json ? JSON.stringify(planJson(plan), null, 2) : planTree(plan);
    process.stdout.write(`${rendered}\n`);
    return planExitCode(plan);
  } catch (error) {
    const message = error instanceof PlanError ? error.message : (error as Error).message;
    process.stderr.write(`${error instanceof PlanError && error.kind === "config" ? "" : "error: "}${message}\n`);
    return 1;
  }
}

/** Exits once stdout and stderr are flushed: a large plan written to a pipe would otherwise be cut short. */
function exitAfterFlush(code: number): void {
  process.stdout.write("", () => process.stderr.write("", () => process.exit(code)));
}

main().then(exitAfterFlush, (error: unknown) => {
  process.stderr.write(`error: ${(error as Error).message}\n`);
  exitAfterFlush(1);
});
