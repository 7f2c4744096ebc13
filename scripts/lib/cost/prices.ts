/**
 * The dated price table the cost estimate multiplies by: infra/prices/<service>.json, one file per Google service,
 * each price with its unit, the date it was read, its source URL and whether the figure was read from the page
 * (infra/prices/README.md). Loaded and validated here; a region a regional price does not name is refused.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { repoRoot } from "../stack-files";

/** Where the price table lives. */
export const PRICES_DIR = join(repoRoot, "infra", "prices");

/**
 * How old the table may be: 180 days. Google changes list prices a few times a year and announces changes months
 * ahead, so a table refreshed twice a year misses at most one change; the runtimes table (infra/runtimes.ts) uses the
 * same age for the same reason.
 */
export const MAX_PRICE_AGE_DAYS = 180;

const isoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, "an ISO date such as 2026-12-02");

const priceEntry = z
  .object({
    unit: z.string().min(1),
    usd: z.number().min(0).optional(),
    byRegion: z.record(z.string(), z.number().min(0)).optional(),
    free: z
      .object({
        quantity: z.number().min(0),
        scope: z.enum(["billing account", "project"]),
        /** Regions the free tier applies in, when not every region. */
        regions: z.array(z.string()).optional(),
      })
      .strict()
      .optional(),
    read: isoDate,
    source: z.url().refine((url) => new URL(url).hostname === "cloud.google.com", "a cloud.google.com pricing page"),
    confirmed: z.boolean(),
    note: z.string().optional(),
  })
  .strict()
  .refine((entry) => (entry.usd === undefined) !== (entry.byRegion === undefined), "exactly one of usd (every region) or byRegion");

const priceFile = z
  .object({
    service: z.string().min(1),
    pricingPage: z.url(),
    $comment: z.string().optional(),
    prices: z.record(z.string(), priceEntry),
  })
  .strict();

export type PriceEntry = z.infer<typeof priceEntry>;
export type PriceFile = z.infer<typeof priceFile>;

/** A price the estimate used, for the list of unconfirmed figures and the report. */
export interface PriceUse {
  file: string;
  key: string;
  unit: string;
  usd: number;
  read: string;
  source: string;
  confirmed: boolean;
}

/** A stack region that a regional price does not list: the estimate is refused rather than guessed. */
export class MissingPriceError extends Error {}

/** The price table: one validated file per service, looked up for one region. */
export class PriceTable {
  constructor(
    readonly files: Readonly<Record<string, PriceFile>>,
    /** Folder the files were read from, for messages. */
    readonly dir: string = PRICES_DIR,
  ) {}

  /** The oldest `read` date of any price: the date the estimate prints and the age test checks. */
  get readOn(): string {
    return Object.values(this.files)
      .flatMap((file) => Object.values(file.prices).map((entry) => entry.read))
      .sort()[0]!;
  }

  /** The entry of a price, or an error naming the file and key (a price the estimator needs must exist). */
  entry(file: string, key: string): PriceEntry {
    const prices = this.files[file];
    if (!prices) throw new MissingPriceError(`no price file ${join(this.dir, `${file}.json`)}: the estimate needs it for ${key}`);
    const entry = prices.prices[key];
    if (!entry) throw new MissingPriceError(`${join(this.dir, `${file}.json`)} has no price "${key}" (has: ${Object.keys(prices.prices).join(", ")})`);
    return entry;
  }

  /**
   * The list price of `key` in `region`.
   * @throws MissingPriceError naming the region, the file and the regions it has, when a regional price lacks the region
   */
  price(file: string, key: string, region: string): PriceUse {
    const entry = this.entry(file, key);
    const usd = entry.usd ?? entry.byRegion?.[region];
    if (usd === undefined) {
      throw new MissingPriceError(
        `region ${region} has no price "${key}" in ${join(this.dir, `${file}.json`)} (it lists ${Object.keys(entry.byRegion ?? {}).join(", ")}): ` +
          `add the region's list price from ${entry.source}, or plan a stack in one of those regions`,
      );
    }
    return { file, key, unit: entry.unit, usd, read: entry.read, source: entry.source, confirmed: entry.confirmed };
  }

  /** The free quantity per month of `key` in `region` (0 when none applies there). */
  free(file: string, key: string, region: string): number {
    const free = this.entry(file, key).free;
    if (!free || (free.regions && !free.regions.includes(region))) return 0;
    return free.quantity;
  }

  /** Regions every regional price lists: where a stack can be estimated. */
  regions(): string[] {
    const lists = Object.values(this.files).flatMap((file) => Object.values(file.prices).flatMap((entry) => (entry.byRegion ? [Object.keys(entry.byRegion)] : [])));
    if (lists.length === 0) return [];
    return lists.reduce((common, list) => common.filter((region) => list.includes(region))).sort();
  }
}

/**
 * Reads and validates every infra/prices/*.json.
 * @throws Error naming the file, the field and what was expected, when a file is not a valid price file
 */
export function loadPriceTable(dir: string = PRICES_DIR): PriceTable {
  const files: Record<string, PriceFile> = {};
  for (const name of readdirSync(dir).filter((f) => f.endsWith(".json")).sort()) {
    const path = join(dir, name);
    let json: unknown;
    try {
      json = JSON.parse(readFileSync(path, "utf8"));
    } catch (error) {
      throw new Error(`${path}: not readable as JSON (${(error as Error).message})`);
    }
    const parsed = priceFile.safeParse(json);
    if (!parsed.success) {
      const problems = parsed.error.issues.map((issue) => `${issue.path.join(".") || "(file)"}: ${issue.message}`).join("; ");
      throw new Error(`${path} is not a valid price file: ${problems}`);
    }
    files[name.replace(/\.json$/, "")] = parsed.data;
  }
  return new PriceTable(files, dir);
}

/** Whole days from an ISO date to `now`. */
export function ageInDays(isoDay: string, now: Date = new Date()): number {
  return Math.floor((now.getTime() - Date.parse(`${isoDay}T00:00:00Z`)) / 86_400_000);
}
