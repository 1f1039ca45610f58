import { applyScript, hostNft, listTables, type NftRunner, removeTable } from "./nft.ts";

/**
 * The egress guard of a network whose machines DevStack does not control packet by packet (a Kind
 * cluster's nodes, their pods and Service ranges): whatever comes in from its bridge may go back
 * out on that bridge (node to node, pod to pod) or to this machine itself (the input path, e.g. a
 * published port), and nothing else. Forwarding elsewhere, i.e. off the machine by the default
 * route, is dropped. A node without a working kube-proxy was seen sending pod traffic for the API
 * Service address out by the default route; this rule is in force before any node exists.
 *
 * Its own table (not `devstack_`: those are NetworkPolicy tables, collected by Docker's env:gc),
 * hooked before Docker's chains so nothing Docker accepts gets past it.
 */
export const GUARD_PREFIX = "devstackguard_";

/** The guard's table for an environment (names are [a-z0-9-]; nft wants `_`). */
export const guardTable = (env: string) => `${GUARD_PREFIX}${env.replace(/-/g, "_")}`;
export const envOfGuard = (table: string) => table.slice(GUARD_PREFIX.length).replace(/_/g, "-");

/** An `nft -f` script that creates or replaces the guard for one bridge in one transaction. */
export function egressGuardScript(env: string, bridge: string): string {
  if (!/^[\w.-]{1,15}$/.test(bridge)) throw new Error(`'${bridge}' is not a Linux interface name`);
  const table = guardTable(env);
  return [
    // Declaring the table first makes the delete valid whether or not it exists.
    `table inet ${table}`,
    `delete table inet ${table}`,
    `table inet ${table} {`,
    "  chain forward {",
    "    type filter hook forward priority filter - 20; policy accept;",
    `    iifname "${bridge}" oifname != "${bridge}" counter drop comment "nothing from ${env}'s nodes leaves this machine"`,
    "  }",
    "}",
    "",
  ].join("\n");
}

export async function applyEgressGuard(env: string, bridge: string, nft: NftRunner = hostNft): Promise<void> {
  await applyScript(egressGuardScript(env, bridge), `${env}'s egress guard`, nft);
}

export async function removeEgressGuard(env: string, nft: NftRunner = hostNft): Promise<boolean> {
  return removeTable(guardTable(env), nft);
}

/** Packets the guard has dropped so far, or undefined when it is not in force. */
export async function guardDrops(env: string, nft: NftRunner = hostNft): Promise<number | undefined> {
  const listed = await nft(["list", "table", "inet", guardTable(env)]);
  if (!listed.ok) return undefined;
  return Number(/counter packets (\d+)/.exec(listed.out)?.[1] ?? 0);
}

/** Every guard in force on this machine, by environment. */
export async function listGuards(nft: NftRunner = hostNft): Promise<string[]> {
  return (await listTables(nft, GUARD_PREFIX)).map(envOfGuard);
}
