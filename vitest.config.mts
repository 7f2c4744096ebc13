import { availableParallelism } from "node:os";
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    globalSetup: [
      // First: one temp root (TMPDIR) and pid list for the whole run, swept at its end.
      "test/support/global-run.ts",
    ],
    // Each file stops what its helpers started, even after a failed or timed-out hook.
    setupFiles: ["test/support/cleanup-setup.ts"],
    // Infra tests set Pulumi mocks per process, and runtime tests start real servers: isolate each file.
    pool: "forks",
    // Vitest 5 runs files on all cores but one by default, which on a 2-core machine is one file at a time. Most files
    // wait on child processes (Postgres, emulators, CLIs), so one file per core keeps both cores busy.
    maxWorkers: availableParallelism(),
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
