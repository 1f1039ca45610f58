import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

// What the self-contained HTML reports (chaos, load) share: escaping, uPlot inlined, data inlined.

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
