import { peakRate } from "../../load/flows.ts";
import type { Scenario } from "../../load/scenarios.ts";
import { SETUP_FLOW } from "../../load/summary.ts";
import { baseUrls } from "../load/endpoints.ts";
import { type RunOutcome, runOpenModel } from "../load/runner.ts";
import type { RequestRecord } from "../load/summarize.ts";
import type { EnvironmentHandle } from "../runtimes/runtime.ts";
import { percentile } from "../stats.ts";

/** A stretch of a chaos run, as the load scenario saw it: requests sent then, and how they fared. */
export interface LoadWindow {
  requests: number;
  failed: number;
  /** p95 of the durations of the requests sent in the window, ms. */
  p95: number;
  /** The failed requests by status (0: no answer). */
  failures: Record<string, number>;
}

/** A load scenario run throughout a chaos run, split at the fault: before, during, after. */
export interface LoadDuringRun {
  scenario: string;
  before: LoadWindow;
  /** From the fault in place to the workload's recovery (or the fault's removal, if later). */
  fault: LoadWindow;
  after: LoadWindow;
}

/** How long a scenario runs under a chaos run at most; the run stops it sooner. */
const LONGEST = "1h";

/**
 * Starts the scenario at its peak rate through the gateway, resolving once its setup is done (seed
 * users logged in) so the fault never meets a half-prepared load; `stop` ends it and resolves to
 * what it recorded.
 */
export async function startLoad(
  scenario: Scenario,
  env: EnvironmentHandle,
): Promise<{ stop: () => Promise<RunOutcome> }> {
  const controller = new AbortController();
  let started: () => void = () => {};
  const ready = new Promise<void>((resolve) => {
    started = resolve;
  });
  const bases = baseUrls(env);
  const running = runOpenModel({
    scenario: {
      ...scenario,
      arrival: { executor: "constant-arrival-rate", rate: peakRate(scenario.arrival), duration: LONGEST },
    },
    bases,
    target: bases.gateway ? "gateway" : "direct",
    signal: controller.signal,
    onStarted: started,
  });
  await Promise.race([ready, running]);
  return {
    stop: () => {
      controller.abort();
      return running;
    },
  };
}

function windowOf(records: readonly RequestRecord[]): LoadWindow {
  const failures: Record<string, number> = {};
  for (const r of records.filter((x) => x.failed))
    failures[String(r.status)] = (failures[String(r.status)] ?? 0) + 1;
  return {
    requests: records.length,
    failed: records.filter((r) => r.failed).length,
    p95: percentile(
      records.map((r) => r.ms).sort((a, b) => a - b),
      95,
    ),
    failures,
  };
}

/**
 * Splits the load's requests (the setup's left out) by when they were sent, on the ledger's clock
 * (`ledgerOrigin` is the performance.now() time the ledger counts from).
 */
export function attribute(
  scenario: string,
  outcome: Pick<RunOutcome, "origin" | "records">,
  ledgerOrigin: number,
  run: { faultAt: number; removedAt: number; recoveredAt?: number },
): LoadDuringRun {
  const end = Math.max(run.removedAt, run.recoveredAt ?? run.removedAt);
  const sent = outcome.records
    .filter((r) => r.flow !== SETUP_FLOW)
    .map((r) => ({ ...r, at: outcome.origin + r.at - ledgerOrigin }));
  return {
    scenario,
    before: windowOf(sent.filter((r) => r.at < run.faultAt)),
    fault: windowOf(sent.filter((r) => r.at >= run.faultAt && r.at < end)),
    after: windowOf(sent.filter((r) => r.at >= end)),
  };
}

/** One line for a log or a report: each window's requests, failures by status and p95. */
export function describeLoad(load: LoadDuringRun): string {
  const part = (name: string, w: LoadWindow) => {
    const failures = Object.entries(w.failures)
      .map(([status, n]) => `${n} x ${status}`)
      .join(", ");
    return `${name} ${w.requests} sent, ${w.failed} failed${failures ? ` (${failures})` : ""}, p95 ${w.p95.toFixed(0)} ms`;
  };
  return `under load (${load.scenario}): ${part("before the fault", load.before)}; ${part("fault to recovery", load.fault)}; ${part("after", load.after)}`;
}
