import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { docker, inspectExisting } from "../../src/docker/cli.ts";
import { listTables, removeTable, tableText } from "../../src/firewall/nft.ts";
import { firewallRunner } from "../../src/firewall/runner.ts";
import { LABEL, labelArgs } from "../../src/labels.ts";
import { probePairs } from "../../src/netpol/live-probe.ts";
import { tableName } from "../../src/netpol/nftables.ts";
import { runningContainers } from "../../src/runtimes/docker/firewall.ts";
import { nsenterProbe, probePods } from "../../src/runtimes/docker/policy-probe.ts";
import { runScript } from "../support/cli.ts";
import { testEnvironment } from "../support/environment.ts";
import { image, testLabels } from "../support/labels.ts";

// NetworkPolicy on the Docker runtime, live: the Azora policy set of kind/base enforced on a pr
// environment, probed from inside the containers.
const { name, env } = testEnvironment("netpol");
const network = `azora-${name}`;
const table = tableName(name);
const testPolicy = () => runScript("test-policy", ["--name", name], { env });
const ipOf = (container: string) =>
  docker(["inspect", "--format", `{{(index .NetworkSettings.Networks "${network}").IPAddress}}`, container]);

beforeAll(async () => {
  const up = await runScript("dev-up", ["--env", "pr", "--name", name], { env });
  expect(up.exitCode, up.all).toBe(0);
  expect(up.stdout).toMatch(/network policies: 12 policies enforced by table inet \S+ on br-/);
}, 180_000);

// Runs before testEnvironment's dev:down (vitest runs afterAll hooks in reverse order).
afterAll(async () => {
  await docker(["rm", "--force", `${name}-squatter`], { reject: false });
});

