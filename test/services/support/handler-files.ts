/**
 * A service's handlers as its source tree lists them, read with plain `fs` (not the kit's own discovery, which is what
 * the tests check). Tests that expect "every handler" derive it from here, so `npm run new` adding one never breaks
 * them; they still name the handlers they know must be there.
 */
import * as fs from "node:fs";
import * as path from "node:path";

export interface HandlerNames {
  actions: string[];
  events: string[];
  crons: string[];
  push: string[];
  jobs: string[];
  internal: string[];
}

/** `src/actions/*.ts`, `src/events/*.ts`, `src/crons/*.ts`, `src/push/*.ts`, `src/jobs/*.ts`, `src/internal/*.ts` without tests, declarations and `_` helpers, sorted as the kit sorts. */
export function handlerNamesOf(serviceDir: string): HandlerNames {
  const list = (folder: keyof HandlerNames) => {
    const dir = path.join(serviceDir, "src", folder);
    if (!fs.existsSync(dir)) return [];
    return fs
      .readdirSync(dir)
      .filter((file) => file.endsWith(".ts") && !file.endsWith(".d.ts") && !file.endsWith(".test.ts") && !file.startsWith("_"))
      .sort((a, b) => a.localeCompare(b))
      .map((file) => file.slice(0, -".ts".length));
  };
  return { actions: list("actions"), events: list("events"), crons: list("crons"), push: list("push"), jobs: list("jobs"), internal: list("internal") };
}
