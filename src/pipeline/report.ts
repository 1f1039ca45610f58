import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { SuiteResult } from "./suites.ts";

/** What one pipeline run did, as `summary.json` holds it (stable in shape across runs). */
export interface RunSummary {
  kind: "pr" | "nightly";
  environment: string;
  /** The commit tested, when the pipeline said. */
  sha?: string;
  startedAt: string;
  seconds: number;
  ok: boolean;
  suites: Omit<SuiteResult, "tail">[];
}

export function runSummary(
  meta: { kind: RunSummary["kind"]; environment: string; sha?: string; startedAt: Date },
  results: readonly SuiteResult[],
): RunSummary {
  return {
    kind: meta.kind,
    environment: meta.environment,
    ...(meta.sha ? { sha: meta.sha } : {}),
    startedAt: meta.startedAt.toISOString(),
    seconds: Number(((Date.now() - meta.startedAt.getTime()) / 1000).toFixed(1)),
    ok: results.every((r) => r.ok),
    suites: results.map(({ tail: _, ...r }) => ({ ...r, seconds: Number(r.seconds.toFixed(1)) })),
  };
}

/**
 * The run as Markdown short enough for a PR comment: a verdict line, one row per suite, and the
 * last lines of each failed suite folded away.
 */
export function summaryMarkdown(summary: RunSummary, results: readonly SuiteResult[]): string {
  const title = `${summary.ok ? "✅" : "❌"} DevStack ${summary.kind === "pr" ? "PR environment" : "nightly run"} \`${summary.environment}\`${summary.sha ? ` at ${summary.sha.slice(0, 12)}` : ""}: ${summary.ok ? "every suite passed" : `${results.filter((r) => !r.ok).length} of ${results.length} suite(s) failed`}`;
  const rows = results.map(
    (r) =>
      `| ${r.suite} | ${r.ok ? "passed" : `failed (exit ${r.exitCode})`} | ${r.seconds.toFixed(0)} s | ${r.reports.join(", ") || "-"} |`,
  );
  const failures = results
    .filter((r) => !r.ok)
    .map(
      (r) =>
        `<details><summary>${r.suite}: last ${r.tail.length} lines of <code>${r.command}</code></summary>\n\n\`\`\`\n${r.tail.join("\n").replaceAll("```", "'''")}\n\`\`\`\n</details>`,
    );
  return [
    title,
    "",
    "| suite | result | time | reports |",
    "|---|---|---|---|",
    ...rows,
    "",
    ...failures,
    "",
  ].join("\n");
}

/** Writes summary.json and summary.md into the run's folder. */
export function writeRunReport(dir: string, summary: RunSummary, results: readonly SuiteResult[]): void {
  writeFileSync(join(dir, "summary.json"), `${JSON.stringify(summary, null, 2)}\n`);
  writeFileSync(join(dir, "summary.md"), summaryMarkdown(summary, results));
}

/** The closing lines of a pipeline command: one per suite, then the verdict and the report. */
export function printRunResults(summary: RunSummary, results: readonly SuiteResult[], dir: string): void {
  for (const r of results)
    console.log(`${r.ok ? "✔" : "✘"} ${r.suite.padEnd(9)} ${r.seconds.toFixed(1)}s  ${r.command}`);
  console.log(`${summary.ok ? "every suite passed" : "a suite failed"}; report: ${dir}/summary.md`);
}
