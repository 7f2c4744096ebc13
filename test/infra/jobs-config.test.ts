/**
 * `pulsura:services[i].jobs`: the queue defaults per environment, Cloud Tasks' documented limits, and the checks across
 * keys, every problem named by its key (infra/config/jobs.ts).
 */
import { describe, expect, it } from "vitest";
import type { RawConfig } from "../../infra/config";
import { JOB_QUEUE_DEFAULTS, serviceHasJobs } from "../../infra/config/jobs";
import { configProblems, parseWithSecrets, PROD_RAW } from "./support/config";

const withCore = (core: Record<string, unknown>, environment = "prod"): RawConfig => ({
  ...PROD_RAW,
  "pulsura:environment": environment,
  "pulsura:services": JSON.stringify([{ name: "core", ...core }]),
});
const problemsOf = (raw: RawConfig) => configProblems(() => parseWithSecrets(raw));

describe("pulsura:services[i].jobs", () => {
  it("defaults per environment, and takes the stack's values over them", () => {
    expect(parseWithSecrets(PROD_RAW).services[0]!.jobs).toEqual(JOB_QUEUE_DEFAULTS.prod);
    expect(parseWithSecrets({ ...PROD_RAW, "pulsura:environment": "dev" }).services[0]!.jobs).toEqual(JOB_QUEUE_DEFAULTS.dev);
    expect(parseWithSecrets(withCore({ jobs: { maxAttempts: 3, maxDispatchesPerSecond: 1.5 } })).services[0]!.jobs).toMatchObject({ maxAttempts: 3, maxDispatchesPerSecond: 1.5, minBackoffSeconds: 10 });
  });

  it("keeps the defaults within the default instances and pools (each running job holds a connection)", () => {
    expect(JOB_QUEUE_DEFAULTS.dev.maxConcurrentDispatches).toBeLessThanOrEqual(2 * 4);
    expect(JOB_QUEUE_DEFAULTS.prod.maxConcurrentDispatches).toBeLessThanOrEqual(10 * 5);
  });

  it("refuses rates above Cloud Tasks' limits, 0 attempts, and attempts below -1, by key", () => {
    const problems = problemsOf(withCore({ jobs: { maxDispatchesPerSecond: 501, maxConcurrentDispatches: 5001, maxAttempts: 0 } }));
    expect(problems.some((p) => p.startsWith("pulsura:services[0].jobs.maxDispatchesPerSecond:") && p.includes("500"))).toBe(true);
    expect(problems.some((p) => p.startsWith("pulsura:services[0].jobs.maxConcurrentDispatches:") && p.includes("5000"))).toBe(true);
    expect(problems.some((p) => p.startsWith("pulsura:services[0].jobs.maxAttempts:"))).toBe(true);
    expect(problemsOf(withCore({ jobs: { maxAttempts: -2 } })).some((p) => p.startsWith("pulsura:services[0].jobs.maxAttempts:"))).toBe(true);
  });

  it("refuses a minimum backoff above the maximum, and more concurrent jobs than the service's connections", () => {
    expect(problemsOf(withCore({ jobs: { minBackoffSeconds: 600, maxBackoffSeconds: 60 } }))).toEqual([
      expect.stringMatching(/^pulsura:services\[0\]\.jobs\.minBackoffSeconds: got 600, expected at most maxBackoffSeconds \(60\)/),
    ]);
    // core has jobs (services/core/src/jobs/): a concurrency the stack sets beyond its connections is refused ...
    expect(serviceHasJobs("core")).toBe(true);
    expect(problemsOf(withCore({ maxInstances: 2, poolSize: 5, jobs: { maxConcurrentDispatches: 25 } }))).toEqual([
      expect.stringMatching(/^pulsura:services\[0\]\.jobs\.maxConcurrentDispatches: got 25, expected at most maxInstances × poolSize \(2 × 5 = 10\)/),
    ]);
    // ... while the default follows a service scaled down.
    expect(parseWithSecrets(withCore({ maxInstances: 2, poolSize: 5 })).services[0]!.jobs.maxConcurrentDispatches).toBe(10);
  });
});
