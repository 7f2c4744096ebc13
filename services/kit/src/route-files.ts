import * as fs from "node:fs";
import * as path from "node:path";
import { routeFolders, routeNamePatterns, type RouteKind } from "./definitions";

/** One handler file: `src/actions/createOrganization.ts` is `{ kind: "action", name: "createOrganization" }`. */
export interface HandlerFile {
  kind: RouteKind;
  name: string;
  /** Absolute path. */
  file: string;
}

/**
 * Lists a service's handler files (of every route kind, or of `kinds`): `src/actions/*.ts`, `src/events/*.ts`,
 * `src/crons/*.ts`, … The file name is the route. Tests (`*.test.ts`), declarations and files starting with `_` (shared helpers) are not handlers.
 * Throws when a file name is not a valid action or trigger name.
 */
export function findHandlerFiles(serviceDir: string, kinds: readonly RouteKind[] = Object.keys(routeFolders) as RouteKind[]): HandlerFile[] {
  const files: HandlerFile[] = [];
  for (const kind of kinds) {
    const folder = path.join(serviceDir, "src", routeFolders[kind]);
    if (!fs.existsSync(folder)) continue;
    for (const entry of fs.readdirSync(folder, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      if (!entry.isFile() || !entry.name.endsWith(".ts")) continue;
      if (entry.name.endsWith(".d.ts") || entry.name.endsWith(".test.ts") || entry.name.startsWith("_")) continue;
      const name = entry.name.slice(0, -".ts".length);
      if (!routeNamePatterns[kind].test(name)) {
        throw new Error(
          `${path.join(folder, entry.name)}: "${name}" is not a valid ${kind} name (expected ${routeNamePatterns[kind].source})`,
        );
      }
      files.push({ kind, name, file: path.join(folder, entry.name) });
    }
  }
  return files;
}

/** The nearest `hasura/` project (a folder with config.yaml) at or above `fromDir`. */
export function findHasuraDir(fromDir: string): string {
  let dir = path.resolve(fromDir);
  for (;;) {
    const candidate = path.join(dir, "hasura");
    if (fs.existsSync(path.join(candidate, "config.yaml"))) return candidate;
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`no hasura/config.yaml found at or above ${fromDir}`);
    dir = parent;
  }
}
