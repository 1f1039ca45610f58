import { describe, expect, it } from "vitest";
import { chaosHtml, chartSeries, verdictRow } from "../../src/chaos/html-report.ts";
import { sampleRuns } from "../support/chaos-runs.ts";

describe("the chaos report's page", () => {
  it("charts every 100 ms from the first write to the last, empty ones as zero", () => {
    expect(chartSeries(sampleRuns[0]?.timeline ?? [])).toEqual({
      seconds: [4.8, 4.9, 5, 5.1, 5.2],
      ok: [2, 0, 0, 0, 1],
      failed: [0, 0, 0, 2, 1],
    });
    expect(chartSeries([])).toEqual({ seconds: [], ok: [], failed: [] });
  });

  it("has a verdict row per run: window, recovery, ledger, errors, and what broke", () => {
    expect(sampleRuns.map(verdictRow)).toEqual([
      [
        "postgres-primary-killed",
        "1",
        "the current primary",
        "5.0-20.0",
        "9.2",
        "120",
        "0",
        "0",
        "20 x 503 service, 10 x 503 gateway",
        "held",
      ],
      [
        "redis-master-killed",
        "2",
        "azora/redis-0",
        "4.0-4.0",
        "-",
        "80",
        "1",
        "0",
        "none",
        "broken: 1 of 3 sessions <script> no longer validate",
      ],
    ]);
  });

  it("is one self-contained file: uPlot inlined, text escaped, nothing fetched", () => {
    const html = chaosHtml("nightly-1", new Date("2026-12-01T12:00:00Z"), sampleRuns);
    expect(html).toContain("var uPlot=function()"); // the library itself, inlined
    expect(html).not.toMatch(/<script[^>]*\bsrc=|<link[^>]*\bhref=/);
    expect(html).toContain("broken: 1 of 3 sessions &lt;script&gt; no longer validate");
    expect(html.match(/<div class="chart" id="chaos-chart-\d+">/g)).toHaveLength(2);
    expect(html).toContain('<tr class="broken">');
    expect(html).toContain("2 run(s), 1 with broken invariants.");
  });
});
