import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { loadEnvFile } from "../../src/config/env-file.ts";
import { computeReachability } from "../../src/netpol/engine.ts";
import type { PodInput } from "../../src/netpol/model.ts";
import { compileFirewall, envOfTable, tableName } from "../../src/netpol/nftables.ts";
import { NetpolInputError } from "../../src/netpol/problems.ts";
import { POD_LABEL, podLabel } from "../../src/runtimes/docker/firewall.ts";
import { dockerPlanOf } from "../../src/runtimes/docker/support.ts";

const policy = (name: string, spec: object, namespace = "x") => ({
  apiVersion: "networking.k8s.io/v1",
  kind: "NetworkPolicy",
  metadata: { name, namespace },
  spec,
});
const pod = (name: string, ip: string, ports: PodInput["ports"] = [{ containerPort: 80, name: "http" }]) => ({
  namespace: "x",
  name,
  labels: { pod: name },
  ports,
  podIP: ip,
});
/** The elements of the `allowed` set, one string each. */
const allowedElements = (script: string) =>
  (/set allowed \{[^}]*elements = \{\n([^}]*)\n {4}\}/.exec(script)?.[1] ?? "")
    .split(",\n")
    .map((e) => e.trim())
    .filter(Boolean);
/** The rules of a chain, one line each. */
function chain(script: string, name: string): string[] {
  const lines = script.split("\n");
  const first = lines.indexOf(`  chain ${name} {`) + 1;
  return lines.slice(first, lines.indexOf("  }", first)).map((l) => l.trim());
}
const nftCheck = (script: string) => spawnSync("nft", ["-c", "-f", "-"], { input: script, encoding: "utf8" });
const hasNft = nftCheck("").status === 0;

describe("the Azora policy set (kind/base/network-policies.yaml)", () => {
  it("allows exactly the documented flows between the dev environment's pods", async () => {
    const { prepared, containers } = await dockerPlanOf(loadEnvFile("dev"));
    const { policies } = prepared;
    const pods = containers.map((c, i) => ({
      ...(JSON.parse(podLabel(c)[POD_LABEL] as string) as PodInput),
      podIP: `10.9.0.${i + 2}`,
    }));
    const matrix = computeReachability({ ...policies, pods });
    const allowed = [...matrix.entries()]
      .filter((e) => e.allowed && e.from !== e.to)
      .map((e) => `${e.from} -> ${e.to}:${e.port}/${e.protocol}`)
      .sort();
    // dev runs one Redis pod and one Sentinel, so the Redis-to-Redis and Sentinel-to-Sentinel
    // flows (replication, agreement) have no pair here; nightly's 3 + 3 have them (test:policy).
    expect(allowed).toEqual([
      "azora/course-service-1 -> azora/azora-db-1:5432/TCP",
      "azora/enrollment-service-1 -> azora/azora-db-1:5432/TCP",
      "azora/redis-0 -> azora/redis-sentinel-0:26379/TCP",
      "azora/redis-sentinel-0 -> azora/redis-0:6379/TCP",
      "azora/session-service-1 -> azora/redis-0:6379/TCP",
      "azora/session-service-1 -> azora/redis-sentinel-0:26379/TCP",
      "azora/session-service-1 -> azora/user-service-1:8080/TCP",
      "azora/tyk-gateway-1 -> azora/course-service-1:8080/TCP",
      "azora/tyk-gateway-1 -> azora/enrollment-service-1:8080/TCP",
      "azora/tyk-gateway-1 -> azora/session-service-1:8080/TCP",
      "azora/tyk-gateway-1 -> azora/tyk-redis-1:6379/TCP",
      "azora/tyk-gateway-1 -> azora/user-service-1:8080/TCP",
      "azora/user-service-1 -> azora/azora-db-1:5432/TCP",
    ]);
    // Every pod is isolated both ways: the default deny selects them all.
    expect(matrix.isolation.ingress.every(Boolean) && matrix.isolation.egress.every(Boolean)).toBe(true);

    const firewall = compileFirewall("dev", { bridge: "br-test" }, { ...policies, pods });
    expect(allowedElements(firewall.script)).toHaveLength(13);
    // azora-db may reach any address on the API server's ports (its instance manager), nothing else.
    const db = pods.find((p) => p.name === "azora-db-1")?.podIP;
    expect(chain(firewall.script, "pod_to_outside")).toEqual([
      `ip saddr ${db} ip daddr 0.0.0.0/0 meta l4proto tcp th dport 443 return`,
      `ip saddr ${db} ip daddr 0.0.0.0/0 meta l4proto tcp th dport 6443 return`,
      "drop",
    ]);
    // From outside the bridge only the gateway, on its HTTP port: the LoadBalancer's clients.
    const gateway = pods.find((p) => p.name === "tyk-gateway-1")?.podIP;
    expect(chain(firewall.script, "outside_to_pod")).toEqual([
      `ip daddr ${gateway} meta l4proto tcp th dport 8080 return`,
      "drop",
    ]);
  });
});

