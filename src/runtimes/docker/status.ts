import { loadEnvFile } from "../../config/env-file.ts";
import { docker } from "../../docker/cli.ts";
import type { EnvState } from "../../env/state.ts";
import { probeOnce } from "./probe.ts";
import { containerName, containersOf } from "./up.ts";

export interface WorkloadStatus {
  workload: string;
  desired: number;
  ready: number;
  health: "ready" | "degraded" | "down";
  ports: string;
  age: string;
}

const age = (since: string) => {
  const s = Math.max(0, Math.round((Date.now() - Date.parse(since)) / 1000));
  return s < 120 ? `${s}s` : s < 7200 ? `${Math.round(s / 60)}m` : `${Math.round(s / 3600)}h`;
};

/** Per workload: replicas ready (running and passing the readiness probe now) out of desired. */
export async function environmentStatus(state: EnvState): Promise<WorkloadStatus[]> {
  const { containers } = await containersOf(loadEnvFile(state.env), state.secrets);
  const workloads = [...new Set(containers.map((c) => c.workload))];
  return Promise.all(
    workloads.map(async (workload) => {
      const replicas = containers.filter((c) => c.workload === workload);
      const results = await Promise.all(
        replicas.map(async (c) => {
          const name = containerName(state.name, c);
          const published =
            c.readiness?.kind === "http" ? await publishedPort(name, c.readiness.port) : undefined;
          const ready = await probeOnce(name, c.readiness, () => published);
          const started = await docker(["inspect", "--format", "{{.State.StartedAt}}", name], {
            reject: false,
          });
          return { ready, started: started.trim() };
        }),
      );
      const ready = results.filter((r) => r.ready).length;
      const ports = Object.entries(state.ports)
        .filter(([key]) => key.startsWith(`${workload}:`))
        .map(([key, host]) => `127.0.0.1:${host}->${key.split(":")[1]}`)
        .join(", ");
      const oldest = results.map((r) => r.started).filter((s) => s && !s.startsWith("0001"))[0];
      return {
        workload,
        desired: replicas.length,
        ready,
        health: ready === replicas.length ? "ready" : ready > 0 ? "degraded" : "down",
        ports: ports || "-",
        age: oldest ? age(oldest) : "-",
      } satisfies WorkloadStatus;
    }),
  );
}

/** The loopback port Docker published for a container port (random at start, so asked each time). */
async function publishedPort(container: string, port: number): Promise<number | undefined> {
  const out = await docker(["port", container, `${port}/tcp`], { reject: false });
  const match = /127\.0\.0\.1:(\d+)/.exec(out);
  return match ? Number(match[1]) : undefined;
}
