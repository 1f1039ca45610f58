import { mkdtempSync, readFileSync } from "node:fs";
import { createServer, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it, vi } from "vitest";
import type { ExperimentContext } from "../../src/chaos/experiment.ts";
import { EXPERIMENTS } from "../../src/chaos/experiments/index.ts";
import { journaled, undoLeftFaults } from "../../src/chaos/journal.ts";
import { Ledger, type Write } from "../../src/chaos/ledger.ts";
import { recovery, timeline } from "../../src/chaos/run.ts";
import { chooseExperiments, runChaosSuite } from "../../src/chaos/suite.ts";
import type { EnvironmentHandle, Faults, PodRef, Runtime } from "../../src/runtimes/runtime.ts";

const write = (at: number, acknowledged: boolean): Write => ({
  kind: "signup",
  key: `k${at}`,
  at,
  ms: 5,
  status: acknowledged ? 201 : 503,
  acknowledged,
});
/** Writes every 50 ms from `from` to `to`, failing where `failing(at)` says. */
const series = (from: number, to: number, failing: (at: number) => boolean) =>
  Array.from({ length: (to - from) / 50 }, (_, i) => write(from + i * 50, !failing(from + i * 50)));

describe("chaos: when the workload recovered", () => {
  it("is the first of 10 successes in a row after the fault's first failure", () => {
    const writes = series(0, 5_000, (at) => at >= 1_000 && at < 2_300);
    expect(recovery(writes, 1_000)).toBe(2_300);
  });

  it("is not reached while failures keep interrupting the successes", () => {
    // A failure every 400 ms after the fault: never 10 in a row (writes every 50 ms = 8 between).
    const writes = series(0, 5_000, (at) => at >= 1_000 && at % 400 === 0);
    expect(recovery(writes, 1_000)).toBeUndefined();
  });

  it("is the fault's own time when nothing failed, and unknown before 10 writes came after it", () => {
    expect(
      recovery(
        series(0, 3_000, () => false),
        1_000,
      ),
    ).toBe(1_000);
    expect(
      recovery(
        series(0, 1_200, () => false),
        1_000,
      ),
    ).toBeUndefined();
    // Writes are taken in the order they were sent, not the order they were answered.
    const shuffled = series(0, 3_000, (at) => at === 1_500).reverse();
    expect(recovery(shuffled, 1_000)).toBe(1_550);
  });

  it("counts acknowledged and failed writes per 100 ms", () => {
    expect(
      timeline([write(0, true), write(50, false), write(120, true), write(199, true), write(310, false)]),
    ).toEqual([
      { at: 0, ok: 1, failed: 1 },
      { at: 100, ok: 2, failed: 0 },
      { at: 300, ok: 0, failed: 1 },
    ]);
  });
});

describe("chaos: faults that last are journaled", () => {
  const calls: string[] = [];
  const fake: Faults = {
    kill: async (p) => void calls.push(`kill ${p}`),
    down: async (p) => void calls.push(`down ${p}`),
    up: async (p) => void calls.push(`up ${p}`),
    pause: async (p) => void calls.push(`pause ${p}`),
    resume: async (p) => void calls.push(`resume ${p}`),
    isolate: async (p) => void calls.push(`isolate ${p}`),
    reconnect: async (p) => void calls.push(`reconnect ${p}`),
    degrade: async (p, upstream, toxics) =>
      void calls.push(
        `degrade ${p} ${upstream.host}:${upstream.port} ${toxics.map((t) => t.type).join(",")}`,
      ),
    restore: async (p) => void calls.push(`restore ${p}`),
    restartEngine: async () => void calls.push("restart engine"),
    killNodeAgent: async () => void calls.push("kill agent"),
    nodeAgentRunning: async () => true,
    heal: async () => void calls.push("heal"),
  };

  it("records a pause or a cut before injecting it, strikes it when removed, and undoes what a crash left", async () => {
    vi.stubEnv("DEVSTACK_STATE_DIR", mkdtempSync(join(tmpdir(), "devstack-chaos-")));
    const journal = join(process.env.DEVSTACK_STATE_DIR ?? "", "chaos", "env1.json");
    const faults = journaled("env1", fake);
    await faults.pause("azora/user-service-1");
    await faults.isolate("azora/redis-0");
    await faults.down("azora/azora-db-2");
    await faults.degrade("azora/course-service-2", { host: "azora-db-rw", port: 5432 }, [
      { type: "reset_peer", afterMs: 0 },
    ]);
    // What the proxy needs reaches the runtime's fault untouched.
    expect(calls.at(-1)).toBe("degrade azora/course-service-2 azora-db-rw:5432 reset_peer");
    expect(JSON.parse(readFileSync(journal, "utf8"))).toEqual([
      { kind: "pause", pod: "azora/user-service-1" },
      { kind: "isolate", pod: "azora/redis-0" },
      { kind: "down", pod: "azora/azora-db-2" },
      { kind: "degrade", pod: "azora/course-service-2" },
    ]);
    await faults.resume("azora/user-service-1");
    expect(JSON.parse(readFileSync(journal, "utf8"))).toEqual([
      { kind: "isolate", pod: "azora/redis-0" },
      { kind: "down", pod: "azora/azora-db-2" },
      { kind: "degrade", pod: "azora/course-service-2" },
    ]);
    // The runner "crashes" here; the next run undoes what is left, then nothing is.
    calls.length = 0;
    expect(await undoLeftFaults("env1", fake)).toEqual([
      "isolate azora/redis-0",
      "down azora/azora-db-2",
      "degrade azora/course-service-2",
    ]);
    expect(calls).toEqual([
      "reconnect azora/redis-0",
      "up azora/azora-db-2",
      "restore azora/course-service-2",
    ]);
    expect(await undoLeftFaults("env1", fake)).toEqual([]);
    vi.unstubAllEnvs();
  });
});

