// How both runners turn the scenario data into requests: names resolved, arrival rates scaled and
// split over a mix, an iteration's values chosen, templates filled, answers captured. Plain
// TypeScript, no Node or k6 imports.
import { seedEmail } from "../src/seed/accounts.ts";
import {
  type Arrival,
  FLOWS,
  type Flow,
  QUERIES,
  type RequestSpec,
  SCENARIOS,
  type Scenario,
  SETUP,
} from "./scenarios.ts";

/** What the setup prepared: seed users' sessions, catalogue ids, and the run's id (new users' emails). */
export interface SetupData {
  runId: string;
  identities: { token: string; userId: string }[];
  courseIds: string[];
}

/** A request ready to send: the path filled (and encoded), the body as JSON, the headers. */
export interface PreparedRequest {
  spec: RequestSpec;
  method: RequestSpec["method"];
  path: string;
  body: string | undefined;
  headers: Record<string, string>;
}

const choose = <T extends { name: string }>(kind: string, all: readonly T[], name: string): T => {
  const found = all.find((item) => item.name === name);
  if (!found) throw new Error(`unknown ${kind} '${name}': expected one of ${all.map((i) => i.name).join(", ")}`);
  return found;
};
export const scenarioNamed = (name: string) => choose("scenario", SCENARIOS, name);
export const flowNamed = (name: string) => choose("flow", FLOWS, name);

/** Seconds in a k6 duration ("90s", "1m30s", "2h", "500ms"). */
export function durationSeconds(duration: string): number {
  const parts = /^(?:(\d+(?:\.\d+)?)h)?(?:(\d+(?:\.\d+)?)m(?!s))?(?:(\d+(?:\.\d+)?)s)?(?:(\d+(?:\.\d+)?)ms)?$/.exec(duration);
  if (!duration || !parts || parts.slice(1).every((p) => p === undefined))
    throw new Error(`'${duration}' is not a duration: expected e.g. 30s, 1m, 1m30s, 500ms`);
  const [h, m, s, ms] = parts.slice(1).map((p) => Number(p ?? 0)) as [number, number, number, number];
  return h * 3600 + m * 60 + s + ms / 1000;
}

/** A duration in whole seconds, as k6 reads it. */
const seconds = (n: number) => `${Math.max(1, Math.round(n))}s`;

export const arrivalSeconds = (arrival: Arrival) =>
  arrival.executor === "constant-arrival-rate"
    ? durationSeconds(arrival.duration)
    : arrival.stages.reduce((sum, stage) => sum + durationSeconds(stage.duration), 0);

export const peakRate = (arrival: Arrival) =>
  arrival.executor === "constant-arrival-rate"
    ? arrival.rate
    : Math.max(arrival.startRate, ...arrival.stages.map((s) => s.target));

/**
 * The arrival with its peak rate set to `rate` (all rates scaled alike) and its length to
 * `duration` (a ramp's stages stretched alike), for `--rate` and `--duration`.
 */
export function scaleArrival(arrival: Arrival, { rate, duration }: { rate?: number; duration?: string }): Arrival {
  const byRate = rate === undefined ? 1 : rate / peakRate(arrival);
  const byTime = duration === undefined ? 1 : durationSeconds(duration) / arrivalSeconds(arrival);
  if (arrival.executor === "constant-arrival-rate")
    return { ...arrival, rate: arrival.rate * byRate, duration: duration ?? arrival.duration };
  return {
    ...arrival,
    startRate: arrival.startRate * byRate,
    stages: arrival.stages.map((s) => ({
      target: s.target * byRate,
      duration: byTime === 1 ? s.duration : seconds(durationSeconds(s.duration) * byTime),
    })),
  };
}

/** Each flow of the mix with its share of the arrivals (and of the in-flight limit, at least 1). */
export function flowArrivals(scenario: Scenario): { flow: Flow; arrival: Arrival; maxInFlight: number }[] {
  return scenario.mix.map(({ flow, share }) => {
    const a = scenario.arrival;
    const arrival: Arrival =
      a.executor === "constant-arrival-rate"
        ? { ...a, rate: a.rate * share }
        : { ...a, startRate: a.startRate * share, stages: a.stages.map((s) => ({ ...s, target: s.target * share })) };
    return { flow: flowNamed(flow), arrival, maxInFlight: Math.max(1, Math.ceil(scenario.maxInFlight * share)) };
  });
}

