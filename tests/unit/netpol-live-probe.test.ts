import { describe, expect, it } from "vitest";
import {
  type LivePod,
  type Outcome,
  type ProbeRunner,
  type ProbeTarget,
  probeAgainstEngine,
  probePairs,
} from "../../src/netpol/live-probe.ts";

// What the live probe asks a runtime's runner to probe, and how it reads the answers, with a runner
// that plays a network: it records every batch and answers from a table of addresses.

const pods: LivePod[] = [
  {
    namespace: "shop",
    name: "web",
    labels: { app: "web" },
    podIP: "10.1.0.1",
    // 8080 twice (two containers, or a named and an unnamed port): probed once.
    ports: [
      { containerPort: 8080 },
      { containerPort: 8080, protocol: "TCP", name: "http" },
      { containerPort: 53, protocol: "UDP" },
      { containerPort: 9, protocol: "SCTP" },
    ],
  },
  // No declared port: a source, never a target.
  { namespace: "shop", name: "job", labels: { app: "job" }, podIP: "10.1.0.2" },
  // One port number under two protocols, and a second TCP port: three targets.
  {
    namespace: "data",
    name: "db",
    labels: { app: "db" },
    podIP: "10.2.0.1",
    ports: [{ containerPort: 5432 }, { containerPort: 5432, protocol: "UDP" }, { containerPort: 9187 }],
  },
];

/** A runner answering from `network` (`ip port/protocol` -> outcome), recording what it was asked. */
function scriptedRunner(network: Record<string, Outcome>) {
  const asked: { source: string; targets: readonly ProbeTarget[]; timeoutMs: number }[] = [];
  const run: ProbeRunner<LivePod> = async (batches, timeoutMs) => {
    for (const { source, targets } of batches)
      asked.push({ source: `${source.namespace}/${source.name}`, targets, timeoutMs });
    return batches.map(({ targets }) =>
      // A missing entry stands for a runner that returned fewer outcomes than targets.
      targets.flatMap((t) => network[`${t.ip} ${t.port}/${t.protocol}`] ?? []),
    );
  };
  return { run, asked };
}

const web = (port: number, protocol = "TCP") => ({ ip: "10.1.0.1", protocol, port });
const db = (port = 5432, protocol = "TCP") => ({ ip: "10.2.0.1", protocol, port });

