import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it, vi } from "vitest";
import { docker } from "../../src/docker/cli.ts";
import { dockerRuntime } from "../../src/runtimes/docker/runtime.ts";
import { runScript } from "../support/cli.ts";
import { overlayEnvironment } from "../support/environment.ts";

// The session store's failover, live: 3 Redis pods and 3 Sentinels as kind/base has them (and
// nightly runs them), with what a login needs (session-service, user-service, the database) and the
// policies, nothing else: an overlay of its own in a copy of kind/, so the test stays cheap.
const {
  name,
  env,
  up: upEnvironment,
} = overlayEnvironment("redis-ha", {
  files: [
    ...["namespace", "config", "secrets", "postgres", "redis", "redis-sentinel"],
    ...["user-service", "session-service", "network-policies"],
  ],
});
const container = (pod: string) => `azora-${name}-${pod}`;
const REDIS = ["redis-0", "redis-1", "redis-2"];
const SENTINELS = ["redis-sentinel-0", "redis-sentinel-1", "redis-sentinel-2"];

/** redis-cli in a pod, with the pod's own password. */
const cli = (pod: string, args: string) =>
  docker(["exec", container(pod), "sh", "-c", `redis-cli --no-auth-warning -a "$REDIS_PASSWORD" ${args}`], {
    reject: false,
  }).catch(() => "");
const replication = async (pod: string) => {
  const info = await cli(pod, "info replication");
  return {
    role: /^role:(\w+)/m.exec(info)?.[1],
    linkUp: /^master_link_status:up/m.test(info),
    master: /^master_host:(\S+)/m.exec(info)?.[1],
  };
};
/** The master as each Sentinel names it. */
const sentinelsSay = () =>
  Promise.all(
    SENTINELS.map(
      async (s) =>
        (await cli(s, "-p 26379 --raw sentinel get-master-addr-by-name azora-sessions")).split("\n")[0],
    ),
  );

/** A failed check, with session-service's recent log attached: which master its client followed, and when. */
const withSessionLog = <T>(check: Promise<T>) =>
  check.catch(async (error: Error) => {
    const log = await runScript("dev-logs", ["session-service", "--name", name, "--tail", "40"], { env });
    error.message += `\nsession-service's log:\n${log.all}`;
    throw error;
  });

