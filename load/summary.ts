// The summary both runners write (reports/load-<time>/summary.json): k6's own metric shape (type,
// values, thresholds), with the per-step table and the status counts the report shows. Plain
// TypeScript: k6's handleSummary builds it too (fromK6Summary).
import type { Target } from "./flows.ts";
import { FLOWS, SETUP, THRESHOLDS } from "./scenarios.ts";

export interface MetricSummary {
  type: "counter" | "rate" | "trend";
  /** counter: count, rate (per second); rate: rate, passes, fails; trend: the TREND_STATS, in ms. */
  values: Record<string, number>;
  /** By expression, as k6 reports them: ok is whether the threshold held. */
  thresholds?: Record<string, { ok: boolean }>;
}

export interface StepSummary {
  flow: string;
  step: string;
  requests: number;
  failed: number;
  /** http_req_duration's trend statistics for this step's requests. */
  duration: Record<string, number>;
}

export interface LoadSummary {
  runner: "k6" | "devstack";
  scenario: string;
  target: Target;
  startedAt: string;
  seconds: number;
  /** http_reqs, http_req_duration, http_req_failed, checks, iterations, dropped_iterations. */
  metrics: Record<string, MetricSummary>;
  steps: StepSummary[];
  /** Responses by status ("0": no answer: refused, reset or timed out). */
  statuses: Record<string, number>;
  /** Whether every threshold held. */
  passed: boolean;
}

/** The statuses k6 is asked to count (a submetric each); any other still counts in http_reqs. */
export const REPORTED_STATUSES = [0, 200, 201, 204, 400, 401, 403, 404, 409, 413, 422, 429, 500, 502, 503, 504];

/** The flow tag of the setup's requests. */
export const SETUP_FLOW = "setup";

/** Every (flow, step) pair the per-step table has a row for. */
export const STEPS = [
  ...[SETUP.login, SETUP.catalogue].map((r) => ({ flow: SETUP_FLOW, step: r.step })),
  ...FLOWS.flatMap((flow) => flow.requests.map((r) => ({ flow: flow.name, step: r.step }))),
];

export const stepSelector = (flow: string, step: string) => `{flow:${flow},step:${step}}`;

/**
 * k6's end-of-test data (handleSummary's argument) as a LoadSummary. The per-step and per-status
 * figures come from the submetrics the k6 scripts declare (see k6Thresholds).
 */
export function fromK6Summary(
  data: { metrics: Record<string, MetricSummary & { contains?: string }>; state: { testRunDurationMs: number } },
  run: { scenario: string; target: Target; startedAt: string },
): LoadSummary {
  const metrics: Record<string, MetricSummary> = {};
  for (const name of ["http_reqs", "http_req_duration", "http_req_failed", "checks", "iterations", "dropped_iterations"]) {
    const metric = data.metrics[name];
    metrics[name] = metric
      ? { type: metric.type, values: metric.values, ...(metric.thresholds ? { thresholds: metric.thresholds } : {}) }
      : { type: name === "http_req_duration" ? "trend" : name === "http_req_failed" || name === "checks" ? "rate" : "counter", values: {} };
  }
  const steps: StepSummary[] = [];
  for (const { flow, step } of STEPS) {
    const failed = data.metrics[`http_req_failed${stepSelector(flow, step)}`]?.values;
    const duration = data.metrics[`http_req_duration${stepSelector(flow, step)}`]?.values;
    if (!failed || !duration) continue;
    const requests = (failed.passes ?? 0) + (failed.fails ?? 0);
    if (requests > 0) steps.push({ flow, step, requests, failed: failed.passes ?? 0, duration });
  }
  const statuses: Record<string, number> = {};
  for (const status of REPORTED_STATUSES) {
    const count = data.metrics[`http_reqs{status:${status}}`]?.values.count ?? 0;
    if (count > 0) statuses[String(status)] = count;
  }
  const passed = Object.values(metrics).every((m) => Object.values(m.thresholds ?? {}).every((t) => t.ok));
  return { runner: "k6", ...run, seconds: data.state.testRunDurationMs / 1000, metrics, steps, statuses, passed };
}

/**
 * The thresholds a k6 script declares: the scenario's own, and for the summary, a submetric per step
 * and per status (k6 only reports the submetrics a threshold names; `>=0` always holds).
 */
export function k6Thresholds(): Record<string, string[]> {
  const thresholds: Record<string, string[]> = Object.fromEntries(
    Object.entries(THRESHOLDS).map(([metric, expressions]) => [metric, [...expressions]]),
  );
  for (const { flow, step } of STEPS) {
    thresholds[`http_req_duration${stepSelector(flow, step)}`] = ["max>=0"];
    thresholds[`http_req_failed${stepSelector(flow, step)}`] = ["rate>=0"];
  }
  for (const status of REPORTED_STATUSES) thresholds[`http_reqs{status:${status}}`] = ["count>=0"];
  return thresholds;
}

const percent = (rate: number | undefined) => `${((rate ?? 0) * 100).toFixed(2)} %`;

/** One line for a terminal: what ran, the figures the thresholds judge, and the verdict. */
export function summaryLine(summary: LoadSummary): string {
  const { http_reqs, http_req_duration, http_req_failed, checks, dropped_iterations } = summary.metrics;
  const ms = (stat: string) => `${Math.round(http_req_duration?.values[stat] ?? 0)} ms`;
  const failing = Object.entries(summary.metrics).flatMap(([name, metric]) =>
    Object.entries(metric.thresholds ?? {})
      .filter(([, t]) => !t.ok)
      .map(([expression]) => `${name} ${expression}`),
  );
  return [
    `${summary.scenario} via ${summary.target} (${summary.runner} runner): ${http_reqs?.values.count ?? 0} requests in ${Math.round(summary.seconds)} s,`,
    `p95 ${ms("p(95)")}, p99 ${ms("p(99)")}, failed ${percent(http_req_failed?.values.rate)}, checks ${percent(checks?.values.rate)},`,
    `dropped ${dropped_iterations?.values.count ?? 0}:`,
    summary.passed ? "thresholds passed" : `thresholds failed (${failing.join(", ")})`,
  ].join(" ");
}
