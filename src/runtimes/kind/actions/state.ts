import { removeEnvState, stateFile, writeEnvState } from "../../../env/state.ts";
import { freeLoopbackPorts } from "../../../free-port.ts";
import { cnpgAppSecret } from "../../../manifests/plan.ts";
import type { PreparedEnvironment } from "../../../manifests/prepare.ts";
import type { Action } from "../../actions.ts";
import { forwardsOf, forwardUrl } from "../objects.ts";
import {
  endpointsWatchArgs,
  forwardsListening,
  type HeldForward,
  portForwardArgs,
  startKeeper,
  stopKeeper,
} from "../port-forwards.ts";
import { removeEnvironment } from "../remove.ts";
import { kubectl, placeholder, requireTool, runCommand, showCommand } from "../tools.ts";
import { loadBalancerAddresses } from "../views.ts";
import { deleteCluster } from "./cluster.ts";
import type { KindUpContext, KubeUpContext } from "./context.ts";

/** Whatever an earlier, interrupted run of the environment left: its cluster, network and guard (remove.ts). */
export const leftovers: Action<KindUpContext> = {
  name: "leftovers",
  plan: (ctx) => [
    `${showCommand(deleteCluster(ctx.cluster, ctx.kubeconfig))} (if kind lists ${ctx.cluster})`,
    `docker network rm ${ctx.network} (if it exists); the egress guard's table, if any`,
  ],
  async execute(ctx) {
    const removed = await removeEnvironment(ctx.name);
    return removed === 0 ? "none" : `removed ${removed} thing(s) of an earlier run`;
  },
};

/** The environment's record, `starting` until the last action (its secrets kept from here on). */
export const recordState: Action<KubeUpContext> = {
  name: "state",
  plan: (ctx) => [
    `write ${stateFile(ctx.name)} (mode 0600): runtime ${ctx.state.runtime}, status starting, generated secrets`,
  ],
  async execute(ctx) {
    writeEnvState(ctx.state);
    return `starting, expires ${ctx.state.expiresAt}`;
  },
  async undo(ctx) {
    removeEnvState(ctx.name);
  },
};

/** The forwards the keeper holds, at the host ports recorded for their endpoints. */
export const heldForwards = (prepared: PreparedEnvironment, ports: Record<string, number>): HeldForward[] =>
  forwardsOf(prepared).map((f) => ({
    service: f.service,
    port: f.port,
    portName: f.portName,
    hostPort: ports[f.endpoint] as number,
  }));

/**
 * The endpoints on 127.0.0.1: a port each, held by the detached keeper's `kubectl port-forward`s
 * (reconnecting when a pod goes), and their URLs recorded, the database's with the operator's
 * application credentials.
 */
export const endpoints: Action<KubeUpContext> = {
  name: "endpoints",
  plan: (ctx) => [
    ...forwardsOf(ctx.prepared).map(
      (f) =>
        `${f.endpoint}: ${showCommand({
          tool: "kubectl",
          args: portForwardArgs(
            ctx.kubeconfig,
            ctx.namespace,
            placeholder(`a ready pod of ${f.service}`),
            placeholder("free port"),
            placeholder(`its port ${f.portName || f.port}`),
          ),
        })}`,
    ),
    `held by a detached keeper that follows each Service's ready pods (${showCommand({ tool: "kubectl", args: endpointsWatchArgs(ctx.kubeconfig, ctx.namespace) })}), moving a forward when its pod stops backing the Service`,
    "each LoadBalancer Service's address, if the cluster's load-balancer controller gave it one (`status.loadBalancer`), reported beside",
  ],
  async execute(ctx) {
    const forwards = forwardsOf(ctx.prepared);
    const ports = await freeLoopbackPorts(forwards.length);
    for (const [i, f] of forwards.entries()) ctx.state.ports[f.endpoint] = ports[i] as number;
    const held = heldForwards(ctx.prepared, ctx.state.ports);
    const app: Record<string, Record<string, string>> = {};
    for (const cluster of ctx.objects.filter((o) => o.kind === "Cluster")) {
      const name = cnpgAppSecret(cluster.metadata.name);
      const data = JSON.parse(
        await runCommand(kubectl(ctx.kubeconfig, ["-n", ctx.namespace, "get", "secret", name, "-o", "json"])),
      ) as { data: Record<string, string> };
      app[name] = Object.fromEntries(
        Object.entries(data.data).map(([k, v]) => [k, Buffer.from(v, "base64").toString("utf8")]),
      );
      // The operator made it: the state keeps what the cluster really uses.
      ctx.state.secrets[name] = app[name];
    }
    const appSecret = Object.values(app)[0];
    ctx.state.endpoints = Object.fromEntries(
      forwards.flatMap((f) => {
        const url = forwardUrl(f, ctx.state.ports[f.endpoint] as number, appSecret);
        return [[f.endpoint, url], ...(f.alias ? [[f.alias, url]] : [])];
      }),
    );
    startKeeper(ctx.name, requireTool("kubectl"), ctx.namespace, held);
    await forwardsListening(ctx.name, held, ctx.timeoutSeconds * 1000);
    // A cluster with a load-balancer controller gives the entry point an address of its own.
    const given = Object.entries(await loadBalancerAddresses(ctx.kubeconfig, ctx.namespace));
    return `${forwards.length} port-forward(s) listening on 127.0.0.1${given.map(([service, address]) => `; LoadBalancer ${service} at ${address} (the cluster's address)`).join("")}`;
  },
  async undo(ctx) {
    stopKeeper(ctx.name);
  },
};

/** The last action: the environment is recorded ready with its endpoints. */
export const markReady: Action<KubeUpContext> = {
  name: "ready",
  plan: () => ["record the environment ready with its endpoints"],
  async execute(ctx) {
    ctx.state = { ...ctx.state, status: "ready" };
    writeEnvState(ctx.state);
    return `${Object.keys(ctx.state.endpoints).length} endpoint(s)`;
  },
};
