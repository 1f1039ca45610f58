import { accessSync, constants, readFileSync } from "node:fs";
import { delimiter, join } from "node:path";
import { execa } from "execa";
import { scaleArrival, scenarioNamed, type Target } from "../../load/flows.ts";
import { SCENARIOS } from "../../load/scenarios.ts";
import { type LoadSummary, summaryLine } from "../../load/summary.ts";
import { oneOf, parseFlags, wholeNumber } from "../cli/flags.ts";
import { LOAD_BALANCER_PREFIX } from "../env/endpoints.ts";
import { withSuiteEnvironment } from "../env/suite-target.ts";
import { UserError } from "../errors.ts";
import { repoRoot } from "../paths.ts";
import { RUNTIME_FLAG } from "../runtimes/index.ts";
import type { EnvironmentHandle } from "../runtimes/runtime.ts";
import { loadReportDir, writeLoadReport } from "./report.ts";
import { type Progress, runOpenModel } from "./runner.ts";
import { summarize, timeline } from "./summarize.ts";

/** The workloads behind each service the scenarios name. */
const WORKLOADS = {
  users: "user-service",
  sessions: "session-service",
  courses: "course-service",
  enrollments: "enrollment-service",
};

/** Where requests go: the gateway's LoadBalancer and each service's own port, loopback only. */
export function baseUrls(env: EnvironmentHandle): Record<string, string> {
  const bases: Record<string, string> = {};
  const gateway = Object.entries(env.endpoints).find(([key]) => key.startsWith(LOAD_BALANCER_PREFIX))?.[1];
  if (gateway) bases.gateway = gateway;
  for (const [service, workload] of Object.entries(WORKLOADS)) {
    const url = env.endpoints[workload];
    if (url) bases[service] = url;
  }
  for (const [name, url] of Object.entries(bases))
    if (!/^http:\/\/127\.\d+\.\d+\.\d+:\d+$/.test(url))
      throw new UserError(`load goes to loopback only; the ${name} endpoint of '${env.name}' is ${url}`);
  return bases;
}

/** k6's path when it is installed (on PATH), else undefined. */
export function findK6(path = process.env.PATH ?? ""): string | undefined {
  for (const dir of path.split(delimiter).filter(Boolean)) {
    try {
      accessSync(join(dir, "k6"), constants.X_OK);
      return join(dir, "k6");
    } catch {
      // not in this one
    }
  }
  return undefined;
}

/** A live line on a terminal (rewritten in place), one line every 5 s elsewhere (CI logs). */
function progressPrinter(): (p: Progress) => void {
  const tty = process.stdout.isTTY;
  return (p) => {
    const line = `  ${Math.round(p.elapsed)}/${Math.round(p.total)} s  sent ${p.sent}  in flight ${p.inFlight}  failed ${p.failed}  dropped ${p.dropped}`;
    if (tty) process.stdout.write(`\r${line}\u001b[K`);
    else if (Math.round(p.elapsed) % 5 === 0) console.log(line);
  };
}

/**
 * `pnpm test:load`: runs a scenario against an environment with k6 when it is on PATH, otherwise
 * with DevStack's open-model runner (same scenarios, thresholds and summary), writes
 * reports/load-<time>/ and exits 1 when a threshold failed.
 */
export async function loadCommand(argv: string[]): Promise<LoadSummary> {
  const { values } = parseFlags("test:load", argv, {
    name: { type: "string" },
    start: { type: "boolean", default: false },
    env: { type: "string", default: "dev" },
    scenario: { type: "string", default: "day-in-the-life" },
    rate: { type: "string" },
    duration: { type: "string" },
    target: { type: "string" },
    ...RUNTIME_FLAG,
  });
  const scenario = scenarioNamed(
    oneOf(
      "scenario",
      values.scenario,
      SCENARIOS.map((s) => s.name),
    ),
  );
  const rate = values.rate === undefined ? undefined : wholeNumber("rate", values.rate, 1, 10_000);
  let arrival = scenario.arrival;
  try {
    arrival = scaleArrival(scenario.arrival, { rate, duration: values.duration });
  } catch (error) {
    throw new UserError(`--duration: ${(error as Error).message}`);
  }
  return withSuiteEnvironment(values, { prefix: "load", defaultEnv: "dev" }, async ({ env }) => {
    const bases = baseUrls(env);
    const target = oneOf("target", values.target ?? (bases.gateway ? "gateway" : "direct"), [
      "gateway",
      "direct",
    ]) as Target;
    if (target === "gateway" && !bases.gateway)
      throw new UserError(`--target gateway: environment '${env.name}' has no gateway (use --target direct)`);
    const startedAt = new Date();
    const dir = loadReportDir(startedAt);
    const k6 = findK6();
    console.log(
      `load: ${scenario.name} against '${env.name}' via ${target}, ${k6 ? `k6 (${k6})` : "DevStack's open-model runner (k6 is not on PATH)"}`,
    );
    let summary: LoadSummary;
    if (k6) {
      const summaryFile = join(dir, "summary.json");
      const run = await execa(k6, ["run", join(repoRoot, "load", "k6", `${scenario.name}.ts`)], {
        stdio: "inherit",
        reject: false,
        env: {
          BASE_URLS: JSON.stringify(bases),
          TARGET: target,
          SUMMARY: summaryFile,
          ...(rate ? { RATE: String(rate) } : {}),
          ...(values.duration ? { DURATION: values.duration } : {}),
        },
      });
      // k6 exits 99 when a threshold failed; its handleSummary wrote the summary either way.
      if (run.exitCode !== 0 && run.exitCode !== 99)
        throw new UserError(`k6 exited with ${run.exitCode} (its output is above)`);
      summary = JSON.parse(readFileSync(summaryFile, "utf8")) as LoadSummary;
    } else {
      const outcome = await runOpenModel({
        scenario: { ...scenario, arrival },
        bases,
        target,
        onProgress: progressPrinter(),
      });
      if (process.stdout.isTTY) process.stdout.write("\n");
      summary = summarize(outcome.records, outcome, {
        scenario: scenario.name,
        target,
        startedAt: outcome.startedAt.toISOString(),
        seconds: outcome.seconds,
      });
      writeLoadReport(dir, summary, timeline(outcome.records));
    }
    console.log(`${summaryLine(summary)}\nreport: ${dir}`);
    if (!summary.passed) process.exitCode = 1;
    return summary;
  });
}
