import { listResources, type Resource, removeResources } from "../docker/resources.ts";
import { listTables, removeTable } from "../firewall/nft.ts";
import { firewallRunner } from "../firewall/runner.ts";
import { LABEL, runIsAlive } from "../labels.ts";
import { envOfTable, tableName } from "../netpol/nftables.ts";
import { type EnvState, listEnvStates, readEnvState, removeEnvState } from "./state.ts";

/** Resources created together: one environment, or one test or build run. */
export interface Group {
  key: string;
  env?: string;
  purpose: string;
  run: string;
  expires: string;
  resources: Resource[];
}

export function groupResources(resources: Resource[]): Group[] {
  const groups = new Map<string, Group>();
  for (const r of resources) {
    const env = r.labels[LABEL.env];
    const run = r.labels[LABEL.run] ?? "";
    const key = env ? `env ${env}` : `run ${run}`;
    let group = groups.get(key);
    if (!group) {
      group = {
        key,
        env,
        purpose: r.labels[LABEL.purpose] ?? "unknown",
        run,
        expires: r.labels[LABEL.expires] ?? "",
        resources: [],
      };
      groups.set(key, group);
    }
    group.resources.push(r);
    // The group lives as long as its longest-lived member says.
    if ((r.labels[LABEL.expires] ?? "") > group.expires) group.expires = r.labels[LABEL.expires] ?? "";
  }
  return [...groups.values()];
}

/**
 * Why a group is garbage, or undefined if it must be kept. Pure, so the rules are unit-tested:
 * expired TTL; a test or build run that is gone; an environment whose `up` was interrupted
 * (state `starting` and its run gone) or of which nothing is recorded and whose creator is gone.
 */
export function staleReason(
  group: Group,
  state: EnvState | undefined,
  now: Date,
  alive: (run: string) => boolean = runIsAlive,
): string | undefined {
  if (group.expires && new Date(group.expires) < now) return `TTL expired at ${group.expires}`;
  if (!group.env) return alive(group.run) ? undefined : `the run that created it (${group.run}) is gone`;
  if (!state)
    return alive(group.run) ? undefined : "no state is recorded for it and the run that created it is gone";
  if (state.status === "starting" && !alive(state.run))
    return `its \`up\` was interrupted (run ${state.run} is gone)`;
  return undefined;
}

export interface GcResult {
  group: Group;
  reason: string;
  /** Only a firewall table is left: the environment's record (and any kept volume) stays. */
  tableOnly?: boolean;
}

/** Finds (and unless dryRun removes) every DevStack resource whose creator is gone or whose TTL passed. */
export async function collectGarbage({
  dryRun = false,
  now = new Date(),
  purposes,
}: {
  dryRun?: boolean;
  now?: Date;
  purposes?: string[];
} = {}): Promise<GcResult[]> {
  const groups = groupResources(await listResources(`${LABEL.managed}=true`)).filter(
    (g) => !purposes || purposes.includes(g.purpose),
  );
  const stale: GcResult[] = [];
  for (const group of groups) {
    const state = group.env ? readEnvState(group.env) : undefined;
    const reason = staleReason(group, state, now);
    if (reason) stale.push({ group, reason });
  }
  // Environment records with nothing left in Docker (removed by hand, or an engine reset) only
  // mislead `dev:up` and `dev:seed`: they go too. Test-only runs never look at records.
  if (!purposes || purposes.includes("env")) {
    const withResources = new Set(groups.map((g) => g.env).filter(Boolean));
    for (const state of listEnvStates().filter((s) => !withResources.has(s.name))) {
      stale.push({
        group: {
          key: `env ${state.name}`,
          env: state.name,
          purpose: "env",
          run: state.run,
          expires: state.expiresAt,
          resources: [],
        },
        reason: "nothing of it is left in Docker; only its record remained",
      });
    }
  }
  // A firewall table whose environment has no network any more filters nothing: an interrupted
  // `down`, or a run killed between the two. It always goes, whatever the purposes asked for.
  const withNetwork = new Set(
    groups.flatMap((g) => (g.env && g.resources.some((r) => r.kind === "network") ? [g.env] : [])),
  );
  const staleEnvs = new Set(stale.map((s) => s.group.env));
  const nft = await firewallRunner();
  for (const table of await listTables(nft)) {
    const env = envOfTable(table);
    if (withNetwork.has(env) || staleEnvs.has(env)) continue;
    stale.push({
      group: { key: `env ${env}`, env, purpose: "env", run: "", expires: "", resources: [] },
      reason: `only its firewall table (inet ${table}) was left`,
      tableOnly: true,
    });
  }
  if (!dryRun) {
    for (const { group, tableOnly } of stale) {
      await removeResources(group.resources);
      if (group.env) await removeTable(tableName(group.env), nft);
      if (group.env && !tableOnly) removeEnvState(group.env);
    }
  }
  return stale;
}
