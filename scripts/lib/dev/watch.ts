/**
 * File watching for reloads: one recursive fs.watch per directory, changes bunched up so that an editor's
 * save (often several writes) or a `git checkout` triggers one reload.
 */
import * as fs from "node:fs";
import * as path from "node:path";

export interface TreeWatcher {
  close(): void;
}

/**
 * Calls `onChange` with the changed paths once no further change came for `quietMs`. Paths matching `ignore`
 * (relative to their watched directory) are left out. Missing directories are skipped.
 */
export function watchTrees(
  dirs: string[],
  onChange: (changed: string[]) => void,
  { quietMs = 200, ignore = /(^|[\\/])(node_modules|dist|lib|\.git)([\\/]|$)/ }: { quietMs?: number; ignore?: RegExp } = {},
): TreeWatcher {
  const pending = new Set<string>();
  let timer: NodeJS.Timeout | undefined;
  const watchers = dirs
    .filter((dir) => fs.existsSync(dir))
    .map((dir) =>
      fs.watch(dir, { recursive: true, persistent: false }, (_event, file) => {
        const relative = file ? file.toString() : "";
        if (relative && ignore.test(relative)) return;
        pending.add(path.join(dir, relative));
        clearTimeout(timer);
        timer = setTimeout(() => {
          const changed = [...pending];
          pending.clear();
          onChange(changed);
        }, quietMs);
      }),
    );
  return {
    close() {
      clearTimeout(timer);
      for (const watcher of watchers) watcher.close();
    },
  };
}