describe("Redis for sessions: 3 Redis + 3 Sentinels", () => {
  let users = "";
  let sessions = "";
  const credentials = { email: "failover@example.org", password: "a-long-password-1" };
  const login = async () => {
    try {
      const response = await fetch(`${sessions}/sessions`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(credentials),
        signal: AbortSignal.timeout(3_000),
      });
      return { status: response.status, body: (await response.json()) as { token?: string } };
    } catch {
      return { status: 0, body: {} };
    }
  };

  it("comes up: redis-0 the master, two replicas linked to it, three Sentinels agreeing", async () => {
    const up = await upEnvironment();
    expect(up.exitCode, up.all).toBe(0);
    // A StatefulSet's pods start in order, each once the one before is ready.
    expect(up.stdout).toMatch(
      /redis-0: ready[\s\S]*redis-1: started[\s\S]*redis-1: ready[\s\S]*redis-2: started/,
    );
    users = /user-service\s+(http:\/\/127\.0\.0\.1:\d+)/.exec(up.stdout)?.[1] ?? "";
    sessions = /session-service\s+(http:\/\/127\.0\.0\.1:\d+)/.exec(up.stdout)?.[1] ?? "";

    expect(await replication("redis-0")).toMatchObject({ role: "master" });
    for (const replica of ["redis-1", "redis-2"])
      expect(await replication(replica)).toEqual({ role: "slave", linkUp: true, master: "redis-0.redis" });
    await expect.poll(sentinelsSay, { timeout: 20_000 }).toEqual(SENTINELS.map(() => "redis-0.redis"));
    // Each Sentinel found the two others (through the master's hello channel) and both replicas.
    await expect
      .poll(() => cli("redis-sentinel-0", "-p 26379 sentinel ckquorum azora-sessions"), { timeout: 20_000 })
      .toMatch(/^OK 3 usable Sentinels/);
    // Replicas are learnt from the master's INFO, which a Sentinel reads every 10 s.
    await expect
      .poll(
        async () => {
          const fields = (
            await cli("redis-sentinel-0", "-p 26379 --raw sentinel master azora-sessions")
          ).split("\n");
          const field = (name: string) => fields[fields.indexOf(name) + 1];
          return [field("num-slaves"), field("num-other-sentinels"), field("quorum")];
        },
        { timeout: 25_000 },
      )
      .toEqual(["2", "2", "2"]);

    const created = await fetch(`${users}/users`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ ...credentials, displayName: "Failover" }),
    });
    expect(created.status).toBe(201);
    expect((await login()).status).toBe(201);
  });

  it("promotes a replica when the master is killed: logins work again within 15 s, older sessions still validate, the old master returns as a replica", async () => {
    const old = await login();
    expect(old.status).toBe(201);
    await sleep(1_100); // replicated long since

    vi.stubEnv("DEVSTACK_STATE_DIR", env.DEVSTACK_STATE_DIR);
    const handle = await dockerRuntime.open(name);
    vi.unstubAllEnvs();
    const killedAt = performance.now();
    await handle.faults.kill("azora/redis-0");
    let back = await login();
    while (back.status !== 201 && performance.now() - killedAt < 15_000) {
      await sleep(100);
      back = await login();
    }
    await withSessionLog(Promise.resolve().then(() => expect(back.status).toBe(201)));
    const seconds = (performance.now() - killedAt) / 1000;
    expect(seconds).toBeLessThan(15);
    console.log(`redis-ha: logins work again ${seconds.toFixed(1)} s after the master was killed`);

    // Logins follow the Sentinel that led the failover; the others learn of it from the new
    // master's hello messages (about 2 s later), so wait for all three to agree.
    await expect
      .poll(async () => new Set(await sentinelsSay()), { timeout: 10_000, interval: 250 })
      .toSatisfy((named: Set<string>) => named.size === 1 && !named.has("redis-0.redis"));
    const promoted = (await sentinelsSay())[0];
    expect(["redis-1.redis", "redis-2.redis"]).toContain(promoted);
    expect(await replication(promoted?.split(".")[0] ?? "")).toMatchObject({ role: "master" });
    // Still valid (200, not 401). While session-service's client follows Sentinel to the new
    // master a request may meet a 503 (unavailable, not lost): asked again then.
    const current = () =>
      fetch(`${sessions}/sessions/current`, { headers: { authorization: `Bearer ${old.body.token}` } }).then(
        (r) => r.status,
      );
    await expect.poll(current, { timeout: 10_000, interval: 200 }).not.toBe(503);
    expect(await current()).toBe(200);

    // The runtime starts the killed pod again at once, like a kubelet; it may return before the
    // Sentinels agree (then it starts as the master they still name and they demote it) or after
    // (then start.sh follows the new master itself; the next test holds it down to see that path).
    await expect
      .poll(() => replication("redis-0"), { timeout: 60_000, interval: 500 })
      .toEqual({ role: "slave", linkUp: true, master: promoted });
    // The other replica follows the new master too.
    const other = REDIS.find((p) => p !== "redis-0" && `${p}.redis` !== promoted) ?? "";
    await expect
      .poll(() => replication(other), { timeout: 30_000 })
      .toEqual({
        role: "slave",
        linkUp: true,
        master: promoted,
      });
  });
  it("answers a downed master's name at once (it does not exist), so the Sentinels fail over without stalling", async () => {
    vi.stubEnv("DEVSTACK_STATE_DIR", env.DEVSTACK_STATE_DIR);
    const handle = await dockerRuntime.open(name);
    vi.unstubAllEnvs();
    const master = (await sentinelsSay())[0] ?? "";
    const pod = master.split(".")[0] ?? "";
    expect(REDIS).toContain(pod);
    const since = new Date().toISOString();
    // Its node gone: the container stays down (not restarted at once, as a crash would be).
    await handle.faults.down(`azora/${pod}`);
    // Docker no longer knows the name; the supervisor says so at once (not after 2 s of silence).
    const lookup = await docker([
      "exec",
      container("redis-sentinel-0"),
      "sh",
      "-c",
      `a=$(date +%s%N); getent hosts ${master}; echo "exit $? after $(( ($(date +%s%N) - a) / 1000000 )) ms"`,
    ]);
    expect(lookup).toMatch(/^exit 2 after \d+ ms$/);
    expect(Number(/after (\d+) ms/.exec(lookup)?.[1])).toBeLessThan(500);
    await expect
      .poll(async () => (await sentinelsSay()).every((m) => m !== master && m !== ""), { timeout: 20_000 })
      .toBe(true);
    await withSessionLog(
      expect.poll(async () => (await login()).status, { timeout: 15_000, interval: 200 }).toBe(201),
    );
    for (const sentinel of SENTINELS)
      expect(await docker(["logs", "--since", since, container(sentinel)], { all: true })).not.toMatch(
        /\+tilt/,
      );

    // Back after the failover: start.sh asks the Sentinels and starts as a replica of the new master.
    const returned = new Date().toISOString();
    await handle.faults.up(`azora/${pod}`);
    const promoted = (await sentinelsSay())[0];
    await expect
      .poll(() => replication(pod), { timeout: 60_000, interval: 500 })
      .toEqual({ role: "slave", linkUp: true, master: promoted });
    expect(await docker(["logs", "--since", returned, container(pod)], { all: true })).toMatch(
      new RegExp(`start.sh: starting as a replica of ${promoted?.replaceAll(".", "\\.")}`),
    );
  });
});
