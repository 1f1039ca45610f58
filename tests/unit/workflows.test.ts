import { cpSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { repoRoot } from "../../src/paths.ts";

// The GitHub workflows stay thin: every step runs a DevStack command, and actionlint (pinned,
// installed by the bootstrap) checks them as GitHub would read them.

const workflows = join(repoRoot, ".github", "workflows");
const files = readdirSync(workflows).filter((f) => f.endsWith(".yml"));
const actionlint = join(repoRoot, ".tools", "bin", "actionlint");
const lint = (dir: string) =>
  execa(
    actionlint,
    [
      "-config-file",
      join(repoRoot, ".github", "actionlint.yaml"),
      ...readdirSync(dir).map((f) => join(dir, f)),
    ],
    {
      reject: false,
      all: true,
    },
  );

interface Workflow {
  jobs: Record<string, { steps: { run?: string }[] }>;
}
const runLines = (file: string) =>
  Object.values((parse(readFileSync(join(workflows, file), "utf8")) as Workflow).jobs).flatMap((job) =>
    job.steps.flatMap((step) => (step.run ? step.run.split("\n") : [])),
  );

describe("the GitHub workflows", () => {
  it("are ci, pr-env and nightly", () => {
    expect(files.sort()).toEqual(["ci.yml", "nightly.yml", "pr-env.yml"]);
  });

  it("pass actionlint", async () => {
    const result = await lint(workflows).catch((error: Error) => {
      throw new Error(`actionlint is not installed in .tools/bin (./devstack installs it): ${error.message}`);
    });
    expect(result.all).toBe("");
    expect(result.exitCode).toBe(0);
  });

  it("actionlint catches a broken one (an unknown context, a job needing one that does not exist)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "devstack-workflows-"));
    cpSync(workflows, dir, { recursive: true });
    const file = join(dir, "nightly.yml");
    writeFileSync(
      file,
      readFileSync(file, "utf8")
        // biome-ignore lint/suspicious/noTemplateCurlyInString: GitHub expressions, not JavaScript templates
        .replace("${{ inputs.suites || 'contract,policy,chaos,load,recovery' }}", "${{ input.suites }}")
        .replace("    timeout-minutes: 120", "    timeout-minutes: 120\n    needs: [build]"),
    );
    const result = await lint(dir);
    expect(result.exitCode).toBe(1);
    expect(result.all).toMatch(/undefined variable "input"/);
    expect(result.all).toMatch(/job "nightly" needs job "build" which does not exist/);
  });

  it("run only commands that exist: the CI entry point or ./devstack with a package.json script", () => {
    const scripts = Object.keys(JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")).scripts);
    const lines = files.flatMap(runLines);
    expect(lines.length).toBeGreaterThan(4);
    for (const line of lines) {
      if (line === "CI=true bash .ci/run") continue;
      const command = /^\.\/devstack ([\w:-]+)/.exec(line)?.[1];
      expect(command, line).toBeDefined();
      expect(scripts, line).toContain(command);
    }
    expect(lines).toContain('./devstack pr:up --pr "$PR" --sha "$SHA"');
    expect(lines).toContain('./devstack nightly --suites "$SUITES" --history nightly-history');
    expect(lines).toContain("./devstack report:trend nightly-history --last 14 --threshold 25%");
  });
});
