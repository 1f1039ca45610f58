import { readdirSync } from "node:fs";
import { join } from "node:path";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { SCENARIOS } from "../../load/scenarios.ts";
import { repoRoot } from "../../src/paths.ts";
import { current } from "../support/k6/execution.ts";
import { answers, sent } from "../support/k6/http.ts";
import { checks } from "../support/k6/k6.ts";

// The k6 scripts, loaded with stand-ins for k6's modules (tests/support/k6/): what they declare,
// and what their setup and iterations send.
const k6Dir = join(repoRoot, "load", "k6");
const load = async (scenario: string, env: Record<string, string> = {}) => {
  vi.resetModules();
  vi.stubGlobal("__ENV", { BASE_URLS: JSON.stringify({ gateway: "http://127.0.0.1:9000" }), ...env });
  return import(join(k6Dir, `${scenario}.ts`));
};

beforeEach(() => {
  sent.length = 0;
  checks.length = 0;
  answers.clear();
});

describe("the k6 scripts", () => {
  it("exist for every scenario, and only for them", () => {
    const scripts = readdirSync(k6Dir).filter((f) => f.endsWith(".ts") && f !== "lib.ts");
    expect(scripts.map((f) => f.replace(/\.ts$/, "")).sort()).toEqual(SCENARIOS.map((s) => s.name).sort());
  });

  it("declare a k6 scenario per flow of the mix, with its share of the rate, and the suite's thresholds", async () => {
    const { options, setup, handleSummary, default: iteration } = await load("day-in-the-life");
    expect([typeof setup, typeof handleSummary, typeof iteration]).toEqual([
      "function",
      "function",
      "function",
    ]);
    expect(options.scenarios.browse).toEqual({
      executor: "ramping-arrival-rate",
      startRate: 0,
      // 20/s at the peak, browse's half: 10/s, as 600 per minute.
      stages: [
        { target: 600, duration: "15s" },
        { target: 600, duration: "1m" },
        { target: 0, duration: "15s" },
      ],
      timeUnit: "1m",
      preAllocatedVUs: 10,
      maxVUs: 50,
    });
    expect(Object.keys(options.scenarios)).toEqual(["browse", "search", "enroll", "account"]);
    expect(options.scenarios.account.stages[1].target).toBe(60);
    expect(options.thresholds).toMatchObject({
      http_req_failed: ["rate<0.01"],
      http_req_duration: ["p(95)<200", "p(99)<400"],
      checks: ["rate>0.99"],
      "http_req_duration{flow:browse,step:get-course}": ["max>=0"],
      "http_reqs{status:503}": ["count>=0"],
    });
    expect(options.summaryTrendStats).toContain("p(99)");

    const constant = await load("search", { RATE: "30", DURATION: "20s" });
    expect(constant.options.scenarios).toEqual({
      search: {
        executor: "constant-arrival-rate",
        rate: 1800,
        duration: "20s",
        timeUnit: "1m",
        preAllocatedVUs: 10,
        maxVUs: 50,
      },
    });
  });

  it("log seed users in and list the catalogue in setup, then run a flow's requests in order through the gateway", async () => {
    const { setup, default: iteration } = await load("account");
    answers.set("POST http://127.0.0.1:9000/api/sessions", {
      status: 201,
      body: { token: "tok", userId: "u-1" },
    });
    answers.set("GET http://127.0.0.1:9000/api/courses", { status: 200, body: { items: [{ id: "c-1" }] } });
    const data = setup();
    expect(data).toMatchObject({
      identities: Array(20).fill({ token: "tok", userId: "u-1" }),
      courseIds: ["c-1"],
    });
    expect(JSON.parse(sent[0]?.body ?? "")).toEqual({
      email: "user0@seed.azora.dev",
      password: "azora-seed-password",
    });
    expect(sent.map((s) => s.url).slice(19)).toEqual([
      "http://127.0.0.1:9000/api/sessions",
      "http://127.0.0.1:9000/api/courses?limit=100",
    ]);

    sent.length = 0;
    answers.set("POST http://127.0.0.1:9000/api/users", { status: 201, body: { id: "new" } });
    answers.set("GET http://127.0.0.1:9000/api/sessions/current", { status: 200, body: {} });
    answers.set("DELETE http://127.0.0.1:9000/api/sessions/current", { status: 204, body: "" });
    Object.assign(current, { name: "account", iterationInTest: 7 });
    iteration(data);
    expect(sent.map((s) => `${s.method} ${s.url}`)).toEqual([
      "POST http://127.0.0.1:9000/api/users",
      "POST http://127.0.0.1:9000/api/sessions",
      "GET http://127.0.0.1:9000/api/sessions/current",
      "DELETE http://127.0.0.1:9000/api/sessions/current",
    ]);
    expect(sent[2]?.params).toMatchObject({
      headers: { authorization: "Bearer tok" },
      tags: { flow: "account", step: "validate" },
      timeout: "10s",
    });
    expect(checks.slice(-4).map((c) => [c.name, c.ok])).toEqual([
      ["sign-up answers 201", true],
      ["login answers 201", true],
      ["validate answers 200", true],
      ["logout answers 204", true],
    ]);

    // A failed request ends the iteration: nothing is sent with a session it did not get.
    sent.length = 0;
    answers.set("POST http://127.0.0.1:9000/api/sessions", { status: 503, body: { error: {} } });
    iteration(data);
    expect(sent.map((s) => s.url)).toEqual([
      "http://127.0.0.1:9000/api/users",
      "http://127.0.0.1:9000/api/sessions",
    ]);
    expect(checks.at(-1)).toMatchObject({ name: "login answers 201", ok: false });
  });

  it("aborts the test when no seed user can log in, saying why", async () => {
    const { setup } = await load("browse");
    expect(() => setup()).toThrow("no seed user could log in: is the environment seeded (pnpm dev:seed)?");
  });
});
