import type { Target } from "../../load/flows.ts";
import { THRESHOLDS, TREND_STATS } from "../../load/scenarios.ts";
import type { LoadSummary, MetricSummary, StepSummary } from "../../load/summary.ts";
import { percentile } from "../stats.ts";
import { applyThresholds } from "./thresholds.ts";

/** One request as the runner saw it. */
export interface RequestRecord {
  /** Milliseconds from the start of the run to sending it. */
  at: number;
  flow: string;
  step: string;
  /** 0: no answer (refused, reset, timed out). */
  status: number;
  /** Milliseconds from sending it to the last byte of the answer. */
  ms: number;
  /** Not one of the statuses the request expects (k6's http_req_failed). */
  failed: boolean;
}

export interface RunCounts {
  checks: { passes: number; fails: number };
  iterations: number;
  dropped: number;
}

/** k6's trend statistics of durations in ms (ascending order not needed). */
export function trend(durations: readonly number[]): Record<string, number> {
  const sorted = [...durations].sort((a, b) => a - b);
  const stats: Record<string, number> = {};
  for (const stat of TREND_STATS) {
    const p = /^p\((\d+(?:\.\d+)?)\)$/.exec(stat)?.[1];
    stats[stat] =
      stat === "avg"
        ? sorted.reduce((sum, x) => sum + x, 0) / Math.max(1, sorted.length)
        : stat === "min"
          ? (sorted[0] ?? 0)
          : stat === "max"
            ? (sorted.at(-1) ?? 0)
            : percentile(sorted, stat === "med" ? 50 : Number(p));
  }
  return stats;
}

function groupBy<T, K>(items: readonly T[], key: (item: T) => K): Map<K, T[]> {
  const groups = new Map<K, T[]>();
  for (const item of items) {
    const k = key(item);
    const group = groups.get(k);
    if (group) group.push(item);
    else groups.set(k, [item]);
  }
  return groups;
}

const rateOf = (passes: number, fails: number) => ({
  rate: passes / Math.max(1, passes + fails),
  passes,
  fails,
});

/** The summary k6 would write for these requests and counts, thresholds judged. */
export function summarize(
  records: readonly RequestRecord[],
  counts: RunCounts,
  run: { scenario: string; target: Target; startedAt: string; seconds: number },
): LoadSummary {
  const failed = records.filter((r) => r.failed).length;
  const perSecond = (n: number) => n / Math.max(run.seconds, 1e-9);
  const metrics: Record<string, MetricSummary> = applyThresholds(
    {
      http_reqs: { type: "counter", values: { count: records.length, rate: perSecond(records.length) } },
      http_req_duration: { type: "trend", values: trend(records.map((r) => r.ms)) },
      http_req_failed: { type: "rate", values: rateOf(failed, records.length - failed) },
      checks: { type: "rate", values: rateOf(counts.checks.passes, counts.checks.fails) },
      iterations: {
        type: "counter",
        values: { count: counts.iterations, rate: perSecond(counts.iterations) },
      },
      dropped_iterations: {
        type: "counter",
        values: { count: counts.dropped, rate: perSecond(counts.dropped) },
      },
    },
    THRESHOLDS,
  );
  const steps: StepSummary[] = [...groupBy(records, (r) => `${r.flow} ${r.step}`).values()].map((rs) => ({
    flow: rs[0]?.flow ?? "",
    step: rs[0]?.step ?? "",
    requests: rs.length,
    failed: rs.filter((r) => r.failed).length,
    duration: trend(rs.map((r) => r.ms)),
  }));
  const statuses: Record<string, number> = {};
  for (const r of records) statuses[String(r.status)] = (statuses[String(r.status)] ?? 0) + 1;
  const passed = Object.values(metrics).every((m) => Object.values(m.thresholds ?? {}).every((t) => t.ok));
  return { runner: "devstack", ...run, metrics, steps, statuses, passed };
}

/** Per second of the run: requests sent, failed, their p50/p95/p99 and statuses (the report's charts). */
export interface TimelinePoint {
  second: number;
  requests: number;
  failed: number;
  p50: number;
  p95: number;
  p99: number;
  statuses: Record<string, number>;
}

export function timeline(records: readonly RequestRecord[]): TimelinePoint[] {
  const bySecond = groupBy(records, (r) => Math.floor(r.at / 1000));
  const last = Math.max(-1, ...bySecond.keys());
  return Array.from({ length: last + 1 }, (_, second) => {
    const rs = bySecond.get(second) ?? [];
    const sorted = rs.map((r) => r.ms).sort((a, b) => a - b);
    const statuses: Record<string, number> = {};
    for (const r of rs) statuses[String(r.status)] = (statuses[String(r.status)] ?? 0) + 1;
    return {
      second,
      requests: rs.length,
      failed: rs.filter((r) => r.failed).length,
      p50: percentile(sorted, 50),
      p95: percentile(sorted, 95),
      p99: percentile(sorted, 99),
      statuses,
    };
  });
}
