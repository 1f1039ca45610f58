import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

// What the self-contained HTML reports (chaos, load, a pipeline run's page) share: escaping, uPlot
// inlined, data inlined, the page around the sections.

export const escapeHtml = (text: string) =>
  text.replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c] ?? c,
  );

/** uPlot's script and stylesheet, to inline: a report page fetches nothing. */
export function uplotAssets(): { script: string; css: string } {
  const file = createRequire(import.meta.url).resolve("uplot/dist/uPlot.iife.min.js");
  return {
    script: readFileSync(file, "utf8"),
    css: readFileSync(file.replace(/uPlot\.iife\.min\.js$/, "uPlot.min.css"), "utf8"),
  };
}

/** JSON for a <script> element, `<` escaped so the data can never close the element it sits in. */
export const inlineJson = (data: unknown) => JSON.stringify(data).replace(/</g, "\\u003c");

/** A table's HTML: a header row and one row per entry, every cell escaped. */
export const htmlTable = (
  id: string,
  headers: readonly string[],
  rows: readonly (readonly string[])[],
  rowClass?: (i: number) => string,
) =>
  `<table id="${id}"><thead><tr>${headers.map((h) => `<th>${escapeHtml(h)}</th>`).join("")}</tr></thead>\n<tbody>\n${rows
    .map(
      (cells, i) =>
        `<tr${rowClass ? ` class="${rowClass(i)}"` : ""}>${cells.map((c) => `<td>${escapeHtml(c)}</td>`).join("")}</tr>`,
    )
    .join("\n")}\n</tbody></table>`;

/** A part of a report page: its markup, and the script that draws its charts (uPlot is loaded). */
export interface ReportSection {
  html: string;
  script: string;
  /** Style rules the section needs beyond the page's. */
  css?: string;
}

const PAGE_CSS = `body { font: 14px/1.4 system-ui, sans-serif; margin: 2em; }
table { border-collapse: collapse; margin-bottom: 1em; } td, th { border: 1px solid #ccc; padding: 4px 8px; text-align: left; }
tr.failed td, tr.broken td { background: #fdd; } tr.held td:last-child { color: #070; }`;

/** A whole report page, self-contained: uPlot, the styles and every section's data inlined. */
export function htmlPage(title: string, sections: readonly ReportSection[]): string {
  const { script, css } = uplotAssets();
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<style>${css}
${PAGE_CSS}
${sections.map((s) => s.css ?? "").join("\n")}
</style></head>
<body>
${sections.map((s) => s.html).join("\n")}
<script>${script}</script>
${sections.map((s) => (s.script ? `<script>\n${s.script}\n</script>` : "")).join("\n")}
</body></html>
`;
}

/** A suite's own report page: its title over its one section (a run's page has it among others). */
export const standalonePage = (title: string, section: ReportSection, intro = "") =>
  htmlPage(title, [{ ...section, html: `<h1>${escapeHtml(title)}</h1>\n${intro}${section.html}` }]);
