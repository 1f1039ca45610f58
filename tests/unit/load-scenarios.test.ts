import { describe, expect, it } from "vitest";
import {
  arrivalSeconds,
  durationSeconds,
  flowArrivals,
  iterationValues,
  judge,
  prepare,
  scaleArrival,
  scenarioNamed,
  urlOf,
} from "../../load/flows.ts";
import { FLOWS, type RequestSpec, SCENARIOS, SERVICES } from "../../load/scenarios.ts";
import { arrivalTimes } from "../../src/load/schedule.ts";

const setup = {
  runId: "r1",
  identities: [
    { token: "t0", userId: "u0" },
    { token: "t1", userId: "u1" },
  ],
  courseIds: ["c0", "c1", "c2"],
};

describe("the load scenarios as data", () => {
  it("are whole: each mix names known flows with shares adding up to 1, each request a known service", () => {
    expect(SCENARIOS.map((s) => s.name)).toEqual([
      "browse",
      "search",
      "account",
      "enroll",
      "day-in-the-life",
    ]);
    for (const scenario of SCENARIOS) {
      expect(scenario.mix.reduce((sum, m) => sum + m.share, 0)).toBeCloseTo(1, 9);
      for (const { flow } of scenario.mix) expect(FLOWS.map((f) => f.name)).toContain(flow);
    }
    for (const flow of FLOWS) for (const r of flow.requests) expect(SERVICES).toContain(r.service);
    // Every {{value}} a request uses is one an iteration has, or one an earlier request captures.
    const known = new Set(Object.keys(iterationValues("browse", 0, setup)));
    for (const flow of FLOWS) {
      const have = new Set(known);
      for (const r of flow.requests) {
        for (const [, name] of `${r.path} ${JSON.stringify(r.body ?? {})}`.matchAll(/\{\{(\w+)\}\}/g))
          expect(have, `${flow.name}/${r.step} uses {{${name}}}`).toContain(name);
        for (const name of Object.keys(r.capture ?? {})) have.add(name);
      }
    }
  });

  it("reads k6 durations and refuses what is not one, saying what it expects", () => {
    expect(["500ms", "30s", "1m", "1m30s", "2h", "1.5s"].map(durationSeconds)).toEqual([
      0.5, 30, 60, 90, 7200, 1.5,
    ]);
    for (const bad of ["", "30", "s", "1x", "m1"])
      expect(() => durationSeconds(bad)).toThrow(`'${bad}' is not a duration: expected e.g. 30s`);
  });

  it("scales an arrival to a peak rate and a length, and splits it over a mix by share", () => {
    const day = scenarioNamed("day-in-the-life");
    expect(arrivalSeconds(day.arrival)).toBe(90);
    const scaled = scaleArrival(day.arrival, { rate: 40, duration: "45s" });
    expect(scaled).toEqual({
      executor: "ramping-arrival-rate",
      startRate: 0,
      stages: [
        { target: 40, duration: "8s" },
        { target: 40, duration: "30s" },
        { target: 0, duration: "8s" },
      ],
    });
    expect(
      scaleArrival({ executor: "constant-arrival-rate", rate: 10, duration: "1m" }, { rate: 3 }),
    ).toEqual({
      executor: "constant-arrival-rate",
      rate: 3,
      duration: "1m",
    });
    const split = flowArrivals({ ...day, arrival: scaled });
    expect(split.map((f) => [f.flow.name, f.maxInFlight])).toEqual([
      ["browse", 50],
      ["search", 25],
      ["enroll", 20],
      ["account", 5],
    ]);
    expect(split[0]?.arrival).toMatchObject({ stages: [{ target: 20 }, { target: 20 }, { target: 0 }] });
    expect(() => scenarioNamed("nope")).toThrow("unknown scenario 'nope': expected one of browse, search,");
  });

  it("places arrivals as k6 does: evenly at a constant rate, on the integral of a ramp", () => {
    expect(arrivalTimes({ executor: "constant-arrival-rate", rate: 4, duration: "1s" })).toEqual([
      0, 0.25, 0.5, 0.75,
    ]);
    // 0 → 4/s over 2 s: 4 arrivals, where 4t²/(2·2) = t² reaches 0, 1, 2, 3.
    const ramp = arrivalTimes({
      executor: "ramping-arrival-rate",
      startRate: 0,
      stages: [
        { target: 4, duration: "2s" },
        { target: 4, duration: "1s" },
      ],
    });
    expect(ramp.map((t) => Number(t.toFixed(4)))).toEqual([
      0,
      1,
      Number(Math.SQRT2.toFixed(4)),
      1.7321,
      2,
      2.25,
      2.5,
      2.75,
    ]);
    expect(arrivalTimes(scenarioNamed("day-in-the-life").arrival)).toHaveLength(150 + 1200 + 150);
  });

  it("fills a request from the iteration's values, encoded in the path, and sends it where the target says", () => {
    const values = iterationValues("search", 1, setup);
    expect(values).toMatchObject({ token: "t1", userId: "u1", courseId: "c2", offset: "60" });
    const search = FLOWS.find((f) => f.name === "search")?.requests[0] as RequestSpec;
    const prepared = prepare(search, { ...values, query: "SQL & you" });
    expect(prepared).toMatchObject({
      path: "/courses/search?q=SQL%20%26%20you&limit=10",
      headers: { authorization: "Bearer t1" },
      body: undefined,
    });
    const bases = { gateway: "http://127.0.0.1:1", courses: "http://127.0.0.1:2" };
    expect(urlOf(prepared, bases, "gateway")).toBe(
      "http://127.0.0.1:1/api/courses/search?q=SQL%20%26%20you&limit=10",
    );
    expect(urlOf(prepared, bases, "direct")).toBe(
      "http://127.0.0.1:2/courses/search?q=SQL%20%26%20you&limit=10",
    );
    expect(() => urlOf(prepared, {}, "direct")).toThrow("no courses URL to send 'search-courses' to");
    const signUp = FLOWS.find((f) => f.name === "account")?.requests[0] as RequestSpec;
    expect(JSON.parse(prepare(signUp, values).body ?? "")).toEqual({
      email: "load-r1-search-1@example.test",
      password: "load-r1-1-password",
      displayName: "Load Test",
    });
    expect(() => prepare(signUp, {})).toThrow("no value for {{newEmail}} in '{{newEmail}}'");
  });

  it("judges an answer by its status and what it must capture", () => {
    const login = FLOWS.find((f) => f.name === "account")?.requests[1] as RequestSpec;
    const values: Record<string, string> = {};
    expect(judge(login, { status: 201, json: { token: "abc" } }, values)).toBe(true);
    expect(values.token).toBe("abc");
    expect(judge(login, { status: 201, json: { nothing: 1 } }, {})).toBe(false);
    expect(judge(login, { status: 503, json: { token: "abc" } }, {})).toBe(false);
  });
});
