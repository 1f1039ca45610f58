import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { stringify } from "yaml";
import { resolveImages } from "../../../images/resolve.ts";
import type { Action } from "../../actions.ts";
import { kindDockerEnv } from "../privileged.ts";
import { kubectl, placeholder, runCommand } from "../tools.ts";
import type { KindUpContext } from "./context.ts";
import { commandAction, timeout } from "./run-commands.ts";

/** `kind delete cluster` for the environment (also what `down` and `env:gc` run). */
export const deleteCluster = (cluster: string, kubeconfig: string) => ({
  tool: "kind" as const,
  args: ["delete", "cluster", "--name", cluster, "--kubeconfig", kubeconfig],
});

/**
 * The image the nodes run, through the image map: kindest/node where a registry answers, the
 * offline recipe (images/kind-node) where not. It also decides how kind reaches Docker: directly,
 * or through the unprivileged docker where this host cannot run privileged containers.
 */
export const nodeImage: Action<KindUpContext> = {
  name: "node image",
  plan: () => [
    "resolve kind-node through the image map (kindest/node:v1.34.4, or images/kind-node built offline)",
    "try a --privileged container of it; where that fails, kind's docker is src/runtimes/kind/unprivileged-docker.sh",
  ],
  async execute(ctx) {
    const image = (await resolveImages({ names: ["kind-node"], silent: true })).get("kind-node");
    if (!image) throw new Error("internal: kind-node was not resolved");
    ctx.nodeImage = image;
    ctx.kindEnv = await kindDockerEnv(image.ref);
    const docker = ctx.kindEnv.DEVSTACK_REAL_DOCKER ? "unprivileged docker" : "privileged containers";
    return `${image.ref} (${image.how}${image.note ? `, ${image.note}` : ""}); nodes as ${docker}`;
  },
};

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
        "--image",
        ctx.nodeImage?.ref ?? placeholder("kind-node image"),
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
