import { setTimeout as sleep } from "node:timers/promises";
import pg from "pg";
import { describe, expect, it, vi } from "vitest";
import { docker } from "../../src/docker/cli.ts";
import { dockerRuntime } from "../../src/runtimes/docker/runtime.ts";
import type { EnvironmentHandle } from "../../src/runtimes/runtime.ts";
import { runScript } from "../support/cli.ts";
import { NIGHTLY_DATABASE_PATCHES, overlayEnvironment } from "../support/environment.ts";

// The database as nightly runs it, live: the `Cluster` with 3 instances and one synchronous
// standby required (Patroni, etcd, HAProxy for -rw/-ro/-r), with user-service writing to it and
// the policies, nothing else.
const { name, env, up } = overlayEnvironment("pg-ha", {
  files: ["namespace", "config", "secrets", "postgres", "user-service", "network-policies"],
  patches: NIGHTLY_DATABASE_PATCHES,
});

/** One statement through an endpoint (`postgres`, `postgres-ro`, `postgres-r`), on a new connection. */
async function sql(url: string | undefined, text: string): Promise<Record<string, unknown>> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3_000 });
  await client.connect();
  try {
    return (await client.query(text)).rows[0] ?? {};
  } finally {
    await client.end();
  }
}

describe("PostgreSQL as nightly runs it: 3 instances under Patroni", () => {
  let handle: EnvironmentHandle;
  const primary = async () => (await handle.database.members()).find((m) => m.role === "primary");
  const addressOf = async (member: string) =>
    docker([
      "inspect",
      "--format",
      `{{(index .NetworkSettings.Networks "azora-${name}").IPAddress}}`,
      `azora-${name}-${member}`,
    ]);
  const signUp = async (i: number) => {
    try {
      const response = await fetch(`${handle.endpoints["user-service"]}/users`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          email: `ha${i}@example.org`,
          password: "a-long-password-1",
          displayName: "HA",
        }),
        signal: AbortSignal.timeout(10_000),
      });
      return response.status;
    } catch (error) {
      return (error as Error).name;
    }
  };

  it("comes up with one primary and two streaming replicas behind -rw, -ro and -r, one of them synchronous", async () => {
    const result = await up();
    expect(result.exitCode, result.all).toBe(0);
    vi.stubEnv("DEVSTACK_STATE_DIR", env.DEVSTACK_STATE_DIR);
    handle = await dockerRuntime.open(name);
    vi.unstubAllEnvs();

    // The whole settled shape, not a part of it: a replica may still be starting, or not yet in
    // the quorum, for some seconds after dev:up returns (a busy 2-core machine saw one of them so).
    await expect
      .poll(
        async () =>
          (await handle.database.members()).map((m) => `${m.role} ${m.state} ${m.sync ?? "-"}`).sort(),
        { timeout: 60_000, interval: 1_000 },
      )
      .toEqual(["primary running -", "replica streaming quorum", "replica streaming quorum"]);
    const members = await handle.database.members();

    expect(await sql(handle.endpoints.postgres, "SELECT pg_is_in_recovery() AS r")).toEqual({ r: false });
    expect(await sql(handle.endpoints["postgres-ro"], "SELECT pg_is_in_recovery() AS r")).toEqual({
      r: true,
    });
    // dataDurability: required, method any, number 1 -> Patroni's strict quorum mode.
    expect(
      (await sql(handle.endpoints.postgres, "SELECT current_setting('synchronous_standby_names') AS s")).s,
    ).toMatch(/^ANY 1 \(/);
    expect(
      await sql(handle.endpoints.postgres, "SELECT extversion FROM pg_extension WHERE extname = 'vector'"),
    ).toEqual({
      extversion: expect.any(String),
    });
    expect(await signUp(0)).toBe(201);

    // db:status as Patroni sees it: strict quorum over both replicas (ANY 1 of the two).
    const status = await runScript("db", ["status", "--name", name], { env });
    expect(status.exitCode, status.all).toBe(0);
    expect(status.stdout).toMatch(/^MEMBER\s+ROLE\s+STATE\s+TIMELINE\s+LAG \(MB\)\s+SYNC$/m);
    expect(status.stdout.match(/^\S+\s+replica\s+streaming\s+1\s+\d+\s+quorum$/gm)).toHaveLength(2);
    expect(status.stdout).toMatch(/^\S+\s+primary\s+running\s+1\s+0\s+-$/m);

    // Each instance's exporter (the operator's PodMonitor scrapes it): in recovery on the replicas only.
    const inRecovery = async (pod: string) => {
      const metrics = await handle.exec(pod, [
        "python3",
        "-c",
        "import urllib.request; print(urllib.request.urlopen('http://127.0.0.1:9187/metrics', timeout=5).read().decode())",
      ]);
      return /^cnpg_pg_replication_in_recovery(?:\{[^}]*\})? (\d+)/m.exec(metrics)?.[1];
    };
    await expect
      .poll(
        async () =>
          Promise.all(members.map(async (m) => `${m.role} ${await inRecovery(m.pod).catch(() => "none")}`)),
        {
          timeout: 30_000,
          interval: 1_000,
        },
      )
      .toEqual(members.map((m) => (m.role === "primary" ? "primary 0" : "replica 1")));
  });

  /** `db switchover|failover --to` a replica: it is the primary, read back, and -rw leads to it. */
  const changePrimary = async (operation: "switchover" | "failover", said: string) => {
    const before = await primary();
    const to = (await handle.database.members()).find((m) => m.role === "replica")?.name ?? "";
    const result = await runScript("db", [operation, "--to", to, "--name", name], { env });
    expect(result.exitCode, result.all).toBe(0);
    expect(result.stdout).toMatch(new RegExp(`${said}: ${to} is the primary`));
    expect(result.stdout).toMatch(new RegExp(`\\n${to}\\s+primary\\s+running`));
    expect((await primary())?.name).toBe(to);
    expect(before?.name).not.toBe(to);
    // HAProxy follows Patroni's checks within a second or two.
    const address = await addressOf(to);
    await expect
      .poll(() => sql(handle.endpoints.postgres, "SELECT host(inet_server_addr()) AS a").catch(() => ({})), {
        timeout: 10_000,
      })
      .toEqual({ a: address });
  };

  it("db:switchover moves -rw to the member asked for and shows it", async () => {
    await changePrimary("switchover", "switched over");
    expect(await signUp(1)).toBe(201);
  });

  it("db:failover promotes the member asked for, as the cnpg plugin's promote, and -rw follows", async () => {
    await changePrimary("failover", "failed over");
    expect(await signUp(2)).toBe(201);
    // The old primary follows it again (for the next test, which kills a primary).
    await expect
      .poll(
        async () =>
          (await handle.database.members()).filter((m) => m.role === "replica" && m.state === "streaming")
            .length,
        { timeout: 60_000, interval: 1_000 },
      )
      .toBe(2);
  });

  it("replaces a primary whose node died (SIGKILLed, kept down): user-service writes again without a restart and never answers 500; back, the old primary rejoins as a replica", async () => {
    const killed = await primary();
    expect(killed).toBeDefined();
    const statuses: (number | string)[] = [];
    const killedAt = performance.now();
    // Kept down: started again at once (as the kubelet does after a crash), it would find its lease
    // still valid and simply stay the primary.
    await handle.faults.down(killed?.pod ?? "");
    let i = 100;
    let status: number | string = 0;
    while (status !== 201 && performance.now() - killedAt < 30_000) {
      status = await signUp(i++);
      statuses.push(status);
      if (status !== 201) await sleep(200);
    }
    expect(status, statuses.join(" ")).toBe(201);
    // Failures meanwhile are the service's 503 (dependency unavailable), never a 500.
    expect(statuses.filter((s) => s !== 201 && s !== 503)).toEqual([]);
    console.log(
      `pg-ha: user-service writes again ${((performance.now() - killedAt) / 1000).toFixed(1)} s after the primary was killed`,
    );
    const now = await primary();
    expect(now?.name).not.toBe(killed?.name);
    expect(now?.timeline).toBeGreaterThan(killed?.timeline ?? 0);
    // Its node back: Patroni rewinds it and it follows the new primary.
    await handle.faults.up(killed?.pod ?? "");
    await expect
      .poll(async () => (await handle.database.members()).find((m) => m.name === killed?.name), {
        timeout: 90_000,
        interval: 1_000,
      })
      .toMatchObject({ role: "replica", state: "streaming", timeline: now?.timeline });
  });
});
