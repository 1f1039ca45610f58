import { median } from "../stats.ts";
import type { RunResult } from "./run.ts";

/** Recovery targets in seconds, by experiment: the failovers production promises. */
const RECOVERY_TARGET_S: Record<string, number> = {
  "postgres-primary-killed": 10,
  "redis-master-killed": 10,
};

export interface ExperimentFigures {
  experiment: string;
  runs: number;
  recovery: { medianS: number; maxS: number } | undefined;
  neverRecovered: number;
  lost: number;
  /** Error answers by status over every run, 5xx and no answer (0) alike. */
  byStatus: Record<string, number>;
  brokenRuns: number;
  missed: string[];
}

/** One experiment's runs as the figures next to their targets. */
export function figures(experiment: string, runs: readonly RunResult[]): ExperimentFigures {
  const recoveries = runs.flatMap((r) => (r.recoveryMs === undefined ? [] : [r.recoveryMs / 1000]));
  const byStatus: Record<string, number> = {};
  for (const r of runs)
    for (const [key, n] of Object.entries(r.errors)) {
      const status = key.split(" ")[0] ?? key;
      byStatus[status] = (byStatus[status] ?? 0) + n;
    }
  const recovery =
    recoveries.length > 0 ? { medianS: median(recoveries), maxS: Math.max(...recoveries) } : undefined;
  const lost = runs.reduce((n, r) => n + r.verdict.lost.length, 0);
  const target = RECOVERY_TARGET_S[experiment];
  const neverRecovered = runs.length - recoveries.length;
  const missed = [
    ...(target !== undefined && recovery && recovery.medianS > target
      ? [`median recovery ${recovery.medianS.toFixed(1)} s > ${target} s`]
      : []),
    ...(neverRecovered > 0 ? [`${neverRecovered} run(s) never recovered`] : []),
    ...(lost > 0 ? [`${lost} acknowledged write(s) lost`] : []),
    ...((byStatus["500"] ?? 0) > 0 ? [`${byStatus["500"]} answer(s) 500`] : []),
  ];
  return {
    experiment,
    runs: runs.length,
    recovery,
    neverRecovered,
    lost,
    byStatus,
    brokenRuns: runs.filter((r) => r.violations.length > 0).length,
    missed,
  };
}

export function figuresTable(all: readonly ExperimentFigures[]): string {
  const rows = all.map((f) => {
    const target = RECOVERY_TARGET_S[f.experiment];
    const errors =
      Object.entries(f.byStatus)
        .sort(([a], [b]) => Number(a) - Number(b))
        .map(([status, n]) => `${status === "0" ? "no answer" : status}: ${n}`)
        .join(", ") || "none";
    return [
      f.experiment,
      String(f.runs),
      f.recovery ? `${f.recovery.medianS.toFixed(1)} / ${f.recovery.maxS.toFixed(1)}` : "never",
      target === undefined ? "-" : `<= ${target}`,
      `${f.lost} (target 0)`,
      errors,
      f.missed.length === 0 && f.brokenRuns === 0
        ? "met"
        : [...f.missed, ...(f.brokenRuns > 0 ? [`${f.brokenRuns} run(s) broke an invariant`] : [])].join(
            "; ",
          ),
    ];
  });
  const header = [
    "experiment",
    "runs",
    "recovery median / max s",
    "target s",
    "lost",
    "errors by status",
    "verdict",
  ];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  return [header, ...rows]
    .map((r) =>
      r
        .map((c, i) => c.padEnd(widths[i] ?? 0))
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}
