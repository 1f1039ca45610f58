import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { scenarioNamed } from "../../load/flows.ts";
import type { Scenario } from "../../load/scenarios.ts";
import { runOpenModel } from "../../src/load/runner.ts";

// The open-model runner against a server of our own on loopback that answers the browse flow's
// requests after a set delay: iterations must start on schedule however slow the answers are.
let server: Server;
let base = "";
let delayMs = 0;
let inFlight = 0;
let peak = 0;

beforeAll(async () => {
  server = createServer(async (req, res) => {
    inFlight++;
    peak = Math.max(peak, inFlight);
    const setupRequest = req.url === "/sessions" || req.url === "/courses?limit=100";
    if (!setupRequest) await sleep(delayMs);
    inFlight--;
    res.setHeader("content-type", "application/json");
    if (req.url === "/sessions") {
      res.statusCode = 201;
      res.end(JSON.stringify({ token: "t", userId: "u" }));
    } else res.end(JSON.stringify({ items: [{ id: "c1" }, { id: "c2" }] }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise((resolve) => server.close(resolve)));

const browse = (rate: number, maxInFlight: number): Scenario => ({
  ...scenarioNamed("browse"),
  arrival: { executor: "constant-arrival-rate", rate, duration: "2s" },
  maxInFlight,
});
const run = (scenario: Scenario) =>
  runOpenModel({ scenario, bases: { sessions: base, courses: base }, target: "direct" });

describe("the open-model runner", () => {
  it("starts each iteration on schedule while earlier ones still wait for slow answers", async () => {
    delayMs = 400;
    peak = 0;
    const outcome = await run(browse(20, 50));
    const load = outcome.records.filter((r) => r.flow === "browse");
    const firsts = load.filter((r) => r.step === "list-courses").map((r) => r.at);
    expect(firsts).toHaveLength(40);
    expect(outcome.iterations).toBe(40);
    expect(outcome.dropped).toBe(0);
    // Sent 50 ms apart (20/s) from the first, not one answer (>= 400 ms) apart as a closed loop would.
    const lag = firsts.map((at, k) => at - (firsts[0] ?? 0) - k * 50);
    expect(Math.max(...lag.map(Math.abs))).toBeLessThan(150);
    // So the server saw them pile up: about 8 open at once (400 ms / 50 ms) plus the second requests.
    expect(peak).toBeGreaterThanOrEqual(6);
    expect(load.every((r) => r.ms >= 390 && r.status === 200 && !r.failed)).toBe(true);
    expect(outcome.checks).toEqual({ passes: 21 + 80, fails: 0 });
  });

  it("drops an arrival when the flow's in-flight limit is reached, and counts it", async () => {
    delayMs = 500;
    const outcome = await run(browse(20, 2));
    expect(outcome.iterations + outcome.dropped).toBe(40);
    // Two at a time, each about a second (two requests of 500 ms): about 4 of 40 can run.
    expect(outcome.iterations).toBeLessThanOrEqual(8);
    expect(outcome.dropped).toBeGreaterThanOrEqual(32);
  });

  it("records a request that gets no answer as status 0, failed", async () => {
    const outcome = await runOpenModel({
      scenario: browse(1, 5),
      bases: { sessions: base, courses: "http://127.0.0.1:1" },
      target: "direct",
    }).catch((error: Error) => error);
    // The catalogue (setup) is refused: the run still goes on, and every course request fails.
    if (outcome instanceof Error) throw outcome;
    const refused = outcome.records.filter((r) => r.step === "list-courses");
    expect(refused.length).toBe(2);
    expect(refused.every((r) => r.status === 0 && r.failed)).toBe(true);
  });

  it("stops scheduling when told to, and lets the iterations under way finish", async () => {
    delayMs = 200;
    const controller = new AbortController();
    const begun = performance.now();
    const running = runOpenModel({
      scenario: {
        ...browse(10, 50),
        arrival: { executor: "constant-arrival-rate", rate: 10, duration: "1h" },
      },
      bases: { sessions: base, courses: base },
      target: "direct",
      signal: controller.signal,
      onStarted: () => setTimeout(() => controller.abort(), 1_000),
    });
    const outcome = await running;
    expect(performance.now() - begun).toBeLessThan(5_000);
    // About 10 iterations in its second, each finished (two requests of 200 ms) before it returned.
    expect(outcome.iterations).toBeGreaterThanOrEqual(8);
    expect(outcome.iterations).toBeLessThanOrEqual(12);
    expect(outcome.records.filter((r) => r.step === "get-course")).toHaveLength(outcome.iterations);
  });
});
