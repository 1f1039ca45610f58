import { listResources, type Resource, removeResources } from "../../docker/resources.ts";
import { type Group, staleReason } from "../../env/stale.ts";
import { listEnvStates, readEnvState, removeEnvState } from "../../env/state.ts";
import { listTables, removeTable } from "../../firewall/nft.ts";
import { firewallRunner } from "../../firewall/runner.ts";
import { LABEL, recordsId } from "../../labels.ts";
import { envOfTable, tableName } from "../../netpol/nftables.ts";

/** DevStack's resources in Docker, by environment or by the test or build run that made them. */
export type DockerGroup = Group<Resource>;

export function groupResources(resources: Resource[]): DockerGroup[] {
  const groups = new Map<string, DockerGroup>();
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
        records: r.labels[LABEL.records],
        testRun: r.labels[LABEL.testRun],
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

export interface GcResult {
  group: DockerGroup;
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
  // A test run's environments count as the run's: `purposes: ["test"]` takes them too.
  const groups = groupResources(await listResources(`${LABEL.managed}=true`)).filter(
    (g) => !purposes || purposes.includes(g.testRun ? "test" : g.purpose),
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
    const records = listEnvStates().filter((s) => s.runtime === "docker" && !withResources.has(s.name));
    for (const state of records) {
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
    const stuck: unknown[] = [];
    for (const { group, tableOnly } of stale) {
      // A group whose network could not go keeps its table (it still fences what is on it) and
      // its record, for the next gc; the others are removed all the same.
      try {
        await removeResources(group.resources);
      } catch (error) {
        stuck.push(error);
        continue;
      }
      if (group.env) await removeTable(tableName(group.env), nft);
      // A record of that name in our folder is another environment's when the group's is elsewhere.
      const ourRecord = !group.records || group.records === recordsId();
      if (group.env && !tableOnly && ourRecord) removeEnvState(group.env);
    }
    if (stuck.length > 0) throw stuck[0];
  }
  return stale;
}
