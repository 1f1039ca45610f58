// pnpm bench:load [--name NAME | --start [--env ENV]] [--scenario NAME]... [--target gateway|direct|both]
//                 [--seconds S] [--runs N] [--max-rate R]
// For each scenario (default all) and target, the highest arrival rate (iterations/s, the
// scenario's mix held at a constant rate) that keeps p95 < 200 ms, failures < 1 % and no dropped
// iteration: doubled until a step fails, then bisected; then N runs (default 3) at that rate for
// the median p95 and every container's peak memory against its limit (the setup's seed logins
// are left out of the figures). Through the gateway and direct: the ratio is the gateway's cost.
// Last, the runner itself against a static in-process server at the highest rate found (its own
// p95 is the floor under every figure above).
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { flowArrivals, peakRate, scenarioNamed, setupLogin, urlOf } from "../load/flows.ts";
import { SCENARIOS, type Scenario } from "../load/scenarios.ts";
import { SETUP_FLOW } from "../load/summary.ts";
import { oneOf, parseFlags, wholeNumber } from "../src/cli/flags.ts";
import { runMain } from "../src/cli/main.ts";
import { peakMemory, resetPeakMemory } from "../src/docker/cgroup.ts";
import { docker } from "../src/docker/cli.ts";
import { withSuiteEnvironment } from "../src/env/suite-target.ts";
import { UserError } from "../src/errors.ts";
import { LABEL } from "../src/labels.ts";
import { baseUrls } from "../src/load/endpoints.ts";
import { runOpenModel } from "../src/load/runner.ts";
import { summarize } from "../src/load/summarize.ts";
import { median } from "../src/stats.ts";

const TARGET_P95_MS = 200;
const TARGET_FAILED = 0.01;

interface Trial {
  rate: number;
  p95: number;
  failed: number;
  /** Answers with a 5xx status (or none at all). */
  serverErrors: number;
  dropped: number;
  ok: boolean;
}

await runMain(async () => {
  const { values } = parseFlags("bench:load", process.argv.slice(2), {
    name: { type: "string" },
    start: { type: "boolean", default: false },
    env: { type: "string", default: "dev" },
    scenario: { type: "string", multiple: true },
    target: { type: "string", default: "both" },
    seconds: { type: "string", default: "15" },
    runs: { type: "string", default: "3" },
    "max-rate": { type: "string", default: "400" },
  });
  const seconds = wholeNumber("seconds", values.seconds, 3, 600);
  const runs = wholeNumber("runs", values.runs, 1, 20);
  const maxRate = wholeNumber("max-rate", values["max-rate"], 1, 10_000);
  const names = SCENARIOS.map((s) => s.name);
  const chosen = (values.scenario ?? names).map((name) => scenarioNamed(oneOf("scenario", name, names)));
  const target = oneOf("target", values.target ?? "both", ["gateway", "direct", "both"]);
  const targets = target === "both" ? (["direct", "gateway"] as const) : [target];

  await withSuiteEnvironment(values, { prefix: "bench-load", defaultEnv: "dev" }, async ({ env }) => {
    const bases = baseUrls(env);
    const containers = await containersOf(env.name);
    // The scenario's mix at a constant total rate for the step's length.
    const atRate = (scenario: Scenario, rate: number): Scenario => ({
      ...scenario,
      arrival: { executor: "constant-arrival-rate", rate, duration: `${seconds}s` },
      // Enough in flight that a drop means the services fell behind, not that the limit was low.
      maxInFlight: Math.max(scenario.maxInFlight, rate * 4),
    });
    const trial = async (scenario: Scenario, target: "direct" | "gateway", rate: number, to = bases) => {
      // Each step starts on a calm environment: a step that overloaded it (the gateway's breakers
      // open for 5 s) must not fail the next one's setup.
      await untilLoginsWork(to, target);
      const outcome = await runOpenModel({ scenario: atRate(scenario, rate), bases: to, target });
      // Judged on the load alone: the setup's logins (scrypt, one after another) are not the rate.
      const load = outcome.records.filter((r) => r.flow !== SETUP_FLOW);
      const summary = summarize(load, outcome, {
        scenario: scenario.name,
        target,
        startedAt: outcome.startedAt.toISOString(),
        seconds: outcome.seconds,
      });
      const p95 = summary.metrics.http_req_duration?.values["p(95)"] ?? 0;
      const failed = summary.metrics.http_req_failed?.values.rate ?? 0;
      const serverErrors = load.filter((r) => r.status === 0 || r.status >= 500).length;
      const t: Trial = {
        rate,
        p95,
        failed,
        serverErrors,
        dropped: outcome.dropped,
        ok: p95 < TARGET_P95_MS && failed < TARGET_FAILED && outcome.dropped === 0,
      };
      console.log(
        `    ${rate}/s: p95 ${p95.toFixed(0)} ms, failed ${(failed * 100).toFixed(2)} % (5xx or none: ${serverErrors}), dropped ${t.dropped} -> ${t.ok ? "holds" : "does not"}`,
      );
      return t;
    };

    const rows: string[] = [];
    let highest = 1;
    for (const scenario of chosen) {
      const found: Partial<Record<"direct" | "gateway", number>> = {};
      for (const target of targets) {
        if (target === "gateway" && !bases.gateway) {
          console.log(`${scenario.name} via gateway: the environment has no gateway, skipped`);
          continue;
        }
        console.log(`${scenario.name} via ${target}: step search (${seconds} s per step)`);
        const { rate, capped } = await stepSearch(
          (r) => trial(scenario, target, r),
          Math.max(1, Math.round(firstRate(scenario))),
          maxRate,
        );
        found[target] = rate;
        highest = Math.max(highest, rate);
        if (rate === 0) {
          rows.push(`${scenario.name.padEnd(16)} ${target.padEnd(8)} none holds at 1/s`);
          continue;
        }
        // N runs at the rate found: the median p95, and each container's peak memory over them.
        for (const c of containers) resetPeakMemory(c.id);
        const confirm: Trial[] = [];
        for (let i = 0; i < runs; i++) confirm.push(await trial(scenario, target, rate));
        const memory = containers
          .map((c) => `${c.workload} ${mib(peakMemory(c.id))}${c.limit ? `/${mib(c.limit)}` : ""}`)
          .join(", ");
        rows.push(
          `${scenario.name.padEnd(16)} ${target.padEnd(8)} ${capped ? ">=" : "  "}${String(rate).padStart(5)}/s  p95 median ${median(confirm.map((t) => t.p95)).toFixed(0)} ms (max ${Math.max(...confirm.map((t) => t.p95)).toFixed(0)}), ${confirm.filter((t) => t.ok).length}/${runs} held, 5xx or none ${confirm.reduce((n, t) => n + t.serverErrors, 0)}  peak MiB: ${memory}`,
        );
      }
      if (found.direct && found.gateway)
        rows.push(
          `${scenario.name.padEnd(16)} gateway/direct sustainable-rate ratio ${(found.gateway / found.direct).toFixed(2)}`,
        );
    }

    // The runner alone: the same flows against a server of our own that answers at once.
    const server = await staticServer();
    try {
      const { url } = server;
      const local = { gateway: url, users: url, sessions: url, courses: url, enrollments: url };
      console.log(`runner overhead: day-in-the-life at ${highest}/s against a static in-process server`);
      const day = SCENARIOS.find((s) => s.name === "day-in-the-life") as Scenario;
      const own = await trial(day, "direct", highest, local);
      rows.push(
        `runner overhead at ${highest}/s: p95 ${own.p95.toFixed(1)} ms against an instant server, dropped ${own.dropped}`,
      );
    } finally {
      await server.stop();
    }
    console.log(
      `\nsustainable rates (p95 < ${TARGET_P95_MS} ms, failed < ${TARGET_FAILED * 100} %, nothing dropped):`,
    );
    for (const row of rows) console.log(`  ${row}`);
  });
});

