import { buildCluster, type Cluster, type ClusterInput, type ClusterPod } from "./cluster.ts";
import { peerMatches, portMatches } from "./match.ts";
import { type PortQuery, type Protocol, portLabel } from "./model.ts";
import type { CompiledPolicy, CompiledRule } from "./policy.ts";

/**
 * Kubernetes NetworkPolicy semantics as a pure function: which pod may open a connection to which
 * pod, on which (protocol, port).
 *
 * - A pod is isolated for ingress iff some policy of its namespace selects it (`podSelector`) and
 *   has Ingress among its (defaulted, see policy.ts) policy types; the same for egress.
 * - A non-isolated direction allows everything. An isolated one allows what the union of the rules
 *   of all the policies selecting the pod (in that direction) allows: rules are ORed, peers of a
 *   rule are ORed, a rule needs one of its peers AND one of its ports (see match.ts).
 * - A connection from S to D on (protocol, port) is allowed iff S's egress allows it (towards D's
 *   IPs/labels, and D's named ports) AND D's ingress allows it (from S).
 * - The matrix is about connection initiation: replies of an allowed connection are always allowed
 *   (NetworkPolicy is stateful), so "S→D allowed, D→S denied" means D cannot open a connection to S,
 *   not that S gets no answers.
 * - A pod to itself is evaluated like any other pair. (Real CNIs differ on loopback traffic, which is
 *   why the upstream e2e suite ignores it; see kubernetes/kubernetes#95879.)
 *
 * Selectors are evaluated once per policy and per rule (not per pair): each rule's peers become a
 * bit set over pods, each egress rule a bit set over (destination, port) slots, so the matrix costs
 * O(rules × pods × ports) plus O(pods² × ports) to assemble. Pods selected by the same rules share
 * their union.
 */

export interface ReachabilityOptions {
  /** Ask about exactly these (protocol, port) for every destination. */
  ports?: readonly PortQuery[];
  /** Without `ports`: ask about the destination's declared ports of these protocols only. */
  protocols?: readonly Protocol[];
}

export interface Entry {
  from: string;
  to: string;
  protocol: Protocol;
  port: number;
  allowed: boolean;
}

class Bits {
  readonly words: Uint32Array;
  readonly size: number;
  constructor(size: number) {
    this.size = size;
    this.words = new Uint32Array((size + 31) >>> 5);
  }
  set(i: number) {
    this.words[i >>> 5] = (this.words[i >>> 5] as number) | (1 << (i & 31));
  }
  has(i: number): boolean {
    return (((this.words[i >>> 5] as number) >>> (i & 31)) & 1) === 1;
  }
  or(other: Bits) {
    const w = this.words;
    const o = other.words;
    for (let k = 0; k < w.length; k++) w[k] = (w[k] as number) | (o[k] as number);
  }
  fill() {
    for (let i = 0; i < this.size; i++) this.set(i);
  }
}

/** Validates the input (throws NetpolInputError with every problem) and computes the matrix. */
export function computeReachability(input: ClusterInput, options: ReachabilityOptions = {}): Reachability {
  return evaluate(buildCluster(input), options);
}

