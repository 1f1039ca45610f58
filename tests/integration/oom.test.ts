import { describe, expect, it } from "vitest";
import { docker } from "../../src/docker/cli.ts";
import { runScript } from "../support/cli.ts";
import { overlayEnvironment } from "../support/environment.ts";

// A workload that outgrows its memory limit, as user-service once did: 8 s after each start it
// allocates until the kernel kills it for its cgroup's limit.
const { name, env, up } = overlayEnvironment("oom", {
  files: ["namespace"],
  extra: {
    hog: `apiVersion: apps/v1
kind: Deployment
metadata: { name: hog }
spec:
  replicas: 1
  selector: { matchLabels: { app: hog } }
  template:
    metadata: { labels: { app: hog } }
    spec:
      containers:
        - name: hog
          image: node:20-trixie-slim
          command: ["node", "-e", "const a = []; setTimeout(() => setInterval(() => a.push(Buffer.alloc(8e6, 1)), 20), 8000)"]
          resources: { limits: { memory: 64Mi } }
`,
  },
});

describe("an OOM kill", () => {
  it("is restarted with back-off and reported as OOMKilled, as kubectl would show it", async () => {
    const result = await up();
    expect(result.exitCode, result.all).toBe(0);
    const container = `azora-${name}-hog-1`;
    await expect
      .poll(() => docker(["inspect", "--format", "{{.State.OOMKilled}} {{.State.ExitCode}}", container]), {
        timeout: 30_000,
      })
      .toMatch(/^true 137$|^false 0$/); // killed, or already started again by the supervisor
    const status = () => runScript("dev-status", ["--name", name], { env }).then((r) => r.stdout);
    // Running again after a restart: the last state says why it stopped.
    await expect
      .poll(status, { timeout: 60_000, interval: 500 })
      .toMatch(/\nhog\s+\d\/1\s+\S+\s+[1-9]\d*\s+hog-1: OOMKilled/);
    // Killed again soon after: waiting out the kubelet's back-off.
    await expect
      .poll(status, { timeout: 60_000, interval: 500 })
      .toMatch(/\nhog\s+0\/1\s+\S+\s+[1-9]\d*\s+hog-1: CrashLoopBackOff/);
    const logs = await docker(["logs", `azora-${name}-supervisor`], { all: true });
    expect(logs).toMatch(
      new RegExp(`"msg":"container exited","container":"${container}","lastState":"OOMKilled"`),
    );
  });
});
