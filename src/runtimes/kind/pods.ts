import type { PodRef } from "../runtime.ts";
import { kubeconfigFile } from "./names.ts";
import { kubectl, runCommand } from "./tools.ts";

/** The fields of a pod the Kind runtime reads (`kubectl get pods -o json`). */
export interface KindPod {
  metadata: {
    name: string;
    namespace: string;
    uid?: string;
    creationTimestamp?: string;
    labels?: Record<string, string>;
    ownerReferences?: { kind: string; name: string }[];
  };
  spec: {
    nodeName?: string;
    hostNetwork?: boolean;
    containers: { name: string }[];
    ephemeralContainers?: { name: string }[];
  };
  status?: {
    phase?: string;
    podIP?: string;
    conditions?: {
      type: string;
      status: string;
      reason?: string;
      message?: string;
      lastTransitionTime?: string;
    }[];
    containerStatuses?: ContainerStatus[];
    initContainerStatuses?: ContainerStatus[];
    ephemeralContainerStatuses?: ContainerStatus[];
  };
}

export interface ContainerStatus {
  name: string;
  /** `containerd://ID` once started. */
  containerID?: string;
  ready?: boolean;
  restartCount: number;
  lastState?: { terminated?: { reason?: string; exitCode?: number } };
  state?: {
    running?: unknown;
    waiting?: { reason?: string; message?: string };
    terminated?: { reason?: string; exitCode?: number };
  };
}

/** The objects of one resource (`pods`, `replicasets`) in a namespace, as the API server has them now. */
export async function listObjects<T>(
  kubeconfig: string,
  namespace: string,
  resource: string,
  selector?: string,
): Promise<T[]> {
  const args = ["-n", namespace, "get", resource, ...(selector ? ["-l", selector] : []), "-o", "json"];
  return (JSON.parse(await runCommand(kubectl(kubeconfig, args))) as { items: T[] }).items;
}

/** The pods of an environment's namespace. */
export const listPods = (env: string, namespace: string, selector?: string): Promise<KindPod[]> =>
  listObjects<KindPod>(kubeconfigFile(env), namespace, "pods", selector);

/** One pod by name, undefined when it does not exist (now). */
export async function getPod(env: string, namespace: string, name: string): Promise<KindPod | undefined> {
  const args = ["-n", namespace, "get", "pod", name, "--ignore-not-found", "-o", "json"];
  const out = (await runCommand(kubectl(kubeconfigFile(env), args))).trim();
  return out ? (JSON.parse(out) as KindPod) : undefined;
}

/** `namespace/name` as suites name pods; a bare name is taken to be in `namespace`. */
export function podParts(pod: string, namespace: string): { namespace: string; name: string } {
  const slash = pod.indexOf("/");
  return slash < 0
    ? { namespace, name: pod }
    : { namespace: pod.slice(0, slash), name: pod.slice(slash + 1) };
}

/** The workload a pod belongs to: its CloudNativePG cluster, or its app name label. */
export const workloadOf = (pod: KindPod) =>
  pod.metadata.labels?.["cnpg.io/cluster"] ??
  pod.metadata.labels?.["app.kubernetes.io/name"] ??
  pod.metadata.name;

/**
 * The running pods as suites address them. A StatefulSet's pod is numbered by its ordinal
 * (`redis-0`), a database instance by the serial in its name (`azora-db-2`); a Deployment's pods, whose names are random,
 * are numbered 1..N by age within their workload. Job pods (migrations, CloudNativePG's initdb)
 * are left out.
 */
export function podRefs(pods: readonly KindPod[]): PodRef[] {
  const running = pods
    .filter(
      (p) => p.status?.phase === "Running" && !p.metadata.ownerReferences?.some((o) => o.kind === "Job"),
    )
    .sort(
      (a, b) =>
        (a.metadata.creationTimestamp ?? "").localeCompare(b.metadata.creationTimestamp ?? "") ||
        a.metadata.name.localeCompare(b.metadata.name),
    );
  const seen = new Map<string, number>();
  return running.map((p) => {
    const workload = workloadOf(p);
    const nth = (seen.get(workload) ?? 0) + 1;
    seen.set(workload, nth);
    // Stable names carry their number: a StatefulSet's ordinal, a database instance's serial.
    const labels = p.metadata.labels ?? {};
    const instance = labels["cnpg.io/instanceName"];
    const numbered = Number(
      labels["apps.kubernetes.io/pod-index"] ?? (instance && /-(\d+)$/.exec(instance)?.[1]),
    );
    return {
      pod: `${p.metadata.namespace}/${p.metadata.name}`,
      workload,
      replica: Number.isInteger(numbered) ? numbered : nth,
      labels: p.metadata.labels ?? {},
    };
  });
}