/** The matrix of an already built cluster. */
export function evaluate(cluster: Cluster, options: ReachabilityOptions = {}): Reachability {
  const pods = cluster.pods;
  const n = pods.length;
  const queries: PortQuery[][] = pods.map((pod) =>
    options.ports
      ? options.ports.map((q) => ({ protocol: q.protocol, port: q.port }))
      : pod.ports
          .filter((p) => !options.protocols || options.protocols.includes(p.protocol))
          .map((p) => ({ protocol: p.protocol, port: p.port })),
  );
  const slotBase = new Int32Array(n + 1);
  for (let d = 0; d < n; d++) slotBase[d + 1] = (slotBase[d] as number) + (queries[d] as PortQuery[]).length;
  const slots = slotBase[n] as number;

  // Which policies select which pods, per direction.
  const byNamespace = new Map<string, number[]>();
  pods.forEach((pod, i) => {
    const list = byNamespace.get(pod.namespace);
    if (list) list.push(i);
    else byNamespace.set(pod.namespace, [i]);
  });
  type Scoped = { rule: CompiledRule; policy: CompiledPolicy; id: number };
  const ingressRules: Scoped[][] = pods.map(() => []);
  const egressRules: Scoped[][] = pods.map(() => []);
  const isolatedIn = new Uint8Array(n);
  const isolatedOut = new Uint8Array(n);
  let ruleIds = 0;
  for (const policy of cluster.policies) {
    const ingress = (policy.ingress ?? []).map((rule) => ({ rule, policy, id: ruleIds++ }));
    const egress = (policy.egress ?? []).map((rule) => ({ rule, policy, id: ruleIds++ }));
    const selected = (byNamespace.get(policy.namespace) ?? []).filter((i) =>
      policy.podSelector.matches((pods[i] as ClusterPod).labels),
    );
    for (const i of selected) {
      if (policy.ingress) {
        isolatedIn[i] = 1;
        (ingressRules[i] as Scoped[]).push(...ingress);
      }
      if (policy.egress) {
        isolatedOut[i] = 1;
        (egressRules[i] as Scoped[]).push(...egress);
      }
    }
  }

  // Each rule's peers, once: the pods it names (as sources for ingress, destinations for egress).
  const peerSets = new Map<CompiledRule, Bits>();
  const peersOf = ({ rule, policy }: Scoped): Bits => {
    let bits = peerSets.get(rule);
    if (bits) return bits;
    bits = new Bits(n);
    if (rule.peers === "all") bits.fill();
    else {
      const peers = rule.peers;
      for (let j = 0; j < n; j++) {
        const pod = pods[j] as ClusterPod;
        if (peers.some((peer) => peerMatches(peer, policy.namespace, pod))) bits.set(j);
      }
    }
    peerSets.set(rule, bits);
    return bits;
  };
  const portsAllow = (rule: CompiledRule, destination: ClusterPod, query: PortQuery) =>
    rule.ports === "all" || rule.ports.some((port) => portMatches(port, destination, query));

  // Pods selected by the same rules (and, for ingress, asked about the same ports with the same
  // port names) get the same answer: it is computed once for all of them.
  const signature = (rules: readonly Scoped[]) => rules.map((r) => r.id).join(",");

  // Ingress: per destination and asked port, the set of sources allowed in.
  const ingressMemo = new Map<string, Bits[]>();
  const ingressAllowed: Bits[][] = pods.map((pod, d) => {
    if (!isolatedIn[d]) return [];
    const key = `${signature(ingressRules[d] as Scoped[])}|${JSON.stringify(queries[d])}|${JSON.stringify([...pod.namedPorts])}`;
    const known = ingressMemo.get(key);
    if (known) return known;
    const allowed = (queries[d] as PortQuery[]).map((query) => {
      const sources = new Bits(n);
      for (const scoped of ingressRules[d] as Scoped[]) {
        if (portsAllow(scoped.rule, pod, query)) sources.or(peersOf(scoped));
      }
      return sources;
    });
    ingressMemo.set(key, allowed);
    return allowed;
  });

  // Egress: per rule, the (destination, port) slots it allows; per source, the union over its rules.
  const slotSets = new Map<CompiledRule, Bits>();
  const slotsOf = (scoped: Scoped): Bits => {
    let bits = slotSets.get(scoped.rule);
    if (bits) return bits;
    bits = new Bits(slots);
    const destinations = peersOf(scoped);
    for (let d = 0; d < n; d++) {
      if (!destinations.has(d)) continue;
      const pod = pods[d] as ClusterPod;
      (queries[d] as PortQuery[]).forEach((query, q) => {
        if (portsAllow(scoped.rule, pod, query)) (bits as Bits).set((slotBase[d] as number) + q);
      });
    }
    slotSets.set(scoped.rule, bits);
    return bits;
  };
  const egressMemo = new Map<string, Bits>();
  const egressAllowed: (Bits | undefined)[] = pods.map((_, s) => {
    if (!isolatedOut[s]) return undefined;
    const key = signature(egressRules[s] as Scoped[]);
    const known = egressMemo.get(key);
    if (known) return known;
    const allowed = new Bits(slots);
    for (const scoped of egressRules[s] as Scoped[]) allowed.or(slotsOf(scoped));
    egressMemo.set(key, allowed);
    return allowed;
  });

  const result = new Uint8Array(n * slots);
  for (let s = 0; s < n; s++) {
    const out = egressAllowed[s];
    for (let d = 0; d < n; d++) {
      const inbound = ingressAllowed[d] as Bits[];
      const base = slotBase[d] as number;
      const count = (queries[d] as PortQuery[]).length;
      for (let q = 0; q < count; q++) {
        const slot = base + q;
        const inOk = !isolatedIn[d] || (inbound[q] as Bits).has(s);
        const outOk = out === undefined || out.has(slot);
        if (inOk && outOk) result[s * slots + slot] = 1;
      }
    }
  }
  return new Reachability(
    pods,
    queries,
    slotBase,
    result,
    { ingress: [...isolatedIn].map(Boolean), egress: [...isolatedOut].map(Boolean) },
    cluster.policies.length,
  );
}