/** The setup's login request for seed user `index`. */
export const setupLogin = (index: number) => prepare(SETUP.login, { email: seedEmail(index) });
export const setupCatalogue = (token: string) => prepare(SETUP.catalogue, { token });

/**
 * The values iteration `i` of a flow starts with: a seed user's session in turn, a course, a page
 * and a search phrase spread by prime strides (neighbouring iterations differ, and a run repeats),
 * a new user's email unique to the run.
 */
export function iterationValues(flow: string, i: number, setup: SetupData): Record<string, string> {
  const identity = setup.identities[i % Math.max(1, setup.identities.length)];
  return {
    token: identity?.token ?? "",
    userId: identity?.userId ?? "",
    courseId: setup.courseIds[(i * 7919) % Math.max(1, setup.courseIds.length)] ?? "",
    offset: String(((i * 3) % 5) * 20),
    query: QUERIES[(i * 13) % QUERIES.length] ?? "",
    newEmail: `load-${setup.runId}-${flow}-${i}@example.test`,
    newPassword: `load-${setup.runId}-${i}-password`,
  };
}

const fill = (template: string, values: Record<string, string>, encode: (v: string) => string) =>
  template.replace(/\{\{(\w+)\}\}/g, (_, name: string) => {
    const value = values[name];
    if (value === undefined) throw new Error(`no value for {{${name}}} in '${template}'`);
    return encode(value);
  });

export function prepare(spec: RequestSpec, values: Record<string, string>): PreparedRequest {
  const headers: Record<string, string> = {};
  let body: string | undefined;
  if (spec.body) {
    headers["content-type"] = "application/json";
    body = JSON.stringify(
      Object.fromEntries(Object.entries(spec.body).map(([k, v]) => [k, fill(v, values, (x) => x)])),
    );
  }
  if (spec.auth) headers.authorization = `Bearer ${values.token ?? ""}`;
  return { spec, method: spec.method, path: fill(spec.path, values, encodeURIComponent), body, headers };
}

/** The base a request goes to, and the path there: `/api` in front through the gateway. */
export function urlOf(prepared: PreparedRequest, bases: Record<string, string>, target: Target): string {
  const base = target === "gateway" ? bases.gateway : bases[prepared.spec.service];
  if (!base) throw new Error(`no ${target === "gateway" ? "gateway" : prepared.spec.service} URL to send '${prepared.spec.step}' to`);
  return `${base}${target === "gateway" ? "/api" : ""}${prepared.path}`;
}
export type Target = "gateway" | "direct";

/** An answer as the flows judge it: its status (0: none came) and its body parsed as JSON, if it was. */
export interface Answer {
  status: number;
  json: unknown;
}

/**
 * A request's check: the status is one it expects and the fields it captures are in the answer
 * (they are added to the values for the requests after it). An iteration stops at the first that fails.
 */
export function judge(spec: RequestSpec, answer: Answer, values: Record<string, string>): boolean {
  if (!spec.expect.includes(answer.status)) return false;
  for (const [name, field] of Object.entries(spec.capture ?? {})) {
    const value = (answer.json as Record<string, unknown> | null)?.[field];
    if (typeof value !== "string") return false;
    values[name] = value;
  }
  return true;
}

/** The course ids of a catalogue page (GET /courses). */
export const courseIdsOf = (answer: Answer): string[] =>
  ((answer.json as { items?: { id?: unknown }[] } | null)?.items ?? [])
    .map((course) => course.id)
    .filter((id): id is string => typeof id === "string");

/** The check's name in k6's output and the summary: the step and what it expects. */
export const checkName = (spec: RequestSpec) => `${spec.step} answers ${spec.expect.join(" or ")}`;

/** The tags a request's metrics carry, the same in both runners. */
export const tagsOf = (flow: string, spec: RequestSpec) => ({ flow, step: spec.step });
