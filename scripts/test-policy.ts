// pnpm test:policy [--name NAME] [--timeout MS] [--all] [--report DIR]
// Probes every ordered pair of pods of a running environment on every declared port with fresh
// connections, and compares with the NetworkPolicy engine's matrix for the environment's manifests.
// Prints expected vs observed (only the mismatches and a summary, or every pair with --all);
// writes reports/policy-<time>/summary.json (or into --report DIR); exits 1 on any mismatch, or when a pod is attached to another network too (unguarded there).
import { parseFlags } from "../src/cli/flags.ts";
import { runMain } from "../src/cli/main.ts";
import { printTable } from "../src/cli/table.ts";
import { checkEnvName } from "../src/env/names.ts";
import { UserError } from "../src/errors.ts";
import { mismatches, writePolicyReport } from "../src/netpol/probe-report.ts";
import { REPORT_FLAG, suiteReportDir } from "../src/reports.ts";
import { chooseRuntime, RUNTIME_FLAG } from "../src/runtimes/index.ts";

await runMain(async () => {
  const { values } = parseFlags("test:policy", process.argv.slice(2), {
    name: { type: "string", default: "dev" },
    timeout: { type: "string", default: "1000" },
    all: { type: "boolean", default: false },
    ...RUNTIME_FLAG,
    ...REPORT_FLAG,
  });
  const name = checkEnvName(values.name ?? "dev");
  const timeoutMs = Number(values.timeout);
  if (!Number.isInteger(timeoutMs) || timeoutMs < 100)
    throw new UserError(`--timeout: '${values.timeout}' is not a number of milliseconds >= 100`);
  const runtime = chooseRuntime(values.runtime, { name });
  const startedAt = new Date();
  const began = performance.now();
  const { pods, observations, problems } = await runtime.probePolicies(name, { timeoutMs });
  const seconds = (performance.now() - began) / 1000;
  const wrong = mismatches(observations);
  const shown = values.all ? observations : wrong;
  const verdict = (allowed: boolean) => (allowed ? "allow" : "deny");
  if (shown.length > 0)
    printTable(
      ["FROM", "TO", "PORT", "EXPECTED", "OBSERVED", ""],
      shown.map((o) => [
        o.from,
        o.to,
        `${o.port}/${o.protocol}`,
        verdict(o.expected),
        `${verdict(o.reached)} (${o.outcome})`,
        o.expected === o.reached ? "" : "MISMATCH",
      ]),
    );
  const allowed = observations.filter((o) => o.expected).length;
  console.log(
    `${pods} pods, ${observations.length} probes (${allowed} expected allowed, ${observations.length - allowed} denied) in ${seconds.toFixed(2)}s: ${wrong.length === 0 ? "all as the policies say" : `${wrong.length} MISMATCH(ES)`}`,
  );
  for (const problem of problems) console.log(`network policies: ${problem}`);
  const dir = suiteReportDir(values.report, "policy", startedAt);
  writePolicyReport(dir, {
    environment: name,
    startedAt: startedAt.toISOString(),
    seconds: Number(seconds.toFixed(2)),
    pods,
    observations,
    problems,
  });
  console.log(`report: ${dir}`);
  if (wrong.length > 0 || problems.length > 0) process.exitCode = 1;
});
