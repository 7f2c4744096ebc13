/**
 * The app's GraphQL operations as Hasura's allow-list: the Flutter template's documents
 * (`flutter-template/lib/src/graphql/documents.dart`) are the one source, written into
 * `hasura/metadata/query_collections.yaml` by `npm run hasura:allow-list` and checked by `test/hasura/allow-list.test.ts`.
 *
 * With `HASURA_GRAPHQL_ENABLE_ALLOWLIST=true` Hasura runs only these operations for every role but admin
 * (https://hasura.io/docs/latest/security/allow-list/). Hasura compares operations after normalizing them (whitespace,
 * `__typename` fields ignored), so the collection holds each document as written.
 *
 * No Pulumi imports and no work at import time: the Pulumi program and the tests both read this module.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { Kind, parse as parseGraphql, type OperationDefinitionNode } from "graphql";
import * as YAML from "yaml";

/** The Dart file that holds the app's operations, each a raw triple-quoted string constant. */
export const appDocumentsFile: string = path.resolve(__dirname, "..", "..", "flutter-template", "lib", "src", "graphql", "documents.dart");

/** The query collection (and allow-list entry) of the app's operations. */
export const appCollectionName = "pulsura-app";

export interface AppOperation {
  /** The operation name (`MyProfile`), unique in the collection. */
  name: string;
  /** The document as written in the Dart file, trimmed. */
  query: string;
  operation: OperationDefinitionNode["operation"];
  /** The Dart constant holding it, for error messages. */
  constant: string;
}

const dartRawString = /const\s+(\w+)\s*=\s*r'''([\s\S]*?)''';/g;

/**
 * Reads every operation of the app's documents file.
 *
 * @throws when a document does not parse, holds anything but exactly one named operation, or reuses a name
 */
export function readAppOperations(file: string = appDocumentsFile): AppOperation[] {
  const source = fs.readFileSync(file, "utf8");
  const operations: AppOperation[] = [];
  for (const [, constant, text] of source.matchAll(dartRawString)) {
    const where = `${path.relative(process.cwd(), file)} ${constant}`;
    let document;
    try {
      document = parseGraphql(text);
    } catch (error) {
      throw new Error(`${where}: not a GraphQL document: ${(error as Error).message}`);
    }
    const definitions = document.definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
    if (definitions.length !== 1 || document.definitions.length !== 1) {
      throw new Error(`${where}: expected exactly one operation (no fragments), got ${document.definitions.length} definitions`);
    }
    const [definition] = definitions;
    if (!definition.name) throw new Error(`${where}: the operation needs a name (the allow-list identifies operations by name)`);
    const name = definition.name.value;
    const clash = operations.find((o) => o.name === name);
    if (clash) throw new Error(`${where}: operation name ${name} is already used by ${clash.constant}`);
    operations.push({ name, query: text.trim(), operation: definition.operation, constant });
  }
  if (operations.length === 0) throw new Error(`${file}: no r'''...''' GraphQL documents found`);
  return operations;
}

/** `query_collections.yaml` for these operations (the CLI's v3 format). */
export function renderQueryCollections(operations: readonly AppOperation[]): string {
  const collections = [
    {
      name: appCollectionName,
      definition: { queries: operations.map(({ name, query }) => ({ name, query: `${query}\n` })) },
    },
  ];
  const header =
    "# Generated from flutter-template/lib/src/graphql/documents.dart by `npm run hasura:allow-list`: edit the documents, not this file.\n";
  return header + YAML.stringify(collections, { lineWidth: 0, blockQuote: "literal" });
}
