/**
 * Imported first by CLIs that load much code (the plan loads @pulumi/pulumi, @pulumi/gcp, @pulumi/policy, TypeScript
 * for Pulumi's closure serializer, and the program), so the modules after it load faster. Neither step changes what
 * runs: each only skips work whose result is already known.
 */
import * as fs from "node:fs";
import Module, { enableCompileCache } from "node:module";
import { dirname, join, sep } from "node:path";

// Node keeps V8's compiled code of every module in .tmp/compile-cache/: a second run skips most compiling. An entry
// is used only while its file's text is unchanged.
export const compileCacheDir = join(__dirname, "..", "..", ".tmp", "compile-cache");
enableCompileCache(compileCacheDir);

// tsx reads every .js file that is required and scans it with its JavaScript ES-module lexer (its WebAssembly one is
// not ready during a synchronous start), in case the file is ESM syntax in a CommonJS package, which it would then
// compile. Packages in node_modules are CommonJS or say "type": "module", and Node 24 loads both itself: a CommonJS
// package's file is compiled directly; anything else (ESM packages, the repository's own files) still goes to tsx.
// The scan was about a fifth of the plan's time.
type JsLoader = (module: Module, filename: string) => void;
const extensions = (Module as unknown as { _extensions: Record<string, JsLoader> })._extensions;
const tsxJs = extensions[".js"];
const nodeModules = `${sep}node_modules${sep}`;
/** Folder → the "type" of the package.json nearest to it (as Node finds it), "none" when it has no package.json. */
const packageTypes = new Map<string, string>();

function packageTypeOf(folder: string): string {
  let type = packageTypes.get(folder);
  if (type !== undefined) return type;
  const packageJson = join(folder, "package.json");
  // A package.json that does not parse is left to Node (through tsx) to report.
  if (fs.existsSync(packageJson)) type = readType(packageJson);
  else type = dirname(folder) === folder ? "none" : packageTypeOf(dirname(folder));
  packageTypes.set(folder, type);
  return type;
}

function readType(packageJson: string): string {
  try {
    return (JSON.parse(fs.readFileSync(packageJson, "utf8")) as { type?: string }).type ?? "commonjs";
  } catch {
    return "unreadable";
  }
}

function commonJsPackageFile(filename: string): boolean {
  return filename.includes(nodeModules) && filename.endsWith(".js") && packageTypeOf(dirname(filename)) === "commonjs";
}

if (tsxJs) {
  extensions[".js"] = (module, filename) => {
    if (!commonJsPackageFile(filename)) return tsxJs(module, filename);
    (module as unknown as { _compile(content: string, filename: string, format: string): void })._compile(fs.readFileSync(filename, "utf8"), filename, "commonjs");
  };
}
