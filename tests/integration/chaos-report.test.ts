import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, describe, expect, it } from "vitest";
import { chaosHtml } from "../../src/chaos/html-report.ts";
import { sampleRuns } from "../support/chaos-runs.ts";

// The report's page in a real browser: Debian's Chromium, headless (bootstrap installs it), with the
// DOM as it stands once the page's scripts ran.
const dir = mkdtempSync(join(tmpdir(), "devstack-chaos-report-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("the chaos report in headless Chromium", () => {
  it("draws a chart per run and shows the verdict table", async () => {
    const page = join(dir, "index.html");
    writeFileSync(page, chaosHtml("nightly-1", new Date("2026-12-01T12:00:00Z"), sampleRuns));
    const { stdout } = await execa(
      "chromium",
      ["--headless", "--no-sandbox", "--disable-gpu", "--dump-dom", `file://${page}`],
      { timeout: 60_000 },
    );
    // uPlot built each chart: its root and a drawn canvas inside every chart's element.
    for (const i of sampleRuns.keys())
      expect(stdout).toMatch(
        new RegExp(
          `<div class="chart" id="chart-${i}"><div class="uplot[^"]*"[\\s\\S]*?<canvas width="900" height="260">`,
        ),
      );
    expect(stdout.match(/<div class="uplot/g)).toHaveLength(sampleRuns.length);
    expect(stdout).toContain("<td>postgres-primary-killed</td><td>1</td>");
    expect(stdout).toContain("broken: 1 of 3 sessions &lt;script&gt; no longer validate");
  });
});
