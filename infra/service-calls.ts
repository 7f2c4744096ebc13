/**
 * Which services call which: read from the internal routes of each service (`services/<name>/src/internal/<route>.ts`,
 * `defineInternal({ callers: ["core", …], … })`), so the target's invoker binding lists exactly those callers and each
 * caller gets the target's URL. The callers are read from the file's syntax (TypeScript's parser, no evaluation:
 * the program must not load service code), which is why the kit asks for a literal list of names.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as ts from "typescript";
import { findHandlerFiles } from "../services/kit/src/route-files";

/** The internal routes of a service and the services each admits, by route name. */
export function internalRouteCallers(service: string, root: string = path.resolve(__dirname, "..")): Record<string, string[]> {
  const routes: Record<string, string[]> = {};
  for (const { name, file } of findHandlerFiles(path.join(root, "services", service), ["internal"])) {
    routes[name] = callersOf(fs.readFileSync(file, "utf8"), path.relative(root, file));
  }
  return routes;
}

/** The `callers` of the file's `defineInternal({...})`; throws naming the file when they are not a literal list. */
export function callersOf(source: string, where: string): string[] {
  const file = ts.createSourceFile(where, source, ts.ScriptTarget.Latest, false, ts.ScriptKind.TS);
  let found: string[] | undefined;
  let problem: string | undefined;
  const visit = (node: ts.Node): void => {
    if (ts.isCallExpression(node) && ts.isIdentifier(node.expression) && node.expression.text === "defineInternal") {
      const spec = node.arguments[0];
      const property =
        spec && ts.isObjectLiteralExpression(spec)
          ? spec.properties.find((p): p is ts.PropertyAssignment => ts.isPropertyAssignment(p) && ts.isIdentifier(p.name) && p.name.text === "callers")
          : undefined;
      const list = property?.initializer;
      const literal = list && ts.isAsExpression(list) ? list.expression : list;
      if (!literal || !ts.isArrayLiteralExpression(literal) || !literal.elements.every((e) => ts.isStringLiteral(e))) {
        problem = "callers must be a literal list of service names, e.g. callers: [\"core\"]";
        return;
      }
      found = literal.elements.map((e) => (e as ts.StringLiteral).text);
      return;
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  if (problem) throw new Error(`${where}: ${problem}`);
  if (!found) throw new Error(`${where}: no defineInternal({ callers: [...] }) found`);
  return found;
}

/** For each service of the stack: the services of the stack it admits on its internal routes (sorted, no duplicates). */
export function stackServiceCallers(services: readonly string[], root?: string): Record<string, string[]> {
  const deployed = new Set(services);
  return Object.fromEntries(
    services.map((service) => {
      const callers = Object.values(internalRouteCallers(service, root)).flat();
      return [service, [...new Set(callers)].filter((caller) => deployed.has(caller) && caller !== service).sort()];
    }),
  );
}
