/**
 * File watching for reloads. Directories are watched, never files: an editor's safe-write (write a temporary file,
 * rename it over the original) replaces the file's inode, and a watch on the old inode goes silent, while the
 * directory's watch reports the rename under the file's name every time. So each directory of a tree gets its own
 * non-recursive fs.watch (whatever fs.watch's recursive mode does on this platform and Node version), directories
 * created later get theirs when they appear, and changes are bunched up so that an editor's save (often several
 * writes) or a `git checkout` triggers one reload.
 */
import * as fs from "node:fs";
import * as path from "node:path";

export interface TreeWatcher {
  close(): void;
}

const defaultIgnore = /(^|[\\/])(node_modules|dist|lib|\.git)([\\/]|$)/;

/**
 * Calls `onChange` with the changed paths once no further change came for `quietMs`. Paths matching `ignore`
 * (relative to their watched root) are left out. Missing roots are skipped.
 */
export function watchTrees(
  roots: string[],
  onChange: (changed: string[]) => void,
  { quietMs = 200, ignore = defaultIgnore }: { quietMs?: number; ignore?: RegExp } = {},
): TreeWatcher {
  const pending = new Set<string>();
  const watchers = new Map<string, fs.FSWatcher>();
  let timer: NodeJS.Timeout | undefined;
  let closed = false;

  const changed = (file: string) => {
    pending.add(file);
    clearTimeout(timer);
    timer = setTimeout(() => {
      const files = [...pending];
      pending.clear();
      if (!closed) onChange(files);
    }, quietMs);
  };

  const unwatch = (dir: string) => {
    for (const [watched, watcher] of watchers) {
      if (watched === dir || watched.startsWith(`${dir}${path.sep}`)) {
        watcher.close();
        watchers.delete(watched);
      }
    }
  };

  const watchDir = (root: string, dir: string) => {
    if (closed || watchers.has(dir)) return;
    const relative = path.relative(root, dir);
    if (relative && ignore.test(relative)) return;
    let watcher: fs.FSWatcher;
    try {
      watcher = fs.watch(dir, { persistent: false }, (_event, name) => {
        const file = name ? path.join(dir, name.toString()) : dir;
        const fromRoot = path.relative(root, file);
        if (fromRoot && ignore.test(fromRoot)) return;
        changed(file);
        // A directory that appeared (mkdir, or renamed into place) is watched from now on, with what it holds.
        if (name && isDirectory(file)) watchTree(root, file, true);
        else if (name && watchers.has(file) && !fs.existsSync(file)) unwatch(file);
      });
    } catch (error) {
      // Gone between listing and watching: its parent's watch reports it.
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return;
      throw error;
    }
    // A watched directory that is removed ends its watch with an error on some platforms.
    watcher.on("error", () => unwatch(dir));
    watchers.set(dir, watcher);
  };

  /** Watches `dir` and every directory below it; `report` marks files found as changed (a directory moved in). */
  const watchTree = (root: string, dir: string, report: boolean) => {
    watchDir(root, dir);
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      const child = path.join(dir, entry.name);
      const relative = path.relative(root, child);
      if (ignore.test(relative)) continue;
      if (entry.isDirectory()) watchTree(root, child, report);
      else if (report) changed(child);
    }
  };

  for (const root of roots) if (isDirectory(root)) watchTree(root, root, false);

  return {
    close() {
      closed = true;
      clearTimeout(timer);
      for (const watcher of watchers.values()) watcher.close();
      watchers.clear();
    },
  };
}

function isDirectory(file: string): boolean {
  try {
    return fs.statSync(file).isDirectory();
  } catch {
    return false;
  }
}
