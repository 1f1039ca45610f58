import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { computeReachability, type Reachability } from "../../src/netpol/engine.ts";
import { parseManifests } from "../../src/netpol/manifests.ts";
import type { NamespaceInput, PodInput, PortQuery } from "../../src/netpol/model.ts";
import { effectivePolicyTypes } from "../../src/netpol/policy.ts";
import { repoRoot } from "../../src/paths.ts";

// Minimal cases for each rule of NetworkPolicy semantics. Expectations are written from the
// Kubernetes documentation and API reference.

const tcp = (port: number): PortQuery => ({ protocol: "TCP", port });
const udp = (port: number): PortQuery => ({ protocol: "UDP", port });

const pod = (id: string, labels: Record<string, string> = {}, extra: Partial<PodInput> = {}): PodInput => {
  const [namespace, name] = id.split("/") as [string, string];
  return { namespace, name, labels, ports: [{ containerPort: 80 }], ...extra };
};

const policy = (id: string, spec: object) => {
  const [namespace, name] = id.split("/") as [string, string];
  return { apiVersion: "networking.k8s.io/v1", kind: "NetworkPolicy", metadata: { namespace, name }, spec };
};

const run = (
  pods: PodInput[],
  policies: readonly unknown[],
  { namespaces = [], ports = [tcp(80)] }: { namespaces?: NamespaceInput[]; ports?: PortQuery[] } = {},
) => computeReachability({ namespaces, pods, policies }, { ports });

/** The pods that may open a connection to `to` on `q`, sorted. */
const sources = (m: Reachability, to: string, q = tcp(80)) =>
  m.pods.map((p) => p.id).filter((from) => m.allowed(from, to, q));
/** The pods `from` may open a connection to on `q`, sorted. */
const destinations = (m: Reachability, from: string, q = tcp(80)) =>
  m.pods.map((p) => p.id).filter((to) => m.allowed(from, to, q));

const fixture = (name: string) => {
  const file = join("tests", "fixtures", "netpol", name);
  return { file, text: readFileSync(join(repoRoot, file), "utf8") };
};
const yaml = (text: string) => parseManifests([{ file: "test.yaml", text }]).input;

const threePods = () => [pod("x/a", { app: "a" }), pod("x/b", { app: "b" }), pod("y/c", { app: "c" })];

