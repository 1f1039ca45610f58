import type { IpBlock } from "./ipblock.ts";
import type { Labels, PortQuery, Protocol } from "./model.ts";
import type { CompiledSelector } from "./selector.ts";

/**
 * Peers and ports: what one entry of `from`/`to` and one entry of `ports` match.
 *
 * - A peer with selectors matches pods: `podSelector` alone means pods of the policy's own namespace;
 *   `namespaceSelector` alone means every pod of the matching namespaces; both together (one peer)
 *   means pods matching `podSelector` inside namespaces matching `namespaceSelector` (AND).
 * - An `ipBlock` peer matches a pod when one of the pod's IPs is inside `cidr` and outside every
 *   `except`; a pod with no IP is matched by no ipBlock.
 * - A port entry matches a (protocol, port) when the protocols are equal (an entry without
 *   `protocol` is TCP) and: it has no `port` (every port of that protocol); or `port` is a number and
 *   equals the port, or `port` ≤ port ≤ `endPort`; or `port` is a name that the destination pod
 *   declares for that same protocol with that port number. A name the destination does not declare
 *   (or declares only for another protocol) matches nothing.
 */

export type CompiledPeer =
  | { kind: "pods"; podSelector?: CompiledSelector; namespaceSelector?: CompiledSelector }
  | { kind: "ipBlock"; block: IpBlock };

export type CompiledPort =
  | { kind: "any"; protocol: Protocol }
  | { kind: "range"; protocol: Protocol; from: number; to: number }
  | { kind: "named"; protocol: Protocol; name: string };

/** What peers and ports are checked against: a pod with its namespace's labels and its declared ports. */
export interface MatchPod {
  namespace: string;
  labels: Labels;
  namespaceLabels: Labels;
  ips: readonly string[];
  /** `name` → the (protocol, port) pairs the pod's containers declare under that name. */
  namedPorts: ReadonlyMap<string, readonly PortQuery[]>;
}

export function peerMatches(peer: CompiledPeer, policyNamespace: string, pod: MatchPod): boolean {
  if (peer.kind === "ipBlock") return pod.ips.some((ip) => peer.block.contains(ip));
  if (peer.namespaceSelector) {
    if (!peer.namespaceSelector.matches(pod.namespaceLabels)) return false;
  } else if (pod.namespace !== policyNamespace) {
    return false;
  }
  return peer.podSelector ? peer.podSelector.matches(pod.labels) : true;
}

export function portMatches(port: CompiledPort, destination: MatchPod, query: PortQuery): boolean {
  if (port.protocol !== query.protocol) return false;
  switch (port.kind) {
    case "any":
      return true;
    case "range":
      return port.from <= query.port && query.port <= port.to;
    case "named":
      return (destination.namedPorts.get(port.name) ?? []).some(
        (declared) => declared.protocol === port.protocol && declared.port === query.port,
      );
  }
}

/** Port names as the API server checks them (IANA service names: IsValidPortName). */
export function portNameProblem(name: string): string | undefined {
  const valid =
    name.length >= 1 &&
    name.length <= 15 &&
    /^[a-z0-9-]+$/.test(name) &&
    /[a-z]/.test(name) &&
    !name.startsWith("-") &&
    !name.endsWith("-") &&
    !name.includes("--");
  return valid
    ? undefined
    : `'${name}' is not a valid port name: 1-15 lower-case letters, digits and '-', at least one letter, no leading, trailing or double '-'`;
}

export const portNumberProblem = (port: number): string | undefined =>
  Number.isInteger(port) && port >= 1 && port <= 65535
    ? undefined
    : `${port} is not a valid port number (1-65535)`;
