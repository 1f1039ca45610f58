import { createNetworkAvoiding, removeNetwork } from "../../../docker/network.ts";
import { labelArgs } from "../../../labels.ts";
import type { Action } from "../../actions.ts";
import type { DockerUpContext } from "./context.ts";

/**
 * The environment's own bridge network: its pods' only network, where its firewall applies. Placed
 * clear of a Kind cluster's pod and Service ranges: the engine's own pick may be 192.168.x, and a
 * network there would cut the pods of any Kind environment started beside it from one another.
 */
export const network: Action<DockerUpContext> = {
  name: "network",
  plan: (ctx) => [
    `docker network create --label ... --subnet <free /16 outside ${ctx.avoid.join(", ")}> ${ctx.network}`,
  ],
  async execute(ctx) {
    const { subnet, gateway } = await createNetworkAvoiding(ctx.network, labelArgs(ctx.labels), ctx.avoid);
    // The host's address on it: every pod's DNS server and kube-state-metrics.
    ctx.gateway = gateway;
    return `${ctx.network} on ${subnet}`;
  },
  async undo(ctx) {
    await removeNetwork(ctx.network);
  },
};
