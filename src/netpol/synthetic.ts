import type { NamespaceInput, PodInput } from "./model.ts";

/**
 * A synthetic cluster for scale tests and benchmarks: `pods` workloads over 10 namespaces under
 * `policies` NetworkPolicies that use every kind of selector, named ports, endPort ranges, ipBlock
 * with except, and both policy types.
 */
export function syntheticCluster(podCount = 200, policyCount = 500) {
  const namespaces: NamespaceInput[] = Array.from({ length: 10 }, (_, n) => ({
    name: `ns-${n}`,
    labels: { tier: n % 2 === 0 ? "front" : "back", zone: `z${n % 3}` },
  }));
  const pods: PodInput[] = Array.from({ length: podCount }, (_, i) => ({
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
  const policies = Array.from({ length: policyCount }, (_, k) => ({
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

  return { namespaces, pods, policies };
}
