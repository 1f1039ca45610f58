import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { operationRows } from "../../src/contract/report.ts";
import { policyGrid, policySection } from "../../src/netpol/probe-report.ts";
import { runHtml } from "../../src/pipeline/html-report.ts";
import { runSummary, summaryMarkdown } from "../../src/pipeline/report.ts";
import { suiteFigures } from "../../src/pipeline/suite-reports.ts";
import { parseSuites, type SuiteResult, suiteArguments } from "../../src/pipeline/suites.ts";
import type { PolicyObservation } from "../../src/runtimes/runtime.ts";
import { envState } from "../support/env-state.ts";
import { sampleContract, samplePolicy, sampleRunFolder } from "../support/pipeline-runs.ts";

const { dir, results } = sampleRunFolder();
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const [contract, policy, chaos, load] = results;
const startedAt = new Date("2026-12-01T20:00:00.000Z");

describe("a pipeline run's report", () => {
  it("takes each suite's figures from what the suite wrote (golden)", () => {
    expect(suiteFigures("contract", contract?.report ?? "")).toEqual({
      "contract failures": { value: 1, unit: "count" },
      "operations not exercised": { value: 1, unit: "count" },
    });
    expect(suiteFigures("policy", policy?.report ?? "")).toEqual({
      "policy mismatches": { value: 1, unit: "count" },
      "pods unguarded": { value: 0, unit: "count" },
    });
    // The redis run never recovered: it has no recovery time, only its broken invariant.
    expect(suiteFigures("chaos", chaos?.report ?? "")).toEqual({
      "chaos runs with broken invariants": { value: 1, unit: "count" },
      "recovery (postgres-primary-killed)": { value: 9.2, unit: "s" },
    });
    // 32 answers: 30 of 10-16 ms, one of 250 ms, one of 10 s; 2 failed.
    expect(suiteFigures("load", load?.report ?? "")).toEqual({
      "95th percentile (browse)": { value: 121.3, unit: "ms" },
      "99th percentile (browse)": { value: 6977.5, unit: "ms" },
      "failed requests (browse)": { value: 0.0625, unit: "ratio" },
    });
    expect(suiteFigures("load", `${dir}/missing`)).toEqual({});
    // A summary cut short (the suite was killed while writing it) counts as not written.
    mkdirSync(join(dir, "cut"));
    writeFileSync(join(dir, "cut", "summary.json"), '{"runner":"k6","scen');
    expect(suiteFigures("load", join(dir, "cut"))).toEqual({});
  });

  it("summary.md: verdict, a row per suite with its figures, the failed suites' last lines folded (golden)", () => {
    const ran = [
      { ...(contract as SuiteResult), tail: ["a ``` fence", "1 violation(s)"] },
      load as SuiteResult,
    ];
    const summary = runSummary(
      { kind: "pr", environment: "pr-7", sha: "0123456789abcdef", startedAt, dir },
      ran,
    );
    expect(summaryMarkdown(summary, ran)).toBe(
      [
        "❌ DevStack PR environment `pr-7` at 0123456789ab: 1 of 2 suite(s) failed",
        "",
        "| suite | result | time | figures |",
        "|---|---|---|---|",
        "| contract | failed (exit 1) | 32 s | contract failures: 1, operations not exercised: 1 |",
        "| load | passed | 60 s | 95th percentile (browse): 121.3 ms, 99th percentile (browse): 6977.5 ms, failed requests (browse): 6.25% |",
        "",
        "<details><summary>contract: last 2 lines of <code>pnpm test:contract --name nightly --report " +
          `${dir}/contract</code></summary>`,
        "",
        "```",
        "a ''' fence",
        "1 violation(s)",
        "```",
        "</details>",
        "",
        "The whole report: `index.html` in the run's artifact.",
        "",
      ].join("\n"),
    );
  });

  it("summary.json: ok only when every suite is, folders relative to the run's, the environment's record, no output tails", () => {
    const summary = runSummary(
      {
        kind: "nightly",
        environment: "nightly",
        startedAt: new Date(Date.now() - 5_000),
        dir,
        state: envState({
          name: "nightly",
          env: "nightly",
          images: { tyk: { ref: "azora-devstack/tyk:abc", source: "offline recipe (Tyk 2.9.4, offline)" } },
          readySeconds: { "azora-db-1": 8.5 },
          secrets: { db: { password: "never in a report" } },
        }),
      },
      [load as SuiteResult],
    );
    expect(summary).toEqual({
      kind: "nightly",
      environment: "nightly",
      startedAt: expect.any(String),
      seconds: expect.closeTo(5, 0),
      ok: true,
      runtime: "docker",
      envFile: "nightly",
      images: { tyk: { ref: "azora-devstack/tyk:abc", source: "offline recipe (Tyk 2.9.4, offline)" } },
      readySeconds: { "azora-db-1": 8.5 },
      suites: [
        {
          suite: "load",
          command: `pnpm test:load --name nightly --report ${dir}/load`,
          ok: true,
          exitCode: 0,
          seconds: 60,
          report: "load",
          figures: expect.objectContaining({ "failed requests (browse)": { value: 0.0625, unit: "ratio" } }),
        },
      ],
    });
    expect(JSON.stringify(summary)).not.toContain("never in a report");
    expect(runSummary({ kind: "nightly", environment: "n", startedAt, dir }, results).ok).toBe(false);
  });

  it("the contract section: a row per documented operation, then those never exercised (golden)", () => {
    expect(operationRows(sampleContract)).toEqual([
      ["user-service", "POST /users", "2", "201, 409", "10", "conforms"],
      ["user-service", "GET /users/{id}", "1", "200", "30", "failed: GET /users/42: body.email is missing"],
      ["course-service", "DELETE /courses/{id}", "0", "-", "-", "failed: not exercised"],
    ]);
  });

  it("the policy grid: a cell per pod pair probed, the mismatch marked as such (golden)", () => {
    const { pods, cells } = policyGrid(samplePolicy.observations);
    expect(pods).toEqual(["azora/azora-db-1", "azora/redis-0", "azora/user-service-1"]);
    expect(
      Object.fromEntries([...cells].map(([key, cell]) => [key.replace("\u0000", " -> "), cell])),
    ).toEqual({
      "azora/user-service-1 -> azora/azora-db-1": { verdict: "allow", ports: ["5432/TCP allow"] },
      "azora/user-service-1 -> azora/redis-0": { verdict: "allow", ports: ["6379/TCP allow"] },
      "azora/azora-db-1 -> azora/user-service-1": { verdict: "deny", ports: ["8080/TCP deny"] },
      "azora/redis-0 -> azora/azora-db-1": { verdict: "mismatch", ports: ["5432/TCP expected deny, open"] },
    });
    const mixed = policyGrid([
      { ...samplePolicy.observations[0], port: 80, expected: false, reached: false, outcome: "timeout" },
      ...samplePolicy.observations.slice(0, 1),
    ] as typeof samplePolicy.observations);
    expect([...mixed.cells.values()]).toEqual([
      { verdict: "mixed", ports: ["80/TCP deny", "5432/TCP allow"] },
    ]);
  });

  it("the policy section: the grid, the verdict and each mismatch in words (golden)", () => {
    const { html, script, css } = policySection(samplePolicy);
    expect(html).toBe(
      `<p id="policy-verdict">3 pods, 4 probes in 4.2 s: 1 mismatch(es).
✓ allowed and reached, ✗ denied and not reached, ± some ports each way; hover a cell for its ports.</p>
<table id="policy-grid"><thead><tr><th>from \\ to</th><th>azora/azora-db-1</th><th>azora/redis-0</th><th>azora/user-service-1</th></tr></thead><tbody>
<tr><th>azora/azora-db-1</th><td></td><td></td><td class="deny" title="8080/TCP deny">✗</td></tr>
<tr><th>azora/redis-0</th><td class="mismatch" title="5432/TCP expected deny, open">MISMATCH</td><td></td><td></td></tr>
<tr><th>azora/user-service-1</th><td class="allow" title="5432/TCP allow">✓</td><td class="allow" title="6379/TCP allow">✓</td><td></td></tr>
</tbody></table>
<ul id="policy-mismatches"><li>azora/redis-0 -&gt; azora/azora-db-1 5432/TCP: expected deny, observed allow (open)</li></ul>
`,
    );
    expect(script).toBe("");
    expect(css).toContain("td.mismatch { background: #f99; font-weight: bold; }");
  });

  it("the policy section when all went as the policies say: no list, the ports of a cell one per line, problems named (golden)", () => {
    const [first] = samplePolicy.observations as [PolicyObservation];
    const { html } = policySection({
      ...samplePolicy,
      pods: 2,
      seconds: 0.25,
      observations: [first, { ...first, port: 80, expected: false, reached: false, outcome: "timeout" }],
      problems: ["azora/<db> is reachable on its node's address", "redis-0 has no policy"],
    });
    expect(html).toBe(
      `<p id="policy-verdict">2 pods, 2 probes in 0.3 s: all as the policies say.
✓ allowed and reached, ✗ denied and not reached, ± some ports each way; hover a cell for its ports.</p>
<table id="policy-grid"><thead><tr><th>from \\ to</th><th>azora/azora-db-1</th><th>azora/user-service-1</th></tr></thead><tbody>
<tr><th>azora/azora-db-1</th><td></td><td></td></tr>
<tr><th>azora/user-service-1</th><td class="mixed" title="5432/TCP allow
80/TCP deny">±</td><td></td></tr>
</tbody></table>

<p class="failed">Not in force: azora/&lt;db&gt; is reachable on its node&#39;s address</p>
<p class="failed">Not in force: redis-0 has no policy</p>`,
    );
  });

  it("index.html: one self-contained page with the environment and every suite's section", () => {
    const summary = runSummary({ kind: "nightly", environment: "nightly", startedAt, dir }, results);
    const html = runHtml(summary, [
      ...results.slice(0, 3),
      { ...(load as SuiteResult), report: `${dir}/nothing-here`, tail: ["k6 <crashed>"] },
    ]);
    expect(html).not.toMatch(/<script[^>]*\bsrc=|<link[^>]*\bhref=/);
    for (const id of ["environment", "suite-contract", "suite-policy", "suite-chaos", "suite-load"])
      expect(html).toContain(`<section id="${id}">`);
    expect(html).toContain('<td class="mismatch"');
    expect(html.match(/<div class="chart" id="chaos-chart-\d+">/g)).toHaveLength(2);
    // A suite that wrote nothing shows why, from its last lines.
    expect(html).toContain("The suite wrote no report. Its last lines:</p><pre>k6 &lt;crashed&gt;</pre>");
    expect(html).toContain("3 of 4 suite(s) failed");
  });

  it("--suites: known names in the order given, each once", () => {
    expect(parseSuites("load,contract,load")).toEqual(["load", "contract"]);
    expect(() => parseSuites("contract,")).toThrow(
      "--suites: '' is not valid; expected one of: contract, policy, chaos, load, recovery",
    );
  });
});

describe("where each suite runs", () => {
  it("against the environment, but the recovery drill only where it has backups (else on one it starts)", () => {
    expect(suiteArguments("contract", "nightly", "r/contract", [])).toEqual([
      "--name",
      "nightly",
      "--report",
      "r/contract",
    ]);
    expect(suiteArguments("recovery", "nightly", "r/recovery", ["backups"])).toEqual([
      "--name",
      "nightly",
      "--report",
      "r/recovery",
    ]);
    expect(suiteArguments("recovery", "pr-7", "r/recovery", ["monitoring"])).toEqual([
      "--start",
      "--report",
      "r/recovery",
    ]);
  });
});
