import type { EnvFile } from "../../config/env-file.ts";
import { type ClusterConfig, loadClusterConfig } from "../../manifests/cluster-file.ts";
import { clusterName } from "./names.ts";

/**
 * The config one environment's cluster is created from: kind/cluster.yaml with the environment's
 * name, its API server on 127.0.0.1 at a port the engine picks (so clusters never collide and the
 * API is never on the network the laptop is on), and the env file's worker count if it sets one.
 */
export function clusterConfigFor(env: string, envFile: EnvFile, base: ClusterConfig = loadClusterConfig()) {
  const controlPlanes = base.nodes.filter((n) => n.role === "control-plane");
  const workers = base.nodes.filter((n) => n.role === "worker");
  const wanted = envFile.kindWorkers ?? workers.length;
  return {
    ...base,
    name: clusterName(env),
    networking: { ...base.networking, apiServerAddress: "127.0.0.1", apiServerPort: 0 },
    nodes: [
      ...controlPlanes,
      ...Array.from({ length: wanted }, (_, i) => workers[i] ?? workers[0] ?? { role: "worker" as const }),
    ],
  };
}
