import { describe, expect, it, vi } from "vitest";
import { docker } from "../../src/docker/cli.ts";
import { dockerRuntime } from "../../src/runtimes/docker/runtime.ts";
import { runScript } from "../support/cli.ts";
import { testEnvironment } from "../support/environment.ts";

const { name, env, stateDir } = testEnvironment("live");
const container = `azora-${name}-user-service-1`;
const startedAt = () => docker(["inspect", "--format", "{{.State.StartedAt}}", container]);

describe("the liveness supervisor", () => {
  it("restarts a container whose liveness probe keeps failing, as the kubelet would", async () => {
    const up = await runScript("dev-up", ["--env", "pr", "--name", name], { env });
    expect(up.exitCode, up.all).toBe(0);
    expect(up.stdout).toMatch(/supervisor: watching liveness probes/);
    const endpoint = /user-service\s+(http:\/\/127\.0\.0\.1:\d+)/.exec(up.stdout)?.[1] ?? "";
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
    // The supervisor logs the restart once the engine has answered it, a moment after it started.
    const logs = () => docker(["logs", `azora-${name}-supervisor`], { all: true });
    await expect
      .poll(logs, { timeout: 10_000 })
      .toMatch(new RegExp(`"msg":"restarted","container":"${container}","restarts":1`));
    expect(await logs()).toMatch(
      new RegExp(`"msg":"stopped after failed liveness probes","container":"${container}"`),
    );

    // Ready again after the restart: dev:status probes every workload and exits 0 only then.
    await expect
      .poll(async () => (await runScript("dev-status", ["--name", name], { env })).exitCode, {
        timeout: 30_000,
        interval: 1_000,
      })
      .toBe(0);
    // At the address dev:up printed: a restart keeps the pod's published port, as a Service's stays.
    expect((await fetch(`${endpoint}/healthz`)).status).toBe(200);
  });
});

/** A TCP connection from inside a container (with its Node) to host:port, given 2 s. */
const reachFrom = (container: string, host: string, port: number) => () =>
  docker([
    "exec",
    container,
    "node",
    "-e",
    `const s = require("net").connect(${port}, "${host}"); s.setTimeout(2000);
     s.on("connect", () => { console.log("connected"); s.destroy(); });
     s.on("timeout", () => { console.log("timeout"); s.destroy(); });
     s.on("error", (e) => console.log(e.code));`,
  ]);
/** Whether GET url answers 200 within a second. */
const answers = (url: string) =>
  fetch(url, { signal: AbortSignal.timeout(1_000) }).then(
    (r) => r.status === 200,
    () => false,
  );

describe("faults on the Docker runtime (what chaos experiments inject)", () => {
  it("pause and resume, isolate and reconnect, heal, and kill a pod", async () => {
    vi.stubEnv("DEVSTACK_STATE_DIR", stateDir);
    const handle = await dockerRuntime.open(name);
    vi.unstubAllEnvs();
    const pods = await handle.pods();
    expect(pods.map((p) => p.pod).sort()).toEqual([
      "azora/azora-db-1",
      "azora/course-service-1",
      "azora/enrollment-service-1",
      "azora/redis-0",
      "azora/redis-sentinel-0",
      "azora/session-service-1",
      "azora/tyk-gateway-1",
      "azora/tyk-redis-1",
      "azora/user-service-1",
    ]);
    expect(pods.find((p) => p.pod === "azora/user-service-1")).toMatchObject({
      workload: "user-service",
      replica: 1,
    });
    expect(pods.find((p) => p.pod === "azora/redis-0")).toMatchObject({ workload: "redis" });
    const courses = `${handle.endpoints["course-service"]}/healthz`;
    const enrollments = `${handle.endpoints["enrollment-service"]}/healthz`;
    expect(await answers(courses)).toBe(true);

    await handle.faults.pause("azora/course-service-1");
    expect(await answers(courses)).toBe(false);
    await handle.faults.resume("azora/course-service-1");
    await expect.poll(() => answers(courses), { timeout: 10_000 }).toBe(true);

    // Isolated, the pod reaches no peer its policies allow (here the database), an open connection
    // included; the node's own probes still reach it, as on Kubernetes.
    const toDatabase = reachFrom(`azora-${name}-enrollment-service-1`, "azora-db-rw", 5432);
    expect(await toDatabase()).toBe("connected");
    await handle.faults.isolate("azora/enrollment-service-1");
    expect(await toDatabase()).toBe("timeout");
    expect(await answers(enrollments)).toBe(true);
    await handle.faults.reconnect("azora/enrollment-service-1");
    expect(await toDatabase()).toBe("connected");

    // heal() undoes whatever this handle still has in force.
    await handle.faults.pause("azora/course-service-1");
    await handle.faults.isolate("azora/enrollment-service-1");
    expect(await toDatabase()).toBe("timeout");
    await handle.faults.heal();
    await expect.poll(() => answers(courses), { timeout: 10_000 }).toBe(true);
    expect(await toDatabase()).toBe("connected");

    // Killed, it is started again as the kubelet would, and the status says what happened.
    await handle.faults.kill("azora/redis-0");
    await expect
      .poll(async () => (await runScript("dev-status", ["--name", name], { env })).stdout, {
        timeout: 30_000,
        interval: 1_000,
      })
      .toMatch(/\nredis\s+1\/1\s+ready\s+1\s+redis-0: Error \(exit 137\)/);
    // Per replica, as `kubectl get pods` shows them.
    const perPod = await runScript("dev-status", ["--name", name, "--pods"], { env });
    expect(perPod.stdout).toMatch(/\nPOD\s+WORKLOAD\s+READY\s+RESTARTS\s+LAST STATE\n/);
    expect(perPod.stdout).toMatch(/\nredis-0\s+redis\s+yes\s+1\s+Error \(exit 137\)\n/);
    expect(perPod.stdout).toMatch(/\ncourse-service-1\s+course-service\s+yes\s+0\s+-\n/);
    // A new supervisor (the old one killed, dev:up starts another) keeps counting where it stopped,
    // as a restarted kubelet finds the counts in the API server.
    await handle.faults.killNodeAgent();
    const again = await runScript("dev-up", ["--env", "pr", "--name", name], { env });
    expect(again.exitCode, again.all).toBe(0);
    const afterNewAgent = await runScript("dev-status", ["--name", name, "--pods"], { env });
    expect(afterNewAgent.stdout).toMatch(/\nredis-0\s+redis\s+yes\s+1\s+Error \(exit 137\)\n/);
    // The liveness restart of the first test is counted too.
    const status = await runScript("dev-status", ["--name", name], { env });
    expect(status.stdout).toMatch(
      /\nuser-service\s+1\/1\s+ready\s+1\s+user-service-1: Liveness probe failed \(exit \d+\)/,
    );
  });
});
