/**
 * `pulsura:storage`: defaults per environment, the documented limits, and every problem named by its key.
 */
import { describe, expect, it } from "vitest";
import type { RawConfig } from "../../infra/config";
import { configProblems, parseWithSecrets, PROD_RAW } from "./support/config";
import { STORAGE_DEFAULTS } from "../../infra/config/storage";

const base = PROD_RAW;
const parse = parseWithSecrets;
const withStorage = (storage: unknown, environment = "prod"): RawConfig => ({ ...base, "pulsura:environment": environment, "pulsura:storage": JSON.stringify(storage) });

const problemsOf = (raw: RawConfig) => configProblems(() => parse(raw));

describe("pulsura:storage", () => {
  it("defaults to images and PDFs up to 10 MiB, 15-minute uploads, versions and 7-day soft delete in prod", () => {
    expect(parse(base).storage).toEqual(STORAGE_DEFAULTS.prod);
    expect(STORAGE_DEFAULTS.prod).toMatchObject({ allowedContentTypes: ["image/jpeg", "image/png", "image/webp", "application/pdf"], maxUploadBytes: 10 * 1024 * 1024, uploadUrlMinutes: 15, versioning: true, softDeleteDays: 7 });
    expect(parse({ ...base, "pulsura:environment": "dev" }).storage).toMatchObject({ versioning: false, softDeleteDays: 0 });
  });

  it("takes the stack's values over the defaults", () => {
    expect(parse(withStorage({ maxUploadBytes: 1000, uploadUrlMinutes: 5, softDeleteDays: 30 })).storage).toMatchObject({ maxUploadBytes: 1000, uploadUrlMinutes: 5, softDeleteDays: 30 });
  });

  it("refuses sizes above 5 GiB, URLs beyond the V4 limit of 7 days and soft delete outside 0 or 7-90 days, by key", () => {
    const problems = problemsOf(withStorage({ maxUploadBytes: 6 * 1024 ** 3, uploadUrlMinutes: 7 * 24 * 60 + 1, downloadUrlMinutes: 0, softDeleteDays: 3 }));
    expect(problems.some((p) => p.startsWith("pulsura:storage.maxUploadBytes:"))).toBe(true);
    expect(problems.some((p) => p.startsWith("pulsura:storage.uploadUrlMinutes:"))).toBe(true);
    expect(problems.some((p) => p.startsWith("pulsura:storage.downloadUrlMinutes:"))).toBe(true);
    expect(problems.some((p) => p.startsWith("pulsura:storage.softDeleteDays:"))).toBe(true);
  });

  it("requires versioning, soft delete and https origins in prod, and allows turning them off in dev", () => {
    const problems = problemsOf(withStorage({ versioning: false, softDeleteDays: 0, extraCorsOrigins: ["http://localhost:5000"] }));
    expect(problems).toEqual([
      expect.stringMatching(/^pulsura:storage\.versioning: got false/),
      expect.stringMatching(/^pulsura:storage\.softDeleteDays: got 0/),
      expect.stringMatching(/^pulsura:storage\.extraCorsOrigins: got \["http:\/\/localhost:5000"\]/),
    ]);
    expect(parse(withStorage({ versioning: false, softDeleteDays: 0, extraCorsOrigins: ["http://localhost:5000"] }, "dev")).storage.extraCorsOrigins).toEqual(["http://localhost:5000"]);
  });

  it("refuses a wildcard origin and a content type with parameters", () => {
    const problems = problemsOf(withStorage({ extraCorsOrigins: ["https://*.example.com"], allowedContentTypes: ["image/png; q=1"] }, "dev"));
    expect(problems.some((p) => p.startsWith("pulsura:storage.extraCorsOrigins[0]:"))).toBe(true);
    expect(problems.some((p) => p.startsWith("pulsura:storage.allowedContentTypes[0]:"))).toBe(true);
  });
});
