// pnpm bench:monitoring [--runs N] [--seconds S] [--rate R] [--connections C]
// What monitoring costs the services: the same request (GET /courses?limit=5, straight to
// course-service) at the same rate while Prometheus scrapes every 5 s, and while its container is
// paused (nothing scrapes), in one run on a dev environment of its own with monitoring; p50/p95
// and requests/s, the p95 ratio scraped / not scraped, median of N runs alternating the order.
// Also how long Prometheus' scrapes of the services take.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseFlags, wholeNumber } from "../src/cli/flags.ts";
import { runMain } from "../src/cli/main.ts";
import { ensureEngine } from "../src/docker/cli.ts";
import { UserError } from "../src/errors.ts";
import { runScript } from "../tests/support/cli.ts";
import { scrapeOverhead } from "./scrape-overhead.ts";

await runMain(async () => {
  const { values } = parseFlags("bench:monitoring", process.argv.slice(2), {
    runs: { type: "string", default: "4" },
    seconds: { type: "string", default: "15" },
    rate: { type: "string", default: "50" },
    connections: { type: "string", default: "8" },
  });
  const runs = wholeNumber("runs", values.runs, 1);
  const seconds = wholeNumber("seconds", values.seconds, 1);
  const rate = wholeNumber("rate", values.rate, 1);
  const connections = wholeNumber("connections", values.connections, 1);
  await ensureEngine();
  const stateDir = mkdtempSync(join(tmpdir(), "devstack-bench-"));
  const env = { DEVSTACK_STATE_DIR: stateDir };
  const name = `bench-mon-${process.pid}`;
  const prometheusContainer = `azora-${name}-prometheus-1`;
  try {
    const up = await runScript("dev-up", ["--with", "monitoring", "--name", name], { env });
    if (up.exitCode !== 0) throw new UserError(`dev:up failed:\n${up.all}`);
    const url = (label: string) =>
      new RegExp(`\\n {2}${label}\\s+(http://127\\.0\\.0\\.1:\\d+)`).exec(up.stdout)?.[1] ?? "";
    const courses = url("course-service");
    const prometheus = url("prometheus");
    const overhead = await scrapeOverhead({ courses, prometheusContainer, runs, seconds, rate, connections });
    const query = encodeURIComponent(
      'quantile_over_time(0.5, scrape_duration_seconds{namespace="azora",endpoint="http"}[10m])',
    );
    const answer = (await (await fetch(`${prometheus}/api/v1/query?query=${query}`)).json()) as {
      data: { result: { metric: { job: string }; value: [number, string] }[] };
    };
    for (const line of overhead.lines) console.log(line);
    const durations = answer.data.result
      .map((r) => `${r.metric.job} ${(Number(r.value[1]) * 1000).toFixed(1)} ms`)
      .sort();
    console.log(`median scrape duration per service: ${durations.join(", ") || "(none)"}`);
  } finally {
    await runScript("dev-down", ["--name", name], { env });
    rmSync(stateDir, { recursive: true, force: true });
  }
});
