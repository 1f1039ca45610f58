import { describe, expect, it } from "vitest";
import { fromK6Summary, summaryLine } from "../../load/summary.ts";
import { type RequestRecord, summarize, timeline, trend } from "../../src/load/summarize.ts";
import { applyThresholds, holds } from "../../src/load/thresholds.ts";
import { percentile } from "../../src/stats.ts";

const record = (at: number, step: string, status: number, ms: number, failed = false): RequestRecord => ({
  at,
  flow: "browse",
  step,
  status,
  ms,
  failed,
});

describe("load summaries", () => {
  it("interpolates percentiles between the closest ranks, as k6 does", () => {
    expect(percentile([10, 20, 30, 40], 50)).toBe(25);
    expect(percentile([10, 20, 30, 40], 95)).toBeCloseTo(38.5, 9);
    expect(percentile([7], 99)).toBe(7);
    expect(percentile([], 99)).toBe(0);
    const rounded = (stats: Record<string, number>) =>
      Object.fromEntries(Object.entries(stats).map(([k, v]) => [k, Number(v.toFixed(9))]));
    expect(rounded(trend([40, 10, 30, 20]))).toEqual({
      avg: 25,
      min: 10,
      med: 25,
      max: 40,
      "p(90)": 37,
      "p(95)": 38.5,
      "p(99)": 39.7,
    });
  });

  it("judges k6 threshold expressions, and names the metric and what it expected when one cannot be read", () => {
    expect(holds("m", "p(95)<200", { "p(95)": 199.9 })).toBe(true);
    expect(holds("m", "p(95)<200", { "p(95)": 200 })).toBe(false);
    expect(holds("m", "rate>0.99", { rate: 0.995 })).toBe(true);
    expect(holds("m", "rate <= 0.01", { rate: 0.01 })).toBe(true);
    expect(holds("m", "count==3", { count: 3 })).toBe(true);
    expect(() => holds("http_req_duration", "p95<200", {})).toThrow(
      "threshold 'p95<200' on http_req_duration: expected STAT OP NUMBER, e.g. p(95)<200",
    );
    expect(() => holds("checks", "p(95)<200", { rate: 1 })).toThrow(
      "threshold 'p(95)<200' on checks: the metric has no 'p(95)' (it has rate)",
    );
    expect(() => applyThresholds({}, { nope: ["rate<1"] })).toThrow("threshold on nope: no such metric");
  });

  it("adds up a run as k6 would: metrics, thresholds judged, a row per step, statuses, a timeline", () => {
    const records = [
      record(0, "list-courses", 200, 10),
      record(400, "get-course", 200, 30),
      record(1200, "list-courses", 503, 300, true),
      record(1500, "list-courses", 0, 10_000, true),
    ];
    const summary = summarize(
      records,
      { checks: { passes: 2, fails: 2 }, iterations: 3, dropped: 1 },
      { scenario: "browse", target: "direct", startedAt: "2026-12-01T20:00:00.000Z", seconds: 2 },
    );
    expect(summary.metrics.http_reqs).toEqual({ type: "counter", values: { count: 4, rate: 2 } });
    expect(summary.metrics.http_req_failed).toEqual({
      type: "rate",
      values: { rate: 0.5, passes: 2, fails: 2 },
      thresholds: { "rate<0.01": { ok: false } },
    });
    expect(summary.metrics.http_req_duration?.thresholds).toEqual({
      "p(95)<200": { ok: false },
      "p(99)<400": { ok: false },
    });
    expect(summary.metrics.dropped_iterations?.values).toEqual({ count: 1, rate: 0.5 });
    expect(summary.passed).toBe(false);
    expect(summary.statuses).toEqual({ "0": 1, "200": 2, "503": 1 });
    expect(summary.steps.map((s) => [s.step, s.requests, s.failed, s.duration.max])).toEqual([
      ["list-courses", 3, 2, 10_000],
      ["get-course", 1, 0, 30],
    ]);
    expect(timeline(records).map((p) => [p.second, p.requests, p.failed, p.statuses])).toEqual([
      [0, 2, 0, { "200": 2 }],
      [1, 2, 2, { "0": 1, "503": 1 }],
    ]);
    expect(summaryLine(summary)).toBe(
      "browse via direct (devstack runner): 4 requests in 2 s, p95 8545 ms, p99 9709 ms, failed 50.00 %, checks 50.00 %, dropped 1: thresholds failed (http_req_duration p(95)<200, http_req_duration p(99)<400, http_req_failed rate<0.01, checks rate>0.99)",
    );
    const good = summarize(
      [record(0, "list-courses", 200, 12)],
      { checks: { passes: 1, fails: 0 }, iterations: 1, dropped: 0 },
      { scenario: "browse", target: "gateway", startedAt: "2026-12-01T20:00:00.000Z", seconds: 1 },
    );
    expect(good.passed).toBe(true);
  });

  it("reads k6's handleSummary data into the same shape (submetrics give the steps and statuses)", () => {
    // As k6 1.x hands it to handleSummary (trimmed to what is read).
    const data = {
      state: { testRunDurationMs: 61_234 },
      metrics: {
        http_reqs: { type: "counter" as const, contains: "default", values: { count: 1200, rate: 19.6 } },
        http_req_duration: {
          type: "trend" as const,
          contains: "time",
          values: { avg: 20, min: 2, med: 15, max: 250, "p(90)": 40, "p(95)": 60, "p(99)": 120 },
          thresholds: { "p(95)<200": { ok: true }, "p(99)<400": { ok: true } },
        },
        http_req_failed: {
          type: "rate" as const,
          values: { rate: 0.02, passes: 24, fails: 1176 },
          thresholds: { "rate<0.01": { ok: false } },
        },
        checks: {
          type: "rate" as const,
          values: { rate: 0.98, passes: 1176, fails: 24 },
          thresholds: { "rate>0.99": { ok: false } },
        },
        iterations: { type: "counter" as const, values: { count: 600, rate: 9.8 } },
        "http_req_duration{flow:browse,step:get-course}": {
          type: "trend" as const,
          values: { avg: 10, min: 2, med: 9, max: 50, "p(90)": 20, "p(95)": 25, "p(99)": 40 },
          thresholds: { "max>=0": { ok: true } },
        },
        "http_req_failed{flow:browse,step:get-course}": {
          type: "rate" as const,
          values: { rate: 0.04, passes: 24, fails: 576 },
        },
        "http_req_duration{flow:search,step:search-courses}": { type: "trend" as const, values: { max: 0 } },
        "http_req_failed{flow:search,step:search-courses}": {
          type: "rate" as const,
          values: { rate: 0, passes: 0, fails: 0 },
        },
        "http_reqs{status:200}": { type: "counter" as const, values: { count: 1176, rate: 19.2 } },
        "http_reqs{status:503}": { type: "counter" as const, values: { count: 24, rate: 0.4 } },
        "http_reqs{status:404}": { type: "counter" as const, values: { count: 0, rate: 0 } },
      },
    };
    const summary = fromK6Summary(data, {
      scenario: "browse",
      target: "gateway",
      startedAt: "2026-12-01T20:00:00.000Z",
    });
    expect(summary).toMatchObject({
      runner: "k6",
      seconds: 61.234,
      passed: false,
      statuses: { "200": 1176, "503": 24 },
      steps: [{ flow: "browse", step: "get-course", requests: 600, failed: 24, duration: { "p(95)": 25 } }],
    });
    expect(summary.metrics.dropped_iterations).toEqual({ type: "counter", values: {} });
    expect(summary.metrics.http_req_failed?.thresholds).toEqual({ "rate<0.01": { ok: false } });
  });
});
