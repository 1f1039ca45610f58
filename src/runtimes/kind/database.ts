import { UserError } from "../../errors.ts";
import type { Database, DatabaseMember } from "../runtime.ts";
import { kubeconfigFile } from "./names.ts";
import { type KindPod, listPods } from "./pods.ts";
import { kubectl, runCommand } from "./tools.ts";

const MIB = 1024 * 1024;

/**
 * What one instance says of itself: whether it is in recovery, its timeline (a primary's from its
 * current WAL file, a replica's as received), its WAL receiver's status, and on a primary each
 * standby's replication state and replay lag in bytes (`name=state=bytes`, comma-separated).
 */
export const INSTANCE_QUERY = `select pg_is_in_recovery()::int,
  case when pg_is_in_recovery() then coalesce((select received_tli from pg_stat_wal_receiver), 0)
       else ('x' || substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8))::bit(32)::int end,
  coalesce((select status from pg_stat_wal_receiver), ''),
  case when pg_is_in_recovery() then ''
       else coalesce((select string_agg(application_name || '=' || state || '=' ||
         coalesce(pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn)::bigint, -1) || '=' || sync_state, ',')
         from pg_stat_replication), '') end`;

export interface InstanceAnswer {
  /** The instance's name (`azora-db-2`) and pod (`azora/azora-db-2`). */
  name: string;
  pod: string;
  /** The role CloudNativePG's label gives it, used when the instance does not answer. */
  labelledRole?: string;
  /** The query's one row (`|`-separated), undefined when the instance did not answer. */
  row?: string;
}

/**
 * The members as `kubectl cnpg status` would show them, from each instance's own answer: the one
 * not in recovery is the primary; a replica's state and lag are what the primary's
 * pg_stat_replication says of it (lag in whole MB of WAL not yet replayed). An instance that does
 * not answer keeps the role its label gives and is `unreachable`.
 */
export function cnpgMembers(answers: readonly InstanceAnswer[]): DatabaseMember[] {
  const parsed = answers.map((a) => {
    const [recovery, timeline, receiver, replication] = (a.row ?? "").split("|");
    return { ...a, recovery, timeline: Number(timeline ?? 0), receiver, replication };
  });
  const standbys = new Map<string, { state: string; lagBytes: number; sync?: string }>();
  for (const p of parsed.filter((x) => x.row !== undefined && x.recovery === "0"))
    for (const entry of (p.replication ?? "").split(",").filter(Boolean)) {
      const [name, state, bytes, sync] = entry.split("=");
      if (name && state) standbys.set(name, { state, lagBytes: Number(bytes), ...(sync ? { sync } : {}) });
    }
  return parsed.map((p): DatabaseMember => {
    if (p.row === undefined)
      return {
        name: p.name,
        pod: p.pod,
        role: p.labelledRole === "primary" ? "primary" : "replica",
        state: "unreachable",
        timeline: 0,
      };
    if (p.recovery === "0")
      return { name: p.name, pod: p.pod, role: "primary", state: "running", timeline: p.timeline, lagMb: 0 };
    const seen = standbys.get(p.name);
    return {
      name: p.name,
      pod: p.pod,
      role: "replica",
      state: seen?.state ?? (p.receiver || "stopped"),
      timeline: p.timeline,
      ...(seen && seen.lagBytes >= 0 ? { lagMb: Math.floor(seen.lagBytes / MIB) } : {}),
      ...(seen?.sync ? { sync: seen.sync } : {}),
    };
  });
}

/**
 * The environment's CloudNativePG cluster on Kind: its instances asked directly (psql in each
 * instance pod), and a change of primary requested as the cnpg plugin's `promote` does, by setting
 * the Cluster's status.targetPrimary; the operator carries it out.
 */
export function cnpgDatabase(env: string, namespace: string): Database {
  const kubeconfig = kubeconfigFile(env);
  const instances = async () =>
    (await listPods(env, namespace, "cnpg.io/podRole=instance")).filter((p) => p.status?.phase === "Running");

  async function ask(pod: KindPod): Promise<InstanceAnswer> {
    const name = pod.metadata.name;
    const row = await runCommand(
      kubectl(kubeconfig, [
        "-n",
        namespace,
        "exec",
        name,
        "-c",
        "postgres",
        "--",
        "psql",
        "-XAtq",
        "-F",
        "|",
        "-c",
        INSTANCE_QUERY,
      ]),
      { timeoutMs: 10_000 },
    ).catch(() => undefined);
    return {
      name,
      pod: `${namespace}/${name}`,
      ...(pod.metadata.labels?.["cnpg.io/instanceRole"]
        ? { labelledRole: pod.metadata.labels["cnpg.io/instanceRole"] }
        : {}),
      ...(row === undefined ? {} : { row: row.trim() }),
    };
  }

  async function promote(to: string): Promise<string> {
    const pods = await instances();
    const cluster = pods.find((p) => p.metadata.name === to)?.metadata.labels?.["cnpg.io/cluster"];
    if (!cluster) throw new UserError(`no running instance '${to}' in ${namespace} to promote`);
    const status = {
      targetPrimary: to,
      targetPrimaryTimestamp: new Date().toISOString().replace(/\.(\d{3})Z$/, ".$1000Z"),
      phase: "Switchover in progress",
      phaseReason: `Switching over to ${to}`,
    };
    await runCommand(
      kubectl(kubeconfig, [
        "-n",
        namespace,
        "patch",
        "cluster",
        cluster,
        "--subresource=status",
        "--type=merge",
        "-p",
        JSON.stringify({ status }),
      ]),
    );
    const deadline = Date.now() + 90_000;
    for (;;) {
      const primary = (await database.members()).find((m) => m.role === "primary");
      if (primary?.name === to) return to;
      if (Date.now() > deadline)
        throw new UserError(`${to} was not the primary within 90 s (primary: ${primary?.name ?? "none"})`);
      await new Promise((r) => setTimeout(r, 1_000));
    }
  }

  const database: Database = {
    async members() {
      const pods = (await instances()).sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
      return cnpgMembers(await Promise.all(pods.map(ask)));
    },
    async switchover(to) {
      const members = await database.members();
      const candidate =
        to ??
        members
          .filter((m) => m.role === "replica" && m.state === "streaming")
          .sort((a, b) => (a.lagMb ?? Number.POSITIVE_INFINITY) - (b.lagMb ?? Number.POSITIVE_INFINITY))[0]
          ?.name;
      if (!candidate) throw new UserError("the database has no streaming replica to switch over to");
      return promote(candidate);
    },
    failover: promote,
  };
  return database;
}
