import { escapeHtml, htmlPage, htmlTable, type ReportSection } from "../html.ts";
import { type RunSummary, runTitle, runVerdict } from "./report.ts";
import { suiteSection } from "./suite-reports.ts";
import type { SuiteName, SuiteResult } from "./suites.ts";

const TITLES: Record<SuiteName, string> = {
  contract: "Contract",
  policy: "NetworkPolicy matrix",
  chaos: "Chaos and failover",
  load: "Load",
  recovery:
    "Backup and point-in-time restore (of the environment when it has backups, as nightly on Docker; else of an env pr with backups of its own)",
};

/** The environment: what ran (images and where they came from) and how long each pod took to be ready. */
function environmentSection(summary: RunSummary): ReportSection {
  const images = Object.entries(summary.images).sort(([a], [b]) => a.localeCompare(b));
  const ready = Object.entries(summary.readySeconds).sort(([, a], [, b]) => a - b);
  const html = `<section id="environment"><h2>Environment</h2>
<p>${escapeHtml(summary.environment)}${summary.runtime ? ` on ${escapeHtml(summary.runtime)}` : ""}${summary.envFile ? `, from envs/${escapeHtml(summary.envFile)}.yaml` : ""}.</p>
${
  images.length > 0
    ? htmlTable(
        "images",
        ["image", "reference", "source"],
        images.map(([name, i]) => [name, i.ref, i.source]),
      )
    : "<p>No record of the environment's images.</p>"
}
<h3>Time to ready</h3>
<p>From the start of <code>up</code> until it first saw each pod ready. The services are first asked once the seed is in: theirs are upper bounds.</p>
${
  ready.length > 0
    ? htmlTable(
        "ready",
        ["pod", "seen ready after (s)"],
        ready.map(([pod, s]) => [pod, s.toFixed(1)]),
      )
    : "<p>Not recorded (the environment was not brought up by a runtime that records it).</p>"
}
</section>`;
  return { html, script: "" };
}

/**
 * A pipeline run's `index.html`: its verdict and suites, the environment, then each suite's own
 * report as a section. Self-contained (opened from a CI artifact without a server).
 */
export function runHtml(summary: RunSummary, results: readonly SuiteResult[]): string {
  const title = runTitle(summary);
  const suites = htmlTable(
    "suites",
    ["suite", "result", "time (s)", "command"],
    summary.suites.map((s) => [
      s.suite,
      s.ok ? "passed" : `failed (exit ${s.exitCode})`,
      s.seconds.toFixed(1),
      s.command,
    ]),
    (i) => (summary.suites[i]?.ok ? "held" : "failed"),
  );
  const head: ReportSection = {
    html: `<h1>${escapeHtml(title)}</h1>
<p id="run-verdict">Started ${escapeHtml(summary.startedAt)}, ${summary.seconds.toFixed(0)} s: ${runVerdict(summary)}.</p>
${suites}`,
    script: "",
  };
  const parts = results.map((r): ReportSection => {
    const section = suiteSection(r.suite, r.report);
    const body =
      section?.html ??
      `<p class="failed">The suite wrote no report. Its last lines:</p><pre>${escapeHtml(r.tail.join("\n"))}</pre>`;
    return {
      html: `<section id="suite-${r.suite}"><h2>${TITLES[r.suite]}</h2>\n${body}\n</section>`,
      script: section?.script ?? "",
      ...(section?.css ? { css: section.css } : {}),
    };
  });
  return htmlPage(title, [head, environmentSection(summary), ...parts]);
}
