import type { Toxic } from "../runtimes/runtime.ts";
import { toxicBody } from "../runtimes/toxiproxy-api.ts";

/**
 * The faults as Kubernetes commands, for the Kind runtime: what each experiment's `kubernetes`
 * returns for a pod named `namespace/name`.
 */
const parts = (pod: string) => ({ namespace: pod.split("/")[0] ?? "azora", name: pod.split("/")[1] ?? pod });

/** A pod gone at once, as when its process or node dies (SIGKILL, no grace period). */
export const deletePod = (pod: string) => [
  "kubectl",
  "delete",
  "pod",
  parts(pod).name,
  "--namespace",
  parts(pod).namespace,
  "--grace-period=0",
  "--force",
];

/** A pod's main process stopped in place (SIGSTOP), as `docker pause` freezes it. */
export const freezePod = (pod: string) => [
  "kubectl",
  "exec",
  parts(pod).name,
  "--namespace",
  parts(pod).namespace,
  "--",
  "kill",
  "-STOP",
  "1",
];

/**
 * A pod cut off from every peer. A Kubernetes NetworkPolicy only allows (the allows of other
 * policies would still let traffic through), so on Kind this is a Calico policy that denies, ordered
 * before every other, selecting the pod by its name label (`label`, e.g. CNPG's `cnpg.io/instanceName`).
 */
export const isolatePod = (pod: string, label: string) => [
  "sh",
  "-c",
  [
    `kubectl apply --namespace ${parts(pod).namespace} -f - <<'EOF'`,
    "apiVersion: projectcalico.org/v3",
    "kind: NetworkPolicy",
    `metadata: { name: chaos-isolate-${parts(pod).name} }`,
    "spec:",
    "  order: 0",
    `  selector: ${label} == '${parts(pod).name}'`,
    "  types: [Ingress, Egress]",
    "  ingress: [{ action: Deny }]",
    "  egress: [{ action: Deny }]",
    "EOF",
  ].join("\n"),
];

/**
 * A Toxiproxy in a pod's network namespace between it and one service it calls: an ephemeral
 * container (it shares the pod's network) running the proxy as user 7474, the toxics through its
 * API, and on the pod's node the same nftables redirect the Docker runtime adds (the pod's
 * connections to the upstream go to the proxy, the proxy's own do not).
 */
export const proxyPod = (pod: string, upstream: string, toxics: readonly Toxic[]) => [
  "sh",
  "-c",
  [
    `kubectl debug ${parts(pod).name} --namespace ${parts(pod).namespace} --profile=netadmin --container=chaos-toxiproxy --image=ghcr.io/shopify/toxiproxy:2.5.0 --custom=<(echo '{"securityContext":{"runAsUser":7474}}') -- /toxiproxy -host=0.0.0.0`,
    `kubectl port-forward --namespace ${parts(pod).namespace} pod/${parts(pod).name} 8474:8474 &`,
    `curl -sf localhost:8474/proxies -d '{"name":"upstream","listen":"127.0.0.1:15432","upstream":"${upstream}"}'`,
    ...toxics.map(
      (t, i) => `curl -sf localhost:8474/proxies/upstream/toxics -d '${JSON.stringify(toxicBody(t, i))}'`,
    ),
    `# on the pod's node, in its network namespace: nft 'add rule ip devstack_toxiproxy output meta skuid != 7474 ip daddr <${upstream}> redirect to :15432'`,
  ].join("\n"),
];
