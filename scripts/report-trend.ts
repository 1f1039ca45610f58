// pnpm report:trend PATH... [--threshold 20%] [--last N] [--kind nightly|pr]
// Compares the summaries of several pipeline runs of one kind (nightly by default): reports/
// nightly-*/ folders, their summary.json, or a folder of them such as reports/ or nightly's
// --history folder (the newest N with --last). Every figure they recorded (recovery times, p95s,
// error rates, failures, the slowest pod's time to ready) run by run, oldest first, and the latest against the median of the
// runs before it. Exits 1 when a figure rose beyond the threshold.
import { oneOf, parseFlags, wholeNumber } from "../src/cli/flags.ts";
import { runMain } from "../src/cli/main.ts";
import { printTable } from "../src/cli/table.ts";
import { UserError } from "../src/errors.ts";
import { formatFigure } from "../src/pipeline/report.ts";
import { readTrendRuns, trend } from "../src/pipeline/trend.ts";

await runMain(async () => {
  const { values, positionals } = parseFlags(
    "report:trend",
    process.argv.slice(2),
    {
      threshold: { type: "string", default: "20%" },
      last: { type: "string" },
      kind: { type: "string", default: "nightly" },
    },
    { positionals: true },
  );
  const percent = /^(\d+(?:\.\d+)?)%$/.exec(values.threshold ?? "")?.[1];
  const threshold = Number(percent) / 100;
  if (percent === undefined)
    throw new UserError(`--threshold: '${values.threshold}' is not valid; expected a percentage such as 20%`);
  const kind = oneOf("kind", values.kind ?? "nightly", ["nightly", "pr"]);
  const last = values.last === undefined ? undefined : wholeNumber("last", values.last, 2);
  const runs = positionals
    .flatMap(readTrendRuns)
    .filter((run) => run.kind === kind)
    .sort((a, b) => a.startedAt.localeCompare(b.startedAt))
    .slice(last === undefined ? 0 : -last);
  if (runs.length === 0)
    throw new UserError(
      `report:trend: no ${kind} runs among ${positionals.join(" ") || "(no paths given)"}`,
      "e.g. pnpm report:trend reports/",
    );
  const rows = trend(runs, threshold);
  const show = (value: number | undefined, unit: Parameters<typeof formatFigure>[0]["unit"]) =>
    value === undefined ? "-" : formatFigure({ value, unit });
  printTable(
    ["FIGURE", ...runs.map((r) => r.startedAt.slice(5, 16).replace("T", " ")), "BASELINE", "CHANGE", ""],
    rows.map((r) => [
      r.figure,
      ...r.values.map((v) => show(v, r.unit)),
      show(r.baseline, r.unit),
      r.change === undefined ? "-" : `${r.change >= 0 ? "+" : ""}${(r.change * 100).toFixed(0)}%`,
      r.regressed ? "REGRESSED" : "",
    ]),
  );
  const regressed = rows.filter((r) => r.regressed);
  if (runs.length === 1) {
    console.log(`1 run (${runs[0]?.source}): nothing to compare it with yet`);
    return;
  }
  console.log(
    `${runs.length} runs, latest ${runs.at(-1)?.source}: ${
      regressed.length === 0
        ? `no figure rose more than ${values.threshold} over the median of the runs before it`
        : `${regressed.length} figure(s) rose more than ${values.threshold}: ${regressed.map((r) => r.figure).join(", ")}`
    }`,
  );
  if (regressed.length > 0) process.exitCode = 1;
});
