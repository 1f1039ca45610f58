import { buildCluster, type Cluster, type ClusterInput, type ClusterPod } from "./cluster.ts";
import { evaluate } from "./engine.ts";
import type { CompiledPeer, CompiledPort } from "./match.ts";
import { type PortQuery, PROTOCOLS, type Protocol } from "./model.ts";
import type { CompiledPolicy, CompiledRule } from "./policy.ts";

/**
 * Compiles the engine's model of one environment into an nftables table of its own, scoped to the
 * environment's bridge (Docker) or to the cluster's pod ranges (in each node of a Kind cluster, see
 * FirewallScope; below, "the bridge" stands for the scope). The table only ever drops: its base
 * chain hooks `forward` just before Docker's own filter chains (priority filter - 10), and its
 * `return`s merely hand the packet on to them, so nothing here can open a path Docker would close.
 *
 * - Replies of allowed connections pass (`ct state established,related`), invalid packets drop.
 * - An `isolated` address (a pod the chaos suite cuts off) gets nothing at all, not even replies
 *   on connections it had.
 * - Pod to pod (in and out of the bridge): a new connection passes iff (source IP, destination IP,
 *   protocol, port) is in the `allowed` set. The set holds, per ordered pair of pods, the port
 *   ranges the engine allows: ports are cut into intervals at every declared container port and at
 *   every port and endPort of a policy, the engine is asked once per interval, and adjacent
 *   allowed intervals are merged. So undeclared ports behave as on Kubernetes (e.g. a rule without
 *   `ports` opens every port), not just the declared ones.
 * - Protocols other than TCP, UDP and SCTP (ICMP...) pass only between pods isolated in neither
 *   direction, as Calico does.
 * - Pod to outside the bridge: per source pod, its egress rules with `ipBlock` (IPv4) or absent
 *   `to`; outside to pod: per destination pod, its ingress rules likewise. Named ports towards
 *   outside addresses match nothing (there is no pod to resolve them against).
 * - A pod talking to its own IP never crosses the bridge, so pairs of a pod with itself are left out.
 * - An address on the bridge that belongs to no known pod (a container that just started and is
 *   not yet in the model) gets nothing: its new connections drop until the next apply.
 * Traffic of the host itself (published ports, the liveness supervisor in the host's network
 * namespace) is not forwarded and never meets these rules, as kubelet probes on a node.
 */

export interface FirewallModel extends ClusterInput {
  /** Pod addresses cut off from everything on the bridge, open connections too (the chaos suite's isolation). */
  isolated?: readonly string[];
}

/**
 * Which traffic the table judges. `bridge`: a Docker environment's bridge, whose every address is a
 * pod (forwarded packets entering or leaving it). `podRanges`: a Kubernetes node's, where pods have
 * addresses in the cluster's pod ranges and reach each other through the node (on it or across
 * nodes); packets with neither end in those ranges are none of the table's business. Its `uplink`
 * is the node's interface to the other nodes: a packet arriving there from a pod address this table
 * does not know yet was judged by its own node's table, which learns a new pod's address from the
 * node's CNI before the pod starts (other nodes learn it only once the kubelet reports it, and
 * would drop the new pod's first packets meanwhile, its first DNS query among them).
 */
export type FirewallScope = { bridge: string } | { podRanges: readonly string[]; uplink?: string };

export interface CompiledFirewall {
  table: string;
  /** An `nft -f` script that replaces the table atomically (one transaction). */
  script: string;
  stats: { pods: number; policies: number; elements: number; rules: number };
}

/** The table's name for an environment: `devstack_` and the name, `-` as `_` (names are [a-z0-9-]). */
export const tableName = (env: string) => `devstack_${env.replace(/-/g, "_")}`;
export const TABLE_PREFIX = "devstack_";
export const envOfTable = (table: string) => table.slice(TABLE_PREFIX.length).replace(/_/g, "-");

const NFT_PROTOCOL: Record<Protocol, string> = { TCP: "tcp", UDP: "udp", SCTP: "sctp" };
const MAX_PORT = 65_535;

