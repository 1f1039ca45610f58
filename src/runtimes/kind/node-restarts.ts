import { docker } from "../../docker/cli.ts";
import type { KindPod } from "./pods.ts";
import { nodesOf } from "./remove.ts";
import { kubectl, runCommand } from "./tools.ts";

/** A node container as the engine has it now. */
export interface NodeContainer {
  name: string;
  running: boolean;
  /** When the container last started (ms since the epoch). */
  startedAt: number;
}

/** The environment's node containers (named as their nodes), running or not. */
export async function nodeContainers(env: string): Promise<NodeContainer[]> {
  const ids = await nodesOf(env);
  if (ids.length === 0) return [];
  const out = await docker([
    "inspect",
    "--format",
    "{{.Name}} {{.State.Running}} {{.State.StartedAt}}",
    ...ids,
  ]);
  return out
    .split("\n")
    .filter(Boolean)
    .map((line) => {
      const [name = "", running, startedAt = ""] = line.split(" ");
      return { name: name.replace(/^\//, ""), running: running === "true", startedAt: Date.parse(startedAt) };
    });
}

/**
 * Whether the pod is Ready by a report of its kubelet made since its node last started. A node that
 * starts again (the engine restarted, the machine rebooted) has lost every container, but the API
 * server keeps the Ready conditions its pods had until the kubelet reports them anew: those are
 * not believed. The condition's time has whole seconds, so the start is taken to its second.
 */
export function readySinceNodeStart(pod: KindPod, nodes: readonly NodeContainer[]): boolean {
  const ready = pod.status?.conditions?.find((c) => c.type === "Ready");
  const node = nodes.find((n) => n.name === pod.spec.nodeName);
  if (ready?.status !== "True" || !node?.running) return false;
  return Date.parse(ready.lastTransitionTime ?? "") >= Math.floor(node.startedAt / 1000) * 1000;
}

/** Whether the cluster's API server answers `/readyz` now. */
export const apiAnswers = (kubeconfig: string) =>
  runCommand(kubectl(kubeconfig, ["get", "--raw", "/readyz", "--request-timeout=5s"]), {
    timeoutMs: 10_000,
  }).then(
    () => true,
    () => false,
  );

/**
 * Why the cluster cannot be asked about its workloads now (nodes gone or stopped, its API server
 * not answering), or undefined when it can.
 */
export async function clusterUnreachable(
  kubeconfig: string,
  nodes: readonly NodeContainer[],
): Promise<string | undefined> {
  if (nodes.length === 0) return "its node containers are gone (removed outside DevStack)";
  const stopped = nodes.filter((n) => !n.running).map((n) => n.name);
  if (stopped.length > 0) return `node container(s) not running: ${stopped.join(", ")}`;
  if (!(await apiAnswers(kubeconfig))) {
    const latest = Math.max(...nodes.map((n) => n.startedAt));
    return `its API server does not answer (the nodes last started ${Math.round((Date.now() - latest) / 1000)} s ago)`;
  }
  return undefined;
}
