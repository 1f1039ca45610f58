// The upstream Kubernetes network-policy e2e model (test/e2e/network/netpol in kubernetes/kubernetes),
// as engine input: namespaces x, y, z labelled `ns: <name>` (plus their automatic
// kubernetes.io/metadata.name label), pods a, b, c labelled `pod: <name>`, each serving every
// (port, protocol) of the test with a container port named `serve-<port>-<protocol>`
// (serve-80-tcp, serve-81-udp, ...), and the truth tables ("Reachability") tests write their
// expectations with. Pod IPs are made up (upstream reads them from the cluster).
import { expect } from "vitest";
import { computeReachability } from "../../src/netpol/engine.ts";
import type { NamespaceInput, PodInput, Protocol } from "../../src/netpol/model.ts";

export const NAMESPACES = ["x", "y", "z"] as const;
export const POD_NAMES = ["a", "b", "c"] as const;
export const ALL_PODS = NAMESPACES.flatMap((ns) => POD_NAMES.map((p) => `${ns}/${p}`));

export type Family = "ipv4" | "ipv6";

/** x/a → 10.0.0.1, y/b → 10.0.1.2 ... (IPv4); fd00::0:1, fd00::1:2 ... (IPv6). */
export function podIP(pod: string, family: Family = "ipv4"): string {
  const [ns, name] = pod.split("/") as [string, string];
  const n = NAMESPACES.indexOf(ns as (typeof NAMESPACES)[number]);
  const p = POD_NAMES.indexOf(name as (typeof POD_NAMES)[number]) + 1;
  return family === "ipv4" ? `10.0.${n}.${p}` : `fd00::${n}:${p}`;
}

export const hostCIDR = (ip: string) => `${ip}/${ip.includes(":") ? 128 : 32}`;

/** upstream makeLargeCIDRForIP: the /4 that contains the IP. */
export function makeLargeCIDRForIP(ip: string): string {
  if (ip.includes(":")) {
    const first = Number.parseInt(ip.split(":")[0] || "0", 16) & 0xf000;
    return `${first.toString(16)}::/4`;
  }
  return `${Number(ip.split(".")[0]) & 0xf0}.0.0.0/4`;
}

export interface Topology {
  namespaces: NamespaceInput[];
  pods: PodInput[];
  family: Family;
}

/** upstream initializeResources(protocols, ports, "x/a", "x/b", ...): the three namespaces and the named pods. */
export function initializeResources(
  protocols: readonly Protocol[],
  ports: readonly number[],
  podStrings: readonly string[],
  family: Family = "ipv4",
): Topology {
  return {
    family,
    namespaces: NAMESPACES.map((name) => ({ name, labels: { ns: name } })),
    pods: podStrings.map((pod) => {
      const [namespace, name] = pod.split("/") as [string, string];
      return {
        namespace,
        name,
        labels: { pod: name },
        ports: ports.flatMap((port) =>
          protocols.map((protocol) => ({
            containerPort: port,
            protocol,
            name: `serve-${port}-${protocol.toLowerCase()}`,
          })),
        ),
        podIP: podIP(pod, family),
      };
    }),
  };
}

/** The model the brief describes: all nine pods serving TCP and UDP on 80 and 81. */
export const fullTopology = (family: Family = "ipv4") =>
  initializeResources(["TCP", "UDP"], [80, 81], ALL_PODS, family);

// --- Policies, built the way upstream's helpers build them. ---------------------------------------

export type Selector = { matchLabels?: Record<string, string>; matchExpressions?: object[] };
export type Policy = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string };
  spec: {
    podSelector: Selector;
    policyTypes?: string[];
    ingress?: object[];
    egress?: object[];
  };
};
type SetFunc = (policy: Policy) => void;

/**
 * upstream SetSpecIngressRules / SetSpecEgressRules: add the rules, and the direction to
 * policyTypes the first time.
 */
const setSpecRules =
  (direction: "ingress" | "egress", policyType: "Ingress" | "Egress") =>
  (...rules: object[]): SetFunc =>
  (policy) => {
    if (policy.spec[direction] === undefined) {
      policy.spec[direction] = [];
      policy.spec.policyTypes = [...(policy.spec.policyTypes ?? []), policyType];
    }
    policy.spec[direction]?.push(...rules);
  };