export function compileFirewall(
  env: string,
  scope: FirewallScope,
  model: FirewallModel,
  cluster: Cluster = buildCluster(model),
): CompiledFirewall {
  const table = tableName(env);
  const pods = cluster.pods;
  const isolated = [...new Set(model.isolated ?? [])].sort();
  const ipv4 = pods.map((pod) => pod.ips.find((ip) => !ip.includes(":")));
  const uplink = "uplink" in scope ? scope.uplink : undefined;

  // Intervals per protocol: cut at every declared port and every port/endPort a policy names.
  const cuts = new Map<Protocol, Set<number>>(PROTOCOLS.map((p) => [p, new Set([1, MAX_PORT + 1])]));
  const cut = (protocol: Protocol, from: number, to: number) => {
    cuts.get(protocol)?.add(from);
    cuts.get(protocol)?.add(to + 1);
  };
  for (const pod of pods) for (const port of pod.ports) cut(port.protocol, port.port, port.port);
  for (const policy of cluster.policies)
    for (const rule of [...(policy.ingress ?? []), ...(policy.egress ?? [])])
      if (rule.ports !== "all")
        for (const port of rule.ports) if (port.kind === "range") cut(port.protocol, port.from, port.to);
  const intervals: { protocol: Protocol; from: number; to: number }[] = [];
  for (const protocol of PROTOCOLS) {
    const points = [...(cuts.get(protocol) as Set<number>)].sort((a, b) => a - b);
    for (let i = 0; i + 1 < points.length; i++)
      intervals.push({ protocol, from: points[i] as number, to: (points[i + 1] as number) - 1 });
  }
  const queries: PortQuery[] = intervals.map((i) => ({ protocol: i.protocol, port: i.from }));
  const matrix = evaluate(cluster, { ports: queries });

  const allowed: string[] = [];
  const openPairs: string[] = [];
  for (let s = 0; s < pods.length; s++) {
    const from = ipv4[s];
    if (!from) continue;
    for (let d = 0; d < pods.length; d++) {
      const to = ipv4[d];
      if (!to || d === s) continue;
      if (!matrix.isolation.egress[s] && !matrix.isolation.ingress[d]) openPairs.push(`${from} . ${to}`);
      // Merge adjacent allowed intervals of one protocol into one range.
      let open: { protocol: Protocol; from: number; to: number } | undefined;
      const flush = () => {
        if (open)
          allowed.push(`${from} . ${to} . ${NFT_PROTOCOL[open.protocol]} . ${range(open.from, open.to)}`);
        open = undefined;
      };
      for (const q of matrix.allowedIndexes(s, d)) {
        const interval = intervals[q] as (typeof intervals)[number];
        if (open && open.protocol === interval.protocol && open.to + 1 === interval.from)
          open.to = interval.to;
        else {
          flush();
          open = { ...interval };
        }
      }
      flush();
    }
  }

  const outbound: string[] = [];
  const inbound: string[] = [];
  pods.forEach((pod, i) => {
    const ip = ipv4[i];
    if (!ip) return;
    outbound.push(...outsideRules(`ip saddr ${ip}`, "daddr", selecting(cluster, pod, "egress"), undefined));
    inbound.push(...outsideRules(`ip daddr ${ip}`, "saddr", selecting(cluster, pod, "ingress"), pod));
  });

  const set = (name: string, type: string, elements: string[]) =>
    [
      `  set ${name} {`,
      `    type ${type}; flags interval;`,
      ...(elements.length > 0 ? [`    elements = {\n      ${elements.join(",\n      ")}\n    }`] : []),
      "  }",
    ].join("\n");
  const script = [
    // Creating then deleting makes the delete safe when the table does not exist yet; the whole
    // file is one transaction, so the old table stays in force until the new one is complete.
    `add table inet ${table}`,
    `delete table inet ${table}`,
    `table inet ${table} {`,
    `  comment ${JSON.stringify(`azora devstack env ${env}, ${scopeText(scope)}`)}`,
    set("allowed", "ipv4_addr . ipv4_addr . inet_proto . inet_service", allowed),
    set("open_pairs", "ipv4_addr . ipv4_addr", openPairs),
    ...("podRanges" in scope ? [set("pod_ranges", "ipv4_addr", scope.podRanges.map(cidr))] : []),
    ...(uplink ? [set("known_pods", "ipv4_addr", [...new Set(ipv4.filter((ip) => ip !== undefined))])] : []),
    "  chain forward {",
    "    type filter hook forward priority filter - 10; policy accept;",
    ...scopeRules(scope, "entry"),
    // Before the connection tracking: an isolated pod's open connections hang, as on a cut link.
    // Rules, not a set: the host's nft 1.0.6 (bookworm) segfaults listing a table in which the
    // supervisor's nft 1.1.3 (trixie) made a set of single addresses.
    ...isolated.flatMap((ip) => [`    ip saddr ${ip} drop`, `    ip daddr ${ip} drop`]),
    "    ct state established,related return",
    "    ct state invalid drop",
    ...scopeRules(scope, "dispatch"),
    "  }",
    "  chain pod_to_pod {",
    "    ip saddr . ip daddr . meta l4proto . th dport @allowed return",
    "    meta l4proto != { tcp, udp, sctp } ip saddr . ip daddr @open_pairs return",
    ...(uplink ? [`    iifname ${JSON.stringify(uplink)} ip saddr != @known_pods return`] : []),
    "    drop",
    "  }",
    "  chain pod_to_outside {",
    ...outbound.map((r) => `    ${r}`),
    "    drop",
    "  }",
    "  chain outside_to_pod {",
    ...inbound.map((r) => `    ${r}`),
    "    drop",
    "  }",
    "}",
    "",
  ].join("\n");
  return {
    table,
    script,
    stats: {
      pods: pods.length,
      policies: cluster.policies.length,
      elements: allowed.length + openPairs.length,
      rules: outbound.length + inbound.length + 2 * isolated.length + 11 + (uplink ? 1 : 0),
    },
  };
}

