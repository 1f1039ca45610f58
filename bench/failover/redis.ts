// The session store's failover, measured on a running environment with 3 Redis and 3 Sentinels
// (nightly): logins (POST /sessions) every 100 ms through the gateway (or `url`: a session-service
// base URL without the gateway's /api prefix), then, N times, the Redis master killed (SIGKILL)
// under that stream. For each kill: seconds from the kill until logins succeed again (the first
// login sent after the kill from which on none failed), whether a session made more than 1 s
// before the kill still validates afterwards (GET /sessions/current), which replica Sentinel
// promoted, and how long until the killed pod was back as a replica with its link up (the
// supervisor restarts it, with the kubelet's back-off when it was killed before). Through the
// gateway a second stream goes straight to session-service's first pod, to tell the session
// store's outage apart from what the gateway adds. `spaced` kills a pod again only once it ran
// 10 minutes (see below).
import { setTimeout as sleep } from "node:timers/promises";
import { docker } from "../../src/docker/cli.ts";
import { LOAD_BALANCER_PREFIX } from "../../src/env/endpoints.ts";
import { UserError } from "../../src/errors.ts";
import type { EnvironmentHandle } from "../../src/runtimes/runtime.ts";

interface Attempt {
  sentAt: number;
  ok: boolean;
  status: number | string;
}

export interface RedisFailoverOptions {
  kills: number;
  spaced: boolean;
  url?: string;
  email: string;
  password: string;
}

