import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { repoRoot } from "../../src/paths.ts";
import type { RunSummary } from "../../src/pipeline/report.ts";
import { runScript } from "../support/cli.ts";

// The PR pipeline's commands, as the pr-env workflow runs them, against a real environment: up,
// the suites and their report, a push with nothing changed, down.
const stateDir = mkdtempSync(join(tmpdir(), "devstack-pipeline-"));
const env = { DEVSTACK_STATE_DIR: stateDir };
const pr = String(process.pid);
const name = `pr-${pr}`;
const reportsOf = () =>
  readdirSync(join(repoRoot, "reports"))
    .filter((d) => d.startsWith(`${name}-`))
    .sort();
const lastReport = () => {
  const dir = join(repoRoot, "reports", reportsOf().at(-1) ?? "none");
  return {
    summary: JSON.parse(readFileSync(join(dir, "summary.json"), "utf8")) as RunSummary,
    markdown: readFileSync(join(dir, "summary.md"), "utf8"),
    html: readFileSync(join(dir, "index.html"), "utf8"),
    dir,
  };
};

afterAll(async () => {
  await runScript("pr-down", ["--pr", pr], { env });
  for (const dir of reportsOf()) rmSync(join(repoRoot, "reports", dir), { recursive: true, force: true });
  rmSync(stateDir, { recursive: true, force: true });
});

describe("pr:up, pr:test, pr:down", () => {
  it("pr:test without an environment fails every suite, and its report says why", async () => {
    const test = await runScript("pr-test", ["--pr", pr], { env });
    expect(test.exitCode).toBe(1);
    const { summary, markdown, html } = lastReport();
    expect(summary).toMatchObject({ kind: "pr", environment: name, ok: false });
    // Neither suite got as far as writing its report: the page shows why, from their output.
    expect(html.match(/The suite wrote no report\. Its last lines:/g)).toHaveLength(2);
    expect(summary.suites.map((s) => [s.suite, s.ok, s.exitCode])).toEqual([
      ["contract", false, 1],
      ["policy", false, 1],
    ]);
    expect(markdown).toMatch(
      new RegExp(`^❌ DevStack PR environment \`${name}\`: 2 of 2 suite\\(s\\) failed`),
    );
    expect(markdown).toContain(`environment '${name}' is not up`);
  }, 120_000);

  it("pr:up brings the PR's environment up, pr:test passes and reports it, a second pr:up reuses it", async () => {
    const up = await runScript("pr-up", ["--pr", pr, "--sha", "0123456789abcdef"], { env });
    expect(up.exitCode, up.all).toBe(0);
    expect(up.stdout).toContain(`pull request ${pr} at 0123456789abcdef`);
    expect(up.stdout).toMatch(/gateway {3}http:\/\/127\.0\.0\.1:\d+ \(LoadBalancer tyk-gateway\)/);

    const test = await runScript("pr-test", ["--pr", pr, "--sha", "0123456789abcdef"], { env });
    expect(test.exitCode, test.all).toBe(0);
    const { summary, markdown, html, dir } = lastReport();
    expect(summary).toMatchObject({
      environment: name,
      sha: "0123456789abcdef",
      ok: true,
      runtime: "docker",
    });
    expect(summary.suites.map((s) => [s.suite, s.ok, s.command, s.figures])).toEqual([
      [
        "contract",
        true,
        `pnpm test:contract --name ${name} --report ${dir}/contract`,
        {
          "contract failures": { value: 0, unit: "count" },
          "operations not exercised": { value: 0, unit: "count" },
        },
      ],
      [
        "policy",
        true,
        `pnpm test:policy --name ${name} --report ${dir}/policy`,
        { "policy mismatches": { value: 0, unit: "count" }, "pods unguarded": { value: 0, unit: "count" } },
      ],
    ]);
    // What ran, from the environment's record: the gateway's image built offline, each pod's time to ready.
    expect(summary.images.tyk?.source).toMatch(/^offline recipe|^upstream$/);
    expect(summary.readySeconds["user-service"]).toBeGreaterThan(0);
    for (const id of ["environment", "suite-contract", "suite-policy"])
      expect(html).toContain(`<section id="${id}">`);
    expect(html).toContain('<table id="policy-grid">');
    expect(html).not.toContain('class="mismatch"');
    expect(markdown).toMatch(
      new RegExp(`^✅ DevStack PR environment \`${name}\` at 0123456789ab: every suite passed`),
    );

    const again = await runScript("pr-up", ["--pr", pr], { env });
    expect(again.exitCode, again.all).toBe(0);
    expect(again.stdout).toContain(`environment '${name}' is already up and healthy`);
  }, 600_000);

  it("env:extend moves its expiry, env:list shows it; a machine at its cap refuses another PR, naming this one", async () => {
    const extend = await runScript("env-extend", [name, "--ttl", "3d"], { env });
    expect(extend.exitCode, extend.all).toBe(0);
    const list = await runScript("env-list", [], { env });
    const row = list.stdout.split("\n").find((line) => line.startsWith(`${name} `));
    expect(row).toMatch(new RegExp(`^${name} +docker +pr +\\S+ +ready +\\d+[sm] +71h5\\dm +`));

    const capped = await runScript("pr-up", ["--pr", "1"], { env: { ...env, DEVSTACK_MAX_ENVS: "1" } });
    expect(capped.exitCode).toBe(1);
    // Ours at least; a developer's own environments count too.
    const running = Number(
      /error: this machine already runs (\d+) environments \(at most 1, DEVSTACK_MAX_ENVS\)/.exec(
        capped.stderr,
      )?.[1],
    );
    expect(running).toBeGreaterThanOrEqual(1);
    if (running <= 3) expect(capped.stderr).toContain(`${name} (docker, since `);
  }, 120_000);

  it("pr:down removes it; a second pr:down finds nothing", async () => {
    const down = await runScript("pr-down", ["--pr", pr], { env });
    expect(down.exitCode, down.all).toBe(0);
    expect(down.stdout).toContain(`environment '${name}' removed`);
    const again = await runScript("pr-down", ["--pr", pr], { env });
    expect(again.stdout).toContain(`environment '${name}' had nothing running`);
  }, 120_000);

  it("refuses a PR number, commit or suite it cannot use, before anything starts", async () => {
    const results = await Promise.all([
      runScript("pr-up", ["--pr", "12a"], { env }),
      runScript("pr-up", ["--pr", "1", "--sha", "main"], { env }),
      runScript("pr-test", ["--pr", "1", "--suites", "contract,smoke"], { env }),
      runScript("pr-down", [], { env }),
    ]);
    expect(results.map((r) => r.exitCode)).toEqual([1, 1, 1, 1]);
    expect(results.map((r) => r.stderr.split("\n")[0])).toEqual([
      "error: --pr: '12a' is not valid; expected a whole number from 1 to 999999999",
      "error: --sha: 'main' is not a commit id (7 to 40 lower-case hex digits)",
      "error: --suites: 'smoke' is not valid; expected one of: contract, policy, chaos, load, recovery",
      "error: --pr: required (the pull request's number)",
    ]);
  }, 120_000);
});
