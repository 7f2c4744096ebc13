import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { hasuraProjectDir, isDemoSeed, readMetadata, readMigrations, readSeeds } from "../../infra/hasura/project";

const scratchDirs: string[] = [];

/** A throwaway Hasura project: `files` maps relative paths to contents. */
function project(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pulsura-hasura-project-"));
  scratchDirs.push(dir);
  for (const [file, contents] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    fs.writeFileSync(path.join(dir, file), contents);
  }
  return dir;
}

afterEach(() => {
  for (const dir of scratchDirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

describe("infra/hasura/project", () => {
  it("points hasuraProjectDir at the repository's hasura/ directory", () => {
    expect(fs.existsSync(path.join(hasuraProjectDir, "config.yaml"))).toBe(true);
  });

  describe("readMigrations", () => {
    it("orders migrations by numeric version and reads up.sql and down.sql", () => {
      const dir = project({
        "migrations/default/900_late/up.sql": "select 3;",
        "migrations/default/1000_later/up.sql": "select 4;",
        "migrations/default/1000_later/down.sql": "select -4;",
        "migrations/default/20_early/up.sql": "select 2;",
      });
      expect(readMigrations(dir)).toEqual([
        { version: "20", name: "early", up: "select 2;", down: "" },
        { version: "900", name: "late", up: "select 3;", down: "" },
        { version: "1000", name: "later", up: "select 4;", down: "select -4;" },
      ]);
    });

    it("rejects entries that are not <version>_<name> directories, missing up.sql and repeated versions", () => {
      expect(() => readMigrations(project({ "migrations/default/notes.txt": "" }))).toThrow(/<version>_<name>/);
      expect(() => readMigrations(project({ "migrations/default/1_a/down.sql": "" }))).toThrow(/no up\.sql/);
      expect(() =>
        readMigrations(project({ "migrations/default/1_a/up.sql": "", "migrations/default/01_b/up.sql": "" })),
      ).toThrow(/share version/);
      expect(() => readMigrations(project({ "config.yaml": "version: 3" }))).toThrow(/no migrations for database "default"/);
    });

    it("reads another database's migrations by name", () => {
      const dir = project({ "migrations/analytics/5_x/up.sql": "select 5;" });
      expect(readMigrations(dir, "analytics").map((migration) => migration.version)).toEqual(["5"]);
    });
  });

  describe("readSeeds", () => {
    it("returns .sql seed files in file-name order and [] without a seeds directory", () => {
      const dir = project({
        "seeds/default/90_demo_data.sql": "select 'demo';",
        "seeds/default/01_catalogue.sql": "select 'catalogue';",
        "seeds/default/README.md": "not a seed",
      });
      expect(readSeeds(dir)).toEqual([
        { file: "01_catalogue.sql", sql: "select 'catalogue';" },
        { file: "90_demo_data.sql", sql: "select 'demo';" },
      ]);
      expect(readSeeds(project({ "config.yaml": "version: 3" }))).toEqual([]);
    });

    it("tells demo seeds apart from the catalogue seed of this project", () => {
      const seeds = readSeeds(hasuraProjectDir);
      expect(seeds.filter(isDemoSeed).map((seed) => seed.file)).toEqual(["90_demo_data_only_when_enabled.sql"]);
      expect(seeds.filter((seed) => !isDemoSeed(seed)).map((seed) => seed.file)).toEqual(["01_role_permission_catalogue.sql"]);
    });
  });

  describe("readMetadata", () => {
    const minimal = {
      "metadata/version.yaml": "version: 3\n",
      "metadata/databases/databases.yaml": [
        "- name: default",
        "  kind: postgres",
        "  configuration: {connection_info: {database_url: {from_env: HASURA_GRAPHQL_DATABASE_URL}}}",
        "  tables: '!include default/tables/tables.yaml'",
        "",
      ].join("\n"),
      "metadata/databases/default/tables/tables.yaml": "- '!include public_a.yaml'\n- !include public_b.yaml\n",
      "metadata/databases/default/tables/public_a.yaml": "table: {name: a, schema: public}\n",
      "metadata/databases/default/tables/public_b.yaml": "table: {name: b, schema: public}\n",
    };

    it("resolves both the CLI's quoted '!include' strings and the YAML !include tag, relative to the including file", () => {
      const metadata = readMetadata(project(minimal)) as { sources: Array<{ tables: unknown[] }> };
      expect(metadata.sources[0].tables).toEqual([{ table: { name: "a", schema: "public" } }, { table: { name: "b", schema: "public" } }]);
    });

    it("maps allow_list.yaml to allowlist and leaves out empty files, as export_metadata does", () => {
      const metadata = readMetadata(
        project({
          ...minimal,
          "metadata/allow_list.yaml": "- collection: allowed-queries\n",
          "metadata/remote_schemas.yaml": "[]\n",
          "metadata/network.yaml": "{}\n",
        }),
      );
      expect(metadata.allowlist).toEqual([{ collection: "allowed-queries" }]);
      expect(Object.keys(metadata)).toEqual(["version", "sources", "allowlist"]);
    });

    it("builds actions and custom_types from actions.graphql and actions.yaml like the CLI", () => {
      const metadata = readMetadata(
        project({
          ...minimal,
          "metadata/actions.graphql": [
            "type Mutation { greet(input: GreetInput!, times: Int): GreetOutput }",
            "input GreetInput { name: String! }",
            '"""A greeting"""',
            "type GreetOutput { message: String!, tags: [String!] }",
            "enum Mood { HAPPY SAD }",
            "scalar Json",
          ].join("\n"),
          "metadata/actions.yaml": [
            "actions:",
            "  - name: greet",
            "    definition: {kind: synchronous, handler: 'http://x/greet'}",
            "    permissions: [{role: user}]",
            "custom_types:",
            "  objects: [{name: GreetOutput, relationships: [{name: r, type: object}]}]",
          ].join("\n"),
        }),
      );
      expect(metadata.actions).toEqual([
        {
          name: "greet",
          definition: {
            kind: "synchronous",
            handler: "http://x/greet",
            type: "mutation",
            arguments: [
              { name: "input", type: "GreetInput!" },
              { name: "times", type: "Int" },
            ],
            output_type: "GreetOutput",
          },
          permissions: [{ role: "user" }],
        },
      ]);
      expect(metadata.custom_types).toEqual({
        enums: [{ name: "Mood", values: [{ value: "HAPPY" }, { value: "SAD" }] }],
        input_objects: [{ name: "GreetInput", fields: [{ name: "name", type: "String!" }] }],
        objects: [
          {
            name: "GreetOutput",
            description: "A greeting",
            relationships: [{ name: "r", type: "object" }],
            fields: [
              { name: "message", type: "String!" },
              { name: "tags", type: "[String!]" },
            ],
          },
        ],
        scalars: [{ name: "Json" }],
      });
    });

    it("fails with the file name on a missing include, a bad version, an unknown action or invalid SDL", () => {
      expect(() =>
        readMetadata(project({ ...minimal, "metadata/databases/default/tables/tables.yaml": "- '!include public_gone.yaml'\n" })),
      ).toThrow(/public_gone\.yaml does not exist \(included from .*tables\.yaml\)/);
      expect(() => readMetadata(project({ ...minimal, "metadata/version.yaml": "version: 2\n" }))).toThrow(/expected metadata version 3/);
      expect(() => readMetadata(project({ "config.yaml": "version: 3" }))).toThrow(/version\.yaml does not exist/);
      expect(() =>
        readMetadata(
          project({
            ...minimal,
            "metadata/actions.graphql": "type Query { a: String }",
            "metadata/actions.yaml": "actions:\n  - name: b\n    definition: {handler: 'http://x'}\n",
          }),
        ),
      ).toThrow(/action "b" has no field/);
      expect(() =>
        readMetadata(project({ ...minimal, "metadata/actions.graphql": "type Query { a: String", "metadata/actions.yaml": "actions: []" })),
      ).toThrow(/actions\.graphql: Syntax Error/);
      expect(() =>
        readMetadata(
          project({
            ...minimal,
            "metadata/databases/default/tables/public_a.yaml": "table: !include public_a.yaml\n",
          }),
        ),
      ).toThrow(/!include cycle/);
    });
  });
});
