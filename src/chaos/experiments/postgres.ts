import type { DatabaseMember, PodRef } from "../../runtimes/runtime.ts";
import type { Experiment, ExperimentContext } from "../experiment.ts";
import { deletePod, freezePod, isolatePod } from "../kubernetes.ts";

/**
 * Invariants of every Postgres experiment, and the helpers they share: the cluster must have
 * several instances; afterwards exactly one primary, on a later timeline than before the fault
 * (a failover happened), every replica streaming and caught up.
 */
const timelineBefore = new Map<ExperimentContext, number>();

/** Several database instances: pods CloudNativePG (or the Docker runtime's Patroni) labels as one. */
export const needsReplicas = (pods: readonly PodRef[]) =>
  pods.filter((p) => p.labels["cnpg.io/instanceName"] !== undefined).length > 1
    ? undefined
    : "needs a database of several instances (the nightly env has 3)";

export async function primaryOf(ctx: ExperimentContext): Promise<DatabaseMember> {
  const members = await ctx.env.database.members();
  const primary = members.find((m) => m.role === "primary");
  if (!primary) throw new Error(`no primary among ${members.map((m) => `${m.name} (${m.role})`).join(", ")}`);
  timelineBefore.set(ctx, primary.timeline);
  return primary;
}

/** Exactly one primary on a later timeline, every replica streaming with no lag (within 60 s). */
export async function failedOver(ctx: ExperimentContext, oldPrimary: string): Promise<string[]> {
  const before = timelineBefore.get(ctx) ?? 0;
  const deadline = Date.now() + 60_000;
  let problems: string[] = [];
  for (;;) {
    const members = await ctx.env.database.members();
    const primaries = members.filter((m) => m.role === "primary");
    const lagging = members.filter((m) => m.role === "replica" && (m.state !== "streaming" || m.lagMb !== 0));
    problems = [
      ...(primaries.length !== 1
        ? [`${primaries.length} primaries: ${primaries.map((m) => m.name).join(", ")}`]
        : []),
      ...(primaries[0] && primaries[0].timeline <= before
        ? [`the primary is still on timeline ${primaries[0].timeline} (was ${before}): no failover happened`]
        : []),
      ...(primaries[0]?.name === oldPrimary ? [`${oldPrimary} is still the primary`] : []),
      ...lagging.map((m) => `replica ${m.name} is ${m.state} with lag ${m.lagMb ?? "unknown"} MB`),
    ];
    if (problems.length === 0 || Date.now() > deadline) return problems;
    await new Promise((r) => setTimeout(r, 1_000));
  }
}

let killed: DatabaseMember | undefined;
/**
 * The primary SIGKILLed and kept down, as when its node dies: a replica is promoted, no
 * acknowledged write is lost; when the node returns, the old primary rejoins as a replica.
 */
export const postgresPrimaryKilled: Experiment = {
  name: "postgres-primary-killed",
  description:
    "the PostgreSQL primary killed (SIGKILL) and kept down 15 s; a replica takes over, no acknowledged write is lost",
  kubernetes: deletePod,
  requires: needsReplicas,
  targets: () => ["the current primary"],
  inject: async (ctx) => {
    killed = await primaryOf(ctx);
    ctx.log(`    primary ${killed.name} (timeline ${killed.timeline})`);
    await ctx.faults.down(killed.pod);
  },
  holdMs: 15_000,
  remove: async (ctx) => {
    if (killed) await ctx.faults.up(killed.pod);
  },
  check: async (ctx) => (killed ? failedOver(ctx, killed.name) : ["the primary was not found"]),
};

let frozen: DatabaseMember | undefined;
/**
 * The primary frozen past the failover timeout, then thawed: a replica has taken over meanwhile,
 * and the thawed one must step down to a replica, never serve writes beside the new primary.
 */
export const postgresPrimaryFrozen: Experiment = {
  name: "postgres-primary-frozen",
  description: "the PostgreSQL primary frozen (docker pause) past the failover timeout, then thawed",
  kubernetes: freezePod,
  requires: needsReplicas,
  targets: () => ["the current primary"],
  inject: async (ctx) => {
    frozen = await primaryOf(ctx);
    ctx.log(`    primary ${frozen.name} (timeline ${frozen.timeline})`);
    await ctx.faults.pause(frozen.pod);
  },
  holdMs: 15_000,
  remove: async (ctx) => {
    if (frozen) await ctx.faults.resume(frozen.pod);
  },
  check: async (ctx) => (frozen ? failedOver(ctx, frozen.name) : ["the primary was not found"]),
};

let isolated: DatabaseMember | undefined;
let isolatedWritable: string | undefined;
/**
 * The primary cut off from the other members, etcd and its clients (its address dropped by the
 * environment's firewall, open connections too): it must demote itself once it cannot renew its
 * lease (so two writable primaries never coexist), a replica takes over, and when it is reachable
 * again the old primary rejoins as a replica.
 */
export const postgresPrimaryIsolated: Experiment = {
  name: "postgres-primary-isolated",
  description:
    "the PostgreSQL primary cut off from its peers and the DCS for 15 s; it must step down, a replica takes over",
  kubernetes: (pod) => isolatePod(pod, "cnpg.io/instanceName"),
  requires: needsReplicas,
  targets: () => ["the current primary"],
  inject: async (ctx) => {
    isolated = await primaryOf(ctx);
    isolatedWritable = undefined;
    ctx.log(`    primary ${isolated.name} (timeline ${isolated.timeline})`);
    await ctx.faults.isolate(isolated.pod);
  },
  holdMs: 15_000,
  remove: async (ctx) => {
    if (!isolated) return;
    // Still cut off, past the lease (7 s) and the retry timeout (3 s): asked on its own socket, it
    // must be read-only by now, or it would take writes beside the new primary.
    const answer = await ctx.env
      .exec(isolated.pod, ["psql", "-U", "postgres", "-tAc", "SELECT pg_is_in_recovery()"])
      .catch((error: Error) => `error: ${error.message}`);
    if (answer.trim() === "f")
      isolatedWritable = `${isolated.name} still took writes 15 s into its isolation`;
    await ctx.faults.reconnect(isolated.pod);
  },
  check: async (ctx) =>
    isolated
      ? [...(isolatedWritable ? [isolatedWritable] : []), ...(await failedOver(ctx, isolated.name))]
      : ["the primary was not found"],
};
