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
        // k6's modules, which only exist inside k6: stand-ins, so the k6 scripts load in a test.
        resolve: {
          alias: {
            "k6/http": new URL("tests/support/k6/http.ts", import.meta.url).pathname,
            "k6/execution": new URL("tests/support/k6/execution.ts", import.meta.url).pathname,
            k6: new URL("tests/support/k6/k6.ts", import.meta.url).pathname,
          },
        },
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
