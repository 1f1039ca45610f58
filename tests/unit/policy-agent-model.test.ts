import { describe, expect, it } from "vitest";
import { type ApiPod, firewallModelOf } from "../../src/runtimes/kind/policy-agent/model.ts";

const pod = (namespace: string, name: string, podIP?: string, phase = "Pending"): ApiPod => ({
  metadata: { name, namespace, labels: { app: name } },
  spec: { containers: [{ ports: [{ containerPort: 8080 }] }] },
  status: { phase, ...(podIP ? { podIP } : {}) },
});

describe("the policy agent's model", () => {
  const pods = [
    pod("azora", "user-service-1"),
    pod("azora", "session-service-1", "192.168.1.7", "Running"),
    pod("azora", "db-init-x", "192.168.1.9", "Succeeded"),
  ];

  it("gives a pod with no address yet the one its node's CNI handed over", () => {
    const model = firewallModelOf([], pods, [], new Map([["azora/user-service-1", "192.168.1.12"]]));
    expect(model.pods.map((p) => `${p.name} ${p.podIP ?? "-"}`)).toEqual([
      "user-service-1 192.168.1.12",
      "session-service-1 192.168.1.7",
    ]);
  });

  it("keeps the address the kubelet reported over a handoff, and ignores handoffs of other pods", () => {
    const model = firewallModelOf(
      [],
      pods,
      [],
      new Map([
        ["azora/session-service-1", "192.168.1.99"],
        ["other/user-service-1", "192.168.1.12"],
      ]),
    );
    expect(model.pods.map((p) => `${p.name} ${p.podIP ?? "-"}`)).toEqual([
      "user-service-1 -",
      "session-service-1 192.168.1.7",
    ]);
  });
});
