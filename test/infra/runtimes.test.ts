/**
 * The runtime table (infra/runtimes.ts) drives the functions' runtimes and the policy pack; these tests keep it
 * fresh, consistent, and in step with the Node the project itself builds and runs on.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { DECOMMISSION_WARNING_MONTHS, FUNCTION_RUNTIMES, NODE_RUNTIMES, RUNTIMES_READ_ON, newestRuntime, runtimeStatus } from "../../infra/runtimes";
import { repoRoot } from "../../scripts/lib/stack-files";

const read = (file: string) => readFileSync(join(repoRoot, file), "utf8");

describe("the runtime table", () => {
  it("was read from Google's pages within the last six months (refresh infra/runtimes.ts when this fails)", () => {
    const age = (Date.now() - Date.parse(`${RUNTIMES_READ_ON}T00:00:00Z`)) / 86_400_000;
    expect(age).toBeGreaterThanOrEqual(0);
    expect(age, `infra/runtimes.ts was read on ${RUNTIMES_READ_ON}`).toBeLessThanOrEqual(183);
  });

  it("deploys the newest GA runtime each generation offers", () => {
    expect(FUNCTION_RUNTIMES.gen2).toBe(newestRuntime("gen2"));
    expect(FUNCTION_RUNTIMES.gen1).toBe(newestRuntime("gen1"));
    for (const [generation, id] of Object.entries(FUNCTION_RUNTIMES)) {
      expect(NODE_RUNTIMES[id]?.generations, id).toContain(generation);
    }
  });

  it("judges a runtime by its generation, stage and dates", () => {
    expect(runtimeStatus("nodejs24", "gen2", "2026-12-01").kind).toBe("ok");
    expect(runtimeStatus("nodejs24", "gen1", "2026-12-01").kind).toBe("wrong-generation");
    expect(runtimeStatus("nodejs26", "gen2", "2026-12-01").kind).toBe("preview");
    expect(runtimeStatus("nodejs20", "gen1", "2026-10-29").kind).toBe("decommission-soon");
    expect(runtimeStatus("nodejs20", "gen1", "2026-10-30").kind).toBe("decommissioned");
    expect(runtimeStatus("python312", "gen2", "2026-12-01").kind).toBe("unknown");
    // The warning window opens DECOMMISSION_WARNING_MONTHS calendar months before the date, not a day earlier.
    expect(DECOMMISSION_WARNING_MONTHS).toBe(6);
    expect(runtimeStatus("nodejs22", "gen1", "2027-04-30").kind).toBe("ok");
    expect(runtimeStatus("nodejs22", "gen1", "2027-05-01").kind).toBe("decommission-soon");
  });

  it("refuses to pick a runtime once a generation has none left", () => {
    expect(() => newestRuntime("gen1", "2027-11-01")).toThrow(/no supported Node.js runtime for Cloud Run functions gen1 on 2027-11-01/);
    expect(newestRuntime("gen2", "2027-11-01")).toBe("nodejs24");
  });
});

describe("the project's own Node", () => {
  const engines = (JSON.parse(read("package.json")) as { engines: { node: string } }).engines.node;
  const major = Number(/^>=(\d+)\.\d+ <(\d+)$/.exec(engines)?.[1]);

  it("is one LTS major in engines, .nvmrc and scripts/use-node.sh", () => {
    expect(engines).toMatch(/^>=\d+\.\d+ <\d+$/);
    expect(read(".nvmrc").trim()).toBe(String(major));
    const script = read("scripts/use-node.sh");
    expect(script).toContain(`PULSURA_NODE_RANGE="${engines}"`);
    expect(script).toContain(`PULSURA_NODE_MAJOR=${major}`);
  });

  it("is the Node the tests run on", () => {
    expect(process.versions.node.split(".")[0]).toBe(String(major));
  });

  it("is the Node of the 2nd-gen functions and of the service images", () => {
    expect(NODE_RUNTIMES[FUNCTION_RUNTIMES.gen2]?.node).toBe(major);
    const dockerfile = read("services/core/Dockerfile");
    expect(dockerfile).toMatch(new RegExp(`^FROM node:${major}-bookworm-slim AS build$`, "m"));
    expect(dockerfile).toMatch(new RegExp(`^FROM gcr\\.io/distroless/nodejs${major}-debian12:nonroot AS runtime$`, "m"));
  });
});
