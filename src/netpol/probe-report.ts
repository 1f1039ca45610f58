import { escapeHtml, type ReportSection } from "../html.ts";
import { writeJson } from "../reports.ts";
import type { PolicyObservation, PolicyProbeReport } from "../runtimes/runtime.ts";

/** What `test:policy` writes as its report's summary.json. */
export interface PolicySummary extends PolicyProbeReport {
  environment: string;
  startedAt: string;
  seconds: number;
}

export const writePolicyReport = (dir: string, summary: PolicySummary) =>
  writeJson(dir, "summary.json", summary);

export const mismatches = (observations: readonly PolicyObservation[]) =>
  observations.filter((o) => o.expected !== o.reached);

/** One cell of the grid: every port probed from one pod to another, and how they came out. */
export interface GridCell {
  /**
   * When every port went as the policies say: `allow` or `deny` if all were one way, `mixed` if
   * both; `mismatch` when any did not.
   */
  verdict: "allow" | "deny" | "mixed" | "mismatch";
  ports: string[];
}

/** The matrix as a grid: a row per source pod, a column per destination pod. */
export function policyGrid(observations: readonly PolicyObservation[]): {
  pods: string[];
  cells: Map<string, GridCell>;
} {
  const pods = [...new Set(observations.flatMap((o) => [o.from, o.to]))].sort();
  const cells = new Map<string, GridCell>();
  for (const o of observations) {
    const key = `${o.from}\u0000${o.to}`;
    const cell = cells.get(key) ?? { verdict: o.expected ? "allow" : "deny", ports: [] };
    const port = `${o.port}/${o.protocol}`;
    if (o.expected !== o.reached) {
      cell.verdict = "mismatch";
      cell.ports.push(`${port} expected ${o.expected ? "allow" : "deny"}, ${o.outcome}`);
    } else {
      if (cell.verdict !== "mismatch" && cell.verdict !== (o.expected ? "allow" : "deny"))
        cell.verdict = "mixed";
      cell.ports.push(`${port} ${o.expected ? "allow" : "deny"}`);
    }
    cells.set(key, cell);
  }
  return { pods, cells };
}

const MARK = { allow: "✓", deny: "✗", mixed: "±", mismatch: "MISMATCH" } as const;

/**
 * The NetworkPolicy suite as a report section: a grid of every pod pair, green where the policies
 * allow and traffic got through, grey where they deny and it did not, red where the two disagree.
 */
export function policySection(summary: PolicySummary): ReportSection {
  const { pods, cells } = policyGrid(summary.observations);
  const wrong = mismatches(summary.observations).length;
  const header = `<tr><th>from \\ to</th>${pods.map((p) => `<th>${escapeHtml(p)}</th>`).join("")}</tr>`;
  const rows = pods.map((from) => {
    const tds = pods.map((to) => {
      const cell = cells.get(`${from}\u0000${to}`);
      if (!cell) return "<td></td>";
      return `<td class="${cell.verdict}" title="${escapeHtml(cell.ports.join("\n"))}">${MARK[cell.verdict]}</td>`;
    });
    return `<tr><th>${escapeHtml(from)}</th>${tds.join("")}</tr>`;
  });
  const listed = mismatches(summary.observations).map(
    (o) =>
      `<li>${escapeHtml(`${o.from} -> ${o.to} ${o.port}/${o.protocol}: expected ${o.expected ? "allow" : "deny"}, observed ${o.reached ? "allow" : "deny"} (${o.outcome})`)}</li>`,
  );
  const html = `<p id="policy-verdict">${summary.pods} pods, ${summary.observations.length} probes in ${summary.seconds.toFixed(1)} s: ${wrong === 0 ? "all as the policies say" : `${wrong} mismatch(es)`}.
✓ allowed and reached, ✗ denied and not reached, ± some ports each way; hover a cell for its ports.</p>
<table id="policy-grid"><thead>${header}</thead><tbody>
${rows.join("\n")}
</tbody></table>
${listed.length > 0 ? `<ul id="policy-mismatches">${listed.join("")}</ul>` : ""}
${summary.problems.map((p) => `<p class="failed">Not in force: ${escapeHtml(p)}</p>`).join("\n")}`;
  const css = `#policy-grid td { text-align: center; } td.allow { background: #dfd; } td.deny { background: #eee; }
td.mixed { background: #efe; } td.mismatch { background: #f99; font-weight: bold; }`;
  return { html, script: "", css };
}
