// pnpm pr:test --pr N [--sha SHA] [--suites contract,policy]
// Runs the suites against pull request N's environment (started by pr:up), one after another, each
// as its own command with its output shown; writes reports/pr-N-<time>/: index.html (every suite's
// report in one page), summary.json and summary.md (short enough for a PR comment). Exits 1 when a
// suite failed.
import { parseFlags } from "../src/cli/flags.ts";
import { runMain } from "../src/cli/main.ts";
import { commitSha, prEnvironment } from "../src/pipeline/pr.ts";
import { runSuitesAndReport } from "../src/pipeline/report.ts";
import { parseSuites } from "../src/pipeline/suites.ts";

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
  const { ok } = await runSuitesAndReport({ kind: "pr", environment: name, sha, startedAt }, suites);
  if (!ok) process.exitCode = 1;
});
