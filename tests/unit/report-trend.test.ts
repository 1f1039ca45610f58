import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { Figures } from "../../src/pipeline/suite-reports.ts";
import {
  keepInHistory,
  readTrendRun,
  readTrendRuns,
  type TrendRun,
  trend,
} from "../../src/pipeline/trend.ts";
import { runScript } from "../support/cli.ts";

const root = mkdtempSync(join(tmpdir(), "devstack-trend-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A night's folder as `nightly` leaves it, with the figures given (chaos and load). */
function night(
  day: number,
  chaos: Figures,
  load: Figures,
  readySeconds: Record<string, number> = {},
): string {
  const dir = join(root, `nightly-2026-11-${day}`);
  mkdirSync(dir, { recursive: true });
  const suite = (name: string, figures: Figures) => ({ suite: name, ok: true, figures });
  writeFileSync(
    join(dir, "summary.json"),
    JSON.stringify({
      kind: "nightly",
      environment: "nightly",
      startedAt: `2026-11-${day}T02:00:00.000Z`,
      readySeconds,
      suites: [suite("chaos", chaos), suite("load", load)],
    }),
  );
  return dir;
}

const recovery = (value: number): Figures => ({ "recovery (postgres-primary-killed)": { value, unit: "s" } });
const p95 = (value: number, failed = 0): Figures => ({
  "95th percentile (day-in-the-life)": { value, unit: "ms" },
  "failed requests (day-in-the-life)": { value: failed, unit: "ratio" },
});

describe("report:trend", () => {
  const run = (startedAt: string, figures: TrendRun["figures"]): TrendRun => ({
    source: startedAt,
    kind: "nightly",
    startedAt,
    figures,
  });

  it("compares the latest run with the median of those before it, flagging rises beyond the threshold and noise (golden)", () => {
    const runs = [
      run("2026-11-28", { ...recovery(9), ...p95(100), "policy mismatches": { value: 0, unit: "count" } }),
      run("2026-11-30", {
        ...recovery(30),
        ...p95(110, 0.0005),
        "policy mismatches": { value: 0, unit: "count" },
      }),
      run("2026-11-29", { ...recovery(10), ...p95(120), "policy mismatches": { value: 0, unit: "count" } }),
      // Latest: recovery within 20% of the median (10 s), p95 up 30%, a new mismatch, errors up by noise.
      run("2026-12-01", {
        ...recovery(11.9),
        ...p95(143, 0.0009),
        "policy mismatches": { value: 1, unit: "count" },
      }),
    ];
    expect(trend(runs, 0.2)).toEqual([
      {
        figure: "95th percentile (day-in-the-life)",
        unit: "ms",
        values: [100, 120, 110, 143],
        baseline: 110,
        latest: 143,
        change: expect.closeTo(0.3, 5),
        regressed: true,
      },
      {
        figure: "failed requests (day-in-the-life)",
        unit: "ratio",
        values: [0, 0, 0.0005, 0.0009],
        baseline: 0,
        latest: 0.0009,
        regressed: false,
      },
      {
        figure: "policy mismatches",
        unit: "count",
        values: [0, 0, 0, 1],
        baseline: 0,
        latest: 1,
        regressed: true,
      },
      {
        figure: "recovery (postgres-primary-killed)",
        unit: "s",
        values: [9, 10, 30, 11.9],
        baseline: 10,
        latest: 11.9,
        change: expect.closeTo(0.19, 5),
        regressed: false,
      },
    ]);
    // A figure the latest run lacks (its suite did not run) is no regression.
    const missing = trend([run("a", recovery(1)), run("b", {})], 0.2)[0];
    expect(missing).toMatchObject({ values: [1, undefined], regressed: false });
    expect(missing).not.toHaveProperty("latest");
  });

  it("reads a run from its folder or its summary.json; the slowest pod's time to ready is a figure too", () => {
    const dir = night(20, recovery(9), p95(100), { "azora-db-1": 7.5, "user-service": 12.5 });
    expect(readTrendRun(dir).figures["slowest pod ready"]).toEqual({ value: 12.5, unit: "s" });
    expect(readTrendRun(join(dir, "summary.json")).startedAt).toBe("2026-11-20T02:00:00.000Z");
  });

  it("keeps the newest summaries in a history folder, which report:trend reads whole or its last N", async () => {
    const history = join(root, "history");
    const nights = [night(10, recovery(50), {}), night(11, recovery(9), {}), night(12, recovery(10), {})];
    for (const dir of nights) keepInHistory(dir, history, 2);
    expect(readdirSync(history)).toEqual(["nightly-2026-11-11.json", "nightly-2026-11-12.json"]);
    keepInHistory(night(13, recovery(30), {}), history, 3);
    expect(readTrendRuns(history).map((r) => r.startedAt.slice(0, 10))).toEqual([
      "2026-11-11",
      "2026-11-12",
      "2026-11-13",
    ]);
    const result = await runScript("report-trend", [history, "--last", "2"]);
    expect(result.exitCode, result.all).toBe(1);
    expect(result.all).toMatch(
      /^recovery \(postgres-primary-killed\)\s+10 s\s+30 s\s+10 s\s+\+200%\s+REGRESSED$/m,
    );
  });

  it("in a folder such as reports/, reads the pipeline runs of one kind and passes over the rest", async () => {
    const reports = join(root, "reports");
    const folder = (name: string, summary: unknown) => {
      mkdirSync(join(reports, name), { recursive: true });
      writeFileSync(join(reports, name, "summary.json"), JSON.stringify(summary));
    };
    const run = (kind: string, day: number, value: number) => ({
      kind,
      environment: kind,
      startedAt: `2026-11-${day}T02:00:00.000Z`,
      suites: [{ suite: "chaos", figures: recovery(value) }],
    });
    folder("nightly-a", run("nightly", 1, 10));
    folder("nightly-b", run("nightly", 2, 11));
    folder("pr-7-a", run("pr", 3, 99));
    // A suite run on its own writes a summary.json of another shape.
    folder("chaos-x", { environment: "dev", startedAt: "2026-11-04T00:00:00.000Z", runs: [], timelines: [] });
    const nightly = await runScript("report-trend", [reports]);
    expect(nightly.exitCode, nightly.all).toBe(0);
    expect(nightly.all).toMatch(/^recovery \(postgres-primary-killed\)\s+10 s\s+11 s\s+10 s\s+\+10%$/m);
    const prs = await runScript("report-trend", [reports, "--kind", "pr"]);
    expect(prs.all).toContain("1 run (");
    expect(prs.all).toMatch(/^recovery \(postgres-primary-killed\)\s+99 s\s+-\s+-$/m);
  });

  it("prints a row per figure and exits 1 naming what regressed", async () => {
    const dirs = [
      night(21, recovery(9), p95(100)),
      night(22, recovery(10), p95(104)),
      night(23, recovery(25), p95(101)),
    ];
    const result = await runScript("report-trend", [...dirs, "--threshold", "50%"]);
    expect(result.exitCode, result.all).toBe(1);
    expect(result.all).toMatch(
      /^recovery \(postgres-primary-killed\)\s+9 s\s+10 s\s+25 s\s+9\.5 s\s+\+163%\s+REGRESSED$/m,
    );
    expect(result.all).toMatch(
      /^95th percentile \(day-in-the-life\)\s+100 ms\s+104 ms\s+101 ms\s+102 ms\s+-1%$/m,
    );
    expect(result.all).toContain("1 figure(s) rose more than 50%: recovery (postgres-primary-killed)");
    const calm = await runScript("report-trend", [...dirs.slice(0, 2)]);
    expect(calm.exitCode, calm.all).toBe(0);
  });

  it("names the file and the field when a summary is not a run's", async () => {
    const bad = join(root, "bad");
    mkdirSync(bad);
    writeFileSync(
      join(bad, "summary.json"),
      JSON.stringify({
        kind: "nightly",
        startedAt: "x",
        environment: "n",
        suites: [{ suite: "load", figures: { p95: { value: "slow", unit: "ms" } } }],
      }),
    );
    const result = await runScript("report-trend", [night(24, {}, {}), bad]);
    expect(result.exitCode).toBe(1);
    expect(result.all).toContain(
      `${bad}/summary.json: not a pipeline run's summary.json (suites.0.figures.p95.value:`,
    );
    const one = await runScript("report-trend", [night(25, recovery(3), {})]);
    expect(one.exitCode, one.all).toBe(0);
    expect(one.all).toMatch(/^recovery \(postgres-primary-killed\)\s+3 s\s+-\s+-$/m);
    expect(one.all).toContain("nothing to compare it with yet");
    const empty = join(root, "empty");
    mkdirSync(empty);
    const none = await runScript("report-trend", [empty]);
    expect(none.exitCode).toBe(1);
    expect(none.all).toContain(`${empty}: no pipeline run summaries here`);
    const threshold = await runScript("report-trend", ["a", "b", "--threshold", "lots"]);
    expect(threshold.all).toContain("--threshold: 'lots' is not valid; expected a percentage such as 20%");
    // A bare 0.2 could mean 20% or 0.2%: the sign is asked for.
    const bare = await runScript("report-trend", ["a", "b", "--threshold", "0.2"]);
    expect(bare.all).toContain("--threshold: '0.2' is not valid; expected a percentage such as 20%");
  });
});
