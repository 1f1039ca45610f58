import { lastLogLines } from "../../../docker/logs.ts";
import { type Action, KeptFailure } from "../../actions.ts";
import { containerName } from "../names.ts";
import { replicaName } from "../pods.ts";
import { describeProbe, waitUntilReady } from "../probe.ts";
import type { ContainerPlan } from "../translate.ts";
import type { DockerUpContext } from "./context.ts";

/**
 * Waits until each container passes its readiness probe. A workload that does not within the
 * env's startupTimeout fails `up` naming it with its last log lines, and stays for `dev:logs`.
 */
export async function waitForReadiness(ctx: DockerUpContext, which: readonly ContainerPlan[]): Promise<void> {
  const timeoutMs = ctx.prepared.envFile.startupTimeout;
  await Promise.all(
    which.map(async (c) => {
      const name = containerName(ctx.name, c);
      const began = performance.now();
      try {
        const started = await ctx.starting.get(name);
        await waitUntilReady(name, c.readiness, (port) => started?.getMappedPort(port), timeoutMs);
      } catch (error) {
        throw new KeptFailure(
          `workload '${c.workload}' of environment '${ctx.name}' did not become ready: ${(error as Error).message}`,
          `last log lines of ${name}:\n${(await lastLogLines(name)).replace(/^/gm, "  | ")}\nInspect with \`pnpm dev:logs\` or \`docker logs ${name}\`; remove with \`pnpm dev:down --name ${ctx.name}\`.`,
        );
      }
      ctx.progress(`  ${replicaName(c)}: ready in ${((performance.now() - began) / 1000).toFixed(1)}s`);
      // The first time `up` saw it ready (a StatefulSet's pods are waited for as they start, again later).
      ctx.state.readySeconds[replicaName(c)] ??= Number(((performance.now() - ctx.began) / 1000).toFixed(1));
    }),
  );
}

const probesOf = (which: readonly ContainerPlan[]) =>
  which.map((c) => `${replicaName(c)}: ${describeProbe(c.readiness)}`);

/** The database's instances: ready before migrations run. */
export const databaseReady: Action<DockerUpContext> = {
  name: "database",
  plan: (ctx) => probesOf(ctx.containers.filter((c) => c.kind === "Cluster")),
  async execute(ctx) {
    const databases = ctx.containers.filter((c) => c.kind === "Cluster");
    await waitForReadiness(ctx, databases);
    return `${databases.map((c) => c.workload).join(", ") || "none"} ready`;
  },
};

/** Every other workload, each gated on its readiness probe. */
export const workloadsReady: Action<DockerUpContext> = {
  name: "readiness",
  plan: (ctx) => probesOf(ctx.containers.filter((c) => c.kind !== "Cluster")),
  async execute(ctx) {
    const rest = ctx.containers.filter((c) => c.kind !== "Cluster");
    // A container that could not start fails here (and `up` is undone), not as one never ready.
    await ctx.othersStarted;
    await waitForReadiness(ctx, rest);
    return `${rest.length} container(s) of ${new Set(rest.map((c) => c.workload)).size} workload(s) ready`;
  },
};
