import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";

/**
 * A report page in Debian's Chromium, headless (bootstrap installs it), opened from a file as a CI
 * artifact would be: resolves to the DOM as it stands once the page's scripts ran.
 */
export async function renderInChromium(html: string): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), "devstack-page-"));
  try {
    const page = join(dir, "index.html");
    writeFileSync(page, html);
    const { stdout } = await execa(
      "chromium",
      ["--headless", "--no-sandbox", "--disable-gpu", "--dump-dom", `file://${page}`],
      { timeout: 60_000 },
    );
    return stdout;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The pattern of a uPlot chart drawn into the element with this id: its root and a canvas. */
export const drawnChart = (id: string) =>
  new RegExp(
    `<div class="chart" id="${id}"><div class="uplot[^"]*"[\\s\\S]*?<canvas width="900" height="260">`,
  );
