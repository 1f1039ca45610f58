import { docker } from "../../../docker/cli.ts";
import { bridgeOf } from "../../../docker/network.ts";
import { UserError } from "../../../errors.ts";
import { applyEgressGuard, guardTable } from "../../../firewall/egress-guard.ts";
import { firewallRunner } from "../../../firewall/runner.ts";
import type { Action } from "../../actions.ts";
import { apiAnswers, type NodeContainer, nodeContainers, readySinceNodeStart } from "../node-restarts.ts";
import type { KindPod } from "../pods.ts";
import { kubectl, runCommand } from "../tools.ts";
import type { KindUpContext } from "./context.ts";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Pods that should be ready and are not by a report made since their node started. */
async function notBackYet(ctx: KindUpContext, nodes: readonly NodeContainer[]): Promise<string[]> {
  const listed = await runCommand(kubectl(ctx.kubeconfig, ["get", "pods", "--all-namespaces", "-o", "json"]));
  return (JSON.parse(listed) as { items: KindPod[] }).items
    .filter((p) => p.status?.phase !== "Succeeded" && p.status?.phase !== "Failed")
    .filter((p) => !readySinceNodeStart(p, nodes))
    .map((p) => `${p.metadata.namespace}/${p.metadata.name} on ${p.spec.nodeName ?? "no node"}`);
}

/**
 * The first step of `up` on an existing Kind environment. Nodes that are not running (stopped, or
 * the engine restarted and did not start them) start again, the egress guard on their network
 * first (a reboot empties the host's firewall). Then it waits until the API server answers and
 * every pod of the cluster is ready by its kubelet's report since its node started: until then the
 * API server holds the Ready conditions the pods had before, and the rollouts would pass on them.
 * On a healthy cluster it is one look at the nodes and one at the pods.
 */
export const nodesBack: Action<KindUpContext> = {
  name: "nodes",
  plan: (ctx) => [
    `docker start <node containers of ${ctx.cluster} that are not running>, after nft -f: table inet ${guardTable(ctx.name)} again`,
    `until kubectl get --raw /readyz answers and every pod is ready since its node started (${ctx.timeoutSeconds} s at most)`,
  ],
  async execute(ctx) {
    const stopped = (await nodeContainers(ctx.name)).filter((n) => !n.running).map((n) => n.name);
    if (stopped.length > 0) {
      await applyEgressGuard(ctx.name, await bridgeOf(ctx.network), await firewallRunner());
      await docker(["start", ...stopped]);
    }
    const began = Date.now();
    const deadline = began + ctx.timeoutSeconds * 1000;
    let waiting: string[] = ["the API server"];
    let first: string[] | undefined;
    while (Date.now() < deadline && !ctx.interrupted) {
      waiting = (await apiAnswers(ctx.kubeconfig))
        ? await notBackYet(ctx, await nodeContainers(ctx.name))
        : ["the API server"];
      first ??= waiting;
      if (waiting.length === 0) break;
      await sleep(1_000);
    }
    if (waiting.length > 0)
      throw new UserError(
        `not back ${ctx.timeoutSeconds} s after the nodes ${stopped.length > 0 ? "were started" : "were found"}: ${waiting.join(", ")}`,
        `\`pnpm dev:status${ctx.name === "dev" ? "" : ` --name ${ctx.name}`} --pods\` and \`pnpm dev:logs\` say why; the nodes' own logs: \`docker logs ${ctx.cluster}-control-plane\`.`,
      );
    const waited = ((Date.now() - began) / 1000).toFixed(1);
    if (stopped.length > 0) ctx.restarted = `its nodes had stopped: ${stopped.join(", ")}`;
    else if (first?.[0] === "the API server") ctx.restarted = "its API server was not answering";
    else if (first && first.length > 0) ctx.restarted = `${first.length} pod(s) were not ready`;
    return stopped.length > 0
      ? `started ${stopped.join(", ")}; API and every pod ready again ${waited} s later`
      : `every node running, every pod ready${ctx.restarted ? ` ${waited} s later (${ctx.restarted})` : ""}`;
  },
};
