import { writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { type EnvState, readEnvState } from "../env/state.ts";
import { reportDir, writeJson } from "../reports.ts";
import { runHtml } from "./html-report.ts";
import { type Figure, type Figures, suiteFigures } from "./suite-reports.ts";
import { runSuites, type SuiteName, type SuiteResult } from "./suites.ts";

/** What one pipeline run did, as `summary.json` holds it (stable in shape across runs, for trends). */
export interface RunSummary {
  kind: "pr" | "nightly";
  environment: string;
  /** The commit tested, when the pipeline said. */
  sha?: string;
  startedAt: string;
  seconds: number;
  ok: boolean;
  /** The runtime and env file, when the environment's record was there to say. */
  runtime?: string;
  envFile?: string;
  /** Each image the environment ran, and where it came from (an offline recipe or upstream). */
  images: EnvState["images"];
  /** Seconds from the start of its `up` until each pod was first ready. */
  readySeconds: EnvState["readySeconds"];
  suites: (Omit<SuiteResult, "tail" | "report"> & {
    /** The suite's report folder, relative to the run's. */
    report: string;
    figures: Figures;
  })[];
}

export function runSummary(
  meta: {
    kind: RunSummary["kind"];
    environment: string;
    sha?: string;
    startedAt: Date;
    dir: string;
    state?: EnvState;
  },
  results: readonly SuiteResult[],
): RunSummary {
  return {
    kind: meta.kind,
    environment: meta.environment,
    ...(meta.sha ? { sha: meta.sha } : {}),
    startedAt: meta.startedAt.toISOString(),
    seconds: Number(((Date.now() - meta.startedAt.getTime()) / 1000).toFixed(1)),
    ok: results.every((r) => r.ok),
    ...(meta.state ? { runtime: meta.state.runtime, envFile: meta.state.env } : {}),
    images: meta.state?.images ?? {},
    readySeconds: meta.state?.readySeconds ?? {},
    suites: results.map(({ tail: _, report, ...r }) => ({
      ...r,
      seconds: Number(r.seconds.toFixed(1)),
      report: relative(meta.dir, report),
      figures: suiteFigures(r.suite, report),
    })),
  };
}

/** What a run was: `DevStack PR environment pr-7 at 0123456789ab`, the name shown by `name`. */
export const runTitle = (summary: RunSummary, name = (environment: string) => environment) =>
  `DevStack ${summary.kind === "pr" ? "PR environment" : "nightly run"} ${name(summary.environment)}${summary.sha ? ` at ${summary.sha.slice(0, 12)}` : ""}`;

/** How it went: `every suite passed`, or how many failed. */
export const runVerdict = (summary: RunSummary) =>
  summary.ok
    ? "every suite passed"
    : `${summary.suites.filter((s) => !s.ok).length} of ${summary.suites.length} suite(s) failed`;

/** A figure as a reader takes it in: `0.3 s`, `120.5 ms`, `1.2%`, `3`. */
export const formatFigure = ({ value, unit }: Figure) =>
  unit === "ratio"
    ? `${Number((value * 100).toFixed(2))}%`
    : unit === "count"
      ? String(value)
      : `${value} ${unit}`;

/**
 * The run as Markdown short enough for a PR comment: a verdict line, one row per suite with its
 * figures, and the last lines of each failed suite folded away.
 */
export function summaryMarkdown(summary: RunSummary, results: readonly SuiteResult[]): string {
  const title = `${summary.ok ? "✅" : "❌"} ${runTitle(summary, (name) => `\`${name}\``)}: ${runVerdict(summary)}`;
  const rows = summary.suites.map(
    (r) =>
      `| ${r.suite} | ${r.ok ? "passed" : `failed (exit ${r.exitCode})`} | ${r.seconds.toFixed(0)} s | ${
        Object.entries(r.figures)
          .map(([name, figure]) => `${name}: ${formatFigure(figure)}`)
          .join(", ") || "-"
      } |`,
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
    "| suite | result | time | figures |",
    "|---|---|---|---|",
    ...rows,
    "",
    ...failures,
    "",
    "The whole report: `index.html` in the run's artifact.",
    "",
  ].join("\n");
}

/** Writes summary.json, summary.md and index.html into the run's folder. */
export function writeRunReport(dir: string, summary: RunSummary, results: readonly SuiteResult[]): void {
  writeJson(dir, "summary.json", summary);
  writeFileSync(join(dir, "summary.md"), summaryMarkdown(summary, results));
  writeFileSync(join(dir, "index.html"), runHtml(summary, results));
}

/** The closing lines of a pipeline command: one per suite, then the verdict and the report. */
export function printRunResults(summary: RunSummary, results: readonly SuiteResult[], dir: string): void {
  for (const r of results)
    console.log(`${r.ok ? "✔" : "✘"} ${r.suite.padEnd(9)} ${r.seconds.toFixed(1)}s  ${r.command}`);
  console.log(`${summary.ok ? "every suite passed" : "a suite failed"}; report: ${dir}/index.html`);
}

/**
 * A pipeline's test stage: the suites one after another against the environment, each writing
 * into the run's folder (reports/<pr-N|nightly>-<time>/), then the run's summary.json, summary.md
 * and index.html. Resolves to the run's folder and whether every suite passed.
 */
export async function runSuitesAndReport(
  meta: { kind: RunSummary["kind"]; environment: string; sha?: string; startedAt: Date },
  suites: readonly SuiteName[],
): Promise<{ dir: string; ok: boolean }> {
  const dir = reportDir(meta.kind === "pr" ? meta.environment : "nightly", meta.startedAt);
  const results = await runSuites(suites, meta.environment, dir);
  const summary = runSummary({ ...meta, dir, state: readEnvState(meta.environment) }, results);
  writeRunReport(dir, summary, results);
  printRunResults(summary, results, dir);
  return { dir, ok: summary.ok };
}
