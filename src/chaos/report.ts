import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { reportDir } from "../reports.ts";
import { chaosHtml } from "./html-report.ts";
import type { RunResult } from "./run.ts";

/** Writes `reports/chaos-<time>/summary.json` and `index.html` and resolves to the folder. */
export function writeChaosReport(env: string, results: readonly RunResult[], startedAt: Date): string {
  const dir = reportDir("chaos", startedAt);
  const summary = {
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
  writeFileSync(join(dir, "summary.json"), `${JSON.stringify(summary, null, 2)}\n`);
  writeFileSync(join(dir, "index.html"), chaosHtml(env, startedAt, results));
  return dir;
}
