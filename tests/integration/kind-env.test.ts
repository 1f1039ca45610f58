import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { POSTGRES_TIMEOUTS } from "../../services/kit/src/postgres.ts";
import { docker } from "../../src/docker/cli.ts";
import { readEnvState } from "../../src/env/state.ts";
import { labelArgs } from "../../src/labels.ts";
import { kindRuntime } from "../../src/runtimes/kind/runtime.ts";
import { requireTool } from "../../src/runtimes/kind/tools.ts";
import { runScript } from "../support/cli.ts";
import { testLabels } from "../support/labels.ts";
import { OPENS } from "../support/outside-target.ts";
import { signUps } from "../support/sign-up.ts";

// `dev:up --runtime kind` end to end on this machine: the offline node image, DevStack's
// NetworkPolicy agent (Calico cannot be pulled here), CloudNativePG's operator made from its module
// running the Cluster for real, the overlay, migrations and seed as a Job, the endpoints through
// port-forwards; the policy and contract suites and a kubelet's restart through the runtime's
// handle; the nodes stopped and started again by `dev:up`; then `dev:down` leaving nothing behind.

const stateDir = mkdtempSync(join(tmpdir(), "devstack-state-"));
const env = { DEVSTACK_STATE_DIR: stateDir };
// The handle is opened in this process too.
process.env.DEVSTACK_STATE_DIR = stateDir;
const name = `kind-${process.pid % 100_000}`;
const endpoint = (out: string, what: string) => new RegExp(`${what}\\s+(\\S+://\\S+)`).exec(out)?.[1];
const leftovers = async () =>
  (
    await docker([
      "ps",
      "-a",
      "--filter",
      `label=io.x-k8s.kind.cluster=azora-${name}`,
      "--format",
      "{{.Names}}",
    ])
  ).trim() +
  (await docker(["network", "ls", "--filter", `name=azora-${name}-kind`, "--format", "{{.Name}}"])).trim();

afterAll(async () => {
  await runScript("dev-down", ["--name", name], { env });
  rmSync(stateDir, { recursive: true, force: true });
}, 180_000);

