import {
  bridgeOf,
  createNetworkAvoiding,
  removeNetwork,
  requireRangesClear,
} from "../../../docker/network.ts";
import { applyEgressGuard, guardTable, removeEgressGuard } from "../../../firewall/egress-guard.ts";
import { firewallRunner } from "../../../firewall/runner.ts";
import { labelArgs } from "../../../labels.ts";
import { clusterRanges } from "../../../manifests/cluster-file.ts";
import type { Action } from "../../actions.ts";
import type { KindUpContext } from "./context.ts";

/**
 * The cluster's own network, made before kind runs so that the guard is on it before any node, on
 * a subnet clear of the cluster's pod and Service ranges (a node inside them is unreachable). It
 * refuses to start while another network or route overlaps those ranges: pods on different nodes
 * would time out on each other.
 */
export const network: Action<KindUpContext> = {
  name: "network",
  plan: (ctx) => [
    `check: no network or route of this machine overlaps ${clusterRanges(ctx.clusterConfig).join(", ")}`,
    `docker network create --label ... --subnet <free /16 outside ${clusterRanges(ctx.clusterConfig).join(", ")}> ${ctx.network}`,
  ],
  async execute(ctx) {
    const ranges = clusterRanges(ctx.clusterConfig);
    await requireRangesClear(ranges, "kind/cluster.yaml's networking.podSubnet and serviceSubnet");
    const { subnet } = await createNetworkAvoiding(ctx.network, labelArgs(ctx.labels), ranges);
    ctx.bridge = await bridgeOf(ctx.network);
    return `${ctx.network} on ${subnet} (bridge ${ctx.bridge})`;
  },
  async undo(ctx) {
    await removeNetwork(ctx.network);
  },
};

/** Nothing the nodes, their pods or Services forward leaves this machine (firewall/egress-guard.ts). */
export const egressGuard: Action<KindUpContext> = {
  name: "egress guard",
  plan: (ctx) => [
    `nft -f: table inet ${guardTable(ctx.name)} on the bridge of ${ctx.network}: what comes in on it goes out on it or to this machine, nothing else`,
  ],
  async execute(ctx) {
    if (!ctx.bridge) throw new Error("the network action runs first");
    await applyEgressGuard(ctx.name, ctx.bridge, await firewallRunner());
    return `${guardTable(ctx.name)}: whatever ${ctx.bridge} would forward elsewhere is dropped`;
  },
  async undo(ctx) {
    await removeEgressGuard(ctx.name, await firewallRunner());
  },
};
