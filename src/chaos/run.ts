import type { Scenario } from "../../load/scenarios.ts";
import { envFileOf } from "../env/state.ts";
import { UserError } from "../errors.ts";
import { fetchWithin } from "../http/fetch-within.ts";
import { jsonField } from "../http/json-field.ts";
import type { RunOutcome } from "../load/runner.ts";
import type { EnvironmentHandle, Runtime } from "../runtimes/runtime.ts";
import type { Experiment, ExperimentContext } from "./experiment.ts";
import { journaled } from "./journal.ts";
import { Ledger, type LedgerVerdict, type Write } from "./ledger.ts";
import { attribute, type LoadDuringRun, startLoad } from "./under-load.ts";

/** One run of one experiment: when the fault was in force, how the workload fared, what broke. */
export interface RunResult {
  experiment: string;
  run: number;
  targets: string[];
  /** Milliseconds on the ledger's clock. */
  faultAt: number;
  removedAt: number;
  /** The first write from which the workload succeeded again without a failure for a while. */
  recoveredAt?: number;
  recoveryMs?: number;
  verdict: LedgerVerdict;
  /** Invariants that did not hold, each with its evidence. */
  violations: string[];
  /** Error answers by status and who gave them, e.g. `503 service`, `500 gateway`, `0 none`. */
  errors: Record<string, number>;
  /** Per 100 ms: acknowledged and failed writes. */
  timeline: { at: number; ok: number; failed: number }[];
  /** With --under-load: the load scenario's requests before, during and after the fault. */
  load?: LoadDuringRun;
}

export interface RunOptions {
  runtime: Runtime;
  env: EnvironmentHandle;
  /** Writes per second of the workload. */
  rate: number;
  /** The workload before the fault (steady state) and after recovery. */
  baselineMs?: number;
  afterMs?: number;
  /** How long the workload may take to recover once the fault is removed. */
  recoveryTimeoutMs?: number;
  log: (line: string) => void;
  /** A load scenario run throughout each run, besides the ledger's writes (--under-load). */
  underLoad?: Scenario;
}

/** A write succeeded this many times in a row: the workload has recovered from that write on. */
const RECOVERED_AFTER = 10;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function runExperiment(
  experiment: Experiment,
  run: number,
  options: RunOptions,
): Promise<RunResult> {
  // Started before the ledger and stopped however the run ends (a failed run included).
  const load = options.underLoad ? await startLoad(options.underLoad, options.env) : undefined;
  let outcome: Promise<RunOutcome> | undefined;
  const stopLoad = () => (outcome ??= load?.stop());
  try {
    return await runWithLedger(experiment, run, options, stopLoad);
  } finally {
    await stopLoad();
  }
}

async function runWithLedger(
  experiment: Experiment,
  run: number,
  options: RunOptions,
  stopLoad: () => Promise<RunOutcome> | undefined,
): Promise<RunResult> {
  const { env, log } = options;
  let { gateway, databaseUrl } = workloadEndpoints(env);
  const pods = await env.pods();
  const unmet = experiment.requires?.(pods);
  if (unmet) throw new UserError(`experiment ${experiment.name}: ${unmet}`);
  const courseId = await aCourse(gateway);
  const ledger = new Ledger({ gateway, rate: options.rate, courseId });
  const faults = journaled(env.name, env.faults);
  const ctx: ExperimentContext = {
    env,
    ledger,
    faults,
    pods,
    log,
    status: () => options.runtime.status(env.name),
    repair: async () => {
      const { state } = await options.runtime.status(env.name);
      await options.runtime.up({ name: env.name, envFile: envFileOf(state), progress: () => {} });
      // A recreated environment publishes new ports: the workload and the check follow them.
      ({ gateway, databaseUrl } = workloadEndpoints(await options.runtime.open(env.name)));
      ledger.retarget(gateway);
    },
  };
  const targets = experiment.targets(pods);
  const violations: string[] = [];

  ledger.start();
  const ledgerOrigin = performance.now() - ledger.now();
  await sleep(options.baselineMs ?? 3_000);
  const baselineFailures = ledger.writes.filter((w) => !w.acknowledged);
  if (baselineFailures.length > 0)
    violations.push(`steady state not reached before the fault: ${baselineFailures.length} failed write(s)`);

  // The fault's time is when it is in place (an experiment may look its target up first).
  let faultAt = ledger.now();
  let removedAt = faultAt;
  try {
    await experiment.inject(ctx, targets).catch((error: Error) => {
      throw new UserError(`experiment ${experiment.name}: the fault could not be injected: ${error.message}`);
    });
    faultAt = ledger.now();
    log(
      `  ${experiment.name} #${run}: fault on ${targets.join(", ")} in place at ${(faultAt / 1000).toFixed(1)}s`,
    );
    await (experiment.holdUntil ? experiment.holdUntil(ctx, targets) : sleep(experiment.holdMs));
  } finally {
    // The fault is always removed, even when the run fails half-way.
    await experiment.remove(ctx, targets);
    removedAt = ledger.now();
  }
  // Judged on settled writes only: a streak of successes is not a recovery while a write sent
  // within it may still come back failed.
  const deadline = Date.now() + (options.recoveryTimeoutMs ?? 60_000);
  let recoveredAt = recovery(ledger.settled(), faultAt);
  while (recoveredAt === undefined && Date.now() < deadline) {
    await sleep(500);
    recoveredAt = recovery(ledger.settled(), faultAt);
  }
  await sleep(options.afterMs ?? 5_000);
  await ledger.stop();
  recoveredAt = recovery(ledger.writes, faultAt);
  const loadOutcome = await stopLoad();
  const load =
    loadOutcome && options.underLoad
      ? attribute(options.underLoad.name, loadOutcome, ledgerOrigin, { faultAt, removedAt, recoveredAt })
      : undefined;
  if (load && load.before.failed > 0)
    violations.push(
      `steady state not reached under load: ${load.before.failed} request(s) failed before the fault`,
    );

  const verdict = await ledger.verify(databaseUrl);
  if (verdict.lost.length > 0)
    violations.push(
      `${verdict.lost.length} acknowledged write(s) lost: ${verdict.lost.slice(0, 5).join(", ")}`,
    );
  if (verdict.duplicates.length > 0)
    violations.push(
      `${verdict.duplicates.length} write(s) stored twice: ${verdict.duplicates.slice(0, 5).join(", ")}`,
    );
  const errors: Record<string, number> = {};
  for (const w of ledger.writes.filter((x) => !x.acknowledged))
    errors[`${w.status} ${w.source ?? "none"}`] = (errors[`${w.status} ${w.source ?? "none"}`] ?? 0) + 1;
  const serviceErrors = ledger.writes.filter((w) => w.status === 500 && w.source === "service");
  if (serviceErrors.length > 0) violations.push(`${serviceErrors.length} answer(s) 500 from a service`);
  if (recoveredAt === undefined)
    violations.push(
      `the workload did not recover within ${(options.recoveryTimeoutMs ?? 60_000) / 1000}s of removing the fault`,
    );
  violations.push(...((await experiment.check?.(ctx, targets)) ?? []));
  violations.push(...(await steadyAgain(options.runtime, env.name)));

  return {
    experiment: experiment.name,
    run,
    targets,
    faultAt,
    removedAt,
    ...(recoveredAt !== undefined ? { recoveredAt, recoveryMs: Math.max(0, recoveredAt - faultAt) } : {}),
    verdict,
    violations,
    errors,
    timeline: timeline(ledger.writes),
    ...(load ? { load } : {}),
  };
}