describe("compileFirewall", () => {
  const pods = [
    pod("a", "10.1.0.2"),
    pod("b", "10.1.0.3", [
      { containerPort: 80, name: "http" },
      { containerPort: 53, name: "dns", protocol: "UDP" },
    ]),
    pod("c", "10.1.0.4"),
  ];

  it("gives pairs isolated in neither direction every port and every protocol", () => {
    const { script, stats } = compileFirewall("t", { bridge: "br-t" }, { pods, policies: [] });
    const elements = allowedElements(script);
    expect(elements).toContain("10.1.0.2 . 10.1.0.3 . tcp . 1-65535");
    expect(elements).toContain("10.1.0.2 . 10.1.0.3 . udp . 1-65535");
    expect(elements).toContain("10.1.0.2 . 10.1.0.3 . sctp . 1-65535");
    // 6 ordered pairs of distinct pods × 3 protocols; pods to themselves are left out.
    expect(elements).toHaveLength(18);
    expect(script).toMatch(/set open_pairs \{[^}]*10\.1\.0\.2 \. 10\.1\.0\.3/);
    expect(stats).toMatchObject({ pods: 3, policies: 0, elements: 18 + 6 });
  });

  it("keeps undeclared ports, ranges, named ports and protocols as the engine has them", () => {
    const policies = [
      policy("b-in", {
        podSelector: { matchLabels: { pod: "b" } },
        ingress: [
          {
            from: [{ podSelector: { matchLabels: { pod: "a" } } }],
            ports: [{ port: "dns", protocol: "UDP" }],
          },
          { from: [{ podSelector: { matchLabels: { pod: "c" } } }], ports: [{ port: 8000, endPort: 8100 }] },
          { from: [{ podSelector: { matchLabels: { pod: "c" } } }], ports: [{ port: 8101 }, { port: 80 }] },
        ],
      }),
    ];
    const elements = allowedElements(compileFirewall("t", { bridge: "br-t" }, { pods, policies }).script);
    expect(elements.filter((e) => e.includes(". 10.1.0.3 ."))).toEqual([
      "10.1.0.2 . 10.1.0.3 . udp . 53",
      // 80 and 8000-8100 and 8101 (adjacent: merged); nothing of UDP or SCTP.
      "10.1.0.4 . 10.1.0.3 . tcp . 80",
      "10.1.0.4 . 10.1.0.3 . tcp . 8000-8101",
    ]);
  });

  it("compiles ipBlock peers towards addresses outside the bridge, host bits cleared", () => {
    const policies = [
      policy("a-out", {
        podSelector: { matchLabels: { pod: "a" } },
        policyTypes: ["Egress"],
        egress: [
          { to: [{ ipBlock: { cidr: "192.0.2.7/24", except: ["192.0.2.128/25"] } }], ports: [{ port: 443 }] },
          { to: [{ podSelector: {} }], ports: [{ port: "http" }] },
        ],
      }),
    ];
    const { script } = compileFirewall("t", { bridge: "br-t" }, { pods, policies });
    const outside = chain(script, "pod_to_outside");
    expect(outside).toContain(
      "ip saddr 10.1.0.2 ip daddr 192.0.2.0/24 ip daddr != { 192.0.2.128/25 } meta l4proto tcp th dport 443 return",
    );
    // b and c are not isolated for egress: they may reach anything outside.
    expect(outside).toContain("ip saddr 10.1.0.3 return");
    // The pod selector peer and its named port are pod traffic, in the set.
    expect(allowedElements(script)).toContain("10.1.0.2 . 10.1.0.3 . tcp . 80");
    expect(allowedElements(script).some((e) => e.startsWith("10.1.0.2 . 10.1.0.3 . udp"))).toBe(false);
  });

  it("keeps allowed ranges of different protocols apart, even where their ports follow on", () => {
    const policies = [
      policy("b-in", {
        podSelector: { matchLabels: { pod: "b" } },
        ingress: [
          {
            from: [{ podSelector: { matchLabels: { pod: "a" } } }],
            ports: [{ port: 80 }, { port: 81, protocol: "UDP" }],
          },
        ],
      }),
    ];
    const elements = allowedElements(compileFirewall("t", { bridge: "br-t" }, { pods, policies }).script);
    expect(elements.filter((e) => e.includes(". 10.1.0.3 ."))).toEqual([
      "10.1.0.2 . 10.1.0.3 . tcp . 80",
      "10.1.0.2 . 10.1.0.3 . udp . 81",
    ]);
  });

  it("opens every port of an ipBlock a rule gives without ports, lists its excepts, and leaves out IPv6 blocks", () => {
    const policies = [
      policy("a-out", {
        podSelector: { matchLabels: { pod: "a" } },
        policyTypes: ["Egress"],
        egress: [
          { to: [{ ipBlock: { cidr: "10.0.0.0/8", except: ["10.0.1.0/24", "10.0.2.0/24"] } }] },
          // The table is IPv4 only: an IPv6 block has no rule in it, so its traffic drops.
          { to: [{ ipBlock: { cidr: "fd00::/64" } }], ports: [{ port: 443 }] },
        ],
      }),
    ];
    const { script } = compileFirewall("t", { bridge: "br-t" }, { pods, policies });
    expect(chain(script, "pod_to_outside")).toEqual([
      "ip saddr 10.1.0.2 ip daddr 10.0.0.0/8 ip daddr != { 10.0.1.0/24, 10.0.2.0/24 } return",
      "ip saddr 10.1.0.3 return",
      "ip saddr 10.1.0.4 return",
      "drop",
    ]);
  });

  it("isolates only the pods of a policy's own namespace", () => {
    // y's policy selects every pod of y, and there is none: the pods of x stay open.
    const policies = [policy("deny-out", { podSelector: {}, policyTypes: ["Egress"] }, "y")];
    const { script } = compileFirewall("t", { bridge: "br-t" }, { pods, policies });
    expect(chain(script, "pod_to_outside")).toEqual([
      "ip saddr 10.1.0.2 return",
      "ip saddr 10.1.0.3 return",
      "ip saddr 10.1.0.4 return",
      "drop",
    ]);
  });

  it("replaces the table in one transaction, scoped to the bridge, hooked before Docker's chains", () => {
    const { script, table } = compileFirewall(
      "pr-101",
      { bridge: "br-0123456789ab" },
      { pods, policies: [] },
    );
    expect(table).toBe("devstack_pr_101");
    expect(envOfTable(table)).toBe("pr-101");
    expect(tableName("pr-101")).toBe(table);
    expect(script.split("\n").slice(0, 3)).toEqual([
      "add table inet devstack_pr_101",
      "delete table inet devstack_pr_101",
      "table inet devstack_pr_101 {",
    ]);
    // The whole dispatch chain, in order: other bridges untouched, replies of allowed connections
    // pass before any policy is consulted (without it no reply would ever get back), invalid drops.
    expect(chain(script, "forward")).toEqual([
      "type filter hook forward priority filter - 10; policy accept;",
      'iifname != "br-0123456789ab" oifname != "br-0123456789ab" return',
      "ct state established,related return",
      "ct state invalid drop",
      'iifname "br-0123456789ab" oifname "br-0123456789ab" goto pod_to_pod',
      'iifname "br-0123456789ab" goto pod_to_outside',
      "goto outside_to_pod",
    ]);
    // Only drops are final: every allow is a `return` to Docker's own chains.
    expect(script).not.toMatch(/\baccept\b(?!;)/);
  });

  it("rejects an invalid policy naming it and the field, before anything is applied", () => {
    const bad = policy("bad", {
      podSelector: {},
      ingress: [{ from: [{ ipBlock: { cidr: "10.0.0.0/33" } }] }],
    });
    expect(() => compileFirewall("t", { bridge: "br-t" }, { pods, policies: [bad] })).toThrow(
      NetpolInputError,
    );
    expect(() => compileFirewall("t", { bridge: "br-t" }, { pods, policies: [bad] })).toThrow(
      /NetworkPolicy x\/bad.*spec\.ingress\[0\]\.from\[0\]\.ipBlock\.cidr/,
    );
  });

  it.runIf(hasNft)("produces scripts nft accepts (checked with nft -c, nothing applied)", () => {
    const policies = [
      policy("a-out", {
        podSelector: { matchLabels: { pod: "a" } },
        ingress: [{ ports: [{ port: "http" }, { port: 9000, endPort: 9100, protocol: "SCTP" }] }],
        egress: [{ to: [{ ipBlock: { cidr: "0.0.0.0/0", except: ["10.0.0.0/8"] } }] }],
      }),
    ];
    for (const scope of [{ bridge: "br-t" }, { podRanges: ["10.1.0.0/16"] }]) {
      const result = nftCheck(compileFirewall("t", scope, { pods, policies }).script);
      expect(result.stderr).toBe("");
      expect(result.status).toBe(0);
    }
  });
});
