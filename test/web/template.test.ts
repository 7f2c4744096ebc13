/**
 * What can be checked about the Flutter template without the Flutter SDK (not installed on the build machines;
 * `flutter analyze` and `flutter test` run in the pull-request workflow): every Dart file lexes (terminated strings and
 * comments, balanced brackets), every import resolves to a file or a declared package, and the dependencies are pinned.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { repoRoot } from "../../scripts/lib/stack-files";
import { lexDart, type DartToken } from "./support/dart-lexer";

const template = join(repoRoot, "flutter-template");

function dartFiles(directory: string): string[] {
  return readdirSync(directory, { withFileTypes: true }).flatMap((entry) => {
    const path = join(directory, entry.name);
    if (entry.isDirectory()) return entry.name === "build" || entry.name.startsWith(".") ? [] : dartFiles(path);
    return entry.name.endsWith(".dart") ? [path] : [];
  });
}

/** URIs of the `import` and `export` directives of a token stream. */
function directiveUris(tokens: DartToken[]): string[] {
  const uris: string[] = [];
  tokens.forEach((token, i) => {
    const next = tokens[i + 1];
    if (token.kind === "identifier" && (token.text === "import" || token.text === "export") && next?.kind === "string") uris.push(next.value);
  });
  return uris;
}

const pubspec = parse(readFileSync(join(template, "pubspec.yaml"), "utf8")) as {
  name: string;
  environment: Record<string, string>;
  dependencies: Record<string, unknown>;
  dev_dependencies: Record<string, unknown>;
};
const files = [...dartFiles(join(template, "lib")), ...dartFiles(join(template, "test"))];

describe("the Flutter template", () => {
  it("has Dart sources in lib/ and test/", () => {
    expect(files.map((f) => relative(template, f))).toEqual(expect.arrayContaining(["lib/main.dart", "lib/pulsura_options.dart", "test/widget_test.dart"]));
  });

  it.each(files.map((f) => [relative(template, f), f]))("%s lexes: strings, comments and brackets are well formed", (_name, file) => {
    expect(() => lexDart(readFileSync(file, "utf8"))).not.toThrow();
  });

  it("imports only files that exist and packages it declares", () => {
    const declared = new Set([pubspec.name, ...Object.keys(pubspec.dependencies), ...Object.keys(pubspec.dev_dependencies)]);
    const problems: string[] = [];
    for (const file of files) {
      for (const uri of directiveUris(lexDart(readFileSync(file, "utf8")))) {
        if (uri.startsWith("dart:")) continue;
        if (uri.startsWith("package:")) {
          const [name, ...rest] = uri.slice("package:".length).split("/");
          if (!declared.has(name!)) problems.push(`${relative(template, file)}: ${uri} (package ${name} is not in pubspec.yaml)`);
          if (name === pubspec.name && !existsSync(join(template, "lib", ...rest))) problems.push(`${relative(template, file)}: ${uri} does not exist`);
        } else if (!existsSync(resolve(dirname(file), uri))) {
          problems.push(`${relative(template, file)}: ${uri} does not exist`);
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it("pins firebase_core, firebase_auth and graphql_flutter to exact versions", () => {
    for (const name of ["firebase_core", "firebase_auth", "graphql_flutter"]) {
      expect(String(pubspec.dependencies[name]), name).toMatch(/^\d+\.\d+\.\d+$/);
    }
  });
});