/**
 * When the workload recovered: the start of the first run of RECOVERED_AFTER successful writes
 * (in the order they were sent) after the fault's first failure; the fault time itself when
 * nothing failed at all.
 */
export function recovery(writes: readonly Write[], faultAt: number): number | undefined {
  const after = [...writes].filter((w) => w.at >= faultAt).sort((a, b) => a.at - b.at);
  const firstFailure = after.findIndex((w) => !w.acknowledged);
  if (firstFailure < 0) return after.length >= RECOVERED_AFTER ? faultAt : undefined;
  let streak = 0;
  for (let i = firstFailure; i < after.length; i++) {
    streak = after[i]?.acknowledged ? streak + 1 : 0;
    if (streak === RECOVERED_AFTER) return after[i - RECOVERED_AFTER + 1]?.at;
  }
  return undefined;
}

/** Acknowledged and failed writes per 100 ms, by the time they were sent. */
export function timeline(writes: readonly Write[]): RunResult["timeline"] {
  const buckets = new Map<number, { ok: number; failed: number }>();
  for (const w of writes) {
    const at = Math.floor(w.at / 100) * 100;
    const bucket = buckets.get(at) ?? { ok: 0, failed: 0 };
    if (w.acknowledged) bucket.ok++;
    else bucket.failed++;
    buckets.set(at, bucket);
  }
  return [...buckets].sort(([a], [b]) => a - b).map(([at, b]) => ({ at, ...b }));
}

/** Every workload ready again (within a minute), said as violations otherwise. */
async function steadyAgain(runtime: Runtime, name: string): Promise<string[]> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const { workloads } = await runtime.status(name);
    const down = workloads
      .filter((w) => w.health !== "ready")
      .map((w) => `${w.workload} ${w.ready}/${w.desired}`);
    if (down.length === 0) return [];
    if (Date.now() > deadline)
      return [`not every workload ready a minute after recovery: ${down.join(", ")}`];
    await sleep(1_000);
  }
}

/** Where the workload writes (the gateway's LoadBalancer) and where its writes are read back. */
function workloadEndpoints(env: EnvironmentHandle): { gateway: string; databaseUrl: string } {
  const gateway = Object.entries(env.endpoints).find(([key]) => key.startsWith("loadbalancer/"))?.[1];
  const databaseUrl = env.endpoints.postgres;
  if (!gateway || !databaseUrl)
    throw new UserError(
      `environment '${env.name}' has no gateway or no database endpoint to run a workload through`,
    );
  return { gateway, databaseUrl };
}

/** A course the workload enrolls users in: any course the catalogue lists (the seed's). */
async function aCourse(gateway: string): Promise<string> {
  const email = `chaos-${process.pid}-${Date.now()}@example.test`;
  const password = `pw-${Date.now()}-chaos`;
  const json = { "content-type": "application/json" };
  await fetchWithin(
    `${gateway}/api/users`,
    { method: "POST", headers: json, body: JSON.stringify({ email, password, displayName: "Chaos" }) },
    10_000,
  );
  const login = await fetchWithin(
    `${gateway}/api/sessions`,
    { method: "POST", headers: json, body: JSON.stringify({ email, password }) },
    10_000,
  );
  const token = jsonField(login.text, "token");
  const courses = await fetchWithin(
    `${gateway}/api/courses?limit=1`,
    { headers: { authorization: `Bearer ${token}` } },
    10_000,
  );
  const id = (JSON.parse(courses.text) as { items?: { id: string }[] }).items?.[0]?.id;
  if (!id) throw new UserError("the environment has no course to enroll in (is it seeded?)");
  return id;
}