export const setSpecIngressRules = setSpecRules("ingress", "Ingress");
export const setSpecEgressRules = setSpecRules("egress", "Egress");

/** upstream GenNetworkPolicyWithNameAndPodSelector. */
export function genNetworkPolicyWithNameAndPodSelector(
  name: string,
  podSelector: Selector,
  ...setters: SetFunc[]
): Policy {
  const policy: Policy = {
    apiVersion: "networking.k8s.io/v1",
    kind: "NetworkPolicy",
    metadata: { name },
    spec: { podSelector },
  };
  for (const set of setters) set(policy);
  return policy;
}

/** upstream GenNetworkPolicyWithNameAndPodMatchLabel. */
export const genNetworkPolicyWithNameAndPodMatchLabel = (
  name: string,
  matchLabels: Record<string, string>,
  ...setters: SetFunc[]
) => genNetworkPolicyWithNameAndPodSelector(name, { matchLabels }, ...setters);

/** upstream CreatePolicy: the policy in a namespace. */
export const inNamespace = (policy: Policy, namespace: string): Policy => ({
  ...policy,
  metadata: { ...policy.metadata, namespace },
});

// --- Truth tables, as upstream's Reachability. -----------------------------------------------------

export interface Peer {
  namespace?: string;
  pod?: string;
}

const peerMatches = (peer: Peer, pod: string) => {
  const [ns, name] = pod.split("/");
  return (
    (peer.namespace === undefined || peer.namespace === ns) && (peer.pod === undefined || peer.pod === name)
  );
};

/** upstream NewReachability(pods, defaultExpectation) with Expect, ExpectPeer, ExpectAllIngress/Egress. */
export class Reachability {
  private readonly expected = new Map<string, boolean>();

  readonly pods: readonly string[];

  constructor(pods: readonly string[], defaultExpectation: boolean) {
    this.pods = pods;
    for (const from of pods) for (const to of pods) this.expected.set(`${from}>${to}`, defaultExpectation);
  }

  expect(from: string, to: string, connected: boolean) {
    this.expected.set(`${from}>${to}`, connected);
  }

  expectPeer(from: Peer, to: Peer, connected: boolean) {
    for (const f of this.pods)
      for (const t of this.pods) if (peerMatches(from, f) && peerMatches(to, t)) this.expect(f, t, connected);
  }

  expectAllIngress(pod: string, connected: boolean) {
    for (const from of this.pods) this.expect(from, pod, connected);
  }

  expectAllEgress(pod: string, connected: boolean) {
    for (const to of this.pods) this.expect(pod, to, connected);
  }

  get(from: string, to: string): boolean {
    return this.expected.get(`${from}>${to}`) as boolean;
  }
}

export interface TestCase {
  toPort: number;
  protocol: Protocol;
  reachability: Reachability;
}

/** Every pair whose engine result differs from the truth table, as a printable table of both. */
export function mismatches(matrix: MatrixLike, testCase: TestCase): string[] {
  const query = { protocol: testCase.protocol, port: testCase.toPort };
  const wrong: string[] = [];
  for (const from of testCase.reachability.pods)
    for (const to of testCase.reachability.pods) {
      const want = testCase.reachability.get(from, to);
      const got = matrix.allowed(from, to, query);
      if (got !== want)
        wrong.push(
          `${from} -> ${to} ${testCase.toPort}/${testCase.protocol}: expected ${want ? "." : "X"}, got ${got ? "." : "X"}`,
        );
    }
  return wrong;
}

type MatrixLike = { allowed(from: string, to: string, q: { protocol: Protocol; port: number }): boolean };

/**
 * upstream ValidateOrFail: the engine's verdict for every ordered pair of the topology's pods must be
 * the truth table's. Unlike upstream (which ignores loopback, because CNIs differ on it) pairs of a
 * pod with itself are compared too: the engine evaluates them by policy semantics, and upstream's
 * tables spell out the policy answer for them.
 */
export function validateOrFail(topology: Topology, policies: readonly Policy[], testCase: TestCase): void {
  const matrix = computeReachability(
    { namespaces: topology.namespaces, pods: topology.pods, policies },
    { ports: [{ protocol: testCase.protocol, port: testCase.toPort }] },
  );
  expect(mismatches(matrix, testCase)).toEqual([]);
}

export const allPodStrings = (topology: Topology) => topology.pods.map((p) => `${p.namespace}/${p.name}`);
