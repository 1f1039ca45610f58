import type { LoadSummary } from "../../load/summary.ts";
import { chaosSection } from "../chaos/html-report.ts";
import { type ChaosSummary, runsOf } from "../chaos/report.ts";
import { type ContractSummary, contractSection } from "../contract/report.ts";
import { escapeHtml, htmlPage, htmlTable, type ReportSection } from "../html.ts";
import { loadSection } from "../load/html-report.ts";
import type { TimelinePoint } from "../load/summarize.ts";
import { type PolicySummary, policySection } from "../netpol/probe-report.ts";
import { readSuiteSummary } from "./figures.ts";
import type { RunSummary } from "./report.ts";
import type { SuiteName, SuiteResult } from "./suites.ts";

const TITLES: Record<SuiteName, string> = {
  contract: "Contract",
  policy: "NetworkPolicy matrix",
  chaos: "Chaos and failover",
  load: "Load",
};

/** A suite's part of the page, from what it wrote into its folder. */
function suiteSection(suite: SuiteName, dir: string): ReportSection | undefined {
  switch (suite) {
    case "contract": {
      const s = readSuiteSummary<ContractSummary>(dir);
      return s && contractSection(s);
    }
    case "policy": {
      const s = readSuiteSummary<PolicySummary>(dir);
      return s && policySection(s);
    }
    case "chaos": {
      const s = readSuiteSummary<ChaosSummary>(dir);
      return s && chaosSection(runsOf(s));
    }
    case "load": {
      const s = readSuiteSummary<LoadSummary>(dir);
      if (!s) return undefined;
      return loadSection(s, readSuiteSummary<TimelinePoint[]>(dir, "timeline.json") ?? []);
    }
  }
}

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
${
  ready.length > 0
    ? htmlTable(
        "ready",
        ["pod", "ready after (s)"],
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
  const title = `DevStack ${summary.kind === "pr" ? "PR environment" : "nightly run"} ${summary.environment}${summary.sha ? ` at ${summary.sha.slice(0, 12)}` : ""}`;
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
<p id="run-verdict">Started ${escapeHtml(summary.startedAt)}, ${summary.seconds.toFixed(0)} s: ${summary.ok ? "every suite passed" : `${summary.suites.filter((s) => !s.ok).length} of ${summary.suites.length} suite(s) failed`}.</p>
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
