/**
 * npm run dev [-- --ports <name>=<port>,...|auto] [--data-dir <dir>] [--reset] [--no-hasura] [--verbose]
 *
 * The whole stack on this machine: Postgres with the hasura/ migrations and seeds, the Firebase Auth + Functions
 * emulators, every service with reload, and Hasura where a Docker engine answers. Ctrl-C, SIGTERM or SIGHUP to npm,
 * tsx or this process stops everything (scripts/lib/dev/lifeline.ts).
 * Exit codes: 0 after a signal stopped everything; 1 a port in use, a part that failed, or a second signal that
 * killed everything at once; 2 a command line that is not understood (nothing was started).
 */
// First: the modules below load faster after it.
import { compileCacheDir } from "./lib/fast-load";
import { runCli } from "./lib/cli";
import { devCli, devOptionsFrom } from "./lib/dev/options";
import { runDev } from "./lib/dev/run";

// The stack's Node processes (the Firebase CLI and its function workers, the services, the functions build) keep
// their compiled code there too: the Firebase CLI alone loads thousands of modules before its emulators start.
process.env.NODE_COMPILE_CACHE ??= compileCacheDir;

runCli(devCli, (args) => runDev(devOptionsFrom(args.values)));
