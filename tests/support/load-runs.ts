import type { LoadSummary } from "../../load/summary.ts";
import { type RequestRecord, summarize, timeline } from "../../src/load/summarize.ts";

// A small load run for the report's tests: 3 seconds of browse, a few slow and failed answers.
export const sampleRecords: RequestRecord[] = [
  ...Array.from({ length: 30 }, (_, i) => ({
    at: i * 100,
    flow: "browse",
    step: i % 2 ? "get-course" : "list-courses",
    status: 200,
    ms: 10 + (i % 7),
    failed: false,
  })),
  { at: 3_100, flow: "browse", step: "list-courses", status: 503, ms: 250, failed: true },
  { at: 3_200, flow: "<script>", step: "get-course", status: 0, ms: 10_000, failed: true },
];

export const sampleSummary: LoadSummary = summarize(
  sampleRecords,
  { checks: { passes: 30, fails: 2 }, iterations: 16, dropped: 0 },
  { scenario: "browse", target: "gateway", startedAt: "2026-12-01T20:00:00.000Z", seconds: 3.3 },
);
export const sampleTimeline = timeline(sampleRecords);
