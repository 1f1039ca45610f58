import { describe, expect, it } from "vitest";
import { runSummary, summaryMarkdown } from "../../src/pipeline/report.ts";
import type { SuiteResult } from "../../src/pipeline/suites.ts";
import { parseSuites } from "../../src/pipeline/suites.ts";

const passed: SuiteResult = {
  suite: "contract",
  command: "pnpm test:contract --name pr-7",
  ok: true,
  exitCode: 0,
  seconds: 31.46,
  reports: [],
  tail: ["every operation exercised"],
};
const failed: SuiteResult = {
  suite: "policy",
  command: "pnpm test:policy --name pr-7",
  ok: false,
  exitCode: 1,
  seconds: 9.5,
  reports: ["reports/chaos-x"],
  tail: ["a ``` fence", "3 MISMATCH(ES)"],
};

describe("a pipeline run's report", () => {
  it("summary.md: verdict, a row per suite, the failed suite's last lines folded (golden)", () => {
    const summary = runSummary(
      { kind: "pr", environment: "pr-7", sha: "0123456789abcdef", startedAt: new Date() },
      [passed, failed],
    );
    expect(summaryMarkdown(summary, [passed, failed])).toBe(
      [
        "❌ DevStack PR environment `pr-7` at 0123456789ab: 1 of 2 suite(s) failed",
        "",
        "| suite | result | time | reports |",
        "|---|---|---|---|",
        "| contract | passed | 31 s | - |",
        "| policy | failed (exit 1) | 10 s | reports/chaos-x |",
        "",
        "<details><summary>policy: last 2 lines of <code>pnpm test:policy --name pr-7</code></summary>",
        "",
        "```",
        "a ''' fence",
        "3 MISMATCH(ES)",
        "```",
        "</details>",
        "",
      ].join("\n"),
    );
  });

  it("summary.json: ok only when every suite is, seconds rounded, no output tails", () => {
    const startedAt = new Date(Date.now() - 5_000);
    const summary = runSummary({ kind: "nightly", environment: "nightly", startedAt }, [passed]);
    expect(summary).toEqual({
      kind: "nightly",
      environment: "nightly",
      startedAt: startedAt.toISOString(),
      seconds: expect.closeTo(5, 0),
      ok: true,
      suites: [
        {
          suite: "contract",
          command: "pnpm test:contract --name pr-7",
          ok: true,
          exitCode: 0,
          seconds: 31.5,
          reports: [],
        },
      ],
    });
    expect(runSummary({ kind: "nightly", environment: "n", startedAt }, [passed, failed]).ok).toBe(false);
  });

  it("--suites: known names in the order given, each once", () => {
    expect(parseSuites("load,contract,load")).toEqual(["load", "contract"]);
    expect(() => parseSuites("contract,")).toThrow(
      "--suites: '' is not valid; expected one of: contract, policy, chaos, load",
    );
  });
});
