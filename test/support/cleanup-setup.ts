/**
 * Vitest setup file (runs in every test file): after the file's own hooks, stop whatever test helpers registered
 * with test/support/cleanup.ts and did not stop themselves, e.g. a server whose start outlived a timed-out
 * `beforeAll`, or one of several started with `Promise.all` when another failed.
 */
import { afterAll } from "vitest";
import { runCleanups } from "./cleanup";

afterAll(async () => {
  await runCleanups();
});
