import { describe, expect, it } from "vitest";
import { loadHtml } from "../../src/load/html-report.ts";
import { drawnChart, renderInChromium as render } from "../support/browser.ts";
import { sampleSummary, sampleTimeline } from "../support/load-runs.ts";

// The load report's page in Debian's Chromium, headless, with the DOM as it stands once the page's
// scripts ran (as tests/integration/chaos-report.test.ts does for the chaos report).
describe("the load report in headless Chromium", () => {
  it("draws the latency and throughput charts and shows the thresholds, statuses and steps", async () => {
    const dom = await render(loadHtml(sampleSummary, sampleTimeline));
    for (const chart of ["latency", "throughput"]) expect(dom).toMatch(drawnChart(chart));
    expect(dom).toContain(
      '<tr class="failed"><td>http_req_failed</td><td>rate&lt;0.01</td><td>0.0625</td><td>failed</td></tr>',
    );
    expect(dom).toContain("<td>0 (no answer)</td><td>1</td>");
    expect(dom).toContain("<td>503</td><td>1</td>");
    expect(dom).toContain("<td>browse</td><td>list-courses</td><td>16</td><td>1</td>");
    // Tags are data, never markup.
    expect(dom).toContain("<td>&lt;script&gt;</td><td>get-course</td>");
    expect(dom).toContain("a threshold failed");
  });

  it("says so when the run recorded no timeline, and draws no chart", async () => {
    const dom = await render(loadHtml(sampleSummary, []));
    expect(dom).toContain("No per-second timeline was recorded for this run.");
    expect(dom).not.toContain('class="uplot');
  });
});
