import { isAbsolute, relative } from "node:path";

/** A path as a person wants to read it: relative when it is under the working directory, absolute otherwise. */
export function displayPath(path: string, from = process.cwd()): string {
  const shown = relative(from, path);
  return shown && !shown.startsWith("..") && !isAbsolute(shown) ? shown : path;
}
