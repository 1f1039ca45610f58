// pnpm nightly [--suites contract,policy,chaos,load] [--name nightly] [--keep] [--runtime docker|kind]
// The nightly run: the nightly environment (production's shape, the large seed) up, the suites in
// order against it, reports/nightly-<time>/summary.json and summary.md, then the environment
// removed (--keep leaves it up). Exits 1 when a suite failed: a threshold or an invariant broke.
import { parseFlags } from "../src/cli/flags.ts";
import { runMain } from "../src/cli/main.ts";
import { loadEnvFile } from "../src/config/env-file.ts";
import { bringUp } from "../src/env/bring-up.ts";
import { checkEnvName } from "../src/env/names.ts";
import { printRunResults, runSummary, writeRunReport } from "../src/pipeline/report.ts";
import { parseSuites, runSuites, SUITE_NAMES } from "../src/pipeline/suites.ts";
import { reportDir } from "../src/reports.ts";
import { chooseRuntime, RUNTIME_FLAG } from "../src/runtimes/index.ts";

await runMain(async () => {
  const { values } = parseFlags("nightly", process.argv.slice(2), {
    suites: { type: "string", default: SUITE_NAMES.join(",") },
    name: { type: "string", default: "nightly" },
    keep: { type: "boolean", default: false },
    ...RUNTIME_FLAG,
  });
  const suites = parseSuites(values.suites ?? SUITE_NAMES.join(","));
  const name = checkEnvName(values.name ?? "nightly");
  const envFile = loadEnvFile("nightly");
  const runtime = chooseRuntime(values.runtime, { envFile, name });
  const startedAt = new Date();
  try {
    await bringUp(name, envFile, runtime);
    const results = await runSuites(suites, name);
    const summary = runSummary({ kind: "nightly", environment: name, startedAt }, results);
    const dir = reportDir("nightly", startedAt);
    writeRunReport(dir, summary, results);
    printRunResults(summary, results, dir);
    if (!summary.ok) process.exitCode = 1;
  } finally {
    if (!values.keep) {
      await runtime.down(name);
      console.log(`environment '${name}' removed (--keep leaves it up)`);
    }
  }
});
