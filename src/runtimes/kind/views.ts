import { execa } from "execa";
import { age } from "../../env/lifetime.ts";
import type { EnvState } from "../../env/state.ts";
import type { K8sObject } from "../../manifests/render.ts";
import type { LogOptions, PodStatus, WorkloadStatus } from "../runtime.ts";
import { kubeconfigFile } from "./names.ts";
import { type NodeContainer, readySinceNodeStart } from "./node-restarts.ts";
import { listObjects, listPods, workloadOf } from "./pods.ts";
import { kubectl, requireTool, runCommand } from "./tools.ts";

interface Workload {
  kind: string;
  metadata: { name: string; creationTimestamp: string };
  spec: { replicas?: number; instances?: number };
  status?: { readyReplicas?: number; readyInstances?: number };
}

/** The port-forward that reaches a workload (a database Cluster's is the `postgres` endpoint's), or `-`. */
function forwardOf(state: EnvState, workload: { kind: string; metadata: { name: string } }): string {
  const port =
    state.ports[workload.metadata.name] ?? (workload.kind === "Cluster" ? state.ports.postgres : undefined);
  return port ? `127.0.0.1:${port} (port-forward)` : "-";
}

/**
 * `dev:status`'s rows for an environment on Kubernetes (a Kind cluster or a namespace of another
 * cluster): each database Cluster, Deployment and StatefulSet of its namespace, with its pods'
 * restarts and last reasons, and the port-forward that reaches it. Given the node containers (Kind),
 * a pod counts as ready only by a report made since its node last started (readySinceNodeStart).
 */
export async function workloadRows(
  state: EnvState,
  namespace: string,
  nodes?: readonly NodeContainer[],
): Promise<WorkloadStatus[]> {
  const kubeconfig = kubeconfigFile(state.name);
  const get = async (args: string[]) =>
    (JSON.parse(await runCommand(kubectl(kubeconfig, [...args, "-o", "json"]))) as { items: Workload[] })
      .items;
  const [workloads, clusters, pods] = await Promise.all([
    get(["-n", namespace, "get", "deployments,statefulsets"]),
    get(["-n", namespace, "get", "clusters.postgresql.cnpg.io"]),
    listPods(state.name, namespace),
  ]);
  return [...clusters, ...workloads].map((w) => {
    const desired = w.spec.instances ?? w.spec.replicas ?? 1;
    const mine = pods.filter((p) => workloadOf(p) === w.metadata.name);
    const podRows = mine.map((p): PodStatus => {
      const containers = p.status?.containerStatuses ?? [];
      const reasons = containers.flatMap((c) => {
        const why = c.state?.waiting?.reason ?? c.lastState?.terminated?.reason;
        return why ? [why] : [];
      });
      return {
        pod: p.metadata.name,
        ready:
          containers.length > 0 &&
          containers.every((c) => c.ready) &&
          (nodes === undefined || readySinceNodeStart(p, nodes)),
        restarts: containers.reduce((n, c) => n + c.restartCount, 0),
        lastState: reasons.join(", ") || "-",
      };
    });
    // The controller's count, unless the pods' own reports are older than their nodes.
    const counted = w.status?.readyInstances ?? w.status?.readyReplicas ?? 0;
    const ready = nodes ? Math.min(counted, podRows.filter((p) => p.ready).length) : counted;
    const last = podRows.flatMap((p) => (p.lastState !== "-" ? [`${p.pod}: ${p.lastState}`] : []));
    return {
      workload: w.metadata.name,
      desired,
      ready,
      health: ready >= desired ? "ready" : ready > 0 ? "degraded" : "down",
      ports: forwardOf(state, w),
      age: age(w.metadata.creationTimestamp),
      restarts: podRows.reduce((n, p) => n + p.restarts, 0),
      lastState: last.join(", ") || "-",
      pods: podRows,
    };
  });
}

/**
 * `dev:status`'s rows while the cluster cannot be asked (clusterUnreachable): every workload of the
 * environment's overlay, down, saying why. Nothing the API server last held is shown as running.
 */
export function unreachableRows(
  state: EnvState,
  objects: readonly K8sObject[],
  why: string,
): WorkloadStatus[] {
  // In workloadRows' order: database Clusters first.
  return [
    ...objects.filter((o) => o.kind === "Cluster"),
    ...objects.filter((o) => o.kind === "Deployment" || o.kind === "StatefulSet"),
  ].map((o) => {
    return {
      workload: o.metadata.name,
      desired: o.spec?.instances ?? o.spec?.replicas ?? 1,
      ready: 0,
      health: "down",
      ports: forwardOf(state, o),
      age: age(state.createdAt),
      restarts: 0,
      lastState: why,
      pods: [],
    };
  });
}

interface ApiService {
  metadata: { name: string };
  spec: { type?: string; ports?: { port: number }[] };
  status?: { loadBalancer?: { ingress?: { ip?: string; hostname?: string }[] } };
}

/**
 * The address each LoadBalancer Service of the namespace was given by the cluster's load-balancer
 * controller (`status.loadBalancer`), as `HOST:PORT`; a Service not (yet) given one is left out.
 */
export async function loadBalancerAddresses(
  kubeconfig: string,
  namespace: string,
): Promise<Record<string, string>> {
  const services = await listObjects<ApiService>(kubeconfig, namespace, "services");
  return Object.fromEntries(
    services
      .filter((s) => s.spec.type === "LoadBalancer")
      .flatMap((s) => {
        const given = s.status?.loadBalancer?.ingress?.[0];
        const host = given?.hostname ?? given?.ip;
        return host ? [[s.metadata.name, `${host}:${s.spec.ports?.[0]?.port ?? "?"}`]] : [];
      }),
  );
}

/** `dev:logs` of an environment's namespace: its workloads' pods (or one workload's), line by line. */
export async function streamLogs(
  env: string,
  namespace: string,
  { workload, follow, tail, line }: LogOptions,
) {
  const selector = workload ? `app.kubernetes.io/name=${workload}` : "app.kubernetes.io/name";
  const run = execa(
    requireTool("kubectl"),
    [
      "--kubeconfig",
      kubeconfigFile(env),
      "-n",
      namespace,
      "logs",
      "-l",
      selector,
      "--all-containers",
      "--prefix",
      "--max-log-requests=50",
      `--tail=${tail}`,
      ...(follow ? ["--follow"] : []),
    ],
    { all: true, reject: false },
  );
  for await (const text of run.iterable({ from: "all" })) {
    const m = /^\[pod\/([^/\]]+)\/[^\]]*\] ?(.*)$/.exec(String(text));
    line(m?.[1] ?? "kubectl", m?.[2] ?? String(text));
  }
}
