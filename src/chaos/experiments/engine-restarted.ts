import type { Experiment, ExperimentContext } from "../experiment.ts";

const seenDown = new Map<ExperimentContext, string>();

/**
 * The container engine restarted under the environment (an upgrade, a daemon crash, a reboot):
 * every container stops. Before anything repairs it, `dev:status` must say the workloads are down
 * (not what the state file remembers); then `dev:up`, what a user runs, brings it all back with
 * its data: no acknowledged write is lost.
 */
export const engineRestarted: Experiment = {
  name: "engine-restarted",
  description:
    "the Docker engine restarted with the environment up; dev:status tells the truth, dev:up repairs it with its data",
  disruptive: "it restarts the Docker engine: every container on this machine stops, other environments' too",
  kubernetes: () => ["systemctl", "restart", "docker", "# on the machine running the Kind nodes"],
  targets: () => ["the container engine"],
  inject: async (ctx) => {
    await ctx.faults.restartEngine();
  },
  holdMs: 0,
  remove: async (ctx) => {
    const { workloads } = await ctx.status();
    const running = workloads.filter((w) => w.ready > 0).map((w) => `${w.workload} ${w.ready}/${w.desired}`);
    seenDown.set(ctx, running.join(", "));
    ctx.log(
      `    after the restart, dev:status: ${workloads.map((w) => `${w.workload} ${w.ready}/${w.desired}`).join(", ")}`,
    );
    await ctx.repair();
  },
  check: async (ctx) => {
    const running = seenDown.get(ctx);
    return running
      ? [`after the engine restarted, before any repair, dev:status said these still ran: ${running}`]
      : [];
  },
};
