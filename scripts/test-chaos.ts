// pnpm test:chaos [--name NAME | --start [--env nightly]] [--experiment NAME]... [--runs N] [--rate R]
// Runs chaos experiments against an environment under a workload that writes through the gateway
// and keeps a ledger of every acknowledged write: steady state, the fault, its removal, recovery,
// the invariants (no acknowledged write lost or doubled, no 500 from a service, recovered, every
// workload ready again). Faults are always removed, and ones a crashed run left are undone first.
// Writes reports/chaos-<time>/summary.json and index.html; exits 1 when an invariant broke.

import { EXPERIMENTS } from "../src/chaos/experiments/index.ts";
import { undoLeftFaults } from "../src/chaos/journal.ts";
import { writeChaosReport } from "../src/chaos/report.ts";
import { type RunResult, runExperiment } from "../src/chaos/run.ts";
import { parseFlags } from "../src/cli/flags.ts";
import { runMain } from "../src/cli/main.ts";
import { withSuiteEnvironment } from "../src/env/suite-target.ts";
import { UserError } from "../src/errors.ts";
import { RUNTIME_FLAG } from "../src/runtimes/index.ts";

await runMain(async () => {
  const { values } = parseFlags("test:chaos", process.argv.slice(2), {
    name: { type: "string" },
    start: { type: "boolean", default: false },
    env: { type: "string", default: "nightly" },
    experiment: { type: "string", multiple: true },
    runs: { type: "string", default: "1" },
    rate: { type: "string", default: "20" },
    ...RUNTIME_FLAG,
  });
  const known = EXPERIMENTS.map((e) => e.name);
  const chosen = (values.experiment ?? known).map((name) => {
    const experiment = EXPERIMENTS.find((e) => e.name === name);
    if (!experiment)
      throw new UserError(
        `--experiment: unknown experiment '${name}'`,
        `known experiments: ${known.join(", ")}`,
      );
    return experiment;
  });
  const runs = Number(values.runs);
  const rate = Number(values.rate);
  if (!Number.isInteger(runs) || runs < 1)
    throw new UserError(`--runs: '${values.runs}' is not a whole number >= 1`);
  if (!Number.isInteger(rate) || rate < 1 || rate > 200)
    throw new UserError(`--rate: '${values.rate}' is not a whole number of writes per second from 1 to 200`);
  await withSuiteEnvironment(
    values,
    { prefix: "chaos", defaultEnv: "nightly" },
    async ({ name, runtime, env }) => {
      const undone = await undoLeftFaults(name, env.faults);
      if (undone.length > 0) console.log(`undid faults an earlier run left in force: ${undone.join(", ")}`);
      const startedAt = new Date();
      const results: RunResult[] = [];
      for (const experiment of chosen) {
        console.log(`${experiment.name}: ${experiment.description}`);
        for (let run = 1; run <= runs; run++) {
          const result = await runExperiment(experiment, run, { runtime, env, rate, log: console.log });
          results.push(result);
          const errors =
            Object.entries(result.errors)
              .map(([k, n]) => `${n} x ${k}`)
              .join(", ") || "none";
          console.log(
            `  ${result.violations.length === 0 ? "✔" : "✘"} run ${run}: recovered ${result.recoveryMs === undefined ? "never" : `in ${(result.recoveryMs / 1000).toFixed(1)}s`}; ${result.verdict.acknowledged} acknowledged writes, ${result.verdict.lost.length} lost; errors: ${errors}${result.violations.map((v) => `\n      ${v}`).join("")}`,
          );
        }
      }
      const report = writeChaosReport(name, results, startedAt);
      const broken = results.filter((r) => r.violations.length > 0).length;
      console.log(
        `${results.length} run(s), ${broken === 0 ? "every invariant held" : `${broken} with broken invariants`}; report: ${report}`,
      );
      if (broken > 0) process.exitCode = 1;
    },
  );
});
