/** `npm run build -w services/core`: bundles the service into dist/index.js (+ source map). */
import * as path from "node:path";
import { buildService } from "@pulsura/kit/build";

buildService({ serviceDir: path.resolve(__dirname, "..") }).then(
  (result) => {
    const handlers = result.handlers.map((handler) => `${handler.kind} ${handler.name}`).join(", ");
    process.stdout.write(`built ${path.relative(process.cwd(), result.outfile)} (${(result.bytes / 1024).toFixed(0)} KiB): ${handlers}\n`);
  },
  (error: unknown) => {
    process.stderr.write(`build failed: ${(error as Error).message}\n`);
    process.exit(1);
  },
);