describe("the live probe", () => {
  it("probes every other pod once per declared TCP and UDP port, and reads each outcome", async () => {
    const { run, asked } = scriptedRunner({
      "10.1.0.1 8080/TCP": "open",
      "10.1.0.1 53/UDP": "timeout",
      "10.2.0.1 5432/TCP": "refused",
      "10.2.0.1 5432/UDP": "timeout",
      "10.2.0.1 9187/TCP": "open",
    });
    const expected = (from: string, to: string) => from === "shop/web" || to === "shop/web";
    const observations = await probePairs(pods, expected, run);
    const toDb = [db(), db(5432, "UDP"), db(9187)];
    expect(asked).toEqual([
      { source: "shop/web", targets: toDb, timeoutMs: 1_000 },
      { source: "shop/job", targets: [web(8080), web(53, "UDP"), ...toDb], timeoutMs: 1_000 },
      { source: "data/db", targets: [web(8080), web(53, "UDP")], timeoutMs: 1_000 },
    ]);
    /** An observation, its port written as `port/protocol`. */
    const seen = (
      from: string,
      to: string,
      at: string,
      outcome: Outcome,
      expected: boolean,
      reached: boolean,
    ) => {
      const [port, protocol] = at.split("/");
      return { from, to, protocol, port: Number(port), expected, outcome, reached };
    };
    expect(observations).toEqual([
      // A reset from the database got through the network: reached, though nothing listened.
      seen("shop/web", "data/db", "5432/TCP", "refused", true, true),
      seen("shop/web", "data/db", "5432/UDP", "timeout", true, false),
      seen("shop/web", "data/db", "9187/TCP", "open", true, true),
      seen("shop/job", "shop/web", "8080/TCP", "open", true, true),
      seen("shop/job", "shop/web", "53/UDP", "timeout", true, false),
      seen("shop/job", "data/db", "5432/TCP", "refused", false, true),
      seen("shop/job", "data/db", "5432/UDP", "timeout", false, false),
      seen("shop/job", "data/db", "9187/TCP", "open", false, true),
      seen("data/db", "shop/web", "8080/TCP", "open", true, true),
      seen("data/db", "shop/web", "53/UDP", "timeout", true, false),
    ]);
  });

  it("counts an outcome the runner did not return as an error, not reached", async () => {
    const { run } = scriptedRunner({ "10.1.0.1 8080/TCP": "open" });
    const observations = await probePairs(pods, () => false, run, {
      sources: [pods[2] as LivePod],
      timeoutMs: 250,
    });
    expect(observations.map((o) => [o.port, o.outcome, o.reached])).toEqual([
      [8080, "open", true],
      [53, "error", false],
    ]);
  });

  it("probes only the port asked for, from the sources asked for, and skips a source left without targets", async () => {
    const { run, asked } = scriptedRunner({ "10.1.0.1 53/UDP": "open" });
    const observations = await probePairs(pods, () => true, run, {
      only: { protocol: "UDP", port: 53 },
      sources: [pods[0] as LivePod, pods[2] as LivePod],
      timeoutMs: 300,
    });
    // The web pod's only UDP port is its own: it has nothing to probe, so it is not asked.
    expect(asked).toEqual([{ source: "data/db", targets: [web(53, "UDP")], timeoutMs: 300 }]);
    expect(observations).toEqual([
      {
        from: "data/db",
        to: "shop/web",
        protocol: "UDP",
        port: 53,
        expected: true,
        outcome: "open",
        reached: true,
      },
    ]);
    // Same port number, other protocol: not the port asked for.
    const tcp53 = scriptedRunner({});
    expect(await probePairs(pods, () => true, tcp53.run, { only: { protocol: "TCP", port: 53 } })).toEqual(
      [],
    );
    expect(tcp53.asked).toEqual([]);
  });

  it("expects what the NetworkPolicies allow, port by port", async () => {
    const model = {
      namespaces: [{ name: "shop" }, { name: "data" }],
      policies: [
        // The database takes TCP 5432 from the shop namespace's web pods only.
        {
          apiVersion: "networking.k8s.io/v1",
          kind: "NetworkPolicy",
          metadata: { namespace: "data", name: "db-from-web" },
          spec: {
            podSelector: { matchLabels: { app: "db" } },
            policyTypes: ["Ingress"],
            ingress: [
              {
                from: [
                  {
                    namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "shop" } },
                    podSelector: { matchLabels: { app: "web" } },
                  },
                ],
                ports: [{ protocol: "TCP", port: 5432 }],
              },
            ],
          },
        },
        // The web pod takes UDP only from inside its namespace.
        {
          apiVersion: "networking.k8s.io/v1",
          kind: "NetworkPolicy",
          metadata: { namespace: "shop", name: "web-udp" },
          spec: {
            podSelector: { matchLabels: { app: "web" } },
            policyTypes: ["Ingress"],
            ingress: [{ from: [{ podSelector: {} }], ports: [{ protocol: "UDP", port: 53 }] }],
          },
        },
      ],
    };
    const { run } = scriptedRunner({});
    const observations = await probeAgainstEngine(pods, model, run);
    expect(observations.map((o) => `${o.from} -> ${o.to} ${o.port}/${o.protocol} ${o.expected}`)).toEqual([
      "shop/web -> data/db 5432/TCP true",
      "shop/web -> data/db 5432/UDP false",
      "shop/web -> data/db 9187/TCP false",
      "shop/job -> shop/web 8080/TCP false",
      "shop/job -> shop/web 53/UDP true",
      "shop/job -> data/db 5432/TCP false",
      "shop/job -> data/db 5432/UDP false",
      "shop/job -> data/db 9187/TCP false",
      "data/db -> shop/web 8080/TCP false",
      "data/db -> shop/web 53/UDP false",
    ]);
  });
});
