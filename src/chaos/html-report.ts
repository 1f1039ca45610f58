import { escapeHtml, htmlTable, inlineJson, type ReportSection, standalonePage } from "../html.ts";
import type { RunResult } from "./run.ts";
import { describeLoad } from "./under-load.ts";

/** One chart's series: per 100 ms from the first write to the last, acknowledged and failed writes. */
export function chartSeries(timeline: RunResult["timeline"]): {
  seconds: number[];
  ok: number[];
  failed: number[];
} {
  const series = { seconds: [] as number[], ok: [] as number[], failed: [] as number[] };
  const first = timeline[0]?.at;
  const last = timeline.at(-1)?.at;
  if (first === undefined || last === undefined) return series;
  const byAt = new Map(timeline.map((b) => [b.at, b]));
  for (let at = first; at <= last; at += 100) {
    series.seconds.push(at / 1000);
    series.ok.push(byAt.get(at)?.ok ?? 0);
    series.failed.push(byAt.get(at)?.failed ?? 0);
  }
  return series;
}

const seconds = (ms: number | undefined) => (ms === undefined ? "-" : (ms / 1000).toFixed(1));

/** The verdict table's cells for a run, as text. */
export function verdictRow(r: RunResult): string[] {
  const errors = Object.entries(r.errors)
    .map(([what, n]) => `${n} x ${what}`)
    .join(", ");
  return [
    r.experiment,
    String(r.run),
    r.targets.join(", "),
    `${seconds(r.faultAt)}-${seconds(r.removedAt)}`,
    seconds(r.recoveryMs),
    String(r.verdict.acknowledged),
    String(r.verdict.lost.length),
    String(r.verdict.duplicates.length),
    errors || "none",
    r.violations.length === 0 ? "held" : `broken: ${r.violations.join("; ")}`,
  ];
}

const HEADERS = ["experiment", "run", "targets", "fault (s)", "recovery (s)", "acknowledged", "lost"];
const HEADERS_REST = ["duplicates", "errors", "verdict"];

/**
 * The chaos runs as a report section: a verdict table, then per run a chart of acknowledged and
 * failed writes per 100 ms with the fault window shaded and the recovery marked.
 */
export function chaosSection(results: readonly RunResult[]): ReportSection {
  const runs = results.map((r) => {
    const series = chartSeries(r.timeline);
    // The x axis spans the writes, the fault window and the recovery, whichever reach further.
    const marks = [r.faultAt, r.removedAt, ...(r.recoveredAt === undefined ? [] : [r.recoveredAt])].map(
      (ms) => ms / 1000,
    );
    return {
      ...series,
      range: [Math.min(...series.seconds, ...marks), Math.max(...series.seconds, ...marks) + 0.1],
      faultAt: r.faultAt / 1000,
      removedAt: r.removedAt / 1000,
      recoveredAt: r.recoveredAt === undefined ? null : r.recoveredAt / 1000,
    };
  });
  const verdicts = htmlTable("verdicts", [...HEADERS, ...HEADERS_REST], results.map(verdictRow), (i) =>
    results[i]?.violations.length === 0 ? "held" : "broken",
  );
  const charts = results
    .map(
      (r, i) =>
        `<section><h3>${escapeHtml(r.experiment)} #${r.run}</h3><div class="chart" id="chaos-chart-${i}"></div>` +
        `<p>Fault ${seconds(r.faultAt)}-${seconds(r.removedAt)} s (shaded), recovered at ${seconds(r.recoveredAt)} s (line).</p>` +
        `${r.load ? `<p class="load">${escapeHtml(describeLoad(r.load))}</p>` : ""}</section>`,
    )
    .join("\n");
  const html = `<p id="chaos-verdict">${results.length} run(s), ${results.filter((r) => r.violations.length > 0).length} with broken invariants.</p>
${verdicts}
${charts}`;
  const script = `(() => {
const RUNS = ${inlineJson(runs)};
RUNS.forEach((run, i) => {
  const shade = (u) => {
    const ctx = u.ctx;
    const x0 = u.valToPos(run.faultAt, "x", true);
    const x1 = Math.max(u.valToPos(run.removedAt, "x", true), x0 + 2);
    ctx.save();
    ctx.fillStyle = "rgba(220, 0, 0, 0.15)";
    ctx.fillRect(x0, u.bbox.top, x1 - x0, u.bbox.height);
    if (run.recoveredAt !== null) {
      const x = u.valToPos(run.recoveredAt, "x", true);
      ctx.strokeStyle = "#070";
      ctx.lineWidth = 2;
      ctx.beginPath(); ctx.moveTo(x, u.bbox.top); ctx.lineTo(x, u.bbox.top + u.bbox.height); ctx.stroke();
    }
    ctx.restore();
  };
  new uPlot({
    width: 900, height: 260,
    scales: { x: { time: false, range: run.range } },
    axes: [{ label: "seconds" }, { label: "writes per 100 ms" }],
    series: [{ label: "s" }, { label: "acknowledged", stroke: "#070" }, { label: "failed", stroke: "#c00" }],
    hooks: { draw: [shade] },
  }, [run.seconds, run.ok, run.failed], document.getElementById("chaos-chart-" + i));
});
})();`;
  return { html, script };
}

/** `index.html` of a chaos report on its own (a run's combined report has it as a section). */
export function chaosHtml(env: string, startedAt: Date, results: readonly RunResult[]): string {
  return standalonePage(
    `Chaos report: environment ${env}`,
    chaosSection(results),
    `<p>Started ${escapeHtml(startedAt.toISOString())}.</p>\n`,
  );
}