describe("isolation", () => {
  it("is per direction: an Ingress policy leaves the selected pod's egress open", () => {
    const m = run(threePods(), [
      policy("x/deny-a", { podSelector: { matchLabels: { app: "a" } }, policyTypes: ["Ingress"] }),
    ]);
    expect(sources(m, "x/a")).toEqual([]);
    // Everything but itself (its own ingress is closed).
    expect(destinations(m, "x/a")).toEqual(["x/b", "y/c"]);
    expect(sources(m, "x/b")).toEqual(["x/a", "x/b", "y/c"]);
    expect(m.isolation).toEqual({ ingress: [true, false, false], egress: [false, false, false] });
  });

  it("a policy selects pods of its own namespace only", () => {
    const m = run(threePods(), [policy("y/deny-all", { podSelector: {}, policyTypes: ["Ingress"] })]);
    expect(sources(m, "x/a")).toEqual(["x/a", "x/b", "y/c"]);
    expect(sources(m, "y/c")).toEqual([]);
  });

  it("default deny-all ingress and egress cuts the namespace off both ways", () => {
    const pods = [...threePods(), pod("y/d")];
    const m = run(pods, [policy("x/deny-all", { podSelector: {}, policyTypes: ["Ingress", "Egress"] })]);
    for (const p of ["x/a", "x/b"]) {
      expect(sources(m, p)).toEqual([]);
      expect(destinations(m, p)).toEqual([]);
    }
    expect(sources(m, "y/c")).toEqual(["y/c", "y/d"]);
  });

  it("the policies selecting a pod add up (union)", () => {
    const m = run(threePods(), [
      policy("x/from-b", {
        podSelector: { matchLabels: { app: "a" } },
        ingress: [{ from: [{ podSelector: { matchLabels: { app: "b" } } }] }],
      }),
      policy("x/from-y", {
        podSelector: { matchLabels: { app: "a" } },
        ingress: [{ from: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "y" } } }] }],
      }),
    ]);
    expect(sources(m, "x/a")).toEqual(["x/b", "y/c"]);
  });

  it("pods selected by different policies get their own answer, however many policies there are", () => {
    // 24 egress policies x/p0..x/p23: pk applies to pods labelled rk and lets them reach the pods
    // labelled to=k. x/a is under p1 and p23, x/b under p1, p2 and p3: different sets of rules whose
    // positions (1,23 and 1,2,3) must not be confused.
    const policies = Array.from({ length: 24 }, (_, k) =>
      policy(`x/p${k}`, {
        podSelector: { matchLabels: { [`r${k}`]: "y" } },
        policyTypes: ["Egress"],
        egress: [{ to: [{ podSelector: { matchLabels: { to: `${k}` } } }] }],
      }),
    );
    const pods = [
      pod("x/a", { r1: "y", r23: "y" }),
      pod("x/b", { r1: "y", r2: "y", r3: "y" }),
      pod("x/t1", { to: "1" }),
      pod("x/t2", { to: "2" }),
      pod("x/t23", { to: "23" }),
    ];
    const m = run(pods, policies);
    expect(destinations(m, "x/a")).toEqual(["x/t1", "x/t23"]);
    expect(destinations(m, "x/b")).toEqual(["x/t1", "x/t2"]);
  });

  it("a connection needs the source's egress AND the destination's ingress", () => {
    const pods = [pod("x/a", { app: "a" }), pod("x/b", { app: "b" }), pod("x/c", { app: "c" })];
    const m = run(pods, [
      policy("x/a-out", {
        podSelector: { matchLabels: { app: "a" } },
        policyTypes: ["Egress"],
        egress: [
          {
            to: [{ podSelector: { matchExpressions: [{ key: "app", operator: "In", values: ["b", "c"] }] } }],
          },
        ],
      }),
      policy("x/b-in", {
        podSelector: { matchLabels: { app: "b" } },
        ingress: [{ from: [{ podSelector: { matchLabels: { app: "c" } } }] }],
      }),
    ]);
    expect(m.allowed("x/a", "x/b", tcp(80))).toBe(false); // egress yes, ingress no
    expect(m.allowed("x/a", "x/c", tcp(80))).toBe(true); // egress yes, ingress not isolated
    expect(m.allowed("x/c", "x/b", tcp(80))).toBe(true); // egress not isolated, ingress yes
    expect(m.allowed("x/b", "x/a", tcp(80))).toBe(true); // neither isolated that way
  });

  it("is about opening connections: replies are not in the matrix, so it may be asymmetric", () => {
    // x/a may connect to x/b (and gets its replies); x/b may not open a connection to x/a.
    const m = run(threePods(), [policy("x/deny-a", { podSelector: { matchLabels: { app: "a" } } })]);
    expect(m.allowed("x/a", "x/b", tcp(80))).toBe(true);
    expect(m.allowed("x/b", "x/a", tcp(80))).toBe(false);
  });
});

