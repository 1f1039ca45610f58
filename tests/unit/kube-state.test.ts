import { describe, expect, it } from "vitest";
import { kubeStateMetrics, type PodState, terminatedReason } from "../../src/runtimes/docker/kube-state.ts";

// The pod-state series the Docker runtime's supervisor serves in place of kube-state-metrics:
// kube-state-metrics' names, labels and conventions, written out by hand.

const pod = (over: Partial<PodState>): PodState => ({
  namespace: "azora",
  pod: "user-service-1",
  container: "user-service",
  running: true,
  ready: true,
  restarts: 0,
  crashLooping: false,
  ...over,
});

/** The exposition's samples (no HELP/TYPE lines), sorted. */
const samples = async (pods: PodState[]) =>
  (await kubeStateMetrics(pods))
    .split("\n")
    .filter((l) => l && !l.startsWith("#"))
    .sort();

describe("pod-state series as kube-state-metrics gives them", () => {
  it("a ready pod: no restarts, running, ready, and the pod's condition true", async () => {
    const c = 'namespace="azora",pod="user-service-1",container="user-service"';
    expect(await samples([pod({})])).toEqual([
      `kube_pod_container_status_ready{${c}} 1`,
      `kube_pod_container_status_restarts_total{${c}} 0`,
      `kube_pod_container_status_running{${c}} 1`,
      'kube_pod_status_ready{namespace="azora",pod="user-service-1",condition="false"} 0',
      'kube_pod_status_ready{namespace="azora",pod="user-service-1",condition="true"} 1',
      'kube_pod_status_ready{namespace="azora",pod="user-service-1",condition="unknown"} 0',
    ]);
  });

  it("a crash-looping container: its restarts, why it last ended, and that it waits", async () => {
    const c = 'namespace="azora",pod="redis-0",container="redis"';
    const crashing = pod({
      pod: "redis-0",
      container: "redis",
      running: false,
      ready: false,
      restarts: 3,
      lastState: "OOMKilled",
      crashLooping: true,
    });
    expect(await samples([crashing])).toEqual([
      `kube_pod_container_status_last_terminated_reason{${c},reason="OOMKilled"} 1`,
      `kube_pod_container_status_ready{${c}} 0`,
      `kube_pod_container_status_restarts_total{${c}} 3`,
      `kube_pod_container_status_running{${c}} 0`,
      `kube_pod_container_status_waiting_reason{${c},reason="CrashLoopBackOff"} 1`,
      'kube_pod_status_ready{namespace="azora",pod="redis-0",condition="false"} 1',
      'kube_pod_status_ready{namespace="azora",pod="redis-0",condition="true"} 0',
      'kube_pod_status_ready{namespace="azora",pod="redis-0",condition="unknown"} 0',
    ]);
  });

  it("declares restarts a counter and the rest gauges, as kube-state-metrics does", async () => {
    const text = await kubeStateMetrics([pod({})]);
    expect(text).toContain("# TYPE kube_pod_container_status_restarts_total counter");
    expect(text).toContain("# TYPE kube_pod_container_status_ready gauge");
    expect(text).toContain("# TYPE kube_pod_status_ready gauge");
  });

  it("reasons a last state the way Kubernetes does: OOMKilled, Completed, else Error", () => {
    expect(
      ["OOMKilled", "Completed", "Error (exit 1)", "Liveness probe failed (exit 137)"].map(terminatedReason),
    ).toEqual(["OOMKilled", "Completed", "Error", "Error"]);
  });
});
