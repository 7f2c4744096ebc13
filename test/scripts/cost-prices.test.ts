import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { SUPPORTED_REGIONS } from "../../infra/config";
import { ageInDays, loadPriceTable, MAX_PRICE_AGE_DAYS, MissingPriceError, PRICES_DIR } from "../../scripts/lib/cost/prices";

const table = loadPriceTable();

describe("the price table (infra/prices/)", () => {
  it("has one valid file per Google service the estimate prices, each price dated and sourced from cloud.google.com", () => {
    const files = readdirSync(PRICES_DIR).filter((f) => f.endsWith(".json")).map((f) => f.replace(/\.json$/, "")).sort();
    expect(Object.keys(table.files).sort()).toEqual(files);
    for (const service of ["artifact-registry", "cloud-armor", "cloud-functions", "cloud-run", "cloud-sql", "cloud-storage", "networking", "observability", "pubsub", "secret-manager"]) {
      expect(files).toContain(service);
    }
    for (const [file, prices] of Object.entries(table.files)) {
      expect(Object.keys(prices.prices).length, file).toBeGreaterThan(0);
      for (const [key, entry] of Object.entries(prices.prices)) {
        expect(entry.read, `${file}:${key}`).toMatch(/^\d{4}-\d{2}-\d{2}$/);
        expect(new URL(entry.source).hostname, `${file}:${key}`).toBe("cloud.google.com");
        // A figure not read from the page says where it comes from instead.
        if (!entry.confirmed) expect(entry.note, `${file}:${key}`).toBeTruthy();
      }
    }
  });

  it(`was read at most ${MAX_PRICE_AGE_DAYS} days ago (refresh it from the source pages: infra/prices/README.md)`, () => {
    const age = ageInDays(table.readOn);
    expect(age, `the oldest price was read on ${table.readOn}, ${age} days ago`).toBeLessThanOrEqual(MAX_PRICE_AGE_DAYS);
    expect(age).toBeGreaterThanOrEqual(0);
  });

  it("counts a table's age from its oldest price, so one stale price makes the whole table stale", () => {
    const dir = mkdtempSync(join(tmpdir(), "pulsura-prices-"));
    try {
      const price = (read: string) => ({ unit: "hour", usd: 1, read, source: "https://cloud.google.com/run/pricing", confirmed: true });
      writeFileSync(join(dir, "a.json"), JSON.stringify({ service: "A", pricingPage: "https://cloud.google.com/run/pricing", prices: { x: price("2026-01-10"), y: price("2025-03-01") } }));
      const stale = loadPriceTable(dir);
      expect(stale.readOn).toBe("2025-03-01");
      expect(ageInDays(stale.readOn, new Date("2025-03-01T12:00:00Z"))).toBe(0);
      expect(ageInDays(stale.readOn, new Date("2025-08-29T00:00:00Z"))).toBe(181);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("prices only regions a stack may deploy into, and names the region and the file when a regional price lacks one", () => {
    const regions = table.regions();
    expect(regions.length).toBeGreaterThan(0);
    for (const region of regions) expect(SUPPORTED_REGIONS).toContain(region);
    const missing = SUPPORTED_REGIONS.find((region) => !regions.includes(region))!;
    expect(() => table.price("cloud-sql", "sharedCore.db-g1-small", missing)).toThrow(MissingPriceError);
    expect(() => table.price("cloud-sql", "sharedCore.db-g1-small", missing)).toThrow(new RegExp(`region ${missing} has no price "sharedCore.db-g1-small" in .*infra/prices/cloud-sql\\.json`));
  });

  it("refuses a price file that is not valid, naming the file and the field", () => {
    const dir = mkdtempSync(join(tmpdir(), "pulsura-prices-"));
    try {
      writeFileSync(join(dir, "bad.json"), JSON.stringify({ service: "B", pricingPage: "https://cloud.google.com/x", prices: { x: { unit: "hour", read: "yesterday", source: "https://example.com/", confirmed: true } } }));
      expect(() => loadPriceTable(dir)).toThrow(/bad\.json is not a valid price file: .*prices\.x\.read: an ISO date/);
      expect(() => loadPriceTable(dir)).toThrow(/prices\.x\.source: a cloud\.google\.com pricing page/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

