import { describe, expect, it } from "vitest";
import { computeReachability } from "../../src/netpol/engine.ts";
import type { NamespaceInput, PodInput } from "../../src/netpol/model.ts";

// The size a benchmark will time (200 workloads × 500 policies). Only completeness is checked here:
// no timing assertion in unit tests.
describe("engine at scale", () => {
  it("computes the full matrix of 200 workloads under 500 policies", () => {
    const namespaces: NamespaceInput[] = Array.from({ length: 10 }, (_, n) => ({
      name: `ns-${n}`,
      labels: { tier: n % 2 === 0 ? "front" : "back", zone: `z${n % 3}` },
    }));
    const pods: PodInput[] = Array.from({ length: 200 }, (_, i) => ({
      namespace: `ns-${i % 10}`,
      name: `app-${i}`,
      labels: { app: `app-${i % 40}`, role: i % 3 === 0 ? "api" : "worker", shard: String(i % 7) },
      ports: [
        { containerPort: 8080, name: "http" },
        { containerPort: 9090, name: "metrics" },
        { containerPort: 5353, name: "dns", protocol: "UDP" },
      ],
      podIP: `10.${i % 10}.${Math.floor(i / 10)}.${(i % 250) + 1}`,
    }));
    const policies = Array.from({ length: 500 }, (_, k) => ({
      apiVersion: "networking.k8s.io/v1",
      kind: "NetworkPolicy",
      metadata: { name: `policy-${k}`, namespace: `ns-${k % 10}` },
      spec: {
        podSelector: k % 5 === 0 ? {} : { matchLabels: { app: `app-${k % 40}` } },
        policyTypes: k % 4 === 0 ? ["Ingress", "Egress"] : ["Ingress"],
        ingress: [
          {
            from: [
              { podSelector: { matchExpressions: [{ key: "role", operator: "In", values: ["api"] }] } },
              {
                namespaceSelector: { matchLabels: { tier: "front" } },
                podSelector: { matchLabels: { shard: String(k % 7) } },
              },
            ],
            ports: [{ port: "http" }, { port: 9000, endPort: 9100 }],
          },
          { from: [{ ipBlock: { cidr: `10.${k % 10}.0.0/16`, except: [`10.${k % 10}.${k % 20}.0/24`] } }] },
        ],
        egress: [
          {
            to: [
              {
                namespaceSelector: {
                  matchExpressions: [{ key: "zone", operator: "NotIn", values: [`z${k % 3}`] }],
                },
              },
            ],
          },
          { ports: [{ port: 5353, protocol: "UDP" }] },
        ],
      },
    }));

    const matrix = computeReachability({ namespaces, pods, policies });
    expect(matrix.pods).toHaveLength(200);
    expect(matrix.size).toBe(200 * 200 * 3);
    let count = 0;
    let allowed = 0;
    for (const entry of matrix.entries()) {
      count++;
      if (entry.allowed) allowed++;
    }
    expect(count).toBe(200 * 200 * 3);
    // Neither everything nor nothing: the policies do select and do allow.
    expect(allowed).toBeGreaterThan(0);
    expect(allowed).toBeLessThan(count);
  });
});
