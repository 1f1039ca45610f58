import { describe, expect, it } from "vitest";
import { buildCluster } from "../../src/netpol/cluster.ts";
import { syntheticCluster } from "../../src/netpol/synthetic.ts";

// The synthetic cluster of the scale test and bench:netpol is what its documentation promises:
// workloads over 10 namespaces, under policies using every kind of selector, named ports, endPort
// ranges, ipBlock with except, and both policy types, all of it valid.

describe("the synthetic cluster", () => {
  const { namespaces, pods, policies } = syntheticCluster(40, 20);
  const specs = policies.map((p) => p.spec);
  const json = JSON.stringify(policies);

  it("has the asked numbers of pods and policies (200 and 500 by default) over 10 labelled namespaces", () => {
    expect(pods).toHaveLength(40);
    expect(policies).toHaveLength(20);
    const defaults = syntheticCluster();
    expect([defaults.pods.length, defaults.policies.length]).toEqual([200, 500]);
    expect(namespaces.map((n) => n.name)).toEqual(Array.from({ length: 10 }, (_, n) => `ns-${n}`));
    expect(namespaces.slice(0, 4).map((n) => n.labels)).toEqual([
      { tier: "front", zone: "z0" },
      { tier: "back", zone: "z1" },
      { tier: "front", zone: "z2" },
      { tier: "back", zone: "z0" },
    ]);
  });

  it("spreads pods over the namespaces, each with a unique name and IP and three ports", () => {
    expect(pods.slice(0, 2)).toEqual([
      {
        namespace: "ns-0",
        name: "app-0",
        labels: { app: "app-0", role: "api", shard: "0" },
        ports: [
          { containerPort: 8080, name: "http" },
          { containerPort: 9090, name: "metrics" },
          { containerPort: 5353, name: "dns", protocol: "UDP" },
        ],
        podIP: "10.0.0.1",
      },
      expect.objectContaining({
        namespace: "ns-1",
        name: "app-1",
        labels: { app: "app-1", role: "worker", shard: "1" },
        podIP: "10.1.0.2",
      }),
    ]);
    expect(pods[39]).toMatchObject({
      namespace: "ns-9",
      name: "app-39",
      labels: { app: "app-39", role: "api", shard: "4" },
      podIP: "10.9.3.40",
    });
    expect(new Set(pods.map((p) => p.name)).size).toBe(40);
    expect(new Set(pods.map((p) => p.podIP)).size).toBe(40);
    expect(new Set(syntheticCluster(300, 0).pods.map((p) => p.podIP)).size).toBe(300);
  });

  it("uses every kind of selector, port and peer, and both policy types", () => {
    expect(policies[0]?.metadata).toEqual({ name: "policy-0", namespace: "ns-0" });
    expect(policies[13]?.metadata).toEqual({ name: "policy-13", namespace: "ns-3" });
    expect(policies.every((p) => p.apiVersion === "networking.k8s.io/v1" && p.kind === "NetworkPolicy")).toBe(
      true,
    );
    // Every fifth policy selects its whole namespace; the others one app.
    expect(specs.map((s) => JSON.stringify(s.podSelector) === "{}")).toEqual(
      Array.from({ length: 20 }, (_, k) => k % 5 === 0),
    );
    expect(specs[1]?.podSelector).toEqual({ matchLabels: { app: "app-1" } });
    // Every fourth is Ingress and Egress; the others Ingress only.
    expect(specs.map((s) => s.policyTypes.length)).toEqual(
      Array.from({ length: 20 }, (_, k) => (k % 4 === 0 ? 2 : 1)),
    );
    expect(specs[0]?.policyTypes).toEqual(["Ingress", "Egress"]);
    expect(specs[1]?.policyTypes).toEqual(["Ingress"]);
    expect(specs[7]).toMatchObject({
      ingress: [
        {
          from: [
            { podSelector: { matchExpressions: [{ key: "role", operator: "In", values: ["api"] }] } },
            {
              namespaceSelector: { matchLabels: { tier: "front" } },
              podSelector: { matchLabels: { shard: "0" } },
            },
          ],
          ports: [{ port: "http" }, { port: 9000, endPort: 9100 }],
        },
        { from: [{ ipBlock: { cidr: "10.7.0.0/16", except: ["10.7.7.0/24"] } }] },
      ],
      egress: [
        {
          to: [
            { namespaceSelector: { matchExpressions: [{ key: "zone", operator: "NotIn", values: ["z1"] }] } },
          ],
        },
        { ports: [{ port: 5353, protocol: "UDP" }] },
      ],
    });
    expect(specs[19]?.ingress[1]).toEqual({
      from: [{ ipBlock: { cidr: "10.9.0.0/16", except: ["10.9.19.0/24"] } }],
    });
    for (const needle of [
      '"operator":"In"',
      '"operator":"NotIn"',
      '"endPort"',
      '"except"',
      '"protocol":"UDP"',
    ])
      expect(json).toContain(needle);
  });

  it("is valid input for the engine", () => {
    const cluster = buildCluster({ namespaces, pods, policies });
    expect(cluster.pods).toHaveLength(40);
    expect(cluster.policies.filter((p) => p.egress !== undefined)).toHaveLength(5);
  });
});
