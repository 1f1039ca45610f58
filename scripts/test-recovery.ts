// pnpm test:recovery [--name NAME | --start [--env ENV]] [--rate N] [--before MS] [--after MS] [--keep] [--report DIR]
// The recovery drill (src/recovery/drill.ts): a ledger written while a base backup is taken and
// after, a point-in-time restore into a new environment, every write acknowledged before the
// target checked there and none sent after it. Prints RTO and RPO; reports/recovery-<time>/summary.json;
// exit 1 when a write was lost or the restore went past its target.
import { parseFlags, wholeNumber } from "../src/cli/flags.ts";
import { runMain } from "../src/cli/main.ts";
import { withSuiteEnvironment } from "../src/env/suite-target.ts";
import { type RecoverySummary, recoveryDrill } from "../src/recovery/drill.ts";
import { REPORT_FLAG, suiteReportDir, writeJson } from "../src/reports.ts";
import { chooseRuntime, RUNTIME_FLAG } from "../src/runtimes/index.ts";

await runMain(async () => {
  const { values } = parseFlags("test:recovery", process.argv.slice(2), {
    name: { type: "string" },
    start: { type: "boolean", default: false },
    env: { type: "string" },
    rate: { type: "string", default: "50" },
    before: { type: "string", default: "2000" },
    after: { type: "string", default: "2000" },
    keep: { type: "boolean", default: false },
    ...RUNTIME_FLAG,
    ...REPORT_FLAG,
  });
  const rate = wholeNumber("rate", values.rate, 1, 500);
  const beforeTargetMs = wholeNumber("before", values.before, 100, 600_000);
  const afterTargetMs = wholeNumber("after", values.after, 100, 600_000);
  const startedAt = new Date();
  let startedEnv: string | undefined;
  const result = await withSuiteEnvironment(
    values,
    { prefix: "recovery", defaultEnv: "pr", components: ["backups"] },
    async ({ name, runtime, env }) => {
      if (values.start) startedEnv = name;
      const into = `${name}-drill`;
      console.log(`recovery drill on environment '${name}', restoring into '${into}'`);
      try {
        return await recoveryDrill({
          env: name,
          postgresUrl: env.endpoints.postgres ?? "",
          backups: runtime.backups,
          into,
          rate,
          beforeTargetMs,
          afterTargetMs,
          progress: (line) => console.log(`  ${line}`),
        });
      } finally {
        if (!values.keep) {
          await runtime.down(into);
          await runtime.backups.remove(into).catch(() => {});
        }
      }
    },
  );
  // The started environment is gone by now; its backups go with it.
  if (startedEnv) {
    await chooseRuntime(values.runtime, { name: startedEnv })
      .backups.remove(startedEnv)
      .catch(() => {});
  }
  console.log(
    `RPO: ${result.lost.length} of ${result.acknowledgedBefore} writes acknowledged before the target lost; ${result.leaked.length} of ${result.sentAfter} sent after it restored; ${result.inFlightRestored} of ${result.inFlight} in flight restored`,
  );
  console.log(
    `RTO: ${result.rtoSeconds.toFixed(1)} s (recovery ${result.recoverySeconds.toFixed(1)} s, environment up ${result.upSeconds.toFixed(1)} s); backup ${result.backupSeconds.toFixed(1)} s`,
  );
  const dir = suiteReportDir(values.report, "recovery", startedAt);
  const summary: RecoverySummary = { kind: "recovery", startedAt: startedAt.toISOString(), ...result };
  writeJson(dir, "summary.json", summary);
  console.log(`report: ${dir}`);
  console.log(result.passed ? "recovery drill passed" : "recovery drill FAILED");
  if (!result.passed) process.exitCode = 1;
});
