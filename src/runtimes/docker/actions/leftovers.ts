import { removeResources } from "../../../docker/resources.ts";
import type { Action } from "../../actions.ts";
import { envResources } from "../names.ts";
import type { DockerUpContext } from "./context.ts";

/** Whatever an earlier, unhealthy or interrupted run of the environment left (its data stays). */
export const leftovers: Action<DockerUpContext> = {
  name: "leftovers",
  plan: (ctx) => [
    `remove containers and networks labelled dev.azora.devstack.env=${ctx.name} (volumes stay)`,
  ],
  async execute(ctx) {
    const found = (await envResources(ctx.name)).filter((r) => r.kind !== "volume");
    await removeResources(found);
    return found.length === 0 ? "none" : `removed ${found.length} resource(s) of an earlier run`;
  },
};
