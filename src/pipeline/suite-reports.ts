import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { LoadSummary } from "../../load/summary.ts";
import { chaosSection } from "../chaos/html-report.ts";
import { type ChaosSummary, runsOf } from "../chaos/report.ts";
import { type ContractSummary, contractFailures, contractSection, neverCalled } from "../contract/report.ts";
import type { ReportSection } from "../html.ts";
import { loadSection } from "../load/html-report.ts";
import type { TimelinePoint } from "../load/summarize.ts";
import { mismatches, type PolicySummary, policySection } from "../netpol/probe-report.ts";
import type { RecoverySummary } from "../recovery/drill.ts";
import { recoverySection } from "../recovery/report.ts";
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

/**
 * A file a suite wrote into its report folder, if it got that far; a file cut short (the suite was
 * killed while writing) counts as not written.
 */
export function readSuiteFile<T>(dir: string, name = "summary.json"): T | undefined {
  const file = join(dir, name);
  if (!existsSync(file)) return undefined;
  try {
    return JSON.parse(readFileSync(file, "utf8")) as T;
  } catch {
    return undefined;
  }
}

const round = (value: number, digits: number) => Number(value.toFixed(digits));

/** What a pipeline run takes from one suite's report folder: its figures and its page section. */
interface SuiteReport<T> {
  figures(summary: T): Figures;
  section(summary: T, dir: string): ReportSection;
}

const contract: SuiteReport<ContractSummary> = {
  figures: (s) => ({
    "contract failures": { value: contractFailures(s), unit: "count" },
    "operations not exercised": { value: neverCalled(s).length, unit: "count" },
  }),
  section: contractSection,
};

const policy: SuiteReport<PolicySummary> = {
  figures: (s) => ({
    "policy mismatches": { value: mismatches(s.observations).length, unit: "count" },
    "pods unguarded": { value: s.problems.length, unit: "count" },
  }),
  section: policySection,
};

const chaos: SuiteReport<ChaosSummary> = {
  figures(s) {
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
  },
  section: (s) => chaosSection(runsOf(s)),
};

const load: SuiteReport<LoadSummary> = {
  figures(s) {
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
  },
  section: (s, dir) => loadSection(s, readSuiteFile<TimelinePoint[]>(dir, "timeline.json") ?? []),
};

const recovery: SuiteReport<RecoverySummary> = {
  figures: (s) => ({
    "recovery writes lost (RPO)": { value: s.lost.length, unit: "count" },
    "recovery writes restored past the target": { value: s.leaked.length, unit: "count" },
    "restore to ready (RTO)": { value: round(s.rtoSeconds, 1), unit: "s" },
  }),
  section: recoverySection,
};

// biome-ignore lint/suspicious/noExplicitAny: each entry reads its own suite's summary shape
const SUITE_REPORTS: Record<SuiteName, SuiteReport<any>> = { contract, policy, chaos, load, recovery };

/** The figures of one suite's report; none when it wrote no summary (it failed before). */
export function suiteFigures(suite: SuiteName, dir: string): Figures {
  const summary = readSuiteFile(dir);
  return summary === undefined ? {} : SUITE_REPORTS[suite].figures(summary);
}

/** The suite's section of the run's page; undefined when it wrote no summary. */
export function suiteSection(suite: SuiteName, dir: string): ReportSection | undefined {
  const summary = readSuiteFile(dir);
  return summary === undefined ? undefined : SUITE_REPORTS[suite].section(summary, dir);
}
