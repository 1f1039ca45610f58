import { escapeHtml, type ReportSection } from "../html.ts";
import type { RecoverySummary } from "./drill.ts";

/** The drill's section of a pipeline's page: the verdict, RPO and RTO, and what was restored. */
export function recoverySection(s: RecoverySummary): ReportSection {
  const rows: [string, string][] = [
    [
      "base backup",
      `${s.backup.label}: ${s.backupSeconds.toFixed(1)} s, ${(s.backup.bytes / 1024 ** 2).toFixed(1)} MiB in the repository`,
    ],
    ["target", s.target],
    ["writes acknowledged before the target", `${s.acknowledgedBefore}, of which lost: ${s.lost.length}`],
    ["writes sent after the target", `${s.sentAfter}, of which restored: ${s.leaked.length}`],
    ["writes in flight at the target", `${s.inFlight}, of which restored: ${s.inFlightRestored}`],
    [
      "RTO",
      `${s.rtoSeconds.toFixed(1)} s (restore and WAL replay ${s.recoverySeconds.toFixed(1)} s, environment up ${s.upSeconds.toFixed(1)} s)`,
    ],
  ];
  const html = `<p id="recovery-verdict">${s.passed ? "Point-in-time restore: exactly the writes acknowledged before the target." : "Point-in-time restore FAILED: writes were lost or restored past the target."}</p>
<table id="recovery"><tbody>
${rows.map(([k, v]) => `<tr${(k.includes("before") && s.lost.length > 0) || (k.includes("after") && s.leaked.length > 0) ? ' class="failed"' : ""}><th>${escapeHtml(k)}</th><td>${escapeHtml(v)}</td></tr>`).join("\n")}
</tbody></table>`;
  return { html, script: "" };
}
