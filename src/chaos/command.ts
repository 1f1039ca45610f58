import { scenarioNamed } from "../../load/flows.ts";
import { SCENARIOS } from "../../load/scenarios.ts";
import { oneOf, parseFlags, wholeNumber } from "../cli/flags.ts";
import { withSuiteEnvironment } from "../env/suite-target.ts";
import { REPORT_FLAG, suiteReportDir } from "../reports.ts";
import { RUNTIME_FLAG } from "../runtimes/index.ts";
import type { Experiment } from "./experiment.ts";
import { writeChaosReport } from "./report.ts";
import type { RunResult } from "./run.ts";
import { chooseExperiments, runChaosSuite } from "./suite.ts";

/**
 * What `test:chaos` and `bench:chaos` share: their flags, the environment (`--name`, or `--start`
 * one of `--env`, nightly by default, removed afterwards), the runs and the report. `verdict` says
 * what the command concludes from the results; the exit code is 1 unless it is ok.
 */
export async function chaosCommand(
  command: string,
  argv: string[],
  options: {
    defaultRuns: number;
    prefix: string;
    verdict: (results: RunResult[], chosen: Experiment[]) => { text: string; ok: boolean };
  },
): Promise<void> {
  const { values } = parseFlags(command, argv, {
    name: { type: "string" },
    start: { type: "boolean", default: false },
    env: { type: "string", default: "nightly" },
    experiment: { type: "string", multiple: true },
    runs: { type: "string", default: String(options.defaultRuns) },
    rate: { type: "string", default: "20" },
    "under-load": { type: "string" },
    ...RUNTIME_FLAG,
    ...REPORT_FLAG,
  });
  const chosen = chooseExperiments(values.experiment);
  const runs = wholeNumber("runs", values.runs, 1);
  const rate = wholeNumber("rate", values.rate, 1, 200);
  const underLoad =
    values["under-load"] === undefined
      ? undefined
      : scenarioNamed(
          oneOf(
            "under-load",
            values["under-load"],
            SCENARIOS.map((s) => s.name),
          ),
        );
  await withSuiteEnvironment(
    values,
    { prefix: options.prefix, defaultEnv: "nightly" },
    async ({ name, runtime, env }) => {
      const startedAt = new Date();
      const results = await runChaosSuite(chosen, runs, {
        runtime,
        env,
        rate,
        log: console.log,
        ...(underLoad ? { underLoad } : {}),
      });
      const report = suiteReportDir(values.report, "chaos", startedAt);
      writeChaosReport(report, name, results, startedAt);
      const { text, ok } = options.verdict(results, chosen);
      console.log(`${text}\nreport: ${report}`);
      if (!ok) process.exitCode = 1;
    },
  );
}
