import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { basename, join } from "node:path";
import { z } from "zod";
import { UserError } from "../errors.ts";
import { median } from "../stats.ts";
import type { Figure } from "./suite-reports.ts";

/** The part of a run's summary.json a trend reads: when it ran, and its suites' figures. */
const trendInput = z.object({
  kind: z.enum(["pr", "nightly"]),
  startedAt: z.string(),
  environment: z.string(),
  readySeconds: z.record(z.string(), z.number()).default({}),
  suites: z.array(
    z.object({
      suite: z.string(),
      figures: z.record(
        z.string(),
        z.object({ value: z.number(), unit: z.enum(["ms", "s", "ratio", "count"]) }),
      ),
    }),
  ),
});

/** One run as a trend sees it: where it came from, when it ran, and every figure by name. */
export interface TrendRun {
  source: string;
  kind: "pr" | "nightly";
  startedAt: string;
  figures: Record<string, Figure>;
}

const isDir = (path: string) => existsSync(path) && statSync(path).isDirectory();

/**
 * The runs a path names: a run's folder (its summary.json), a summary.json itself, or a folder of
 * either (reports/, a history folder), each found inside it. In a folder, summaries that are not a
 * pipeline run's (a suite run on its own: chaos-*, load-*) are passed over; named directly, they
 * are an error.
 */
export function readTrendRuns(path: string): TrendRun[] {
  if (!isDir(path) || existsSync(join(path, "summary.json"))) return [readTrendRun(path)];
  const inside = readdirSync(path)
    .map((entry) => join(path, entry))
    .filter((entry) => (isDir(entry) ? existsSync(join(entry, "summary.json")) : entry.endsWith(".json")))
    .flatMap((entry) => {
      try {
        return [readTrendRun(entry)];
      } catch (error) {
        if (error instanceof UserError) return [];
        throw error;
      }
    });
  if (inside.length === 0)
    throw new UserError(
      `${path}: no pipeline run summaries here (a run's folder, its summary.json, or a folder of them)`,
    );
  return inside;
}

/**
 * Keeps a run's summary in a history folder (as `<run folder's name>.json`) for trends across
 * nights, and only the newest `keep` there.
 */
export function keepInHistory(runDir: string, history: string, keep: number): void {
  mkdirSync(history, { recursive: true });
  copyFileSync(join(runDir, "summary.json"), join(history, `${basename(runDir)}.json`));
  const kept = readdirSync(history)
    .filter((f) => f.endsWith(".json"))
    .sort();
  for (const old of kept.slice(0, Math.max(0, kept.length - keep))) rmSync(join(history, old));
}

/** The run in a folder (its summary.json) or a summary.json named directly; a clear error otherwise. */
export function readTrendRun(path: string): TrendRun {
  const file = isDir(path) ? join(path, "summary.json") : path;
  if (!existsSync(file)) throw new UserError(`${path}: no run summary here (expected ${file})`);
  let parsed: z.infer<typeof trendInput>;
  try {
    parsed = trendInput.parse(JSON.parse(readFileSync(file, "utf8")));
  } catch (error) {
    const detail =
      error instanceof z.ZodError
        ? error.issues.map((i) => `${i.path.join(".") || "(top)"}: ${i.message}`).join("; ")
        : (error as Error).message;
    throw new UserError(`${file}: not a pipeline run's summary.json (${detail})`);
  }
  const figures: Record<string, Figure> = {};
  for (const suite of parsed.suites) Object.assign(figures, suite.figures);
  const ready = Object.values(parsed.readySeconds);
  if (ready.length > 0) figures["slowest pod ready"] = { value: Math.max(...ready), unit: "s" };
  return { source: path, kind: parsed.kind, startedAt: parsed.startedAt, figures };
}

/** Rises smaller than these are noise whatever the ratio (a count: any rise counts). */
const NOISE: Record<Figure["unit"], number> = { ms: 1, s: 0.1, ratio: 0.001, count: 0 };

export interface TrendRow {
  figure: string;
  unit: Figure["unit"];
  /** The figure in each run, oldest first (undefined where that run had none). */
  values: (number | undefined)[];
  /** The median of the runs before the latest. */
  baseline?: number;
  latest?: number;
  /** latest / baseline - 1, when both exist and the baseline is not 0. */
  change?: number;
  regressed: boolean;
}

/**
 * Every figure across the runs (sorted by start), the latest run against the median of those
 * before it: a figure regressed when it rose by more than `threshold` (0.2: 20%) and by more than
 * noise. Every figure is better lower.
 */
export function trend(runs: readonly TrendRun[], threshold: number): TrendRow[] {
  const sorted = [...runs].sort((a, b) => a.startedAt.localeCompare(b.startedAt));
  const names = [...new Set(sorted.flatMap((r) => Object.keys(r.figures)))].sort();
  return names.map((figure) => {
    const unit = sorted.map((r) => r.figures[figure]?.unit).find((u) => u !== undefined) ?? "count";
    const values = sorted.map((r) => r.figures[figure]?.value);
    const latest = values.at(-1);
    const earlier = values.slice(0, -1).filter((v): v is number => v !== undefined);
    const baseline = earlier.length > 0 ? median(earlier) : undefined;
    const rise = latest !== undefined && baseline !== undefined ? latest - baseline : undefined;
    const regressed =
      rise !== undefined && baseline !== undefined && rise > NOISE[unit] && rise > baseline * threshold;
    return {
      figure,
      unit,
      values,
      ...(baseline !== undefined ? { baseline } : {}),
      ...(latest !== undefined ? { latest } : {}),
      ...(latest !== undefined && baseline ? { change: latest / baseline - 1 } : {}),
      regressed,
    };
  });
}
