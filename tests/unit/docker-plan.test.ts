import { describe, expect, it } from "vitest";
import { loadEnvFile } from "../../src/config/env-file.ts";
import { dockerRuntime } from "../../src/runtimes/docker/runtime.ts";

// `dev:up --dry-run` on Docker: the actions in order and what each would do; nothing starts.
describe("the Docker runtime's plan", () => {
  it("puts policies before any container, every pod in one start, the seed before readiness", async () => {
    const plan = await dockerRuntime.dryRun({ name: "plan-dev", envFile: loadEnvFile("dev") });
    expect(plan.map((p) => p.action)).toEqual([
      "leftovers",
      "state",
      "images",
      "network",
      "network policies",
      "containers",
      "database",
      "migrations",
      "seed",
      "readiness",
      "supervisor",
      "ready",
    ]);
    const does = (action: string) => plan.find((p) => p.action === action)?.does ?? [];
    expect(does("network")).toEqual([
      "docker network create --label ... --subnet <free /16 outside 192.168.0.0/16, 10.96.0.0/16> azora-plan-dev",
    ]);
    expect(does("network policies")).toEqual([
      "nft -f: table inet devstack_plan_dev on the bridge of azora-plan-dev, from 12 NetworkPolicies",
    ]);
    expect(does("containers")[0]).toBe(
      "docker create+start azora-plan-dev-azora-db-1: image postgres, network azora-plan-dev (aliases azora-db-rw, azora-db-ro, azora-db-r), ports 127.0.0.1::5432, 127.0.0.1::9187, files /docker-entrypoint-initdb.d/10-post-init-application.sql, volumes azora-plan-dev-azora-db-1-data at /var/lib/postgresql/data",
    );
    expect(does("containers").find((line) => line.includes("tyk-gateway-1:"))).toBe(
      "docker create+start azora-plan-dev-tyk-gateway-1: image tyk, network azora-plan-dev (aliases tyk-gateway), ports 127.0.0.1::8080, 127.0.0.1::9696, files /opt/tyk-gateway/tyk.conf, /opt/tyk-gateway/policies/policies.json, volumes azora-plan-dev-tyk-gateway-1-emptydir-apps at /opt/tyk-gateway/apps, once the database's containers have started, after init containers render-apis (image node)",
    );
    // The database, the session store's one Redis and one Sentinel, Tyk's Redis, the gateway and
    // the four services.
    expect(does("containers")).toHaveLength(9);
    expect(does("containers").find((line) => line.includes("redis-sentinel-0:"))).toBe(
      "docker create+start azora-plan-dev-redis-sentinel-0: image redis, network azora-plan-dev (aliases redis-sentinel, redis-sentinel-headless, redis-sentinel-0.redis-sentinel-headless, redis-sentinel-0.redis-sentinel-headless.azora.svc.cluster.local), ports 127.0.0.1::26379, volumes azora-plan-dev-redis-sentinel-0-emptydir-sentinel at /sentinel, once the database's containers have started, after init containers render-config (image redis)",
    );
    expect(does("seed")).toEqual(["load the small seed 42 (skipped if loaded)"]);
    expect(does("readiness")).toContain("user-service: GET :8080/readyz = 200");
  });

  it("runs each replica of nightly as its own container", async () => {
    const plan = await dockerRuntime.dryRun({ name: "plan-nightly", envFile: loadEnvFile("nightly") });
    const containers = plan.find((p) => p.action === "containers")?.does ?? [];
    expect(containers.filter((line) => /azora-plan-nightly-user-service-[12]:/.test(line))).toHaveLength(2);
    // 2 replicas of each of the 4 services and the gateway (10), Tyk's Redis (1), the session
    // store's 3 Redis and 3 Sentinels (6), and the 3-instance database as 3 Patroni, 3 etcd and
    // 3 HAProxy containers (9).
    expect(containers).toHaveLength(26);
    expect(containers.filter((line) => /azora-plan-nightly-redis-\d:/.test(line))).toHaveLength(3);
    expect(containers.find((line) => line.includes("redis-2:"))).toMatch(/, once redis-1 is ready$/);
    expect(plan.find((p) => p.action === "seed")?.does).toEqual([
      "load the large seed 42 (skipped if loaded)",
    ]);
  });
});