describe("policyTypes defaulting (as the API server does it)", () => {
  it("absent: Ingress, plus Egress iff there is an egress rule", () => {
    expect(effectivePolicyTypes({})).toEqual({ ingress: true, egress: false });
    expect(effectivePolicyTypes({ egress: [] })).toEqual({ ingress: true, egress: false });
    expect(effectivePolicyTypes({ egress: null })).toEqual({ ingress: true, egress: false });
    expect(effectivePolicyTypes({ egress: [{}] })).toEqual({ ingress: true, egress: true });
    expect(effectivePolicyTypes({ policyTypes: [], egress: [{}] })).toEqual({ ingress: true, egress: true });
    expect(effectivePolicyTypes({ policyTypes: ["Egress"], egress: [] })).toEqual({
      ingress: false,
      egress: true,
    });
  });

  it("a policy that lists only `egress` rules also isolates its pods for ingress", () => {
    const m = run(threePods(), [
      policy("x/a-to-b", {
        podSelector: { matchLabels: { app: "a" } },
        egress: [{ to: [{ podSelector: { matchLabels: { app: "b" } } }] }],
      }),
    ]);
    expect(destinations(m, "x/a")).toEqual(["x/b"]);
    expect(sources(m, "x/a")).toEqual([]);
  });

  it("a policy with only ingress rules does not isolate egress", () => {
    const m = run(threePods(), [
      policy("x/a-from-b", {
        podSelector: { matchLabels: { app: "a" } },
        ingress: [{ from: [{ podSelector: { matchLabels: { app: "b" } } }] }],
      }),
    ]);
    expect(sources(m, "x/a")).toEqual(["x/b"]);
    expect(destinations(m, "x/a")).toEqual(["x/b", "y/c"]);
  });

  it("`egress: []` without policyTypes is no egress rule: egress stays open", () => {
    const m = run(threePods(), [policy("x/a", { podSelector: { matchLabels: { app: "a" } }, egress: [] })]);
    expect(destinations(m, "x/a")).toEqual(["x/b", "y/c"]);
    expect(sources(m, "x/a")).toEqual([]);
  });

  it("explicit policyTypes win: rules of an unlisted direction are ignored", () => {
    const m = run(threePods(), [
      policy("x/a", {
        podSelector: { matchLabels: { app: "a" } },
        policyTypes: ["Egress"],
        ingress: [{ from: [{ podSelector: { matchLabels: { app: "nobody" } } }] }],
      }),
    ]);
    expect(destinations(m, "x/a")).toEqual([]);
    expect(sources(m, "x/a")).toEqual(["x/b", "y/c"]);
  });
});

