import { removeEnvState, stateFile, writeEnvState } from "../../../env/state.ts";
import type { Action } from "../../actions.ts";
import { policySummary } from "../firewall.ts";
import type { DockerUpContext } from "./context.ts";

/**
 * The environment's record, `starting` until the last action: generated secrets are kept from
 * here on, so that a data volume and its password always agree.
 */
export const recordState: Action<DockerUpContext> = {
  name: "state",
  plan: (ctx) => [`write ${stateFile(ctx.name)} (mode 0600): status starting, generated secrets`],
  async execute(ctx) {
    writeEnvState(ctx.state);
    return `starting, expires ${ctx.state.expiresAt}`;
  },
  // A kept data volume needs its password; otherwise nothing of this run should be remembered.
  async undo(ctx) {
    if (!ctx.hadData) removeEnvState(ctx.name);
  },
};

/** The last action: the environment is recorded ready with its endpoints. */
export const markReady: Action<DockerUpContext> = {
  name: "ready",
  plan: () => ["record the environment ready with its endpoints"],
  async execute(ctx) {
    // Every pod has its address by now: the table as it stays, with its size.
    const firewall = await ctx.enforcer?.apply();
    ctx.state = { ...ctx.state, status: "ready" };
    writeEnvState(ctx.state);
    return firewall ? `${policySummary(firewall)}` : `${ctx.containers.length} container(s)`;
  },
};
