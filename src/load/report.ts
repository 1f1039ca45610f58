import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { LoadSummary } from "../../load/summary.ts";
import { repoRoot } from "../paths.ts";

/** The folder a run's report goes to: `reports/load-<time>/`, made now. */
export function loadReportDir(startedAt: Date): string {
  const dir = join(repoRoot, "reports", `load-${startedAt.toISOString().replace(/[:.]/g, "-")}`);
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** Writes summary.json (and the per-second timeline when the runner recorded one) into the folder. */
export function writeLoadReport(dir: string, summary: LoadSummary, timeline?: unknown): void {
  writeFileSync(join(dir, "summary.json"), `${JSON.stringify(summary, null, 2)}\n`);
  if (timeline) writeFileSync(join(dir, "timeline.json"), `${JSON.stringify(timeline)}\n`);
}
