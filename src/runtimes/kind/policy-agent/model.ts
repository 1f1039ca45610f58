import type { NamespaceInput, PodInput } from "../../../netpol/model.ts";
import type { FirewallModel } from "../../../netpol/nftables.ts";

/** The fields of the API's objects the agent reads (lists as `GET /api/v1/...` returns them). */
export interface ApiNamespace {
  metadata: { name: string; labels?: Record<string, string> };
}
interface ApiContainer {
  ports?: { containerPort: number; name?: string; protocol?: string }[];
}
export interface ApiPod {
  metadata: { name: string; namespace: string; labels?: Record<string, string> };
  spec: { hostNetwork?: boolean; containers: ApiContainer[]; initContainers?: ApiContainer[] };
  status?: { phase?: string; podIP?: string; podIPs?: { ip: string }[] };
}

/**
 * The pods NetworkPolicy governs, as the engine's input. Left out: pods on their node's network
 * (their address is the node's, which no NetworkPolicy governs) and pods that have finished
 * (Succeeded or Failed), whose address the next pod may be given. A pod without an address yet is
 * kept: it is matched by selectors, and its traffic is judged once it has one.
 */
export function livePods(pods: readonly ApiPod[]): PodInput[] {
  return pods
    .filter((p) => !p.spec.hostNetwork && p.status?.phase !== "Succeeded" && p.status?.phase !== "Failed")
    .map(
      (p): PodInput => ({
        namespace: p.metadata.namespace,
        name: p.metadata.name,
        labels: p.metadata.labels ?? {},
        // Sidecars (init containers that keep running) serve ports too.
        ports: [...(p.spec.initContainers ?? []), ...p.spec.containers].flatMap((c) =>
          (c.ports ?? []).map((port) => ({
            containerPort: port.containerPort,
            ...(port.name ? { name: port.name } : {}),
            ...(port.protocol ? { protocol: port.protocol as "TCP" } : {}),
          })),
        ),
        ...(p.status?.podIP ? { podIP: p.status.podIP } : {}),
        ...(p.status?.podIPs ? { podIPs: p.status.podIPs.map((a) => a.ip) } : {}),
      }),
    );
}

/**
 * The engine's model of the cluster as the API server has it now. `handedOff` holds addresses the
 * node's CNI gave pods whose kubelet has not reported them yet, by `namespace/name`: used where the
 * pod has no address of its own yet, so its first packets are judged rather than dropped.
 */
export function firewallModelOf(
  namespaces: readonly ApiNamespace[],
  pods: readonly ApiPod[],
  policies: readonly unknown[],
  handedOff: ReadonlyMap<string, string> = new Map(),
): FirewallModel {
  return {
    namespaces: namespaces.map(
      (ns): NamespaceInput => ({ name: ns.metadata.name, labels: ns.metadata.labels ?? {} }),
    ),
    pods: livePods(pods).map((p) => {
      const given = handedOff.get(`${p.namespace}/${p.name}`);
      return p.podIP || !given ? p : { ...p, podIP: given };
    }),
    policies,
  };
}