describe("peers", () => {
  const peersCluster = fixture("peers-cluster.yaml");
  const evaluate = (policyFile: string) => {
    const { input } = parseManifests([peersCluster, fixture(policyFile)]);
    return computeReachability(input);
  };

  it("one peer with namespaceSelector and podSelector needs both (AND)", () => {
    const m = evaluate("peer-and.yaml");
    expect(sources(m, "server/server")).toEqual(["blue/client"]);
  });

  it("two peers, a namespaceSelector one and a podSelector one, need either (OR)", () => {
    const m = evaluate("peer-or.yaml");
    // All of blue (namespace peer) and server/client (pod peer, the policy's own namespace); red's
    // client has the pod label but lives in another namespace.
    expect(sources(m, "server/server")).toEqual(["blue/client", "blue/other", "server/client"]);
  });

  it("rules are ORed; within a rule the peers AND the ports must match", () => {
    const pods = [
      pod("x/a", { app: "a" }, { ports: [{ containerPort: 80 }, { containerPort: 81 }] }),
      pod("x/b", { app: "b" }),
      pod("x/c", { app: "c" }),
    ];
    const m = run(
      pods,
      [
        policy("x/a", {
          podSelector: { matchLabels: { app: "a" } },
          ingress: [
            { from: [{ podSelector: { matchLabels: { app: "b" } } }], ports: [{ port: 80 }] },
            { from: [{ podSelector: { matchLabels: { app: "c" } } }], ports: [{ port: 81 }] },
          ],
        }),
      ],
      { ports: [tcp(80), tcp(81)] },
    );
    expect(m.allowed("x/b", "x/a", tcp(80))).toBe(true);
    expect(m.allowed("x/b", "x/a", tcp(81))).toBe(false);
    expect(m.allowed("x/c", "x/a", tcp(81))).toBe(true);
    expect(m.allowed("x/c", "x/a", tcp(80))).toBe(false);
  });

  it("`from` absent, `from: []` and `from:` (null) all mean every source, in every namespace", () => {
    for (const rule of ["- {}", "- from: []", "- from:", "- ports: []"]) {
      const input = yaml(`
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: p, namespace: x }
spec:
  podSelector: {}
  ingress:
    ${rule}
`);
      const m = run(threePods(), input.policies);
      expect(sources(m, "x/a"), rule).toEqual(["x/a", "x/b", "y/c"]);
    }
  });

  it("no rule at all (`ingress: []`) allows nothing", () => {
    const m = run(threePods(), [policy("x/p", { podSelector: {}, ingress: [] })]);
    expect(sources(m, "x/a")).toEqual([]);
  });

  it("`[{podSelector: {}}]` is every pod of the policy's namespace; `[{namespaceSelector: {}}]` every pod", () => {
    const own = run(threePods(), [
      policy("x/p", { podSelector: {}, ingress: [{ from: [{ podSelector: {} }] }] }),
    ]);
    expect(sources(own, "x/a")).toEqual(["x/a", "x/b"]);
    const all = run(threePods(), [
      policy("x/p", { podSelector: {}, ingress: [{ from: [{ namespaceSelector: {} }] }] }),
    ]);
    expect(sources(all, "x/a")).toEqual(["x/a", "x/b", "y/c"]);
    // The same for egress destinations.
    const ownOut = run(threePods(), [
      policy("x/p", { podSelector: {}, policyTypes: ["Egress"], egress: [{ to: [{ podSelector: {} }] }] }),
    ]);
    expect(destinations(ownOut, "x/a")).toEqual(["x/a", "x/b"]);
  });

  it("a podSelector without namespaceSelector means pods of the policy's namespace", () => {
    const pods = [
      pod("x/server", { app: "server" }),
      pod("x/client", { role: "client" }),
      pod("y/client", { role: "client" }),
    ];
    const m = run(pods, [
      policy("x/p", {
        podSelector: { matchLabels: { app: "server" } },
        ingress: [{ from: [{ podSelector: { matchLabels: { role: "client" } } }] }],
      }),
    ]);
    expect(sources(m, "x/server")).toEqual(["x/client"]);
  });

  it("every namespace has kubernetes.io/metadata.name = its name, declared or not, and it cannot be spoofed", () => {
    const pods = [pod("x/server", { app: "server" }), pod("y/a"), pod("z/b"), pod("w/c")];
    const namespaces = [
      { name: "y" }, // declared without labels
      { name: "w", labels: { "kubernetes.io/metadata.name": "y" } }, // tries to pass for y
    ]; // z is not declared at all
    const from = (name: string) => ({
      podSelector: { matchLabels: { app: "server" } },
      ingress: [{ from: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": name } } }] }],
    });
    expect(sources(run(pods, [policy("x/p", from("y"))], { namespaces }), "x/server")).toEqual(["y/a"]);
    expect(sources(run(pods, [policy("x/p", from("z"))], { namespaces }), "x/server")).toEqual(["z/b"]);
  });
});

describe("ipBlock", () => {
  const withIP = (id: string, podIP?: string, podIPs?: string[]) =>
    pod(id, {}, { ...(podIP ? { podIP } : {}), ...(podIPs ? { podIPs } : {}) });
  const server = pod("x/server", { app: "server" });
  const allowFrom = (...peers: object[]) =>
    policy("x/p", { podSelector: { matchLabels: { app: "server" } }, ingress: [{ from: peers }] });

  it("IPv4: cidr minus except, matched against the source's podIP", () => {
    const pods = [
      server,
      withIP("y/in", "10.0.0.5"),
      withIP("y/excepted", "10.0.1.5"),
      withIP("y/out", "10.1.0.5"),
    ];
    const m = run(pods, [allowFrom({ ipBlock: { cidr: "10.0.0.0/16", except: ["10.0.1.0/24"] } })]);
    expect(sources(m, "x/server")).toEqual(["y/in"]);
  });

  it("except applies to its own peer only", () => {
    const pods = [server, withIP("y/a", "10.0.1.5"), withIP("y/b", "10.0.1.200")];
    const m = run(pods, [
      allowFrom(
        { ipBlock: { cidr: "10.0.0.0/16", except: ["10.0.1.0/24"] } },
        { ipBlock: { cidr: "10.0.1.0/28" } },
      ),
    ]);
    expect(sources(m, "x/server")).toEqual(["y/a"]);
  });

  it("IPv6, and the families kept apart", () => {
    const pods = [
      server,
      withIP("y/in", "fd00::5"),
      withIP("y/excepted", "fd00::105"),
      withIP("y/v4", "10.0.0.5"),
    ];
    const m = run(pods, [allowFrom({ ipBlock: { cidr: "fd00::/64", except: ["fd00::100/120"] } })]);
    expect(sources(m, "x/server")).toEqual(["y/in"]);
  });

  it("matches any of a dual-stack pod's IPs (status.podIPs)", () => {
    const pods = [server, withIP("y/dual", "10.9.0.1", ["10.9.0.1", "fd00::9"])];
    const m = run(pods, [allowFrom({ ipBlock: { cidr: "fd00::/120" } })]);
    expect(sources(m, "x/server")).toEqual(["y/dual"]);
  });

  it("a pod without an IP is matched by no ipBlock, not even 0.0.0.0/0 or ::/0", () => {
    const pods = [pod("x/client", { app: "client" }), withIP("y/ip", "10.0.0.5"), pod("y/no-ip")];
    const m = run(pods, [
      policy("x/out", {
        podSelector: { matchLabels: { app: "client" } },
        policyTypes: ["Egress"],
        egress: [{ to: [{ ipBlock: { cidr: "0.0.0.0/0" } }, { ipBlock: { cidr: "::/0" } }] }],
      }),
    ]);
    expect(destinations(m, "x/client")).toEqual(["y/ip"]);
  });
});

describe("ports", () => {
  const server = (id: string, ports: PodInput["ports"]) => pod(id, { app: "server" }, { ports });
  const allow = (ports: object[] | undefined) =>
    policy("x/p", { podSelector: { matchLabels: { app: "server" } }, ingress: [ports ? { ports } : {}] });
  const client = pod("y/client");

  it("`ports` absent or empty allows every port of every protocol", () => {
    for (const rule of [undefined, []]) {
      const m = run([server("x/s", []), client], [allow(rule)], {
        ports: [tcp(80), tcp(81), udp(53), { protocol: "SCTP", port: 9 }],
      });
      expect(m.allowedPorts("y/client", "x/s")).toHaveLength(4);
    }
  });

  it("protocol defaults to TCP; TCP, UDP and SCTP are kept apart", () => {
    const asked = { ports: [tcp(53), udp(53), { protocol: "SCTP" as const, port: 53 }, tcp(54)] };
    const allowed = (ports: object[]) =>
      run([server("x/s", []), client], [allow(ports)], asked)
        .allowedPorts("y/client", "x/s")
        .map((q) => `${q.port}/${q.protocol}`);
    expect(allowed([{ port: 53 }])).toEqual(["53/TCP"]);
    expect(allowed([{ port: 53, protocol: "UDP" }])).toEqual(["53/UDP"]);
    expect(allowed([{ protocol: "SCTP" }])).toEqual(["53/SCTP"]);
    expect(allowed([{ protocol: "TCP" }])).toEqual(["53/TCP", "54/TCP"]);
  });

  it("endPort: port..endPort inclusive, on its protocol", () => {
    const asked = { ports: [tcp(7999), tcp(8000), tcp(8080), tcp(8081), udp(8000)] };
    const m = run([server("x/s", []), client], [allow([{ port: 8000, endPort: 8080 }])], asked);
    expect(m.allowedPorts("y/client", "x/s")).toEqual([tcp(8000), tcp(8080)]);
  });

  it("a named port is resolved against each destination's own container ports", () => {
    const pods = [
      server("x/a", [{ containerPort: 8080, name: "http" }, { containerPort: 9090 }]),
      server("x/b", [
        { containerPort: 9090, name: "http" },
        { containerPort: 8080, name: "alt" },
      ]),
      client,
    ];
    const m = computeReachability({ pods, policies: [allow([{ port: "http" }])] }); // asks each pod's declared ports
    expect(m.queries[m.index("x/a")]).toEqual([tcp(8080), tcp(9090)]);
    expect(m.allowedPorts("y/client", "x/a")).toEqual([tcp(8080)]);
    expect(m.allowedPorts("y/client", "x/b")).toEqual([tcp(9090)]);
  });

  it("a named port matches only with the protocol it is declared with", () => {
    const pods = [server("x/s", [{ containerPort: 53, name: "dns", protocol: "TCP" }]), client];
    const asked = { ports: [tcp(53), udp(53)] };
    expect(run(pods, [allow([{ port: "dns" }])], asked).allowedPorts("y/client", "x/s")).toEqual([tcp(53)]);
    expect(
      run(pods, [allow([{ port: "dns", protocol: "UDP" }])], asked).allowedPorts("y/client", "x/s"),
    ).toEqual([]);
  });

  it("a named port the destination does not declare matches nothing", () => {
    const pods = [server("x/s", [{ containerPort: 80, name: "http" }]), client];
    expect(
      run(pods, [allow([{ port: "grpc" }])], { ports: [tcp(80)] }).allowedPorts("y/client", "x/s"),
    ).toEqual([]);
  });

  it("pods under the same ingress rules, asked the same ports, still resolve a name against their own ports", () => {
    const pods = [
      server("x/a", [{ containerPort: 8080, name: "http" }]),
      server("x/b", [{ containerPort: 9090, name: "http" }]),
      client,
    ];
    const m = run(pods, [allow([{ port: "http" }])], { ports: [tcp(8080), tcp(9090)] });
    expect(m.allowedPorts("y/client", "x/a")).toEqual([tcp(8080)]);
    expect(m.allowedPorts("y/client", "x/b")).toEqual([tcp(9090)]);
  });

  it("egress named ports are resolved against the destination", () => {
    const pods = [
      pod("x/client", { app: "client" }, { ports: [] }),
      pod("y/a", {}, { ports: [{ containerPort: 8080, name: "http" }] }),
      pod("y/b", {}, { ports: [{ containerPort: 9090, name: "http" }] }),
    ];
    const m = run(
      pods,
      [
        policy("x/out", {
          podSelector: { matchLabels: { app: "client" } },
          policyTypes: ["Egress"],
          egress: [{ ports: [{ port: "http" }] }],
        }),
      ],
      { ports: [tcp(8080), tcp(9090)] },
    );
    expect(m.allowedPorts("x/client", "y/a")).toEqual([tcp(8080)]);
    expect(m.allowedPorts("x/client", "y/b")).toEqual([tcp(9090)]);
  });
});

describe("the matrix", () => {
  it("asks, by default, every port each destination declares (TCP and UDP apart), optionally one protocol", () => {
    const pods = [
      pod(
        "x/dns",
        {},
        { ports: [{ containerPort: 53, protocol: "UDP" }, { containerPort: 53 }, { containerPort: 53 }] },
      ),
      pod("x/quiet", {}, { ports: [] }),
    ];
    const m = computeReachability({ pods });
    expect(m.queries).toEqual([[udp(53), tcp(53)], []]);
    expect(m.size).toBe(4); // 2 sources × (2 + 0) asked ports
    expect(computeReachability({ pods }, { protocols: ["UDP"] }).queries).toEqual([[udp(53)], []]);
  });

  it("lists every ordered pair, a pod to itself included, for every asked port", () => {
    const m = run(threePods(), [], { ports: [tcp(80), udp(80)] });
    const entries = [...m.entries()];
    expect(entries).toHaveLength(3 * 3 * 2);
    expect(entries[0]).toEqual({ from: "x/a", to: "x/a", protocol: "TCP", port: 80, allowed: true });
    expect(new Set(entries.map((e) => `${e.from}>${e.to}`)).size).toBe(9);
  });

  it("orders pods by namespace, then name", () => {
    const m = run([pod("y/a"), pod("x/b"), pod("x/a")], []);
    expect(m.pods.map((p) => p.id)).toEqual(["x/a", "x/b", "y/a"]);
  });
});
