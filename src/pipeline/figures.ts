import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { LoadSummary } from "../../load/summary.ts";
import type { ChaosSummary } from "../chaos/report.ts";
import { type ContractSummary, contractFailures } from "../contract/report.ts";
import { mismatches, type PolicySummary } from "../netpol/probe-report.ts";
import { median } from "../stats.ts";
import type { SuiteName } from "./suites.ts";

/**
 * A figure a run is judged by across nights. Every figure is better lower (a latency, a recovery
 * time, an error rate, a count of failures), so a rise is what a trend flags.
 */
export interface Figure {
  value: number;
  unit: "ms" | "s" | "ratio" | "count";
}
export type Figures = Record<string, Figure>;

/** A suite's summary.json (or another of its files) as it wrote it into its report folder, if it got that far. */
export function readSuiteSummary<T>(dir: string, name = "summary.json"): T | undefined {
  const file = join(dir, name);
  return existsSync(file) ? (JSON.parse(readFileSync(file, "utf8")) as T) : undefined;
}

const round = (value: number, digits: number) => Number(value.toFixed(digits));

/** The figures of one suite's report; none when it wrote no summary (it failed before). */
export function suiteFigures(suite: SuiteName, dir: string): Figures {
  switch (suite) {
    case "contract": {
      const s = readSuiteSummary<ContractSummary>(dir);
      if (!s) return {};
      return {
        "contract failures": { value: contractFailures(s), unit: "count" },
        "operations not exercised": { value: s.uncovered.length, unit: "count" },
      };
    }
    case "policy": {
      const s = readSuiteSummary<PolicySummary>(dir);
      if (!s) return {};
      return {
        "policy mismatches": { value: mismatches(s.observations).length, unit: "count" },
        "pods unguarded": { value: s.problems.length, unit: "count" },
      };
    }
    case "chaos": {
      const s = readSuiteSummary<ChaosSummary>(dir);
      if (!s) return {};
      const figures: Figures = {
        "chaos runs with broken invariants": {
          value: s.runs.filter((r) => r.violations.length > 0).length,
          unit: "count",
        },
      };
      for (const experiment of new Set(s.runs.map((r) => r.experiment))) {
        const times = s.runs
          .filter((r) => r.experiment === experiment && r.recoveryMs !== undefined)
          .map((r) => (r.recoveryMs ?? 0) / 1000);
        if (times.length > 0)
          figures[`recovery (${experiment})`] = { value: round(median(times), 2), unit: "s" };
      }
      return figures;
    }
    case "load": {
      const s = readSuiteSummary<LoadSummary>(dir);
      if (!s) return {};
      const duration = s.metrics.http_req_duration?.values ?? {};
      const figures: Figures = {};
      for (const stat of ["p(95)", "p(99)"] as const)
        if (duration[stat] !== undefined)
          figures[`${stat.slice(2, 4)}th percentile (${s.scenario})`] = {
            value: round(duration[stat], 1),
            unit: "ms",
          };
      figures[`failed requests (${s.scenario})`] = {
        value: round(s.metrics.http_req_failed?.values.rate ?? 0, 4),
        unit: "ratio",
      };
      return figures;
    }
  }
}
