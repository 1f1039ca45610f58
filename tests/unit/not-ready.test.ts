import { describe, expect, it } from "vitest";
import { notReadyReasons } from "../../src/runtimes/kind/not-ready.ts";
import type { KindPod } from "../../src/runtimes/kind/pods.ts";

const pod = (name: string, status: KindPod["status"]): KindPod => ({
  metadata: { name, namespace: "azora-pr-1" },
  spec: { containers: [] },
  status,
});
const ready = { type: "Ready", status: "True" };
const notReady = { type: "Ready", status: "False" };

describe("why a namespace is not ready", () => {
  it("names each pod in trouble and why, as the API server reports it, and skips the ready and the finished", () => {
    const pods = [
      pod("azora-db-1", {
        phase: "Pending",
        conditions: [
          {
            type: "PodScheduled",
            status: "False",
            reason: "Unschedulable",
            message: "0/2 nodes are available: 1 Insufficient cpu, 1 node(s) had untolerated taint.",
          },
        ],
      }),
      pod("course-service-7d9-abc", {
        phase: "Pending",
        conditions: [{ type: "PodScheduled", status: "True" }, notReady],
        containerStatuses: [
          {
            name: "course-service",
            restartCount: 0,
            state: { waiting: { reason: "ImagePullBackOff", message: 'Back-off pulling image "r:5000/x"' } },
          },
        ],
      }),
      pod("redis-0", {
        phase: "Running",
        conditions: [notReady],
        containerStatuses: [
          {
            name: "redis",
            restartCount: 4,
            state: { waiting: { reason: "CrashLoopBackOff" } },
            lastState: { terminated: { reason: "Error", exitCode: 1 } },
          },
        ],
      }),
      pod("tyk-gateway-5f-xyz", {
        phase: "Running",
        conditions: [notReady],
        initContainerStatuses: [
          {
            name: "render-apis",
            restartCount: 0,
            state: { terminated: { reason: "Completed", exitCode: 0 } },
          },
        ],
        containerStatuses: [{ name: "tyk-gateway", restartCount: 0, ready: false, state: { running: {} } }],
      }),
      pod("user-service-1", { phase: "Running", conditions: [ready] }),
      pod("db-init-q", { phase: "Succeeded" }),
    ];
    const owners = [
      {
        kind: "ReplicaSet",
        metadata: { name: "tyk-gateway-5f" },
        status: {
          conditions: [
            {
              type: "ReplicaFailure",
              status: "True",
              reason: "FailedCreate",
              message: 'pods "tyk-gateway-5f-q" is forbidden: exceeded quota: devstack',
            },
          ],
        },
      },
      { kind: "ReplicaSet", metadata: { name: "fine" }, status: {} },
    ];
    expect(notReadyReasons(pods, owners)).toEqual([
      "pod azora-db-1 (Pending): not scheduled: 0/2 nodes are available: 1 Insufficient cpu, 1 node(s) had untolerated taint.",
      'pod course-service-7d9-abc (Pending): container course-service ImagePullBackOff: Back-off pulling image "r:5000/x"',
      "pod redis-0 (Running): container redis CrashLoopBackOff (last exit 1, Error, 4 restart(s))",
      "pod tyk-gateway-5f-xyz (Running): container tyk-gateway running, not ready",
      'ReplicaSet tyk-gateway-5f: pods "tyk-gateway-5f-q" is forbidden: exceeded quota: devstack',
    ]);
  });

  it("says an init container that failed, and a pod with nothing more to say is simply not ready", () => {
    expect(
      notReadyReasons([
        pod("redis-sentinel-0", {
          phase: "Pending",
          conditions: [notReady],
          initContainerStatuses: [
            {
              name: "render-config",
              restartCount: 0,
              state: { terminated: { reason: "Error", exitCode: 2 } },
            },
          ],
        }),
        pod("azora-db-1-initdb-x", { phase: "Pending", conditions: [notReady] }),
      ]),
    ).toEqual([
      "pod redis-sentinel-0 (Pending): init container render-config ended: Error (exit 2)",
      "pod azora-db-1-initdb-x (Pending): not ready",
    ]);
  });
});
