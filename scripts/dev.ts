/**
 * npm run dev [-- --ports <name>=<port>,...|auto] [--data-dir <dir>] [--reset] [--no-hasura] [--verbose]
 *
 * The whole stack on this machine: Postgres with the hasura/ migrations and seeds, the Firebase Auth + Functions
 * emulators, every service with reload, and Hasura where a Docker engine answers. Ctrl-C stops everything.
 * Exit codes: 0 after a signal stopped everything; 1 bad arguments, a port in use, a part that failed, or a second
 * signal that killed everything at once.
 */
import { DevUsageError, parseDevOptions, usage } from "./lib/dev/options";
import { runDev } from "./lib/dev/run";

async function main(): Promise<number> {
  let options: ReturnType<typeof parseDevOptions>;
  try {
    options = parseDevOptions(process.argv.slice(2));
  } catch (error) {
    if (!(error instanceof DevUsageError)) throw error;
    process.stderr.write(`${error.message}\n${usage}\n`);
    return 1;
  }
  if (options.help) {
    process.stdout.write(`${usage}\n`);
    return 0;
  }
  return runDev(options);
}

/** Exits once stdout and stderr are flushed, so the last lines reach a pipe. */
function exitAfterFlush(code: number): void {
  process.stdout.write("", () => process.stderr.write("", () => process.exit(code)));
}

main().then(exitAfterFlush, (error: unknown) => {
  process.stderr.write(`npm run dev failed: ${(error as Error)?.stack ?? String(error)}\n`);
  exitAfterFlush(1);
});
