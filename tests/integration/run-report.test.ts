import { rmSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { runHtml } from "../../src/pipeline/html-report.ts";
import { runSummary } from "../../src/pipeline/report.ts";
import { drawnChart, renderInChromium } from "../support/browser.ts";
import { sampleRunFolder } from "../support/pipeline-runs.ts";

// A pipeline run's combined page in Debian's Chromium, headless, opened from a file as a CI
// artifact is: every suite's section rendered from what the suite wrote into the run's folder.
const { dir, results } = sampleRunFolder();
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("a pipeline run's index.html in headless Chromium", () => {
  it("renders the run, the environment, and the contract, policy, chaos and load sections", async () => {
    const summary = runSummary(
      { kind: "nightly", environment: "nightly", startedAt: new Date("2026-12-01T20:00:00Z"), dir },
      results,
    );
    summary.images = {
      tyk: { ref: "azora-devstack/tyk:abc", source: "offline recipe (Tyk 2.9.4, offline)" },
    };
    summary.readySeconds = { "azora-db-1": 8.5, "user-service": 12.25 };
    const dom = await renderInChromium(runHtml(summary, results));

    expect(dom).toContain('<tr class="failed"><td>contract</td><td>failed (exit 1)</td>');
    expect(dom).toContain('<tr class="held"><td>load</td><td>passed</td>');
    expect(dom).toContain(
      "<td>tyk</td><td>azora-devstack/tyk:abc</td><td>offline recipe (Tyk 2.9.4, offline)</td>",
    );
    expect(dom).toContain("<td>user-service</td><td>12.3</td>");
    expect(dom).toContain(
      '<tr class="failed"><td>user-service</td><td>GET /users/{id}</td><td>1</td><td>200</td><td>30</td>',
    );
    // The grid: the pair the policies deny but traffic crossed is the one marked.
    expect(dom.match(/<td class="mismatch"/g)).toHaveLength(1);
    expect(dom).toContain('<th>azora/redis-0</th><td class="mismatch"');
    expect(dom).toContain(
      "azora/redis-0 -&gt; azora/azora-db-1 5432/TCP: expected deny, observed allow (open)",
    );
    // Chaos and load charts drawn by uPlot in the same page, each into its own element.
    for (const chart of ["chaos-chart-0", "chaos-chart-1", "latency", "throughput"])
      expect(dom).toMatch(drawnChart(chart));
    expect(dom).toContain("2 run(s), 1 with broken invariants.");
    expect(dom).toContain("a threshold failed");
  });
});
