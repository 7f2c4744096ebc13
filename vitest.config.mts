import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Plans every Pulumi.<stack>.yaml once for all infra tests.
    globalSetup: ["test/infra/support/global-plans.ts"],
    // Infra tests set Pulumi mocks per process, and runtime tests start real servers: isolate each file.
    pool: "forks",
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