/** Waits (up to a minute) until a seed user's login answers 201 through the target. */
async function untilLoginsWork(bases: Record<string, string>, target: "direct" | "gateway"): Promise<void> {
  const login = setupLogin(0);
  const deadline = Date.now() + 60_000;
  for (;;) {
    const status = await fetch(urlOf(login, bases, target), {
      method: login.method,
      headers: login.headers,
      body: login.body ?? null,
      signal: AbortSignal.timeout(5_000),
    }).then(
      (r) => r.status,
      () => 0,
    );
    if (status === 201) return;
    if (Date.now() > deadline)
      throw new UserError(`logins still fail (${status}) a minute after the last step`);
    await sleep(1_000);
  }
}

/** Where the search starts: half the scenario's own peak rate. */
function firstRate(scenario: Scenario): number {
  return flowArrivals(scenario).reduce((sum, { arrival }) => sum + peakRate(arrival), 0) / 2;
}

/** The highest whole rate that holds: doubled from `start` until one fails, then bisected (0: none does). */
async function stepSearch(
  holds: (rate: number) => Promise<Trial>,
  start: number,
  max: number,
): Promise<{ rate: number; capped: boolean }> {
  let good = 0;
  let bad = 0;
  for (let rate = start; rate <= max; rate *= 2) {
    if ((await holds(rate)).ok) good = rate;
    else {
      bad = rate;
      break;
    }
  }
  // Nothing failed up to --max-rate: the figure is a floor, not the limit.
  if (bad === 0) return { rate: good, capped: true };
  // Between the last rate that held (0 when even the first failed) and the first that did not.
  let low = good;
  let high = bad;
  while (high - low > Math.max(1, Math.round(high * 0.1))) {
    const mid = Math.round((low + high) / 2);
    if (mid === low || mid === high) break;
    if ((await holds(mid)).ok) low = mid;
    else high = mid;
  }
  return { rate: low, capped: false };
}

function mib(bytes: number): string {
  return (bytes / 1024 ** 2).toFixed(0);
}

/** The environment's containers (Docker runtime): id, workload and memory limit. */
async function containersOf(env: string): Promise<{ id: string; workload: string; limit: number }[]> {
  const ids = (
    await docker(["ps", "--no-trunc", "--filter", `label=${LABEL.env}=${env}`, "--format", "{{.ID}}"])
  )
    .split("\n")
    .filter(Boolean);
  if (ids.length === 0) return [];
  const inspected = JSON.parse(await docker(["inspect", ...ids])) as {
    Id: string;
    Name: string;
    HostConfig: { Memory: number };
    Config: { Labels: Record<string, string> };
  }[];
  return inspected
    .filter((c) => c.Config.Labels[LABEL.workload])
    .map((c) => ({ id: c.Id, workload: c.Name.replace(`/azora-${env}-`, ""), limit: c.HostConfig.Memory }));
}

/** A loopback server answering every flow's request at once with what the flow expects. */
async function staticServer(): Promise<{ url: string; stop: () => Promise<void> }> {
  const server = createServer((req, res) => {
    res.setHeader("content-type", "application/json");
    const path = req.url ?? "";
    if (req.method === "DELETE") {
      res.statusCode = 204;
      res.end();
    } else if (req.method === "POST") {
      res.statusCode = 201;
      res.end(JSON.stringify({ token: "t", userId: "u", id: "x" }));
    } else res.end(JSON.stringify(path.startsWith("/courses?") ? { items: [{ id: "c" }] } : {}));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    stop: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
