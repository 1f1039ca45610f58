import { docker } from "../../../docker/cli.ts";
import type { Action } from "../../actions.ts";
import { supervisorName } from "../names.ts";
import { ensureSupervisor } from "../supervisor.ts";
import type { DockerUpContext } from "./context.ts";

/** The environment's node agent: liveness restarts and the firewall kept current. */
export const supervisor: Action<DockerUpContext> = {
  name: "supervisor",
  plan: (ctx) => [
    `docker create+start ${supervisorName(ctx.name)}: image supervisor, host network, NET_ADMIN, the Docker socket`,
  ],
  async execute(ctx) {
    if (!ctx.firewall)
      throw new Error("the supervisor needs the environment's firewall (network policies action)");
    const image = ctx.images?.get("supervisor")?.ref ?? "supervisor";
    await ensureSupervisor(ctx.name, async () => image, ctx.firewall, ctx.labels);
    return "watching liveness probes and container addresses";
  },
  async undo(ctx) {
    await docker(["rm", "--force", supervisorName(ctx.name)], { reject: false });
  },
};