/** Seconds until logins succeeded again after each kill (and straight to session-service-1). */
export async function measureRedisFailover(
  handle: EnvironmentHandle,
  values: RedisFailoverOptions,
): Promise<{ outages: number[]; directOutages: number[] }> {
  const { name, kills } = { name: handle.name, kills: values.kills };
  const gateway = Object.entries(handle.endpoints).find(([k]) => k.startsWith(LOAD_BALANCER_PREFIX))?.[1];
  const base = values.url ?? (gateway ? `${gateway}/api` : undefined);
  if (!base) throw new UserError(`environment '${name}' has no gateway: pass --url`);
  const credentials = JSON.stringify({ email: values.email, password: values.password });

  // Through the gateway, a second stream goes straight to session-service's first pod: it tells
  // the session store's outage apart from what the gateway adds (its circuit breakers).
  const direct = gateway && !values.url ? handle.endpoints["session-service"] : undefined;
  const login = async (at = base): Promise<{ status: number | string; token?: string }> => {
    try {
      const response = await fetch(`${at}/sessions`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: credentials,
        signal: AbortSignal.timeout(5_000),
      });
      const body = (await response.json()) as { token?: string };
      return { status: response.status, token: body.token };
    } catch (error) {
      return { status: (error as Error).name };
    }
  };
  const validates = async (token: string) =>
    (
      await fetch(`${base}/sessions/current`, {
        headers: { authorization: `Bearer ${token}` },
        signal: AbortSignal.timeout(5_000),
      })
    ).status;

  // When the runtime started a pod again: the Docker container's own record.
  const container = (pod: string) => `azora-${name}-${pod}`;
  const replication = async (pod: string) => {
    const out = await handle
      .exec(`azora/${pod}`, ["sh", "-c", 'redis-cli --no-auth-warning -a "$REDIS_PASSWORD" info replication'])
      .catch(() => "");
    return {
      role: /^role:(\w+)/m.exec(out)?.[1],
      linkUp: /^master_link_status:up/m.test(out),
      master: /^master_host:(\S+)/m.exec(out)?.[1],
    };
  };
  const redisPods = (await handle.pods())
    .filter((p) => p.workload === "redis")
    .map((p) => p.pod.slice(p.pod.indexOf("/") + 1))
    .sort();
  if (redisPods.length < 2)
    throw new UserError(
      `environment '${name}' runs ${redisPods.length} Redis pod(s): failover needs replicas`,
    );
  const settled = async () => {
    // Every pod up: one master, the others replicas with their link up.
    for (const deadline = Date.now() + 120_000; Date.now() < deadline; await sleep(500)) {
      const states = await Promise.all(redisPods.map(replication));
      if (
        states.filter((s) => s.role === "master").length === 1 &&
        states.every((s) => s.role === "master" || s.linkUp)
      )
        return redisPods[states.findIndex((s) => s.role === "master")] ?? "";
    }
    throw new UserError("the Redis pods did not settle (one master, replicas linked) within 120 s");
  };

  console.log(
    `failover of the session store of '${name}': logins every 100 ms at ${base}/sessions, ${kills} kill(s) of the master`,
  );
  const outages: number[] = [];
  const directOutages: number[] = [];
  let lastSwitch = 0;
  const killed = new Set<string>();
  for (let k = 1; k <= kills; k++) {
    let master = await settled();
    // Sentinel starts no new failover of a master within twice its failover-timeout (5 s) of the last.
    await sleep(Math.max(0, lastSwitch + 11_000 - performance.now()));
    // --spaced: a pod killed before is killed again only once it ran 10 minutes, so that the runtime
    // restarts it at once, as the kubelet does, instead of after its crash-loop back-off (during
    // which, on Docker, its DNS name does not exist; README, "Redis for sessions").
    while (values.spaced && killed.has(master)) {
      const started = Date.parse(
        await docker(["inspect", "--format", "{{.State.StartedAt}}", container(master)]),
      );
      const wait = started + 605_000 - Date.now();
      if (wait <= 0) break;
      console.log(
        `  (--spaced: ${master}, killed before, runs 10 minutes first: waiting ${(wait / 1000).toFixed(0)} s)`,
      );
      await sleep(wait);
      master = await settled();
    }
    killed.add(master);
    const old = await login();
    if (!old.token) throw new UserError(`a login before the kill failed (${old.status})`);
    await sleep(1_500);
    let streaming = true;
    const inflight: Promise<void>[] = [];
    const stream = (at: string) => {
      const attempts: Attempt[] = [];
      const done = (async () => {
        while (streaming) {
          const sentAt = performance.now();
          inflight.push(
            login(at).then((r) => {
              attempts.push({ sentAt, ok: r.status === 201, status: r.status });
            }),
          );
          await sleep(100);
        }
      })();
      return { attempts, done };
    };
    /** The logins sent after the kill, and the first of them from which on none failed. */
    const afterKill = (attempts: Attempt[]) => {
      const after = attempts.filter((a) => a.sentAt > killedAt).sort((a, b) => a.sentAt - b.sentAt);
      return { after, recovered: after[after.findLastIndex((a) => !a.ok) + 1] };
    };
    const streams = [stream(base), ...(direct ? [stream(direct)] : [])];
    const main = streams[0]?.attempts ?? [];
    await sleep(1_000);
    const killedAt = performance.now();
    await handle.faults.kill(`azora/${master}`);
    // Until logins have succeeded for 3 s in a row after the kill on every stream (at most 90 s).
    const steady = (attempts: Attempt[]) => {
      const { after, recovered } = afterKill(attempts);
      return !!recovered && (after.at(-1)?.sentAt ?? 0) - recovered.sentAt >= 3_000;
    };
    for (const deadline = killedAt + 90_000; performance.now() < deadline; await sleep(200))
      if (streams.every((st) => steady(st.attempts))) break;
    streaming = false;
    await Promise.all(streams.map((st) => st.done));
    await Promise.all(inflight);
    const { after, recovered } = afterKill(main);
    if (!recovered) throw new UserError(`kill ${k}: logins did not succeed again within 90 s`);
    const outage = (recovered.sentAt - killedAt) / 1000;
    lastSwitch = recovered.sentAt;
    outages.push(outage);
    const failures = after.filter((a) => !a.ok);
    const statuses = [...new Set(failures.map((a) => String(a.status)))].join(", ") || "none";
    const straight = streams[1] ? afterKill(streams[1].attempts).recovered : undefined;
    const directNote = streams[1]
      ? ` (straight to session-service-1: ${straight ? `${((straight.sentAt - killedAt) / 1000).toFixed(1)} s` : "not within 90 s"})`
      : "";
    if (straight) directOutages.push((straight.sentAt - killedAt) / 1000);
    const oldStatus = await validates(old.token);
    const promoted = (await Promise.all(redisPods.map(async (p) => [p, await replication(p)] as const))).find(
      ([p, s]) => p !== master && s.role === "master",
    )?.[0];
    // Back as a replica of the new master; or, when no replica was promoted, as the master again.
    const backFrom = performance.now();
    let back = Number.NaN;
    let backAs = "a replica, link up,";
    for (const deadline = backFrom + 120_000; performance.now() < deadline; await sleep(250)) {
      const s = await replication(master);
      if ((promoted && s.role === "slave" && s.linkUp) || (!promoted && s.role === "master")) {
        back = (performance.now() - killedAt) / 1000;
        if (!promoted) backAs = "the master again";
        break;
      }
    }
    // When the supervisor started it again: at once, or after the kubelet's back-off.
    const startedAt = Date.parse(
      await docker(["inspect", "--format", "{{.State.StartedAt}}", container(master)]),
    );
    const restartedAfter = (startedAt - (Date.now() - (performance.now() - killedAt))) / 1000;
    console.log(
      `kill ${k}: ${master} (master) killed, restarted by the runtime ${restartedAfter.toFixed(1)} s later; logins succeed again after ${outage.toFixed(1)} s (${failures.length} failed: ${statuses})${directNote}; ` +
        `${promoted ?? "no pod"} promoted; the older session -> ${oldStatus}; ` +
        `${master} back as ${backAs} ${Number.isNaN(back) ? "not within 120 s" : `${back.toFixed(1)} s after the kill`}`,
    );
    if (oldStatus !== 200)
      throw new UserError(`kill ${k}: a session made before the kill no longer validates (${oldStatus})`);
  }
  return { outages, directOutages };
}
