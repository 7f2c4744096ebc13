/** `npm run dev -w services/core`: runs the service from its TypeScript sources, with the same checks as the bundle. */
import * as path from "node:path";
import { ConfigError, DriftError } from "@pulsura/kit";
import { runServiceFromSource } from "@pulsura/kit/dev";

runServiceFromSource(path.resolve(__dirname, "..")).catch((error: unknown) => {
  const message = error instanceof ConfigError || error instanceof DriftError ? error.message : (error as Error).stack;
  process.stderr.write(`core: ${message}\n`);
  process.exit(1);
});
