// Mutation testing (StrykerJS) of the pure rooms: code the unit tests (tests/unit, no Docker) can
// reach. `pnpm test:mutation [ROOM]` runs one room or all (scripts/test-mutation.ts); a bare
// `pnpm stryker run` runs the room named by MUTATION_ROOM, or every room at once.
//
// Do not narrow a run with --testFiles: StrykerJS 10.1.1 then activates static mutants (module
// level code: schemas, regexes, constant tables) after their module has loaded, and reports them
// as survived whatever the tests do (stryker-js issue #6144).
//
// Left out on purpose (they need Postgres, Redis, Docker or a running environment, which the unit
// tests never start; the integration suite covers them): src/seed/{bulk-load,remove,runs,seed}.ts,
// services/kit/src/{postgres,redis}.ts; services/kit/src/index.ts and src/netpol/index.ts only
// re-export.

import { createHash } from "node:crypto";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** @type {Record<string, { mutate: string[], minScore: number }>} */
export const rooms = {
  netpol: { mutate: ["src/netpol/**/*.ts", "!src/netpol/index.ts"], minScore: 90 },
  seed: {
    mutate: ["src/seed/{generate,ids,prng,vocabulary,copy,password}.ts"],
    minScore: 80,
  },
  config: { mutate: ["src/config/**/*.ts"], minScore: 80 },
  contract: { mutate: ["src/contract/**/*.ts"], minScore: 80 },
  manifests: { mutate: ["src/manifests/**/*.ts"], minScore: 80 },
  kit: {
    mutate: ["services/kit/src/{config,embedding,errors,logger,schemas,service}.ts"],
    minScore: 80,
  },
};

const name = process.env.MUTATION_ROOM;
if (name !== undefined && !(name in rooms))
  throw new Error(`MUTATION_ROOM: unknown room '${name}'; rooms: ${Object.keys(rooms).join(", ")}`);
const selected = name === undefined ? Object.values(rooms) : [rooms[name]];
const out = `reports/mutation/${name ?? "all"}`;
const minScore = Math.max(...selected.map((r) => r.minScore));

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  mutate: selected.flatMap((r) => r.mutate),
  packageManager: "pnpm",
  // pnpm does not hoist: the default "@stryker-mutator/*" glob, read from core's own folder, finds
  // nothing there, so the plugins are resolved from the repository instead.
  plugins: [
    import.meta.resolve("@stryker-mutator/vitest-runner"),
    import.meta.resolve("@stryker-mutator/typescript-checker"),
  ],
  testRunner: "vitest",
  // The unit project only (vitest.mutation.config.ts has no other): the integration project's
  // global setup talks to Docker. `related` runs only the test files that import the mutated code.
  vitest: { configFile: "vitest.mutation.config.ts", dir: "tests/unit", related: true },
  coverageAnalysis: "perTest",
  // Mutants that do not type-check are discarded before any test runs, not counted as killed.
  checkers: ["typescript"],
  // The rooms and what they import, not the whole repository: a half-finished edit elsewhere
  // (scripts/, src/runtimes/) must not stop the checker from starting.
  tsconfigFile: "tsconfig.mutation.json",
  typescriptChecker: { prioritizePerformanceOverAccuracy: true },
  // A 2-core machine shared with builds and containers: never more than two workers.
  concurrency: 2,
  timeoutMS: 10_000,
  incremental: true,
  incrementalFile: `${out}/incremental.json`,
  allowConsoleColors: false,
  reporters: ["clear-text", "html", "json", "progress"],
  htmlReporter: { fileName: `${out}/index.html` },
  jsonReporter: { fileName: `${out}/mutation.json` },
  clearTextReporter: { allowColor: false, reportScoreTable: true, reportMutants: false },
  thresholds: { high: 90, low: minScore, break: null },
  // Sandboxes (copies of the repository) live outside it: inside, their biome.json would break
  // `pnpm lint` for everyone while a run lasts. One folder per checkout.
  tempDirName: join(tmpdir(), `azora-stryker-${createHash("sha256").update(import.meta.dirname).digest("hex").slice(0, 8)}`),
  cleanTempDir: true,
  // Not copied into the sandboxes: tool chains, environment state and earlier reports.
  ignorePatterns: [".tools", ".devstack", ".schemathesis", ".hypothesis", "coverage", "reports"],
};
