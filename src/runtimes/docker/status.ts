import { execOutput, inspectContainer } from "../../docker/api.ts";
import { age } from "../../env/lifetime.ts";
import type { EnvState } from "../../env/state.ts";
import type { PodStatus, WorkloadStatus } from "../runtime.ts";
import { containerName, supervisorName } from "./names.ts";
import { probeOnce } from "./probe.ts";
import { type PodRecord, waitingReason } from "./restarts.ts";
import { PODS_FILE } from "./supervisor-state.ts";
import type { ContainerPlan } from "./translate.ts";

/** Per workload: replicas ready (running and passing the readiness probe now) out of desired. */
export async function environmentStatus(
  state: EnvState,
  containers: readonly ContainerPlan[],
): Promise<WorkloadStatus[]> {
  const records = await podRecords(state.name);
  const now = Date.now();
  const workloads = [...new Set(containers.map((c) => c.workload))];
  return Promise.all(
    workloads.map(async (workload) => {
      const replicas = containers.filter((c) => c.workload === workload);
      const results = await Promise.all(
        replicas.map(async (c) => {
          const name = containerName(state.name, c);
          const inspection = await inspectContainer(name);
          // Published ports are picked at each start: a restarted container may have moved.
          const published = (port: number) =>
            Number(
              inspection?.NetworkSettings.Ports?.[`${port}/tcp`]?.find((b) => b.HostIp === "127.0.0.1")
                ?.HostPort,
            ) || undefined;
          const ready = await probeOnce(name, c.readiness, published);
          const ports = c.ports.flatMap((p) => {
            const host = published(p.containerPort);
            return host ? [`127.0.0.1:${host}->${p.containerPort}`] : [];
          });
          return {
            ready,
            ports,
            started: inspection?.State.Running ? inspection.State.StartedAt : undefined,
          };
        }),
      );
      const ready = results.filter((r) => r.ready).length;
      const pods = replicas.map((c, i): PodStatus => {
        const record = records[containerName(state.name, c)];
        const podReady = results[i]?.ready ?? false;
        const why = podReady ? record?.lastState : waitingReason(record, now);
        return { pod: c.pod, ready: podReady, restarts: record?.restarts ?? 0, lastState: why ?? "-" };
      });
      const restarts = pods.reduce((n, p) => n + p.restarts, 0);
      const lastStates = pods.flatMap((p) => (p.lastState !== "-" ? [`${p.pod}: ${p.lastState}`] : []));
      const oldest = results.flatMap((r) => (r.started ? [r.started] : [])).sort()[0];
      return {
        workload,
        desired: replicas.length,
        ready,
        health: ready === replicas.length ? "ready" : ready > 0 ? "degraded" : "down",
        ports: results[0]?.ports.join(", ") || "-",
        age: oldest ? age(oldest) : "-",
        restarts,
        lastState: lastStates.join("; ") || "-",
        pods,
      } satisfies WorkloadStatus;
    }),
  );
}

/** What the environment's supervisor knows of each pod's restarts (none while it does not run). */
async function podRecords(env: string): Promise<Record<string, PodRecord>> {
  try {
    const { exitCode, stdout } = await execOutput(supervisorName(env), ["cat", PODS_FILE]);
    return exitCode === 0 ? (JSON.parse(stdout) as Record<string, PodRecord>) : {};
  } catch {
    return {};
  }
}
