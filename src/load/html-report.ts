import type { LoadSummary } from "../../load/summary.ts";
import { escapeHtml, htmlTable, inlineJson, type ReportSection, standalonePage } from "../html.ts";
import type { TimelinePoint } from "./summarize.ts";
import { parseThreshold } from "./thresholds.ts";

const ms = (value: number | undefined) => (value === undefined ? "-" : value.toFixed(1));

/** The thresholds table's rows: metric, expression, the value it judged, and the verdict. */
export function thresholdRows(summary: LoadSummary): string[][] {
  return Object.entries(summary.metrics).flatMap(([name, metric]) =>
    Object.entries(metric.thresholds ?? {}).map(([expression, { ok }]) => {
      const value = metric.values[parseThreshold(name, expression).stat];
      return [
        name,
        expression,
        value === undefined ? "-" : String(Number(value.toFixed(4))),
        ok ? "ok" : "failed",
      ];
    }),
  );
}

/** The per-step table's rows, grouped by flow (the scenario's parts): requests, failed, latencies. */
export function stepRows(summary: LoadSummary): string[][] {
  return summary.steps.map((s) => [
    s.flow,
    s.step,
    String(s.requests),
    String(s.failed),
    ms(s.duration.med),
    ms(s.duration["p(95)"]),
    ms(s.duration["p(99)"]),
    ms(s.duration.max),
  ]);
}

/**
 * A load run as a report section: the verdict and the thresholds, p50/p95/p99 and throughput per
 * second (when the run recorded a timeline), errors by status, and a table per flow and step.
 */
export function loadSection(summary: LoadSummary, timeline: readonly TimelinePoint[]): ReportSection {
  const thresholds = thresholdRows(summary);
  const statuses = Object.entries(summary.statuses).map(([status, n]) => [
    status === "0" ? "0 (no answer)" : status,
    String(n),
  ]);
  const series = {
    seconds: timeline.map((p) => p.second),
    p50: timeline.map((p) => p.p50),
    p95: timeline.map((p) => p.p95),
    p99: timeline.map((p) => p.p99),
    requests: timeline.map((p) => p.requests),
    failed: timeline.map((p) => p.failed),
  };
  const charts =
    timeline.length > 0
      ? `<h3>Latency per second</h3><div class="chart" id="latency"></div>
<h3>Throughput per second</h3><div class="chart" id="throughput"></div>`
      : "<p>No per-second timeline was recorded for this run.</p>";
  const html = `<p id="verdict">${escapeHtml(summary.scenario)} via ${escapeHtml(summary.target)}, started ${escapeHtml(summary.startedAt)}, ${summary.seconds.toFixed(1)} s, ${escapeHtml(summary.runner)} runner:
${summary.passed ? "every threshold held" : "a threshold failed"}.</p>
<h3>Thresholds</h3>
${htmlTable("thresholds", ["metric", "threshold", "value", "verdict"], thresholds, (i) => (thresholds[i]?.[3] === "ok" ? "ok" : "failed"))}
${charts}
<h3>Responses by status</h3>
${htmlTable("statuses", ["status", "responses"], statuses)}
<h3>By flow and step (ms)</h3>
${htmlTable("steps", ["flow", "step", "requests", "failed", "p50", "p95", "p99", "max"], stepRows(summary))}`;
  const script = `(() => {
const S = ${inlineJson(series)};
if (S.seconds.length === 0) return;
const opts = (label) => ({ width: 900, height: 260, scales: { x: { time: false } }, axes: [{ label: "second of the run" }, { label }] });
new uPlot({ ...opts("ms"), series: [{ label: "s" }, { label: "p50", stroke: "#070" }, { label: "p95", stroke: "#c80" }, { label: "p99", stroke: "#c00" }] },
  [S.seconds, S.p50, S.p95, S.p99], document.getElementById("latency"));
new uPlot({ ...opts("requests"), series: [{ label: "s" }, { label: "sent", stroke: "#06c" }, { label: "failed", stroke: "#c00" }] },
  [S.seconds, S.requests, S.failed], document.getElementById("throughput"));
})();`;
  return { html, script };
}

/** `index.html` of a load report on its own (a run's combined report has it as a section). */
export function loadHtml(summary: LoadSummary, timeline: readonly TimelinePoint[]): string {
  return standalonePage(
    `Load report: ${summary.scenario} via ${summary.target}`,
    loadSection(summary, timeline),
  );
}
