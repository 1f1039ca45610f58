import { describe, expect, it } from "vitest";
import { compileFirewall } from "../../src/netpol/nftables.ts";

// The whole nft script for one small environment, worked out by hand from the rules documented in
// src/netpol/nftables.ts: x/b admits x/a on its `http` port, and 192.0.2.0/24 (outside the bridge)
// on http, dns/UDP and any SCTP port; x/a is open; x/c has only an IPv6 address, so the IPv4 table
// has nothing for it.

const policy = (name: string, spec: object) => ({
  apiVersion: "networking.k8s.io/v1",
  kind: "NetworkPolicy",
  metadata: { name, namespace: "x" },
  spec,
});

const pods = [
  {
    namespace: "x",
    name: "a",
    labels: { pod: "a" },
    ports: [{ containerPort: 80, name: "http" }],
    podIP: "10.1.0.2",
  },
  {
    namespace: "x",
    name: "b",
    labels: { pod: "b" },
    ports: [
      { containerPort: 80, name: "http" },
      { containerPort: 53, name: "dns", protocol: "UDP" as const },
    ],
    podIP: "10.1.0.3",
  },
  { namespace: "x", name: "c", labels: { pod: "c" }, podIPs: ["fd00::4"] },
];
const policies = [
  policy("b-in", {
    podSelector: { matchLabels: { pod: "b" } },
    ingress: [{ from: [{ podSelector: { matchLabels: { pod: "a" } } }], ports: [{ port: "http" }] }],
  }),
  policy("b-web", {
    podSelector: { matchLabels: { pod: "b" } },
    ingress: [
      {
        from: [{ ipBlock: { cidr: "192.0.2.0/24" } }],
        ports: [
          { port: "http" },
          { port: "dns", protocol: "UDP" },
          { protocol: "SCTP" },
          { port: "http", protocol: "UDP" },
        ],
      },
    ],
  }),
];