const scopeText = (scope: FirewallScope) =>
  "bridge" in scope ? `bridge ${scope.bridge}` : `pod ranges ${scope.podRanges.join(", ")}`;

/** `entry`: the packets outside the scope leave at once; `dispatch`: the rest go to their chain. */
function scopeRules(scope: FirewallScope, part: "entry" | "dispatch"): string[] {
  if ("bridge" in scope) {
    const quoted = JSON.stringify(scope.bridge);
    return part === "entry"
      ? [`    iifname != ${quoted} oifname != ${quoted} return`]
      : [
          `    iifname ${quoted} oifname ${quoted} goto pod_to_pod`,
          `    iifname ${quoted} goto pod_to_outside`,
          "    goto outside_to_pod",
        ];
  }
  return part === "entry"
    ? ["    ip saddr != @pod_ranges ip daddr != @pod_ranges return"]
    : [
        "    ip saddr @pod_ranges ip daddr @pod_ranges goto pod_to_pod",
        "    ip saddr @pod_ranges goto pod_to_outside",
        "    goto outside_to_pod",
      ];
}

const range = (from: number, to: number) => (from === to ? `${from}` : `${from}-${to}`);

/** The rules of one direction that apply to a pod, or undefined when no policy isolates it. */
function selecting(
  cluster: Cluster,
  pod: ClusterPod,
  direction: "ingress" | "egress",
): CompiledRule[] | undefined {
  const policies = cluster.policies.filter(
    (p: CompiledPolicy) => p.namespace === pod.namespace && p[direction] && p.podSelector.matches(pod.labels),
  );
  return policies.length === 0 ? undefined : policies.flatMap((p) => p[direction] ?? []);
}

/** nft rules for traffic between a pod (`match`) and addresses outside the bridge (`field`). */
function outsideRules(
  match: string,
  field: "saddr" | "daddr",
  rules: CompiledRule[] | undefined,
  pod: ClusterPod | undefined,
): string[] {
  if (!rules) return [`${match} return`];
  const out: string[] = [];
  for (const rule of rules) {
    const peers: (string | undefined)[] =
      rule.peers === "all" ? [""] : rule.peers.map((peer) => ipBlockMatch(peer, field));
    const ports = rule.ports === "all" ? [""] : rule.ports.flatMap((port) => portMatch(port, pod));
    for (const peer of peers) {
      if (peer === undefined) continue;
      for (const port of ports) out.push(`${match}${peer}${port} return`);
    }
  }
  return out;
}

function ipBlockMatch(peer: CompiledPeer, field: "saddr" | "daddr"): string | undefined {
  if (peer.kind !== "ipBlock" || peer.block.cidr.family !== "ipv4") return undefined;
  const except = peer.block.except.map((e) => network(e.address, e.prefix));
  const cidr = network(peer.block.cidr.address, peer.block.cidr.prefix);
  return ` ip ${field} ${cidr}${except.length > 0 ? ` ip ${field} != { ${except.join(", ")} }` : ""}`;
}

function portMatch(port: CompiledPort, pod: ClusterPod | undefined): string[] {
  const proto = NFT_PROTOCOL[port.protocol];
  switch (port.kind) {
    case "any":
      return [` meta l4proto ${proto}`];
    case "range":
      return [` meta l4proto ${proto} th dport ${range(port.from, port.to)}`];
    case "named":
      return (pod?.namedPorts.get(port.name) ?? [])
        .filter((p) => p.protocol === port.protocol)
        .map((p) => ` meta l4proto ${proto} th dport ${p.port}`);
  }
}

/** A CIDR written `a.b.c.d/n` with its host bits cleared. */
function cidr(text: string): string {
  const m = /^(\d{1,3}(?:\.\d{1,3}){3})\/(\d{1,2})$/.exec(text);
  if (!m || Number(m[2]) > 32 || m[1]?.split(".").some((o) => Number(o) > 255))
    throw new Error(`pod range '${text}' is not an IPv4 CIDR (a.b.c.d/n)`);
  return network(m[1] as string, Number(m[2]));
}

/** `a.b.c.d/n` with the host bits cleared, as Kubernetes reads a CIDR (nft refuses host bits). */
function network(address: string, prefix: number): string {
  const value = address.split(".").reduce((acc, octet) => acc * 256 + Number(octet), 0);
  const size = 2 ** (32 - prefix);
  const base = Math.floor(value / size) * size;
  return `${[24, 16, 8, 0].map((shift) => Math.floor(base / 2 ** shift) % 256).join(".")}/${prefix}`;
}
