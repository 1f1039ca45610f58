import { docker } from "../../../docker/cli.ts";
import { labelArgs } from "../../../labels.ts";
import type { Action } from "../../actions.ts";
import type { DockerUpContext } from "./context.ts";

/** The environment's own bridge network: its pods' only network, where its firewall applies. */
export const network: Action<DockerUpContext> = {
  name: "network",
  plan: (ctx) => [`docker network create --label ... ${ctx.network}`],
  async execute(ctx) {
    await docker(["network", "create", ...labelArgs(ctx.labels), ctx.network]);
    return ctx.network;
  },
  async undo(ctx) {
    await docker(["network", "rm", ctx.network], { reject: false });
  },
};
