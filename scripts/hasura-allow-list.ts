/**
 * Writes hasura/metadata/query_collections.yaml from the Flutter template's GraphQL documents (the allow-list's one
 * source). `--check` writes nothing and fails when the file is out of date.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { hasuraProjectDir } from "../infra/hasura/project";
import { readAppOperations, renderQueryCollections } from "../infra/hasura/allow-list";

const target = path.join(hasuraProjectDir, "metadata", "query_collections.yaml");
const args = process.argv.slice(2);
const unknown = args.filter((arg) => arg !== "--check");
if (unknown.length > 0 || args.includes("--help")) {
  console.error("usage: npm run hasura:allow-list [-- --check]");
  process.exit(unknown.length > 0 ? 2 : 0);
}
try {
  const operations = readAppOperations();
  const text = renderQueryCollections(operations);
  const current = fs.existsSync(target) ? fs.readFileSync(target, "utf8") : "";
  if (args.includes("--check")) {
    if (current !== text) {
      console.error(`${path.relative(process.cwd(), target)} is out of date: run npm run hasura:allow-list (nothing was written)`);
      process.exit(1);
    }
    console.log(`${path.relative(process.cwd(), target)}: ${operations.length} operations, up to date`);
  } else {
    fs.writeFileSync(target, text);
    console.log(`wrote ${path.relative(process.cwd(), target)}: ${operations.length} operations`);
  }
} catch (error) {
  console.error(`hasura:allow-list: ${(error as Error).message} (nothing was written)`);
  process.exit(1);
}
