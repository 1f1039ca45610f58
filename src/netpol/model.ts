/**
 * The input model of the NetworkPolicy engine.
 *
 * Namespaces and pods are small records (what NetworkPolicy semantics look at and nothing else);
 * policies are NetworkPolicy objects of networking.k8s.io/v1 as written in YAML (see policy.ts,
 * which validates and compiles them).
 */

export const PROTOCOLS = ["TCP", "UDP", "SCTP"] as const;
export type Protocol = (typeof PROTOCOLS)[number];

export type Labels = Readonly<Record<string, string>>;

/** The label every namespace carries, set by the API server to the namespace's own name. */
export const NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name";

/** The namespace a namespaced object without `metadata.namespace` lands in (as with `kubectl apply`). */
export const DEFAULT_NAMESPACE = "default";

export interface NamespaceInput {
  name: string;
  /** User labels; `kubernetes.io/metadata.name` is always set to `name`, whatever is given here. */
  labels?: Labels;
}

export interface ContainerPortInput {
  containerPort: number;
  name?: string;
  /** Defaults to TCP, as in the Pod API. */
  protocol?: Protocol;
}

export interface PodInput {
  namespace: string;
  name: string;
  labels?: Labels;
  /** The ports of all the pod's containers. */
  ports?: readonly ContainerPortInput[];
  /** `status.podIP`. A pod without an IP is matched by no `ipBlock`. */
  podIP?: string;
  /** `status.podIPs` (dual stack); together with `podIP`, every address the pod has. */
  podIPs?: readonly string[];
}

/** One (protocol, port) a connection is made to. */
export interface PortQuery {
  protocol: Protocol;
  port: number;
}

export const portLabel = (q: PortQuery) => `${q.port}/${q.protocol}`;

export const podId = (pod: { namespace: string; name: string }) => `${pod.namespace}/${pod.name}`;
