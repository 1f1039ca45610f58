import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    // The same settings src/docker/testcontainers.ts applies, for test files that use testcontainers first.
    env: { TESTCONTAINERS_RYUK_DISABLED: "true", TESTCONTAINERS_HOST_OVERRIDE: "127.0.0.1" },
    projects: [
      {
        extends: true,
        // No Docker, but the integration files run beside them on 2 cores: 5 s was too tight.
        test: { name: "unit", include: ["tests/unit/**/*.test.ts"], testTimeout: 30_000 },
      },
      {
        extends: true,
        test: {
          name: "integration",
          include: ["tests/integration/**/*.test.ts"],
          globalSetup: ["tests/support/docker-setup.ts"],
          // Real containers on 2 cores: generous timeouts, and files one at a time so that
          // start-up figures are not skewed by each other.
          testTimeout: 180_000,
          hookTimeout: 300_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
