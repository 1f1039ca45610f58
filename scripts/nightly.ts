// pnpm nightly [--suites contract,policy,chaos,load] [--name nightly] [--keep] [--runtime docker|kind]
//              [--history DIR]
// The nightly run: the nightly environment (production's shape, the large seed; on Docker with the
// backups component) up, the suites in order against it, reports/nightly-<time>/ (index.html,
// summary.json, summary.md), then the environment removed (--keep leaves it up). --history keeps
// the run's summary.json in DIR (the newest 30) for `pnpm report:trend DIR`. Exits 1 when a suite
// failed: a threshold or an invariant broke.
import { parseFlags } from "../src/cli/flags.ts";
import { runMain } from "../src/cli/main.ts";
import { loadEnvFile } from "../src/config/env-file.ts";
import { bringUp } from "../src/env/bring-up.ts";
import { checkEnvName } from "../src/env/names.ts";
import { runSuitesAndReport } from "../src/pipeline/report.ts";
import { parseSuites, SUITE_NAMES } from "../src/pipeline/suites.ts";
import { keepInHistory } from "../src/pipeline/trend.ts";
import { chooseRuntime, RUNTIME_FLAG } from "../src/runtimes/index.ts";

const HISTORY_KEPT = 30;

await runMain(async () => {
  const { values } = parseFlags("nightly", process.argv.slice(2), {
    suites: { type: "string", default: SUITE_NAMES.join(",") },
    name: { type: "string", default: "nightly" },
    keep: { type: "boolean", default: false },
    history: { type: "string" },
    ...RUNTIME_FLAG,
  });
  const suites = parseSuites(values.suites ?? SUITE_NAMES.join(","));
  const name = checkEnvName(values.name ?? "nightly");
  const nightly = loadEnvFile("nightly");
  const runtime = chooseRuntime(values.runtime, { envFile: nightly, name });
  // Production backs its database up; on Docker so does nightly, and the recovery drill runs on it
  // (Kind has no object store: there the drill starts an environment of its own).
  const envFile =
    runtime.name === "docker" && !nightly.with.includes("backups")
      ? { ...nightly, with: [...nightly.with, "backups"] }
      : nightly;
  const startedAt = new Date();
  // An earlier run stopped before its clean-up: its backups were its own, and a new database
  // cannot archive beside them.
  if (envFile.with.includes("backups") && (await runtime.backups.orphaned(name))) {
    await runtime.backups.remove(name);
    console.log(`removed the backups an earlier nightly run left for '${name}'`);
  }
  try {
    await bringUp(name, envFile, runtime);
    const { dir, ok } = await runSuitesAndReport({ kind: "nightly", environment: name, startedAt }, suites);
    if (values.history) {
      keepInHistory(dir, values.history, HISTORY_KEPT);
      console.log(`summary kept in ${values.history} (trend: pnpm report:trend ${values.history})`);
    }
    if (!ok) process.exitCode = 1;
  } finally {
    if (!values.keep) {
      await runtime.down(name);
      // Its backups were the run's own: tomorrow's nightly is a new database.
      if (envFile.with.includes("backups")) await runtime.backups.remove(name).catch(() => {});
      console.log(`environment '${name}' removed (--keep leaves it up)`);
    }
  }
});
