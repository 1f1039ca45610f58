// pnpm pr:test --pr N [--sha SHA] [--suites contract,policy]
// Runs the suites against pull request N's environment (started by pr:up), one after another, each
// as its own command with its output shown; writes reports/pr-N-<time>/summary.json and summary.md
// (short enough for a PR comment). Exits 1 when a suite failed.
import { parseFlags } from "../src/cli/flags.ts";
import { runMain } from "../src/cli/main.ts";
import { commitSha, prEnvironment } from "../src/pipeline/pr.ts";
import { printRunResults, runSummary, writeRunReport } from "../src/pipeline/report.ts";
import { parseSuites, runSuites } from "../src/pipeline/suites.ts";
import { reportDir } from "../src/reports.ts";

await runMain(async () => {
  const { values } = parseFlags("pr:test", process.argv.slice(2), {
    pr: { type: "string" },
    sha: { type: "string" },
    suites: { type: "string", default: "contract,policy" },
  });
  const name = prEnvironment(values.pr);
  const sha = commitSha(values.sha);
  const suites = parseSuites(values.suites ?? "contract,policy");
  const startedAt = new Date();
  const results = await runSuites(suites, name);
  const summary = runSummary({ kind: "pr", environment: name, sha, startedAt }, results);
  const dir = reportDir(name, startedAt);
  writeRunReport(dir, summary, results);
  printRunResults(summary, results, dir);
  if (!summary.ok) process.exitCode = 1;
});
