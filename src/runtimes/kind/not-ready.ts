import { type ContainerStatus, type KindPod, listObjects } from "./pods.ts";

/** The fields of a ReplicaSet or StatefulSet that say why it could not create its pods. */
export interface PodOwner {
  kind: string;
  metadata: { name: string };
  status?: { conditions?: { type: string; status: string; reason?: string; message?: string }[] };
}

/** A container that is not running ready: waiting (and why), or ended (how). */
function containerTrouble(c: ContainerStatus, init: boolean): string | undefined {
  const what = `${init ? "init container" : "container"} ${c.name}`;
  const waiting = c.state?.waiting;
  const last = c.lastState?.terminated;
  if (waiting?.reason && waiting.reason !== "PodInitializing")
    return `${what} ${waiting.reason}${waiting.message ? `: ${waiting.message}` : ""}${last ? ` (last exit ${last.exitCode ?? "?"}, ${last.reason ?? "?"}, ${c.restartCount} restart(s))` : ""}`;
  const ended = c.state?.terminated;
  if (ended && !(init && ended.exitCode === 0))
    return `${what} ended: ${ended.reason ?? "?"} (exit ${ended.exitCode ?? "?"})`;
  if (c.state?.running && !init && !c.ready) return `${what} running, not ready`;
  return undefined;
}

/**
 * Why a namespace's workloads are not ready, one line per pod or owner in trouble: a pod no node
 * takes (the scheduler's message: too little CPU, a taint), a container waiting (an image not
 * pulled, a crash loop) or running unready, and an owner that may not create pods (a quota).
 * What `kubectl wait` leaves unsaid when it times out.
 */
export function notReadyReasons(pods: readonly KindPod[], owners: readonly PodOwner[] = []): string[] {
  const lines: string[] = [];
  for (const pod of pods) {
    if (pod.status?.phase === "Succeeded") continue;
    const conditions = pod.status?.conditions ?? [];
    if (conditions.some((c) => c.type === "Ready" && c.status === "True")) continue;
    const unscheduled = conditions.find((c) => c.type === "PodScheduled" && c.status === "False");
    const troubles = unscheduled
      ? [`not scheduled: ${unscheduled.message ?? unscheduled.reason ?? "?"}`]
      : [
          ...(pod.status?.initContainerStatuses ?? []).map((c) => containerTrouble(c, true)),
          ...(pod.status?.containerStatuses ?? []).map((c) => containerTrouble(c, false)),
        ].filter((t): t is string => t !== undefined);
    lines.push(
      `pod ${pod.metadata.name} (${pod.status?.phase ?? "?"}): ${troubles.join("; ") || "not ready"}`,
    );
  }
  for (const owner of owners) {
    const failure = owner.status?.conditions?.find((c) => c.type === "ReplicaFailure" && c.status === "True");
    if (failure)
      lines.push(
        `${owner.kind} ${owner.metadata.name}: ${failure.message ?? failure.reason ?? "cannot create pods"}`,
      );
  }
  return lines;
}

/** The namespace's pods and ReplicaSets now, and why they are not ready. */
export async function explainNotReady(kubeconfig: string, namespace: string): Promise<string[]> {
  const [pods, replicaSets] = await Promise.all([
    listObjects<KindPod>(kubeconfig, namespace, "pods"),
    listObjects<PodOwner>(kubeconfig, namespace, "replicasets"),
  ]);
  return notReadyReasons(
    pods,
    replicaSets.map((r) => ({ ...r, kind: "ReplicaSet" })),
  );
}
