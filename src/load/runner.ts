import { setTimeout as sleep } from "node:timers/promises";
import { Agent, request } from "undici";
import {
  type Answer,
  arrivalSeconds,
  courseIdsOf,
  durationSeconds,
  flowArrivals,
  iterationValues,
  judge,
  type PreparedRequest,
  prepare,
  type SetupData,
  setupCatalogue,
  setupLogin,
  type Target,
  urlOf,
} from "../../load/flows.ts";
import { REQUEST_TIMEOUT, type Scenario, SETUP } from "../../load/scenarios.ts";
import { SETUP_FLOW } from "../../load/summary.ts";
import { UserError } from "../errors.ts";
import { arrivalTimes } from "./schedule.ts";
import type { RequestRecord, RunCounts } from "./summarize.ts";

/** What the runner reports about once a second while it runs. */
export interface Progress {
  elapsed: number;
  total: number;
  sent: number;
  inFlight: number;
  failed: number;
  dropped: number;
}

export interface RunOutcome extends RunCounts {
  /** `at` of each record counts from this performance.now() time. */
  origin: number;
  records: RequestRecord[];
  startedAt: Date;
  seconds: number;
}

/** How long iterations still running when the last one was due may finish (k6's gracefulStop). */
const GRACEFUL_STOP_MS = 30_000;

/**
 * Runs a scenario as k6's arrival-rate executors do, open model: each iteration starts at its
 * scheduled time whether or not earlier ones have answered (a slow service meets more concurrent
 * requests, as it would in production, instead of fewer), up to the scenario's in-flight limit per
 * flow, beyond which an arrival is dropped and counted. Requests go through undici; a request's
 * duration runs from sending it to the last byte of its answer.
 */
export async function runOpenModel(options: {
  scenario: Scenario;
  bases: Record<string, string>;
  target: Target;
  onProgress?: (progress: Progress) => void;
  /** Ends the run early: no arrival after it (those running may finish, as at the end). */
  signal?: AbortSignal;
  /** Called once the setup is done, just before the first arrival. */
  onStarted?: () => void;
}): Promise<RunOutcome> {
  const { scenario, bases, target } = options;
  const timeoutMs = durationSeconds(REQUEST_TIMEOUT) * 1000;
  const agent = new Agent({ headersTimeout: timeoutMs, bodyTimeout: timeoutMs, keepAliveTimeout: 10_000 });
  const records: RequestRecord[] = [];
  const counts: RunCounts = { checks: { passes: 0, fails: 0 }, iterations: 0, dropped: 0 };
  let failed = 0;
  const origin = performance.now();
  const startedAt = new Date();

  const send = async (prepared: PreparedRequest, flow: string, values: Record<string, string>) => {
    const at = performance.now();
    let answer: Answer = { status: 0, json: null };
    try {
      const response = await request(urlOf(prepared, bases, target), {
        method: prepared.method,
        headers: prepared.headers,
        body: prepared.body ?? null,
        dispatcher: agent,
        signal: AbortSignal.timeout(timeoutMs),
      });
      const text = await response.body.text();
      let json: unknown = null;
      try {
        json = JSON.parse(text);
      } catch {
        // Not JSON (a 204, a gateway's text error): nothing to capture.
      }
      answer = { status: response.statusCode, json };
    } catch {
      // No answer: refused, reset or timed out; status 0, as k6 records it.
    }
    const ms = performance.now() - at;
    const ok = judge(prepared.spec, answer, values);
    const unexpected = !prepared.spec.expect.includes(answer.status);
    if (unexpected) failed++;
    records.push({
      at: at - origin,
      flow,
      step: prepared.spec.step,
      status: answer.status,
      ms,
      failed: unexpected,
    });
    if (ok) counts.checks.passes++;
    else counts.checks.fails++;
    return { ...answer, ok };
  };

  try {
    const setup = await runSetup(send);
    const flows = flowArrivals(scenario);
    // Every arrival of every flow, in time order, each with its flow and its index within the flow.
    const arrivals = flows
      .flatMap(({ flow, arrival, maxInFlight }) =>
        arrivalTimes(arrival).map((t, i) => ({ t, flow, i, maxInFlight })),
      )
      .sort((a, b) => a.t - b.t);
    const total = arrivalSeconds(scenario.arrival);
    const inFlight = new Map<string, number>();
    const running = new Set<Promise<void>>();
    options.onStarted?.();
    const loadStart = performance.now();
    const tick = setInterval(
      () =>
        options.onProgress?.({
          elapsed: (performance.now() - loadStart) / 1000,
          total,
          sent: records.length,
          inFlight: running.size,
          failed,
          dropped: counts.dropped,
        }),
      1_000,
    );
    try {
      const stopped = options.signal;
      for (const { t, flow, i, maxInFlight } of arrivals) {
        const wait = loadStart + t * 1000 - performance.now();
        if (wait > 1) await sleep(wait, undefined, { signal: stopped }).catch(() => {});
        if (stopped?.aborted) break;
        if ((inFlight.get(flow.name) ?? 0) >= maxInFlight) {
          counts.dropped++;
          continue;
        }
        inFlight.set(flow.name, (inFlight.get(flow.name) ?? 0) + 1);
        const iteration = (async () => {
          const values = iterationValues(flow.name, i, setup);
          for (const spec of flow.requests)
            if (!(await send(prepare(spec, values), flow.name, values)).ok) break;
          counts.iterations++;
        })().finally(() => {
          inFlight.set(flow.name, (inFlight.get(flow.name) ?? 1) - 1);
          running.delete(iteration);
        });
        running.add(iteration);
      }
      await Promise.race([Promise.all(running), sleep(GRACEFUL_STOP_MS, undefined, { ref: false })]);
    } finally {
      clearInterval(tick);
    }
    return { origin, records, ...counts, startedAt, seconds: (performance.now() - origin) / 1000 };
  } finally {
    await agent.destroy();
  }
}

/** Logs in the seed users and lists the catalogue, as the k6 scripts' setup() does. */
async function runSetup(
  send: (
    p: PreparedRequest,
    flow: string,
    values: Record<string, string>,
  ) => Promise<Answer & { ok: boolean }>,
): Promise<SetupData> {
  const identities: SetupData["identities"] = [];
  // One after another, as k6 runs setup(): a login hashes a password, and these are not the load.
  for (let i = 0; i < SETUP.seedLogins; i++) {
    const values: Record<string, string> = {};
    if ((await send(setupLogin(i), SETUP_FLOW, values)).ok)
      identities.push({ token: values.token ?? "", userId: values.userId ?? "" });
  }
  const first = identities[0];
  if (!first) throw new UserError("no seed user could log in: is the environment seeded (pnpm dev:seed)?");
  const catalogue = await send(setupCatalogue(first.token), SETUP_FLOW, {});
  return { runId: Date.now().toString(36), identities, courseIds: courseIdsOf(catalogue) };
}
