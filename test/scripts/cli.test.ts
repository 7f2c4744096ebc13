import { describe, expect, it } from "vitest";
import { closest, HelpRequested, helpText, parseCli, UsageError, type CliSpec } from "../../scripts/lib/cli";

const spec = {
  command: "npm run tenant --",
  summary: "Forks a stack for a new tenant.",
  usage: ["new <tenant> --from <stack> --project <id>", "list"],
  options: {
    from: { type: "string", value: "<stack>", description: "the stack to fork" },
    project: { type: "string", value: "<id>", description: "GCP project id" },
    domain: { type: "string", description: "one domain" },
    json: { type: "boolean", description: "print JSON" },
    tag: { type: "string", multiple: true, description: "a tag" },
  },
  subcommands: ["new", "list"],
  maxPositionals: 2,
} as const satisfies CliSpec;

function usageError(argv: string[]): string {
  try {
    parseCli(spec, argv);
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    return (error as Error).message;
  }
  throw new Error(`expected ${argv.join(" ")} to be refused`);
}

describe("the shared CLI layer", () => {
  it("parses options, repeated multi-value options and positionals", () => {
    const { values, positionals } = parseCli(spec, ["new", "acme", "--from", "prod", "--project=acme-prod", "--json", "--tag", "a", "--tag", "b"]);
    expect(values).toEqual({ from: "prod", project: "acme-prod", json: true, tag: ["a", "b"] });
    expect(positionals).toEqual(["new", "acme"]);
  });

  it("suggests the closest option or subcommand for a typo", () => {
    expect(usageError(["new", "acme", "--projct", "x"])).toBe("unknown option --projct (did you mean --project?)");
    expect(usageError(["lst"])).toBe('unknown subcommand "lst" (did you mean list?); expected one of new, list');
    expect(usageError(["new", "--zzzzzz"])).toBe("unknown option --zzzzzz");
    expect(usageError([])).toBe("name a subcommand: new, list");
  });

  it("refuses a single-value option given twice instead of keeping the last one", () => {
    expect(usageError(["new", "acme", "--domain", "a.example", "--domain", "b.example"])).toBe('--domain was given twice ("a.example" and "b.example"): give it once');
  });

  it("refuses missing values, values given to flags and extra arguments", () => {
    expect(usageError(["new", "acme", "--from"])).toBe("--from needs a value (<stack>)");
    expect(usageError(["new", "acme", "--from", "--json"])).toBe("--from needs a value (<stack>)");
    expect(usageError(["new", "acme", "--json=yes"])).toBe('--json takes no value (got "yes")');
    expect(usageError(["new", "acme", "extra"])).toBe('unexpected argument "extra" (at most 2)');
  });

  it("answers --help and -h before anything else is checked, listing every option", () => {
    expect(() => parseCli(spec, ["--bogus", "-h"])).toThrow(HelpRequested);
    expect(() => parseCli(spec, ["--help"])).toThrow(HelpRequested);
    const help = helpText(spec);
    for (const name of [...Object.keys(spec.options), "help"]) expect(help).toContain(`--${name}`);
    expect(help).toContain("npm run tenant -- new <tenant> --from <stack> --project <id>");
  });

  it("suggests only what is close enough to be a typo", () => {
    expect(closest("minInstance", ["minInstances", "maxInstances"])).toBe("minInstances");
    expect(closest("hasrua", ["hasura", "services"])).toBe("hasura");
    expect(closest("database", ["functions", "auth"])).toBeUndefined();
  });
});
