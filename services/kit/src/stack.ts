import * as fs from "node:fs";
import type { SourceMap } from "node:module";

/**
 * Stack traces of a bundled service point into one minified file. Node's `--enable-source-maps` fixes that but
 * parses the whole map at every start; this maps only the stacks that get logged, loading `<bundle>.js.map`
 * on the first error. Outside a bundle (tsx, vitest) or with Node's own source maps on, stacks pass unchanged.
 */
let bundleMap: { file: string; map: SourceMap } | null | undefined;

function loadBundleMap(): { file: string; map: SourceMap } | null {
  if (bundleMap !== undefined) return bundleMap;
  bundleMap = null;
  // The bundle itself (start.js may have loaded it), else the main module (index.js run directly).
  const file = [__filename, require.main?.filename].find((candidate) => candidate && fs.existsSync(`${candidate}.map`));
  if (!file || process.sourceMapsEnabled) return bundleMap;
  try {
    // Loaded here: node:module pulls in the ESM loader, which a service never needs unless it logs an error.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { SourceMap: SourceMapClass } = require("node:module") as typeof import("node:module");
    bundleMap = { file, map: new SourceMapClass(JSON.parse(fs.readFileSync(`${file}.map`, "utf8"))) };
  } catch {
    // An unreadable map only costs readable stacks.
  }
  return bundleMap;
}

// "    at name (file:line:column)", "    at file:line:column", both possibly with "async ".
const framePattern = /^\s*at (async )?(?:(.*?) \()?(.+?):(\d+):(\d+)\)?$/;

/** Rewrites the frames of `stack` that point into the bundle to the TypeScript sources they came from. */
export function mapStack(stack: string): string {
  const loaded = loadBundleMap();
  if (!loaded) return stack;
  return stack
    .split("\n")
    .map((line) => {
      const match = framePattern.exec(line);
      if (!match || match[3] !== loaded.file) return line;
      const entry = loaded.map.findEntry(Number(match[4]) - 1, Number(match[5]) - 1);
      if (!("originalSource" in entry)) return line;
      // The build writes sources relative to the repository root, e.g. services/core/src/actions/x.ts.
      const location = `${entry.originalSource}:${entry.originalLine + 1}:${entry.originalColumn + 1}`;
      const name = (entry as { name?: string }).name ?? match[2];
      const prefix = match[1] ?? "";
      return name ? `    at ${prefix}${name} (${location})` : `    at ${prefix}${location}`;
    })
    .join("\n");
}
