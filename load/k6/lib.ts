// What every k6 script here shares: options built from the scenario's data (load/scenarios.ts),
// the setup, one iteration of a flow, and handleSummary writing DevStack's summary shape.
// Run with k6 1.x (TypeScript is read natively); see README "Load".
import { check } from "k6";
import exec from "k6/execution";
import http from "k6/http";
import {
  type Answer,
  checkName,
  courseIdsOf,
  flowArrivals,
  flowNamed,
  iterationValues,
  judge,
  type PreparedRequest,
  prepare,
  type SetupData,
  scaleArrival,
  scenarioNamed,
  setupCatalogue,
  setupLogin,
  type Target,
  tagsOf,
  urlOf,
} from "../flows.ts";
import { type Arrival, REQUEST_TIMEOUT, SETUP, TREND_STATS } from "../scenarios.ts";
import { fromK6Summary, k6Thresholds, SETUP_FLOW, summaryLine } from "../summary.ts";

// Passed with -e by `pnpm test:load` (or by hand): where each service is, and which way to go.
const bases = JSON.parse(__ENV.BASE_URLS ?? "{}") as Record<string, string>;
const target = (__ENV.TARGET ?? "gateway") as Target;

/** k6's executor for an arrival: rates per minute (k6 wants whole numbers), VUs up to the in-flight limit. */
function executorOf(arrival: Arrival, maxVUs: number) {
  const perMinute = (rate: number) => Math.round(rate * 60);
  const vus = { preAllocatedVUs: Math.min(maxVUs, 10), maxVUs, timeUnit: "1m" };
  return arrival.executor === "constant-arrival-rate"
    ? { executor: arrival.executor, rate: perMinute(arrival.rate), duration: arrival.duration, ...vus }
    : {
        executor: arrival.executor,
        startRate: perMinute(arrival.startRate),
        stages: arrival.stages.map((s) => ({ target: perMinute(s.target), duration: s.duration })),
        ...vus,
      };
}

/** Sends a prepared request, checks it (status, captures) and answers whether it passed. */
function send(prepared: PreparedRequest, flow: string, values: Record<string, string>): Answer & { ok: boolean } {
  const response = http.request(prepared.method, urlOf(prepared, bases, target), prepared.body ?? null, {
    headers: prepared.headers,
    tags: tagsOf(flow, prepared.spec),
    timeout: REQUEST_TIMEOUT,
    responseCallback: http.expectedStatuses(...prepared.spec.expect),
  });
  let json: unknown = null;
  try {
    json = response.json();
  } catch {
    // Not JSON (a 204, a gateway's text error): nothing to capture.
  }
  const answer = { status: response.status, json };
  const ok = judge(prepared.spec, answer, values);
  check(answer, { [checkName(prepared.spec)]: () => ok }, tagsOf(flow, prepared.spec));
  return { ...answer, ok };
}

/** The pieces a scenario's script exports (see browse.ts). */
export function k6Script(name: string) {
  const scenario = scenarioNamed(name);
  const arrival = scaleArrival(scenario.arrival, {
    ...(__ENV.RATE ? { rate: Number(__ENV.RATE) } : {}),
    ...(__ENV.DURATION ? { duration: __ENV.DURATION } : {}),
  });
  const startedAt = new Date().toISOString();
  return {
    options: {
      scenarios: Object.fromEntries(
        flowArrivals({ ...scenario, arrival }).map(({ flow, arrival, maxInFlight }) => [
          flow.name,
          executorOf(arrival, maxInFlight),
        ]),
      ),
      thresholds: k6Thresholds(),
      summaryTrendStats: [...TREND_STATS],
      setupTimeout: "120s",
    },
    setup(): SetupData {
      const identities: SetupData["identities"] = [];
      for (let i = 0; i < SETUP.seedLogins; i++) {
        const values: Record<string, string> = {};
        if (send(setupLogin(i), SETUP_FLOW, values).ok)
          identities.push({ token: values.token ?? "", userId: values.userId ?? "" });
      }
      const first = identities[0];
      if (!first) exec.test.abort("no seed user could log in: is the environment seeded (pnpm dev:seed)?");
      const catalogue = send(setupCatalogue(first?.token ?? ""), SETUP_FLOW, {});
      return { runId: Date.now().toString(36), identities, courseIds: courseIdsOf(catalogue) };
    },
    handleSummary(data: Parameters<typeof fromK6Summary>[0]) {
      const summary = fromK6Summary(data, { scenario: name, target, startedAt });
      return {
        [__ENV.SUMMARY ?? `summary-${name}.json`]: `${JSON.stringify(summary, null, 2)}\n`,
        stdout: `${summaryLine(summary)}\n`,
      };
    },
  };
}

/** One iteration of the flow k6 is running it for (each flow of the mix is a k6 scenario of that name). */
export default function (data: SetupData): void {
  const flow = flowNamed(exec.scenario.name);
  const values = iterationValues(flow.name, exec.scenario.iterationInTest, data);
  for (const spec of flow.requests) {
    if (!send(prepare(spec, values), flow.name, values).ok) return;
  }
}