describe("the nftables script of an environment", () => {
  it("is exactly the table the rules give, line by line", () => {
    const { table, script, stats } = compileFirewall("t", { bridge: "br-t" }, { pods, policies });
    expect(table).toBe("devstack_t");
    expect(script).toBe(
      [
        "add table inet devstack_t",
        "delete table inet devstack_t",
        "table inet devstack_t {",
        '  comment "azora devstack env t, bridge br-t"',
        "  set allowed {",
        "    type ipv4_addr . ipv4_addr . inet_proto . inet_service; flags interval;",
        "    elements = {",
        "      10.1.0.2 . 10.1.0.3 . tcp . 80,",
        "      10.1.0.3 . 10.1.0.2 . tcp . 1-65535,",
        "      10.1.0.3 . 10.1.0.2 . udp . 1-65535,",
        "      10.1.0.3 . 10.1.0.2 . sctp . 1-65535",
        "    }",
        "  }",
        "  set open_pairs {",
        "    type ipv4_addr . ipv4_addr; flags interval;",
        "    elements = {",
        "      10.1.0.3 . 10.1.0.2",
        "    }",
        "  }",
        "  chain forward {",
        "    type filter hook forward priority filter - 10; policy accept;",
        '    iifname != "br-t" oifname != "br-t" return',
        "    ct state established,related return",
        "    ct state invalid drop",
        '    iifname "br-t" oifname "br-t" goto pod_to_pod',
        '    iifname "br-t" goto pod_to_outside',
        "    goto outside_to_pod",
        "  }",
        "  chain pod_to_pod {",
        "    ip saddr . ip daddr . meta l4proto . th dport @allowed return",
        "    meta l4proto != { tcp, udp, sctp } ip saddr . ip daddr @open_pairs return",
        "    drop",
        "  }",
        "  chain pod_to_outside {",
        "    ip saddr 10.1.0.2 return",
        "    ip saddr 10.1.0.3 return",
        "    drop",
        "  }",
        "  chain outside_to_pod {",
        "    ip daddr 10.1.0.2 return",
        "    ip daddr 10.1.0.3 ip saddr 192.0.2.0/24 meta l4proto tcp th dport 80 return",
        "    ip daddr 10.1.0.3 ip saddr 192.0.2.0/24 meta l4proto udp th dport 53 return",
        "    ip daddr 10.1.0.3 ip saddr 192.0.2.0/24 meta l4proto sctp return",
        "    drop",
        "  }",
        "}",
        "",
      ].join("\n"),
    );
    // 4 + 1 set elements; 2 + 4 rules of their own plus the 11 fixed ones.
    expect(stats).toEqual({ pods: 3, policies: 2, elements: 5, rules: 17 });
  });

  it("judges by the pod ranges on a Kubernetes node: the same chains, entered by address", () => {
    const bridge = compileFirewall("t", { bridge: "br-t" }, { pods, policies }).script;
    const node = compileFirewall("t", { podRanges: ["10.1.0.0/16", "10.2.3.4/24"] }, { pods, policies });
    const lines = (script: string) => script.split("\n");
    // Only the comment, the ranges' set and the forward chain's scope rules differ.
    const removed = lines(bridge).filter((l) => !lines(node.script).includes(l));
    const added = lines(node.script).filter((l) => !lines(bridge).includes(l));
    expect(removed).toEqual([
      '  comment "azora devstack env t, bridge br-t"',
      '    iifname != "br-t" oifname != "br-t" return',
      '    iifname "br-t" oifname "br-t" goto pod_to_pod',
      '    iifname "br-t" goto pod_to_outside',
    ]);
    // (Lines the other sets have too, such as `    }`, are not in `added`.)
    expect(added).toEqual([
      '  comment "azora devstack env t, pod ranges 10.1.0.0/16, 10.2.3.4/24"',
      "  set pod_ranges {",
      "    type ipv4_addr; flags interval;",
      "      10.1.0.0/16,",
      "      10.2.3.0/24",
      "    ip saddr != @pod_ranges ip daddr != @pod_ranges return",
      "    ip saddr @pod_ranges ip daddr @pod_ranges goto pod_to_pod",
      "    ip saddr @pod_ranges goto pod_to_outside",
    ]);
    expect(node.script).toContain(
      "  set pod_ranges {\n    type ipv4_addr; flags interval;\n    elements = {\n      10.1.0.0/16,\n      10.2.3.0/24\n    }\n  }\n  chain forward {",
    );
    expect(node.script).toMatch(/goto pod_to_outside\n {4}goto outside_to_pod\n {2}\}/);
    expect(() => compileFirewall("t", { podRanges: ["10.1.0.0"] }, { pods, policies })).toThrow(
      "pod range '10.1.0.0' is not an IPv4 CIDR (a.b.c.d/n)",
    );
  });

  it("on a node with an uplink, leaves a pod address it does not know, arriving from another node, to that node's judgement", () => {
    const without = compileFirewall("t", { podRanges: ["10.1.0.0/16"] }, { pods, policies });
    const node = compileFirewall("t", { podRanges: ["10.1.0.0/16"], uplink: "eth0" }, { pods, policies });
    const lines = (script: string) => script.split("\n");
    expect(lines(node.script).filter((l) => !lines(without.script).includes(l))).toEqual([
      "  set known_pods {",
      "      10.1.0.2,",
      "      10.1.0.3",
      '    iifname "eth0" ip saddr != @known_pods return',
    ]);
    // Only unknown sources: a known pair not allowed still drops, after the pairs' sets.
    expect(node.script).toMatch(
      /@open_pairs return\n {4}iifname "eth0" ip saddr != @known_pods return\n {4}drop\n {2}\}\n {2}chain pod_to_outside/,
    );
    expect(node.stats.rules).toBe(without.stats.rules + 1);
  });

  it("takes pod ranges written a.b.c.d/n only, with octets up to 255 and prefixes up to 32", () => {
    const node = compileFirewall(
      "t",
      { podRanges: ["172.16.128.0/17", "10.255.255.255/32"] },
      { pods, policies },
    );
    expect(node.script).toContain("    elements = {\n      172.16.128.0/17,\n      10.255.255.255/32\n    }");
    for (const bad of [
      "256.0.0.0/8",
      "10.0.0.300/24",
      "10.0.0.0/33",
      "x10.0.0.0/8",
      "10.0.0.0/8x",
      "fd00::/64",
    ])
      expect(() => compileFirewall("t", { podRanges: [bad] }, { pods, policies })).toThrow(
        `pod range '${bad}' is not an IPv4 CIDR (a.b.c.d/n)`,
      );
  });

  it("leaves a set without elements when nothing goes between pods", () => {
    const { script, stats } = compileFirewall(
      "solo",
      { bridge: "br-s" },
      {
        pods: [pods[0] as (typeof pods)[0]],
        policies: [],
      },
    );
    expect(script).toContain(
      "  set allowed {\n    type ipv4_addr . ipv4_addr . inet_proto . inet_service; flags interval;\n  }\n  set open_pairs {\n    type ipv4_addr . ipv4_addr; flags interval;\n  }\n",
    );
    expect(stats).toEqual({ pods: 1, policies: 0, elements: 0, rules: 13 });
  });

  it("cuts isolated addresses off before connection tracking, each once, in order", () => {
    const { script, stats } = compileFirewall(
      "solo",
      { bridge: "br-s" },
      {
        pods: [pods[0] as (typeof pods)[0]],
        policies: [],
        isolated: ["10.1.0.9", "10.1.0.2", "10.1.0.9"],
      },
    );
    expect(script).toContain(
      [
        "  chain forward {",
        "    type filter hook forward priority filter - 10; policy accept;",
        '    iifname != "br-s" oifname != "br-s" return',
        "    ip saddr 10.1.0.2 drop",
        "    ip daddr 10.1.0.2 drop",
        "    ip saddr 10.1.0.9 drop",
        "    ip daddr 10.1.0.9 drop",
        "    ct state established,related return",
      ].join("\n"),
    );
    expect(stats.rules).toBe(17);
  });
});
