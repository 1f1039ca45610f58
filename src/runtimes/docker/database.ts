import { dockerMaybe } from "../../docker/cli.ts";
import { UserError } from "../../errors.ts";
import type { Database, DatabaseMember, PodRef } from "../runtime.ts";
import { isStandIn } from "./cluster.ts";
import { containerOf, podsOf } from "./faults.ts";

interface PatroniMember {
  Member: string;
  Role: string;
  State: string;
  TL?: number;
  "Lag in MB"?: number;
}

/** Patroni's replica roles as pg_stat_replication's sync_state names them. */
const PATRONI_SYNC: Record<string, string> = {
  "Sync Standby": "sync",
  "Quorum Standby": "quorum",
  Replica: "async",
};

/**
 * The environment's PostgreSQL cluster on Docker: with several instances, Patroni's own view
 * (`patronictl` inside a running instance), and its switchover and failover; with one instance,
 * that instance, always the primary.
 */
export function dockerDatabase(env: string): Database {
  const instances = async () =>
    (await podsOf(env)).filter((p) => p.labels["cnpg.io/instanceName"] !== undefined);
  /** Runs patronictl in the first instance (of `pods`, listed if not given) that answers; undefined without Patroni. */
  async function patronictl(args: string[], pods?: PodRef[]): Promise<string | undefined> {
    pods ??= await instances();
    if (!pods.some(isStandIn)) return undefined;
    for (const pod of pods) {
      const result = await dockerMaybe(["exec", containerOf(env, pod.pod), "patronictl", ...args]);
      if (result !== undefined) return result;
    }
    throw new UserError(`no instance of the database answers patronictl ${args.join(" ")}`);
  }

  const database: Database = {
    async members(): Promise<DatabaseMember[]> {
      const pods = await instances();
      const json = await patronictl(["list", "--format", "json"], pods);
      if (json === undefined) {
        // One instance: the primary, on its first timeline unless it was promoted (never here).
        return pods.map((p) => ({
          name: p.pod.split("/")[1] ?? p.pod,
          pod: p.pod,
          role: "primary",
          state: "running",
          timeline: 1,
          lagMb: 0,
        }));
      }
      const members = JSON.parse(json) as PatroniMember[];
      return members.map((m) => ({
        name: m.Member,
        pod: pods.find((p) => p.pod.endsWith(`/${m.Member}`))?.pod ?? `azora/${m.Member}`,
        role: m.Role === "Leader" ? "primary" : "replica",
        ...(m.Role in PATRONI_SYNC ? { sync: PATRONI_SYNC[m.Role] } : {}),
        state: m.State,
        timeline: m.TL ?? 0,
        ...(m.Role === "Leader"
          ? { lagMb: 0 }
          : m["Lag in MB"] !== undefined
            ? { lagMb: m["Lag in MB"] }
            : {}),
      }));
    },
    async switchover(to) {
      const primary = (await database.members()).find((m) => m.role === "primary");
      if (!primary) throw new UserError("the database has no primary to switch over from");
      const out = await patronictl([
        "switchover",
        "--leader",
        primary.name,
        ...(to ? ["--candidate", to] : []),
        "--force",
      ]);
      if (out === undefined)
        throw new UserError("the database has one instance: there is nothing to switch over to");
      return settle(database, (p) => p !== primary.name && (!to || p === to), out);
    },
    async failover(to) {
      const out = await patronictl(["failover", "--candidate", to, "--force"]);
      if (out === undefined)
        throw new UserError("the database has one instance: there is nothing to fail over to");
      return settle(database, (p) => p === to, out);
    },
  };
  return database;
}

/** Waits until Patroni reports the wanted primary (it may take a loop or two after the command). */
async function settle(
  database: Database,
  wanted: (primary: string) => boolean,
  said: string,
): Promise<string> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const primary = (await database.members()).find((m) => m.role === "primary" && m.state === "running");
    if (primary && wanted(primary.name)) return primary.name;
    if (Date.now() > deadline)
      throw new UserError(`the new primary did not take over within 30 s`, `patronictl said:\n${said}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}
