import type { Experiment } from "../experiment.ts";

/**
 * The environment's node agent killed: pods keep serving (nothing restarts them meanwhile), and
 * the next `dev:up` of the environment starts a new one.
 */
export const supervisorKilled: Experiment = {
  name: "supervisor-killed",
  description: "the environment's supervisor (its kubelet) killed; the next dev:up starts a new one",
  kubernetes: () => [
    "systemctl",
    "kill",
    "--signal",
    "KILL",
    "kubelet",
    "# on each node (docker exec NODE, on Kind)",
  ],
  targets: () => ["supervisor"],
  inject: async (ctx) => {
    await ctx.faults.killNodeAgent();
  },
  holdMs: 5_000,
  remove: async (ctx) => {
    await ctx.repair();
  },
  check: async (ctx) =>
    (await ctx.faults.nodeAgentRunning()) ? [] : ["no supervisor runs after dev:up repaired the environment"],
};
