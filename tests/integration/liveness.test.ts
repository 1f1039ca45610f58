import { describe, expect, it } from "vitest";
import { docker } from "../../src/docker/cli.ts";
import { runScript } from "../support/cli.ts";
import { testEnvironment } from "../support/environment.ts";

const { name, env } = testEnvironment("live");
const container = `azora-${name}-user-service-1`;
const startedAt = () => docker(["inspect", "--format", "{{.State.StartedAt}}", container]);

describe("the liveness supervisor", () => {
  it("restarts a container whose liveness probe keeps failing, as the kubelet would", async () => {
    const up = await runScript("dev-up", ["--env", "pr", "--name", name], { env });
    expect(up.exitCode, up.all).toBe(0);
    expect(up.stdout).toMatch(/supervisor: watching liveness probes/);
    const before = await startedAt();

    // Freeze the service's Node process (not the container): /healthz stops answering.
    await docker([
      "exec",
      container,
      "sh",
      "-c",
      // Match on the process name: a match on the command line would also stop this very shell.
      'for p in /proc/[0-9]*; do [ "$(cat "$p/comm" 2>/dev/null)" = node ] && kill -STOP "$(basename "$p")"; done',
    ]);
    // periodSeconds 10 x failureThreshold 3, plus the restart: well within 90 s.
    await expect.poll(startedAt, { timeout: 90_000, interval: 1_000 }).not.toBe(before);
    const logs = await docker(["logs", `azora-${name}-supervisor`], { all: true });
    expect(logs).toMatch(
      new RegExp(`"msg":"restarted after failed liveness probes","container":"${container}"`),
    );

    // Ready again after the restart: dev:status probes every workload and exits 0 only then.
    await expect
      .poll(async () => (await runScript("dev-status", ["--name", name], { env })).exitCode, {
        timeout: 30_000,
        interval: 1_000,
      })
      .toBe(0);
  });
});