export class Reachability {
  private readonly indexById: Map<string, number>;
  /** Pods in matrix order (by namespace, then name). */
  readonly pods: readonly ClusterPod[];
  /** Per destination (same order as `pods`), the (protocol, port) asked about. */
  readonly queries: readonly (readonly PortQuery[])[];
  private readonly slotBase: Int32Array;
  private readonly bits: Uint8Array;
  /** Per pod, whether some policy isolates it in each direction. */
  readonly isolation: { ingress: readonly boolean[]; egress: readonly boolean[] };
  readonly policyCount: number;

  constructor(
    pods: readonly ClusterPod[],
    queries: readonly (readonly PortQuery[])[],
    slotBase: Int32Array,
    bits: Uint8Array,
    isolation: { ingress: readonly boolean[]; egress: readonly boolean[] },
    policyCount: number,
  ) {
    this.pods = pods;
    this.queries = queries;
    this.slotBase = slotBase;
    this.bits = bits;
    this.isolation = isolation;
    this.policyCount = policyCount;
    this.indexById = new Map(pods.map((pod, i) => [pod.id, i]));
  }

  /** The index of a pod given as `namespace/name` (or an index, checked). */
  index(pod: string | number): number {
    const i = typeof pod === "number" ? pod : this.indexById.get(pod);
    if (i === undefined || i < 0 || i >= this.pods.length)
      throw new Error(`no pod ${pod}; pods: ${this.pods.map((p) => p.id).join(", ")}`);
    return i;
  }

  /** Whether `from` may open a connection to `to` on `query` (which must have been asked about). */
  allowed(from: string | number, to: string | number, query: PortQuery): boolean {
    const s = this.index(from);
    const d = this.index(to);
    const q = (this.queries[d] as readonly PortQuery[]).findIndex(
      (x) => x.protocol === query.protocol && x.port === query.port,
    );
    if (q < 0) throw new Error(`${portLabel(query)} was not asked about for ${this.pods[d]?.id}`);
    return this.bits[s * this.slots + (this.slotBase[d] as number) + q] === 1;
  }

  /** The asked ports `from` may open a connection to `to` on. */
  allowedPorts(from: string | number, to: string | number): PortQuery[] {
    const s = this.index(from);
    const d = this.index(to);
    const base = s * this.slots + (this.slotBase[d] as number);
    return (this.queries[d] as readonly PortQuery[]).filter((_, q) => this.bits[base + q] === 1);
  }

  /** Indexes (into the destination's asked ports) of the ports `from` may open a connection to `to` on. */
  allowedIndexes(from: number, to: number): number[] {
    const base = from * this.slots + (this.slotBase[to] as number);
    const count = (this.queries[to] as readonly PortQuery[]).length;
    const out: number[] = [];
    for (let q = 0; q < count; q++) if (this.bits[base + q] === 1) out.push(q);
    return out;
  }

  /** Every ordered pair (a pod to itself included) for every asked port, in matrix order. */
  *entries(): Generator<Entry> {
    for (let s = 0; s < this.pods.length; s++) {
      const from = (this.pods[s] as ClusterPod).id;
      for (let d = 0; d < this.pods.length; d++) {
        const to = (this.pods[d] as ClusterPod).id;
        const base = s * this.slots + (this.slotBase[d] as number);
        for (const [q, query] of (this.queries[d] as readonly PortQuery[]).entries()) {
          yield { from, to, protocol: query.protocol, port: query.port, allowed: this.bits[base + q] === 1 };
        }
      }
    }
  }

  /** How many entries there are (pods × every destination's asked ports). */
  get size(): number {
    return this.pods.length * this.slots;
  }

  private get slots(): number {
    return this.slotBase[this.pods.length] as number;
  }
}
