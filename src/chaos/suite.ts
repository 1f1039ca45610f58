import { UserError } from "../errors.ts";
import type { Experiment } from "./experiment.ts";
import { EXPERIMENTS } from "./experiments/index.ts";
import { undoLeftFaults } from "./journal.ts";
import { type RunOptions, type RunResult, runExperiment } from "./run.ts";
import { describeLoad } from "./under-load.ts";

/**
 * The experiments named, in the order given; when none is, every one that strikes only the
 * environment (a disruptive one runs only by name). An unknown name lists the known ones.
 */
export function chooseExperiments(names: readonly string[] | undefined): Experiment[] {
  const known = EXPERIMENTS.map((e) => e.name);
  if (!names) return EXPERIMENTS.filter((e) => !e.disruptive);
  return names.map((name) => {
    const experiment = EXPERIMENTS.find((e) => e.name === name);
    if (!experiment)
      throw new UserError(
        `--experiment: unknown experiment '${name}'`,
        `known experiments: ${known.join(", ")}`,
      );
    return experiment;
  });
}

/** One line per run: recovery, the ledger, errors by status, and every broken invariant below it. */
export function describeRun(result: RunResult): string {
  const errors =
    Object.entries(result.errors)
      .map(([k, n]) => `${n} x ${k}`)
      .join(", ") || "none";
  const recovered =
    result.recoveryMs === undefined ? "never" : `in ${(result.recoveryMs / 1000).toFixed(1)}s`;
  return `  ${result.violations.length === 0 ? "✔" : "✘"} run ${result.run}: recovered ${recovered}; ${result.verdict.acknowledged} acknowledged writes, ${result.verdict.lost.length} lost; errors: ${errors}${result.load ? `\n      ${describeLoad(result.load)}` : ""}${result.violations.map((v) => `\n      ${v}`).join("")}`;
}

/**
 * Every experiment `runs` times against the environment, one after another, after undoing what an
 * earlier, crashed run left in force.
 */
export async function runChaosSuite(
  experiments: readonly Experiment[],
  runs: number,
  options: RunOptions,
): Promise<RunResult[]> {
  const { env, log } = options;
  // An environment that cannot host an experiment is said before anything runs.
  const pods = await env.pods();
  const unmet = experiments.flatMap((e) => {
    const why = e.requires?.(pods);
    return why ? [`${e.name}: ${why}`] : [];
  });
  if (unmet.length > 0)
    throw new UserError(
      `environment '${env.name}' cannot host every experiment chosen:\n  ${unmet.join("\n  ")}`,
    );
  const undone = await undoLeftFaults(env.name, env.faults);
  if (undone.length > 0) log(`undid faults an earlier run left in force: ${undone.join(", ")}`);
  const results: RunResult[] = [];
  for (const experiment of experiments) {
    log(`${experiment.name}: ${experiment.description}`);
    for (let run = 1; run <= runs; run++) {
      // Opened afresh each run: an experiment may have had the environment recreated (new ports).
      // A run that cannot go through (an earlier one left the environment unfit) is a broken run
      // in the report, and the suite goes on.
      const result = await options.runtime
        .open(env.name)
        .then((opened) => runExperiment(experiment, run, { ...options, env: opened }))
        .catch((error: Error) => failedRun(experiment.name, run, error));
      results.push(result);
      log(describeRun(result));
    }
  }
  return results;
}

/** A run that could not go through, as a result with the reason as its broken invariant. */
export function failedRun(experiment: string, run: number, error: Error): RunResult {
  return {
    experiment,
    run,
    targets: [],
    faultAt: 0,
    removedAt: 0,
    verdict: { acknowledged: 0, lost: [], duplicates: [], byStatus: {} },
    violations: [`the run could not go through: ${error.message}`],
    errors: {},
    timeline: [],
  };
}
