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
