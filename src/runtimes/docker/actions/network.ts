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
    return `${ctx.network} on ${await createNetworkAvoiding(ctx.network, labelArgs(ctx.labels), ctx.avoid)}`;
  },
  async undo(ctx) {
    await removeNetwork(ctx.network);
  },
};
