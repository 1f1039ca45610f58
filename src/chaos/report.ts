import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { writeJson } from "../reports.ts";
import { chaosHtml } from "./html-report.ts";
import type { RunResult } from "./run.ts";

/** What `test:chaos` writes as its report's summary.json: each run, and its timeline apart. */
export interface ChaosSummary {
  environment: string;
  startedAt: string;
  runs: Omit<RunResult, "timeline">[];
  timelines: Pick<RunResult, "experiment" | "run" | "faultAt" | "removedAt" | "recoveredAt" | "timeline">[];
}

/** The runs as they were, from a summary.json (the chaos section of a combined report). */
export const runsOf = (summary: ChaosSummary): RunResult[] =>
  summary.runs.map((run, i) => ({ ...run, timeline: summary.timelines[i]?.timeline ?? [] }));

/** Writes `summary.json` and `index.html` into the report folder. */
export function writeChaosReport(
  dir: string,
  env: string,
  results: readonly RunResult[],
  startedAt: Date,
): void {
  const summary: ChaosSummary = {
    environment: env,
    startedAt: startedAt.toISOString(),
    runs: results.map(({ timeline: _, ...run }) => run),
    timelines: results.map((r) => ({
      experiment: r.experiment,
      run: r.run,
      faultAt: r.faultAt,
      removedAt: r.removedAt,
      recoveredAt: r.recoveredAt,
      timeline: r.timeline,
    })),
  };
  writeJson(dir, "summary.json", summary);
  writeFileSync(join(dir, "index.html"), chaosHtml(env, startedAt, results));
}