describe("NetworkPolicy enforcement on Docker", () => {
  it("lets through exactly what the engine allows, probed live (pnpm test:policy)", async () => {
    const result = await testPolicy();
    expect(result.exitCode, result.all).toBe(0);
    // 9 pods (db, redis-0, redis-sentinel-0, tyk-redis, the gateway, 4 services), 11 declared
    // ports (the gateway has its control port too, the database its metrics port), each probed
    // from the 8 other pods: 88 probes.
    // 13 flows allowed: the gateway to the 4 services and its Redis (5), session-service to
    // user-service, Redis and Sentinel (3), the 3 services to the database (3), Sentinel to Redis
    // and Redis to Sentinel (2); pr has no second Redis or Sentinel to pair with.
    expect(result.stdout).toMatch(
      /9 pods, 88 probes \(13 expected allowed, 75 denied\) .*all as the policies say/,
    );
    expect(await tableText(table, await firewallRunner())).toMatch(
      new RegExp(`comment "azora devstack env ${name}, bridge br-`),
    );
  });

  it("puts each workload on its environment's network alone: none is on Docker's default bridge, around the rules", async () => {
    const names = (
      await docker(["ps", "--filter", `label=${LABEL.env}=${name}`, "--format", "{{.Names}}"])
    ).split("\n");
    const workloads = names.filter((n) => !n.endsWith("-supervisor")); // the supervisor is on the host network
    expect(workloads).toHaveLength(9);
    const attached = await inspectExisting<{ Name: string; NetworkSettings: { Networks: object } }>([
      ...workloads,
      `${name}-never-created`, // left out, not an error
    ]);
    expect(attached.map((c) => [c.Name, Object.keys(c.NetworkSettings.Networks)])).toEqual(
      workloads.map((n) => [`/${n}`, [network]]),
    );

    // A pod joined to the default bridge by hand: the probe and status say so; up recreates the env.
    await docker(["network", "connect", "bridge", `${network}-redis-0`]);
    const problem = new RegExp(`NOT enforced for ${network}-redis-0 \\(also on 'bridge'\\)`);
    const probed = await testPolicy();
    expect(probed.exitCode).toBe(1);
    expect(probed.stdout).toMatch(problem);
    const status = await runScript("dev-status", ["--name", name], { env });
    expect(status.exitCode).toBe(1);
    expect(status.stdout).toMatch(problem);
    const up = await runScript("dev-up", ["--env", "pr", "--name", name], { env });
    expect(up.exitCode, up.all).toBe(0);
    expect(up.stdout).toMatch(/leftovers: removed \d+ resource\(s\) of an earlier run/);
    const after = await testPolicy();
    expect(after.exitCode, after.all).toBe(0);
  }, 180_000);

  it("reports every denied pair as a mismatch when the rules are gone, and the supervisor restores them", async () => {
    // The supervisor restores a removed table within 10 s, sooner than a loaded machine may start
    // the probe: frozen meanwhile, so the probe surely meets the environment without its rules.
    const supervisor = `${network}-supervisor`;
    await docker(["pause", supervisor]);
    try {
      expect(await removeTable(table, await firewallRunner())).toBe(true);
      const open = await testPolicy();
      expect(open.exitCode).toBe(1);
      expect(open.stdout).toMatch(/75 MISMATCH\(ES\)/);
      expect(open.stdout).toMatch(
        /azora\/redis-0\s+azora\/azora-db-1\s+5432\/TCP\s+deny\s+allow \(open\)\s+MISMATCH/,
      );
    } finally {
      await docker(["unpause", supervisor]);
    }
    // The supervisor re-applies at least every 10 s.
    await expect
      .poll(async () => (await testPolicy()).exitCode, { timeout: 30_000, interval: 2_000 })
      .toBe(0);
  });

  it("re-applies when a container comes back with another address, and the old one gets nothing", async () => {
    const user = `${network}-user-service-1`;
    const oldIp = await ipOf(user);
    // The supervisor would start it again at once, at its old address: frozen until it has moved.
    const supervisor = `${network}-supervisor`;
    await docker(["pause", supervisor]);
    await docker(["stop", "--time", "2", user]);
    // Take its address while it is down (the engine hands out the lowest free address), so that
    // it must come back with another one.
    await docker([
      "run",
      "--detach",
      "--name",
      `${name}-squatter`,
      ...labelArgs(testLabels()),
      "--network",
      network,
      image("node"),
      "node",
      "-e",
      "setInterval(() => {}, 1000)",
    ]);
    await docker(["start", user]);
    await docker(["unpause", supervisor]);
    const newIp = await ipOf(user);
    expect(await ipOf(`${name}-squatter`)).toBe(oldIp);
    expect(newIp).not.toBe(oldIp);
    // session-service -> user-service must work at the new address once the supervisor re-applied.
    await expect
      .poll(async () => (await testPolicy()).exitCode, { timeout: 30_000, interval: 2_000 })
      .toBe(0);
    const text = await tableText(table, await firewallRunner());
    // (nft 1.1, in the node-nft image, prints the protocol as its number.)
    expect(text).toMatch(new RegExp(`\\. ${newIp.replaceAll(".", "\\.")} \\. (tcp|6) \\. 8080`));

    // The squatter is no pod of the environment: nothing it opens gets through (the database's
    // two ports).
    const containers = await runningContainers(network);
    const squatter = containers.find((c) => c.name === `${name}-squatter`);
    const db = probePods(containers).find((p) => p.name === "azora-db-1");
    if (!squatter?.pid || !squatter.ip || !db) throw new Error("the squatter or the database is not running");
    const observed = await probePairs(
      [{ namespace: "azora", name: "squatter", podIP: squatter.ip, pid: squatter.pid }, db],
      () => false,
      nsenterProbe,
    );
    expect(observed.filter((o) => o.from === "azora/squatter").map((o) => o.outcome)).toEqual([
      "timeout",
      "timeout",
    ]);
  }, 90_000);

  it("removes the environment's table on down", async () => {
    await docker(["rm", "--force", `${name}-squatter`]);
    const down = await runScript("dev-down", ["--name", name], { env });
    expect(down.exitCode, down.all).toBe(0);
    expect(await listTables(await firewallRunner())).not.toContain(table);
  });
});
