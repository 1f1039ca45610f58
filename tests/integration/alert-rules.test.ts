import { chmodSync, cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { repoRoot } from "../../src/paths.ts";
import { image } from "../support/labels.ts";

// The alert rules as production keeps them (a PrometheusRule in kind/components/monitoring),
// checked by Debian's promtool against the written series of alert-rules.test.yaml: when each
// alert must fire and when it must not.
const component = join(repoRoot, "kind/components/monitoring");
const dir = mkdtempSync(join(tmpdir(), "devstack-alert-rules-"));
// Read inside the container by Debian's prometheus user.
chmodSync(dir, 0o755);
cpSync(join(component, "alert-rules.test.yaml"), join(dir, "alert-rules.test.yaml"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Writes the PrometheusRule's groups as the rules file promtool reads, edited by `change`. */
function writeRules(change: (text: string) => string = (text) => text): void {
  const rule = parse(readFileSync(join(component, "alert-rules.yaml"), "utf8"));
  expect(rule).toMatchObject({ apiVersion: "monitoring.coreos.com/v1", kind: "PrometheusRule" });
  writeFileSync(join(dir, "rules.yaml"), change(stringify({ groups: rule.spec.groups })));
}

const promtool = (...args: string[]) =>
  execa(
    "docker",
    [
      "run",
      "--rm",
      "--network",
      "none",
      "-v",
      `${dir}:/rules:ro`,
      "-w",
      "/rules",
      "--entrypoint",
      "promtool",
      image("prometheus"),
      ...args,
    ],
    { reject: false, all: true, timeout: 120_000 },
  );

describe("the platform's alert rules, in promtool", () => {
  it("are valid rules, and every alert fires and resolves when its test says", async () => {
    writeRules();
    const check = await promtool("check", "rules", "rules.yaml");
    expect(check.exitCode, check.all).toBe(0);
    expect(check.all).toContain("SUCCESS: 5 rules found");
    const test = await promtool("test", "rules", "alert-rules.test.yaml");
    expect(test.exitCode, test.all).toBe(0);
    expect(test.all).toContain("SUCCESS");
  });

  it("fail their test when a threshold is wrong (a planted bug: 50% instead of 5% errors)", async () => {
    writeRules((text) => text.replace("> 0.05", "> 0.5"));
    const test = await promtool("test", "rules", "alert-rules.test.yaml");
    expect(test.exitCode).toBe(1);
    expect(test.all).toMatch(/alertname: ServiceErrorRatioHigh, time: 10m/);
  });
});
