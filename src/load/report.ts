import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { LoadSummary } from "../../load/summary.ts";
import { writeJson } from "../reports.ts";
import { loadHtml } from "./html-report.ts";
import type { TimelinePoint } from "./summarize.ts";

/** Writes summary.json, timeline.json (per second) and index.html into the folder. */
export function writeLoadReport(dir: string, summary: LoadSummary, timeline: readonly TimelinePoint[]): void {
  writeJson(dir, "summary.json", summary);
  writeFileSync(join(dir, "timeline.json"), `${JSON.stringify(timeline)}\n`);
  writeFileSync(join(dir, "index.html"), loadHtml(summary, timeline));
}
