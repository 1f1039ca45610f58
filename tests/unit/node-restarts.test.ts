import { describe, expect, it } from "vitest";
import { type NodeContainer, readySinceNodeStart } from "../../src/runtimes/kind/node-restarts.ts";
import type { KindPod } from "../../src/runtimes/kind/pods.ts";

const pod = (node: string, ready: "True" | "False", since: string): KindPod => ({
  metadata: { name: "user-service-abc", namespace: "azora" },
  spec: { nodeName: node, containers: [{ name: "user-service" }] },
  status: { phase: "Running", conditions: [{ type: "Ready", status: ready, lastTransitionTime: since }] },
});

// The worker's container started again at 10:00:05.750 (the engine restarted); the control plane's long before.
const nodes: NodeContainer[] = [
  { name: "cp", running: true, startedAt: Date.parse("2026-12-05T09:00:00.000Z") },
  { name: "worker", running: true, startedAt: Date.parse("2026-12-05T10:00:05.750Z") },
  { name: "stopped", running: false, startedAt: Date.parse("2026-12-05T09:00:00.000Z") },
];

describe("readySinceNodeStart", () => {
  it("believes a Ready its kubelet reported since the node started", () => {
    expect(readySinceNodeStart(pod("worker", "True", "2026-12-05T10:00:21Z"), nodes)).toBe(true);
    expect(readySinceNodeStart(pod("cp", "True", "2026-12-05T09:30:00Z"), nodes)).toBe(true);
  });

  it("takes the node's start to its second (the condition's time has whole seconds)", () => {
    expect(readySinceNodeStart(pod("worker", "True", "2026-12-05T10:00:05Z"), nodes)).toBe(true);
    expect(readySinceNodeStart(pod("worker", "True", "2026-12-05T10:00:04Z"), nodes)).toBe(false);
  });

  it("does not believe a Ready the API server kept from before the node started again", () => {
    expect(readySinceNodeStart(pod("worker", "True", "2026-12-05T09:10:00Z"), nodes)).toBe(false);
  });

  it("counts a pod not ready when it says so, when its node is stopped or unknown", () => {
    expect(readySinceNodeStart(pod("worker", "False", "2026-12-05T10:00:21Z"), nodes)).toBe(false);
    expect(readySinceNodeStart(pod("stopped", "True", "2026-12-05T09:30:00Z"), nodes)).toBe(false);
    expect(readySinceNodeStart(pod("elsewhere", "True", "2026-12-05T09:30:00Z"), nodes)).toBe(false);
  });
});
