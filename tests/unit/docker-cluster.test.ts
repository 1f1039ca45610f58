import { describe, expect, it } from "vitest";
import type { K8sObject } from "../../src/manifests/render.ts";
import { clusterContainers } from "../../src/runtimes/docker/cluster.ts";

const cluster = (spec: object): K8sObject =>
  ({ apiVersion: "postgresql.cnpg.io/v1", kind: "Cluster", metadata: { name: "db" }, spec }) as K8sObject;
const patroniEnv = (spec: object) => {
  const containers = clusterContainers(cluster(spec), {}, "postgres", {}, (logical) => logical);
  return containers.find((c) => c.image === "patroni" && c.replica === 1)?.env ?? {};
};

describe("a CloudNativePG Cluster of several instances as Patroni runs it", () => {
  it("maps synchronous replication: any -> quorum, first -> on, required -> strict; none -> off", () => {
    const settings = (synchronous?: object) => {
      const env = patroniEnv({ instances: 3, ...(synchronous ? { postgresql: { synchronous } } : {}) });
      return [
        env.PATRONI_DCS_SYNCHRONOUS_MODE,
        env.PATRONI_DCS_SYNCHRONOUS_NODE_COUNT,
        env.PATRONI_DCS_SYNCHRONOUS_MODE_STRICT,
      ];
    };
    expect(settings({ method: "any", number: 1, dataDurability: "required" })).toEqual([
      "quorum",
      "1",
      "true",
    ]);
    expect(settings({ method: "first", number: 2, dataDurability: "preferred" })).toEqual([
      "on",
      "2",
      "false",
    ]);
    expect(settings()).toEqual(["off", "1", "false"]);
  });

  it("takes its timings from failoverDelay and switchoverDelay, else the shortest lease Patroni allows", () => {
    const timings = (spec: object) => {
      const env = patroniEnv({ instances: 3, ...spec });
      return [
        env.PATRONI_DCS_TTL,
        env.PATRONI_DCS_LOOP_WAIT,
        env.PATRONI_DCS_RETRY_TIMEOUT,
        env.PATRONI_DCS_PRIMARY_STOP_TIMEOUT,
      ];
    };
    expect(timings({})).toEqual(["7", "1", "3", undefined]);
    expect(timings({ failoverDelay: 30, switchoverDelay: 60 })).toEqual(["30", "1", "3", "60"]);
    expect(timings({ failoverDelay: 2 })).toEqual(["7", "1", "3", undefined]);
  });

  it("runs 3 etcd members, N instances and one HAProxy per Service; one instance stays one container", () => {
    const names = clusterContainers(cluster({ instances: 3 }), {}, "postgres", {}, (l) => l).map(
      (c) => `${c.image} ${c.pod}`,
    );
    expect(names.sort()).toEqual([
      "etcd db-etcd-0",
      "etcd db-etcd-1",
      "etcd db-etcd-2",
      "haproxy db-r-1",
      "haproxy db-ro-1",
      "haproxy db-rw-1",
      "patroni db-1",
      "patroni db-2",
      "patroni db-3",
    ]);
    expect(
      clusterContainers(cluster({ instances: 1 }), {}, "postgres", {}, (l) => l).map((c) => c.image),
    ).toEqual(["postgres"]);
  });
});
