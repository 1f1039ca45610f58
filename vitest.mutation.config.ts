// The vitest configuration that mutation testing runs (stryker.config.mjs): the `unit` project of
// vitest.config.ts and nothing else. Stryker's vitest runner starts every project of the config it
// is given, so handing it vitest.config.ts would start the integration project's Docker global
// setup; a config without that project makes it unreachable.
import { fileURLToPath } from "node:url";
import { configDefaults, defineConfig } from "vitest/config";
import base from "./vitest.config.ts";

const unit = base.test?.projects?.find(
  (p) => typeof p === "object" && "test" in p && p.test?.name === "unit",
);
if (typeof unit !== "object" || !("test" in unit))
  throw new Error("vitest.config.ts has no project named 'unit'");

const leftOut = [
  // Runs kubernetes-validate from .tools/venv, which Stryker does not copy into its sandboxes
  // (.tools is half a gigabyte).
  "tests/unit/kind-check.test.ts",
  // Only run entry points in child processes: a mutant is switched on inside the test process
  // (a global of Stryker's), so these can never kill one; they would only slow every run down.
  "tests/unit/cli-errors.test.ts",
  "tests/unit/commands.test.ts",
  "tests/unit/netpol-cli.test.ts",
];

export default defineConfig({
  ...base,
  // In a Stryker sandbox node_modules is a link to the repository's, where @azora/service-kit
  // links back to the repository's services/kit, not to the sandbox's mutated copy: point it there.
  resolve: {
    alias: { "@azora/service-kit": fileURLToPath(new URL("./services/kit/src/index.ts", import.meta.url)) },
  },
  test: {
    ...base.test,
    projects: [{ ...unit, test: { ...unit.test, exclude: [...configDefaults.exclude, ...leftOut] } }],
  },
});
