import { scaleArrival, scenarioNamed, type Target } from "../../load/flows.ts";
import { SCENARIOS } from "../../load/scenarios.ts";
import { type LoadSummary, summaryLine } from "../../load/summary.ts";
import { oneOf, parseFlags, wholeNumber } from "../cli/flags.ts";
import { withSuiteEnvironment } from "../env/suite-target.ts";
import { UserError } from "../errors.ts";
import { REPORT_FLAG, suiteReportDir } from "../reports.ts";
import { RUNTIME_FLAG } from "../runtimes/index.ts";
import { baseUrls } from "./endpoints.ts";
import { findK6, runK6 } from "./k6.ts";
import { writeLoadReport } from "./report.ts";
import { type Progress, runOpenModel } from "./runner.ts";
import { type RequestRecord, summarize, timeline } from "./summarize.ts";

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
    ...REPORT_FLAG,
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
    const dir = suiteReportDir(values.report, "load", startedAt);
    const k6 = findK6();
    console.log(
      `load: ${scenario.name} against '${env.name}' via ${target}, ${k6 ? `k6 (${k6})` : "DevStack's open-model runner (k6 is not on PATH)"}`,
    );
    let summary: LoadSummary;
    let records: RequestRecord[];
    if (k6) {
      ({ summary, records } = await runK6(k6, {
        scenario: scenario.name,
        bases,
        target,
        rate,
        duration: values.duration,
        dir,
      }));
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
      records = outcome.records;
    }
    writeLoadReport(dir, summary, timeline(records));
    console.log(`${summaryLine(summary)}\nreport: ${dir}`);
    if (!summary.passed) process.exitCode = 1;
    return summary;
  });
}