describe("a Kind environment from the dev overlay", () => {
  let up = "";
  it("refuses to start while a network of this machine overlaps the pod range, naming it, and leaves nothing", async () => {
    // What an engine-picked network of another tool can hold: pods would time out on each other.
    const clash = `devstack-clash-${process.pid % 100_000}`;
    await docker(["network", "create", ...labelArgs(testLabels()), "--subnet", "192.168.250.0/24", clash]);
    try {
      const refused = await runScript("dev-up", ["--runtime", "kind", "--name", name], { env });
      expect(refused.exitCode).toBe(1);
      expect(refused.all).toMatch(
        `network: kind/cluster.yaml's networking.podSubnet and serviceSubnet: 192.168.0.0/16 overlaps Docker network ${clash} (192.168.250.0/24)`,
      );
    } finally {
      await docker(["network", "rm", clash]);
    }
    expect(await leftovers()).toBe("");
    expect(readEnvState(name)).toBeUndefined();
  }, 180_000);

  it("comes up with the operator's Cluster migrated and seeded, and the services answering", async () => {
    const result = await runScript("dev-up", ["--runtime", "kind", "--name", name], { env });
    up = result.stdout;
    expect(result.exitCode, result.all).toBe(0);
    expect(up).toMatch(/network policies: DevStack's NetworkPolicy agent on 2 node\(s\)/);
    expect(up).toMatch(/operator: CloudNativePG 1\.27\.1 \(made from its module\)/);
    expect(up).toMatch(/azora-db: 1 instance\(s\) ready/);
    expect(up).toMatch(/migrations and seed: applied \d+_platform-schema; seed small loaded/);
    // Kept for status, logs and the suites, which need not render the overlay again to find it.
    expect(readEnvState(name)?.namespace).toBe("azora");

    const client = new pg.Client({ connectionString: endpoint(up, "postgres") });
    await client.connect();
    const { rows } = await client.query(
      "SELECT '[1,2]'::vector <-> '[1,3]' AS d, count(*)::int AS n FROM users",
    );
    expect(rows[0].d).toBe(1);
    expect(rows[0].n).toBeGreaterThan(0);
    await client.end();

    const login = await fetch(`${endpoint(up, "session-service")}/sessions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email: "user1@seed.azora.dev", password: "azora-seed-password" }),
    });
    expect(login.status).toBe(201);
    // The entry point: the gateway proxies the login too.
    const viaGateway = await fetch(`${endpoint(up, "gateway")}/api/sessions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email: "user1@seed.azora.dev", password: "azora-seed-password" }),
    });
    expect(viaGateway.status).toBe(201);
  }, 900_000);

  it("lets the course service reach the database and keeps the session service from it", async () => {
    const kubeconfig = join(stateDir, "kind", `${name}.kubeconfig`);
    const from = async (deployment: string) =>
      (
        await execa(requireTool("kubectl"), [
          ...["--kubeconfig", kubeconfig, "-n", "azora", "exec", `deploy/${deployment}`, "--"],
          ...["node", "-e", OPENS, "azora-db-rw.azora.svc.cluster.local", "5432"],
        ])
      ).stdout.trim();
    expect(await from("course-service")).toBe("OPEN");
    expect(await from("session-service")).toBe("ETIMEDOUT");
  });

  it("passes test:policy: every pair of pods on every declared port as the engine's matrix says", async () => {
    const probe = await runScript("test-policy", ["--name", name, "--report", join(stateDir, "policy")], {
      env,
    });
    expect(probe.exitCode, probe.all).toBe(0);
    expect(probe.stdout).toMatch(/^\d+ pods, \d+ probes .*: all as the policies say$/m);
    expect(probe.stdout).not.toMatch(/not probed/);
  }, 300_000);

  it("passes test:contract through the gateway, whose checks freeze and thaw a backend's pods", async () => {
    const contract = await runScript(
      "test-contract",
      ["--name", name, "--report", join(stateDir, "contract")],
      { env },
    );
    expect(contract.exitCode, contract.all).toBe(0);
    expect(contract.stdout).toMatch(/every operation exercised, every response conforms/);
    expect(contract.stdout).toMatch(/✔ a backend that does not answer +GET +\S+ -> 504/);
    expect(contract.stdout).toMatch(/✔ the backend answering again +GET +\S+ -> 200/);
    expect(contract.stdout).toMatch(/\d+ gateway checks: all as expected/);
  }, 300_000);

  it("has a killed pod restarted by its kubelet, and dev:status counts the restart", async () => {
    const handle = await kindRuntime.open(name);
    const [target] = (await handle.pods()).filter((p) => p.workload === "user-service");
    expect(target).toBeDefined();
    const pod = target?.pod ?? "";
    // exec runs in that very pod.
    expect((await handle.exec(pod, ["sh", "-c", "echo $HOSTNAME"])).trim()).toBe(pod.split("/")[1]);
    await handle.faults.kill(pod);
    const restarted = /^user-service +1\/1 +ready +1 +\S+: Error /;
    const deadline = Date.now() + 120_000;
    let row = "";
    while (!restarted.test(row) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 2_000));
      const status = await runScript("dev-status", ["--name", name], { env });
      row = status.stdout.split("\n").find((l) => l.startsWith("user-service")) ?? "";
    }
    expect(row).toMatch(restarted);
    // Per pod, as `kubectl get pods` shows it.
    const pods = await runScript("dev-status", ["--name", name, "--pods"], { env });
    expect(pods.stdout).toMatch(
      new RegExp(`\\n${pod.split("/")[1]}\\s+user-service\\s+yes\\s+1\\s+Error\\n`),
    );
  }, 180_000);

  it("resets a service's connections to the database through Toxiproxy in an ephemeral container, until restored", async () => {
    const handle = await kindRuntime.open(name);
    const pod = (await handle.pods()).find((p) => p.workload === "user-service")?.pod ?? "";
    const signUp = signUps(() => endpoint(up, "user-service") ?? "");
    expect((await signUp()).status).toBe(201);
    await handle.faults.degrade(pod, { host: "azora-db-rw", port: 5432 }, [
      { type: "reset_peer", afterMs: 0 },
    ]);
    for (let i = 0; i < 3; i++) {
      const answer = await signUp();
      expect(answer.status).toBe(503);
      expect(answer.ms).toBeLessThan(POSTGRES_TIMEOUTS.connectMs + 1_000);
    }
    await handle.faults.restore(pod);
    await expect.poll(async () => (await signUp()).status, { timeout: 10_000, interval: 250 }).toBe(201);
    // The proxy was an ephemeral container of the pod, whose process the restore stopped.
    const kubeconfig = join(stateDir, "kind", `${name}.kubeconfig`);
    const [namespace, podName] = pod.split("/");
    const found = JSON.parse(
      (
        await execa(requireTool("kubectl"), [
          ...["--kubeconfig", kubeconfig, "-n", namespace ?? "", "get", "pod", podName ?? "", "-o", "json"],
        ])
      ).stdout,
    ) as { status: { ephemeralContainerStatuses?: { name: string; state: Record<string, unknown> }[] } };
    expect(
      found.status.ephemeralContainerStatuses?.map((c) => `${c.name} ${Object.keys(c.state).join()}`),
    ).toEqual(["toxiproxy-1 terminated"]);
  }, 300_000);

  it("runs supervisor-killed: every node's kubelet killed and started again by systemd, the pods serving meanwhile", async () => {
    const nodes = (
      await docker(["ps", "--filter", `label=io.x-k8s.kind.cluster=azora-${name}`, "--format", "{{.Names}}"])
    )
      .split("\n")
      .filter(Boolean);
    const restarts = () =>
      Promise.all(
        nodes.map(async (node) =>
          Number(
            await docker([
              "exec",
              node,
              "systemctl",
              "show",
              "kubelet",
              "--property",
              "NRestarts",
              "--value",
            ]),
          ),
        ),
      );
    const before = await restarts();
    const chaos = await runScript(
      "test-chaos",
      [
        "--name",
        name,
        "--experiment",
        "supervisor-killed",
        "--runs",
        "1",
        "--report",
        join(stateDir, "chaos-agent"),
      ],
      { env },
    );
    expect(chaos.exitCode, chaos.all).toBe(0);
    expect(chaos.stdout).toMatch(/✔ run 1: recovered in [\d.]+s; [1-9]\d* acknowledged writes, 0 lost/);
    expect(await restarts()).toEqual(before.map((n) => n + 1));
  }, 300_000);

  it("says every workload is down while its nodes are stopped (what an engine restart leaves), and dev:up starts them with the data kept", async () => {
    const gateway = endpoint(up, "gateway");
    const login = (email: string) =>
      fetch(`${gateway}/api/sessions`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ email, password: "a-long-password-1" }),
        signal: AbortSignal.timeout(30_000),
      });
    const email = `restarted-${process.pid}@example.org`;
    const created = await fetch(`${gateway}/api/users`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email, password: "a-long-password-1", displayName: "R" }),
    });
    expect(created.status).toBe(201);
    const nodes = (
      await docker(["ps", "--filter", `label=io.x-k8s.kind.cluster=azora-${name}`, "--format", "{{.Names}}"])
    )
      .split("\n")
      .filter(Boolean);
    await docker(["stop", ...nodes]);

    const status = await runScript("dev-status", ["--name", name], { env });
    expect(status.exitCode, status.all).toBe(1);
    for (const workload of ["azora-db", "tyk-gateway", "user-service", "session-service", "redis"])
      expect(status.stdout).toMatch(new RegExp(`^${workload}\\s.*\\bdown\\b`, "m"));
    expect(status.stdout).toMatch(/node container\(s\) not running: azora-kind-\d+-(control-plane|worker)/);
    expect(status.stdout).toMatch(/network policies: not known/);

    const again = await runScript("dev-up", ["--runtime", "kind", "--name", name], { env });
    expect(again.exitCode, again.all).toBe(0);
    expect(again.stdout).toMatch(/nodes: started .+; API and every pod ready again [\d.]+ s later/);
    expect(again.stdout).toMatch(
      new RegExp(`environment '${name}' is up again in [\\d.]+s \\(its nodes had stopped: azora-${name}-`),
    );
    expect((await login(email)).status).toBe(201);
    const after = await runScript("dev-status", ["--name", name], { env });
    expect(after.exitCode, after.all).toBe(0);
  }, 600_000);

  it("fails over when the primary's pod is deleted: CloudNativePG promotes a replica, no acknowledged write lost", async () => {
    // The dev overlay runs one instance: scaled to nightly's three for this (the operator adds two
    // replicas), then the chaos suite's experiment through the Kind runtime's handle.
    const kubeconfig = join(stateDir, "kind", `${name}.kubeconfig`);
    await execa(requireTool("kubectl"), [
      ...["--kubeconfig", kubeconfig, "-n", "azora", "patch", "clusters.postgresql.cnpg.io", "azora-db"],
      ...["--type=merge", "-p", '{"spec":{"instances":3}}'],
    ]);
    const handle = await kindRuntime.open(name);
    const whole = (members: Awaited<ReturnType<typeof handle.database.members>>) =>
      members.length === 3 &&
      members.filter((m) => m.role === "primary").length === 1 &&
      members.every((m) => m.role === "primary" || (m.state === "streaming" && m.lagMb === 0));
    const deadline = Date.now() + 300_000;
    let members = await handle.database.members();
    while (!whole(members) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 3_000));
      members = await handle.database.members();
    }
    expect(members.map((m) => `${m.name} ${m.role} ${m.state}`)).toEqual([
      "azora-db-1 primary running",
      "azora-db-2 replica streaming",
      "azora-db-3 replica streaming",
    ]);
    const chaos = await runScript(
      "test-chaos",
      [
        "--name",
        name,
        "--experiment",
        "postgres-primary-killed",
        "--runs",
        "1",
        "--report",
        join(stateDir, "chaos"),
      ],
      { env },
    );
    expect(chaos.exitCode, chaos.all).toBe(0);
    expect(chaos.stdout).toMatch(/primary azora-db-1 \(timeline 1\)/);
    expect(chaos.stdout).toMatch(/✔ run 1: recovered in [\d.]+s; [1-9]\d* acknowledged writes, 0 lost/);
    expect((await handle.database.members()).find((m) => m.role === "primary")?.timeline).toBe(2);
  }, 600_000);

  it("is listed by env:list as a Kind environment, its nodes not taken for a run of the Docker runtime", async () => {
    // The nodes carry their image's DevStack labels; they were listed as a "(build run)" before.
    const list = await runScript("env-list", [], { env });
    expect(list.exitCode, list.all).toBe(0);
    expect(list.stdout).toMatch(new RegExp(`^${name} +kind +dev +\\S+ +ready `, "m"));
    expect(list.stdout).not.toMatch(/^\(build run\)/m);
  });

  it("reports the policies enforced by the agent on every node", async () => {
    const status = await runScript("dev-status", ["--name", name], { env });
    expect(status.exitCode, status.all).toBe(0);
    expect(status.stdout).toMatch(
      /enforced by DevStack's NetworkPolicy agent \(devstack-policy-agent ready on 2\/2 nodes\)/,
    );
  });

  it("dev:down removes the cluster, its network and its files", async () => {
    const down = await runScript("dev-down", ["--name", name], { env });
    expect(down.exitCode, down.all).toBe(0);
    expect(await leftovers()).toBe("");
    // Kubeconfig, cluster config, the keeper's pid file and log, the environment's record.
    expect(readdirSync(join(stateDir, "kind")).filter((f) => f.startsWith(`${name}.`))).toEqual([]);
    expect(existsSync(join(stateDir, "envs", `${name}.json`))).toBe(false);
  }, 180_000);
});
