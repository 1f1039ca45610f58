import { describe, expect, it } from "vitest";
import { chaosHtml } from "../../src/chaos/html-report.ts";
import { drawnChart, renderInChromium } from "../support/browser.ts";
import { sampleRuns } from "../support/chaos-runs.ts";

// The report's page in a real browser: Debian's Chromium, headless (bootstrap installs it), with the
// DOM as it stands once the page's scripts ran.
describe("the chaos report in headless Chromium", () => {
  it("draws a chart per run and shows the verdict table", async () => {
    const stdout = await renderInChromium(
      chaosHtml("nightly-1", new Date("2026-12-01T12:00:00Z"), sampleRuns),
    );
    // uPlot built each chart: its root and a drawn canvas inside every chart's element.
    for (const i of sampleRuns.keys()) expect(stdout).toMatch(drawnChart(`chaos-chart-${i}`));
    expect(stdout.match(/<div class="uplot/g)).toHaveLength(sampleRuns.length);
    expect(stdout).toContain("<td>postgres-primary-killed</td><td>1</td>");
    expect(stdout).toContain("broken: 1 of 3 sessions &lt;script&gt; no longer validate");
  });
});
