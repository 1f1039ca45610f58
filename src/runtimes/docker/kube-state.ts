import { createServer, type Server } from "node:http";
import { Counter, Gauge, Registry } from "prom-client";

/**
 * The pod-state series kube-state-metrics gives in production, with its names and labels, made
 * by the Docker runtime's supervisor from what it knows as the node agent (restarts, last state,
 * probes). Prometheus finds it as `kube-state-metrics` on every pod's network (the network's
 * gateway, the host, where the supervisor listens).
 */
export const KUBE_STATE_HOST = "kube-state-metrics";
/** Off the common development ports: it is bound on each environment's gateway address. */
export const KUBE_STATE_PORT = 18080;

/** Prometheus' scrape job for it; its series carry their own namespace and pod labels. */
export const KUBE_STATE_JOB = {
  job_name: "kube-state-metrics",
  honor_labels: true,
  static_configs: [{ targets: [`${KUBE_STATE_HOST}:${KUBE_STATE_PORT}`], labels: {} }],
};

/** One pod's container as the node agent sees it. */
export interface PodState {
  namespace: string;
  pod: string;
  container: string;
  running: boolean;
  ready: boolean;
  restarts: number;
  /** Why its last run ended, as the supervisor keeps it (`OOMKilled`, `Error (exit 1)`, ...). */
  lastState?: string;
  /** Waiting out a restart back-off. */
  crashLooping: boolean;
}

/** kube-state-metrics' reason for a last state: OOMKilled, Completed, or Error. */
export function terminatedReason(lastState: string): string {
  if (lastState === "OOMKilled" || lastState === "Completed") return lastState;
  return "Error";
}

/** The exposition (Prometheus text format) of the given pods' series. */
export async function kubeStateMetrics(pods: readonly PodState[]): Promise<string> {
  const registry = new Registry();
  const container = ["namespace", "pod", "container"] as const;
  const gauge = (name: string, help: string, labelNames: readonly string[] = container) =>
    new Gauge({ name, help, labelNames, registers: [registry] });
  const restarts = new Counter({
    name: "kube_pod_container_status_restarts_total",
    help: "The number of container restarts per container.",
    labelNames: container,
    registers: [registry],
  });
  const ready = gauge(
    "kube_pod_container_status_ready",
    "Describes whether the containers readiness check succeeded.",
  );
  const running = gauge(
    "kube_pod_container_status_running",
    "Describes whether the container is currently in running state.",
  );
  const waiting = gauge(
    "kube_pod_container_status_waiting_reason",
    "Describes the reason the container is currently in waiting state.",
    [...container, "reason"],
  );
  const terminated = gauge(
    "kube_pod_container_status_last_terminated_reason",
    "Describes the last reason the container was in terminated state.",
    [...container, "reason"],
  );
  const podReady = gauge("kube_pod_status_ready", "Describes whether the pod is ready to serve requests.", [
    "namespace",
    "pod",
    "condition",
  ]);
  for (const p of pods) {
    const labels = { namespace: p.namespace, pod: p.pod, container: p.container };
    restarts.inc(labels, p.restarts);
    ready.set(labels, p.ready ? 1 : 0);
    running.set(labels, p.running ? 1 : 0);
    if (p.crashLooping) waiting.set({ ...labels, reason: "CrashLoopBackOff" }, 1);
    if (p.lastState) terminated.set({ ...labels, reason: terminatedReason(p.lastState) }, 1);
    // As kube-state-metrics: one series per condition, 1 on the one that holds.
    for (const condition of ["true", "false", "unknown"])
      podReady.set({ namespace: p.namespace, pod: p.pod, condition }, String(p.ready) === condition ? 1 : 0);
  }
  return registry.metrics();
}

/** Serves GET /metrics on address:KUBE_STATE_PORT from `pods()`; binds again after an error. */
export function serveKubeState(
  address: string,
  pods: () => Promise<readonly PodState[]>,
  log: (level: number, msg: string, extra?: object) => void,
): Server {
  const server = createServer((request, response) => {
    if (request.method !== "GET" || request.url !== "/metrics") {
      response.writeHead(404).end();
      return;
    }
    pods()
      .then(kubeStateMetrics)
      .then(
        (text) => response.writeHead(200, { "content-type": "text/plain; version=0.0.4" }).end(text),
        (error: Error) => response.writeHead(500).end(error.message),
      );
  });
  server.on("error", (error) => {
    log(40, "pod-state series not served; binding again in 5 s", {
      at: `${address}:${KUBE_STATE_PORT}`,
      err: error.message,
    });
    server.close();
    setTimeout(() => serveKubeState(address, pods, log), 5_000);
  });
  server.listen(KUBE_STATE_PORT, address, () =>
    log(30, "serving pod-state series", { at: `${address}:${KUBE_STATE_PORT}` }),
  );
  return server;
}
