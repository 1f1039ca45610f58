import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { stringify } from "yaml";
import { kubectl, runCommand } from "../tools.ts";
import type { KindUpContext } from "./context.ts";
import { commandAction, timeout } from "./run-commands.ts";

/** `kind delete cluster` for the environment (also what `down` and `env:gc` run). */
export const deleteCluster = (cluster: string, kubeconfig: string) => ({
  tool: "kind" as const,
  args: ["delete", "cluster", "--name", cluster, "--kubeconfig", kubeconfig],
});

/**
 * The cluster, on the environment's own network (KIND_EXPERIMENTAL_DOCKER_NETWORK), its kubeconfig
 * in DevStack's state folder rather than ~/.kube/config. Nodes come up NotReady: there is no CNI
 * until the next action.
 */
export const cluster = commandAction({
  name: "cluster",
  commands: (ctx) => [
    {
      tool: "kind",
      env: { KIND_EXPERIMENTAL_DOCKER_NETWORK: ctx.network },
      args: [
        "create",
        "cluster",
        "--name",
        ctx.cluster,
        "--config",
        ctx.configFile,
        "--kubeconfig",
        ctx.kubeconfig,
      ],
    },
  ],
  notes: (ctx) => [
    `config: ${ctx.clusterConfig.nodes.map((n) => n.role).join(", ")}; pod subnet ${ctx.clusterConfig.networking.podSubnet}, no default CNI; API server on 127.0.0.1, port picked by the engine`,
  ],
  prepare(ctx) {
    mkdirSync(dirname(ctx.configFile), { recursive: true, mode: 0o700 });
    writeFileSync(ctx.configFile, stringify(ctx.clusterConfig));
  },
  line: (ctx) =>
    `${ctx.cluster}: ${ctx.clusterConfig.nodes.map((n) => n.role).join(", ")} (API on 127.0.0.1, kubeconfig ${ctx.kubeconfig})`,
  async undo(ctx) {
    await runCommand(deleteCluster(ctx.cluster, ctx.kubeconfig)).catch(() => undefined);
    rmSync(ctx.kubeconfig, { force: true });
    rmSync(ctx.configFile, { force: true });
  },
});

/** Every node Ready: the CNI is up on each (the kubelet reports NetworkReady). */
export const nodesReady = (ctx: KindUpContext) =>
  kubectl(ctx.kubeconfig, ["wait", "--for=condition=Ready", "nodes", "--all", timeout(ctx)]);
