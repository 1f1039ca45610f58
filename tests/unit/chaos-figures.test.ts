import { describe, expect, it } from "vitest";
import { figures, figuresTable } from "../../src/chaos/figures.ts";
import type { RunResult } from "../../src/chaos/run.ts";

const run = (
  n: number,
  recoveryMs: number | undefined,
  errors: Record<string, number>,
  lost: string[] = [],
): RunResult => ({
  experiment: "postgres-primary-killed",
  run: n,
  targets: ["the current primary"],
  faultAt: 3_000,
  removedAt: 18_000,
  ...(recoveryMs === undefined ? {} : { recoveredAt: 3_000 + recoveryMs, recoveryMs }),
  verdict: { acknowledged: 400, lost, duplicates: [], byStatus: {} },
  violations: lost.length > 0 ? ["lost"] : [],
  errors,
  timeline: [],
});

describe("bench:chaos figures", () => {
  it("medians and maxima of recovery, errors summed by status whoever answered, each target judged", () => {
    const f = figures("postgres-primary-killed", [
      run(1, 8_000, { "503 service": 10, "0 none": 2 }),
      run(2, 12_000, { "503 service": 5, "503 gateway": 1 }),
      run(3, 9_500, { "502 gateway": 1 }),
      run(4, 11_000, {}),
    ]);
    expect(f.recovery).toEqual({ medianS: 10.25, maxS: 12 });
    expect(f.byStatus).toEqual({ "0": 2, "502": 1, "503": 16 });
    expect(f.missed).toEqual(["median recovery 10.3 s > 10 s"]);
    expect(f.lost).toBe(0);
  });

  it("a lost write, a 500 or a run that never recovered is missed whatever the experiment", () => {
    const f = figures("service-replica-killed", [
      run(1, undefined, { "500 service": 1 }),
      run(2, 30_000, {}, ["user 7"]),
    ]);
    expect(f.recovery).toEqual({ medianS: 30, maxS: 30 });
    expect(f.missed).toEqual(["1 run(s) never recovered", "1 acknowledged write(s) lost", "1 answer(s) 500"]);
    expect(f.brokenRuns).toBe(1);
  });

  it("prints one row per experiment with its target", () => {
    const table = figuresTable([
      figures("postgres-primary-killed", [
        run(1, 8_000, { "503 service": 3 }),
        run(2, 9_000, { "0 none": 1 }),
      ]),
    ]);
    expect(table.split("\n")).toEqual([
      "experiment               runs  recovery median / max s  target s  lost          errors by status      verdict",
      "postgres-primary-killed  2     8.5 / 9.0                <= 10     0 (target 0)  no answer: 1, 503: 3  met",
    ]);
  });
});
