import { describe, expect, it } from "vitest";
import { runContractSuite } from "../../src/contract/suite.ts";
import { readEnvState } from "../../src/env/state.ts";
import { runScript } from "../support/cli.ts";
import { testEnvironment } from "../support/environment.ts";

const { name, env, stateDir } = testEnvironment("contract");

describe("pnpm test:contract", () => {
  it("exercises every documented operation of a running environment and finds every response conforming", async () => {
    const up = await runScript("dev-up", ["--env", "pr", "--name", name], { env });
    expect(up.exitCode, up.all).toBe(0);
    const result = await runScript("test-contract", ["--name", name], { env });
    expect(result.exitCode, result.all).toBe(0);
    expect(result.stdout).toMatch(
      /38 calls over 4 services: every operation exercised, every response conforms/,
    );
    // The login goes session-service -> user-service across the policed bridge.
    expect(result.stdout).toMatch(/✔ session-service\s+POST\s+\/sessions -> 201/);
  }, 120_000);

  it("fails, naming the operation, when a service answers outside its document", async () => {
    process.env.DEVSTACK_STATE_DIR = stateDir;
    const state = readEnvState(name);
    delete process.env.DEVSTACK_STATE_DIR;
    const urls = state?.endpoints ?? {};
    // The course-service's calls sent to the user-service: nothing there is in the course document.
    const report = await runContractSuite({
      "user-service": urls["user-service"] ?? "",
      "session-service": urls["session-service"] ?? "",
      "course-service": urls["user-service"] ?? "",
      "enrollment-service": urls["enrollment-service"] ?? "",
    });
    const problems = report.calls.flatMap((c) => c.problems);
    expect(problems).toContain("POST /courses does not document status 404");
    expect(
      report.uncovered.map((u) => `${u.service} ${u.operation.method} ${u.operation.template}`),
    ).toContain("course-service POST /courses");
  });

  it("refuses an environment that is not up", async () => {
    const result = await runScript("test-contract", ["--name", "no-such-env"], { env });
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(/environment 'no-such-env' is not up/);
  });
});
