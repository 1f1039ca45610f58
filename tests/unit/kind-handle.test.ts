import { describe, expect, it } from "vitest";
import { cnpgMembers } from "../../src/runtimes/kind/database.ts";
import { type KindPod, podParts, podRefs } from "../../src/runtimes/kind/pods.ts";

const pod = (
  name: string,
  labels: Record<string, string>,
  created: string,
  extra: Partial<KindPod["metadata"]> = {},
  phase = "Running",
): KindPod => ({
  metadata: { name, namespace: "azora", labels, creationTimestamp: created, ...extra },
  spec: { containers: [{ name: "main" }] },
  status: { phase },
});

describe("the Kind runtime's pods as suites address them", () => {
  it("numbers StatefulSet pods by ordinal, database instances by their name and a Deployment's pods by age, leaving out Jobs and finished pods", () => {
    const refs = podRefs([
      pod("user-service-7d9-zzz", { "app.kubernetes.io/name": "user-service" }, "2026-12-02T10:00:05Z"),
      pod("user-service-7d9-aaa", { "app.kubernetes.io/name": "user-service" }, "2026-12-02T10:00:01Z"),
      pod(
        "azora-db-3",
        { "cnpg.io/cluster": "azora-db", "cnpg.io/instanceName": "azora-db-3" },
        "2026-12-02T09:00:00Z",
      ),
      pod(
        "azora-db-1-initdb-x",
        { "cnpg.io/cluster": "azora-db", "cnpg.io/instanceName": "azora-db-1" },
        "2026-12-02T08:00:00Z",
        {
          ownerReferences: [{ kind: "Job", name: "azora-db-1-initdb" }],
        },
      ),
      pod(
        "redis-1",
        { "app.kubernetes.io/name": "redis", "apps.kubernetes.io/pod-index": "1" },
        "2026-12-02T09:30:00Z",
      ),
      pod("db-init-abc", { "app.kubernetes.io/name": "db-init" }, "2026-12-02T08:30:00Z", {}, "Succeeded"),
    ]);
    expect(refs.map((r) => [r.pod, r.workload, r.replica])).toEqual([
      ["azora/azora-db-3", "azora-db", 3],
      ["azora/redis-1", "redis", 1],
      ["azora/user-service-7d9-aaa", "user-service", 1],
      ["azora/user-service-7d9-zzz", "user-service", 2],
    ]);
  });

  it("reads namespace/name, and takes a bare name to be in the environment's namespace", () => {
    expect(podParts("other/p-1", "azora")).toEqual({ namespace: "other", name: "p-1" });
    expect(podParts("p-1", "azora")).toEqual({ namespace: "azora", name: "p-1" });
  });
});

describe("CloudNativePG's members from each instance's own answer", () => {
  it("finds the primary by recovery, and each replica's state and lag in the primary's pg_stat_replication", () => {
    const members = cnpgMembers([
      { name: "azora-db-1", pod: "azora/azora-db-1", labelledRole: "replica", row: "1|2|streaming|" },
      {
        name: "azora-db-2",
        pod: "azora/azora-db-2",
        labelledRole: "primary",
        row: "0|2||azora-db-1=streaming=512=quorum,azora-db-3=catchup=5242880=async",
      },
      { name: "azora-db-3", pod: "azora/azora-db-3", labelledRole: "replica", row: "1|2|streaming|" },
    ]);
    expect(members).toEqual([
      {
        name: "azora-db-1",
        pod: "azora/azora-db-1",
        role: "replica",
        state: "streaming",
        timeline: 2,
        lagMb: 0,
        sync: "quorum",
      },
      {
        name: "azora-db-2",
        pod: "azora/azora-db-2",
        role: "primary",
        state: "running",
        timeline: 2,
        lagMb: 0,
      },
      {
        name: "azora-db-3",
        pod: "azora/azora-db-3",
        role: "replica",
        state: "catchup",
        timeline: 2,
        lagMb: 5,
        sync: "async",
      },
    ]);
  });

  it("keeps the labelled role of an instance that does not answer, and no lag for a replica the primary does not list", () => {
    const members = cnpgMembers([
      { name: "azora-db-1", pod: "azora/azora-db-1", labelledRole: "primary" },
      { name: "azora-db-2", pod: "azora/azora-db-2", labelledRole: "replica", row: "1|1||" },
    ]);
    expect(members).toEqual([
      { name: "azora-db-1", pod: "azora/azora-db-1", role: "primary", state: "unreachable", timeline: 0 },
      { name: "azora-db-2", pod: "azora/azora-db-2", role: "replica", state: "stopped", timeline: 1 },
    ]);
  });
});