describe("chaos: the experiments", () => {
  const pod = (workload: string, replica: number): PodRef => ({
    pod: `azora/${workload}-${replica}`,
    workload,
    replica,
    labels: {},
  });
  const services = ["user-service", "session-service", "course-service", "enrollment-service"];
  const nightly = services.flatMap((s) => [pod(s, 1), pod(s, 2)]);

  it("have unique names and say what the same fault is on Kubernetes", () => {
    expect(new Set(EXPERIMENTS.map((e) => e.name)).size).toBe(EXPERIMENTS.length);
    const onKubernetes = Object.fromEntries(
      EXPERIMENTS.map((e) => [e.name, e.kubernetes("azora-ns/some-pod-1").join(" ")]),
    );
    const deleted = "kubectl delete pod some-pod-1 --namespace azora-ns --grace-period=0 --force";
    const proxied = (toxic: string) =>
      [
        `sh -c kubectl debug some-pod-1 --namespace azora-ns --profile=netadmin --container=chaos-toxiproxy --image=ghcr.io/shopify/toxiproxy:2.5.0 --custom=<(echo '{"securityContext":{"runAsUser":7474}}') -- /toxiproxy -host=0.0.0.0`,
        "kubectl port-forward --namespace azora-ns pod/some-pod-1 8474:8474 &",
        `curl -sf localhost:8474/proxies -d '{"name":"upstream","listen":"127.0.0.1:15432","upstream":"azora-db-rw:5432"}'`,
        `curl -sf localhost:8474/proxies/upstream/toxics -d '${toxic}'`,
        "# on the pod's node, in its network namespace: nft 'add rule ip devstack_toxiproxy output meta skuid != 7474 ip daddr <azora-db-rw:5432> redirect to :15432'",
      ].join("\n");
    expect(onKubernetes).toEqual({
      "postgres-primary-killed": deleted,
      "postgres-primary-frozen": "kubectl exec some-pod-1 --namespace azora-ns -- kill -STOP 1",
      "postgres-primary-isolated": [
        "sh -c kubectl apply --namespace azora-ns -f - <<'EOF'",
        "apiVersion: projectcalico.org/v3",
        "kind: NetworkPolicy",
        "metadata: { name: chaos-isolate-some-pod-1 }",
        "spec:",
        "  order: 0",
        "  selector: cnpg.io/instanceName == 'some-pod-1'",
        "  types: [Ingress, Egress]",
        "  ingress: [{ action: Deny }]",
        "  egress: [{ action: Deny }]",
        "EOF",
      ].join("\n"),
      "postgres-slow": proxied(
        '{"name":"latency-0","type":"latency","stream":"downstream","toxicity":1,"attributes":{"latency":25000,"jitter":0}}',
      ),
      "postgres-connections-reset": proxied(
        '{"name":"reset_peer-0","type":"reset_peer","stream":"downstream","toxicity":1,"attributes":{"timeout":0}}',
      ),
      "redis-master-killed": deleted,
      "service-replica-killed": deleted,
      "service-errors-alerted": proxied(
        '{"name":"reset_peer-0","type":"reset_peer","stream":"downstream","toxicity":1,"attributes":{"timeout":0}}',
      ),
      "supervisor-killed": "systemctl kill --signal KILL kubelet # on each node (docker exec NODE, on Kind)",
      "engine-restarted": "systemctl restart docker # on the machine running the Kind nodes",
    });
  });

  it("Postgres: need several instances, as CloudNativePG labels them", () => {
    const killed = EXPERIMENTS.find((e) => e.name === "postgres-primary-killed");
    const instance = (n: number): PodRef => ({
      ...pod("azora-db", n),
      labels: { "cnpg.io/cluster": "azora-db", "cnpg.io/instanceName": `azora-db-${n}` },
    });
    expect(killed?.requires?.([instance(1), instance(2), instance(3)])).toBeUndefined();
    expect(killed?.requires?.([instance(1), pod("azora-db-etcd", 0), pod("azora-db-rw", 1)])).toBe(
      "needs a database of several instances (the nightly env has 3)",
    );
  });

  it("Redis: strike the master Sentinel names, and refuse a store without replicas or Sentinel", async () => {
    const redis = EXPERIMENTS.find((e) => e.name === "redis-master-killed");
    const store = [pod("redis", 0), pod("redis", 1), pod("redis", 2), pod("redis-sentinel", 0)];
    expect(redis?.requires?.(store)).toBeUndefined();
    expect(redis?.requires?.([pod("redis", 0), pod("redis-sentinel", 0)])).toMatch(
      /^needs several Redis pods/,
    );
    expect(redis?.requires?.(store.slice(0, 3))).toMatch(/^needs several Redis pods/);
    const execs: string[][] = [];
    const killed: string[] = [];
    const ctx = {
      pods: store,
      env: {
        exec: async (target: string, command: string[]) => {
          execs.push([target, ...command]);
          return "redis-1.redis\n6379\n";
        },
      },
      faults: { kill: async (target: string) => void killed.push(target) },
      ledger: { now: () => 5_000, sessionsIssuedBefore: () => ["a-session"] },
      log: () => {},
    } as unknown as ExperimentContext;
    await redis?.inject(ctx, []);
    expect(killed).toEqual(["azora/redis-1"]);
    expect(execs[0]?.[0]).toBe("azora/redis-sentinel-0");
    expect(execs[0]?.at(-1)).toMatch(/sentinel get-master-addr-by-name azora-sessions$/);
  });

  it("strike one replica of each service, and refuse an environment with one replica", () => {
    const killed = EXPERIMENTS.find((e) => e.name === "service-replica-killed");
    expect(killed?.targets(nightly)).toEqual(services.map((s) => `azora/${s}-1`));
    expect(killed?.requires?.(nightly)).toBeUndefined();
    expect(killed?.requires?.(services.map((s) => pod(s, 1)))).toBe(
      "needs 2 or more replicas of user-service, session-service, course-service, enrollment-service (the nightly env has them)",
    );
  });

  it("strike user-service's database connections for the alert experiment, only where Prometheus runs", () => {
    const alerted = EXPERIMENTS.find((e) => e.name === "service-errors-alerted");
    const monitored = [...nightly, pod("prometheus", 1)];
    expect(alerted?.requires?.(monitored)).toBeUndefined();
    expect(alerted?.targets(monitored)).toEqual(["azora/user-service-1", "azora/user-service-2"]);
    expect(alerted?.requires?.(nightly)).toBe("needs the monitoring component (dev:up --with monitoring)");
    expect(alerted?.requires?.([pod("prometheus", 1)])).toBe("needs a user-service pod");
  });

  it("run every experiment but a disruptive one unless named; an unknown name lists the known ones", () => {
    const all = chooseExperiments(undefined).map((e) => e.name);
    expect(all).not.toContain("engine-restarted");
    expect(all).toHaveLength(EXPERIMENTS.length - 1);
    expect(chooseExperiments(["engine-restarted", "postgres-slow"]).map((e) => e.name)).toEqual([
      "engine-restarted",
      "postgres-slow",
    ]);
    expect(() => chooseExperiments(["postgres-kiled"])).toThrow(/unknown experiment 'postgres-kiled'/);
    expect(() => chooseExperiments(["nope"])).toThrow(
      expect.objectContaining({
        hint: expect.stringMatching(/^known experiments: postgres-primary-killed, postgres-primary-frozen, /),
      }),
    );
  });

  it("refuse, before anything runs, an environment that cannot host every experiment chosen", async () => {
    const env = {
      name: "dev",
      pods: async () => services.map((s) => pod(s, 1)),
    } as unknown as EnvironmentHandle;
    await expect(
      runChaosSuite(chooseExperiments(["supervisor-killed", "service-replica-killed"]), 1, {
        env,
        runtime: {} as Runtime,
        rate: 20,
        log: () => {},
      }),
    ).rejects.toThrow(
      "environment 'dev' cannot host every experiment chosen:\n  service-replica-killed: needs 2 or more replicas",
    );
  });
});

describe("chaos: the ledger's settled writes", () => {
  it("are those sent before the oldest write still waiting for its answer", async () => {
    let n = 0;
    let held: ServerResponse | undefined;
    const server = createServer((_request, response) => {
      n++;
      if (n === 2) {
        held = response; // the second write waits for its answer
        return;
      }
      response.writeHead(201, { "content-type": "application/json" });
      response.end(JSON.stringify({ id: `user-${n}`, token: `token-${n}` }));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    const ledger = new Ledger({ gateway: `http://127.0.0.1:${port}`, rate: 50, courseId: "course-1" });
    try {
      ledger.start();
      await expect.poll(() => ledger.writes.length, { timeout: 5_000 }).toBeGreaterThanOrEqual(6);
      // Answered after it, but not settled: the second may still come back failed before them.
      expect(ledger.settled()).toEqual([ledger.writes[0]]);
      held?.writeHead(503, { "content-type": "application/json" }).end("{}");
      await expect.poll(() => ledger.settled().length, { timeout: 5_000 }).toBeGreaterThanOrEqual(6);
      expect(ledger.settled().filter((w) => w.status === 503)).toHaveLength(1);
    } finally {
      await ledger.stop();
      server.close();
    }
  });
});
