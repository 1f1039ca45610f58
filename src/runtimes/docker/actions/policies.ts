import { removeTable } from "../../../firewall/nft.ts";
import { firewallRunner } from "../../../firewall/runner.ts";
import { tableName } from "../../../netpol/nftables.ts";
import type { Action } from "../../actions.ts";
import { firewallConfig, hostEnforcer } from "../firewall.ts";
import type { DockerUpContext } from "./context.ts";

/**
 * The NetworkPolicies in force before anything starts: a container that starts later can talk
 * only as they allow (an address the table does not know yet gets nothing).
 */
export const policies: Action<DockerUpContext> = {
  name: "network policies",
  plan: (ctx) => [
    `nft -f: table inet ${tableName(ctx.name)} on the bridge of ${ctx.network}, from ${ctx.prepared.policies.policies.length} NetworkPolicies`,
  ],
  async execute(ctx) {
    ctx.firewall = await firewallConfig(ctx.name, ctx.prepared.policies);
    ctx.enforcer = hostEnforcer(ctx.firewall);
    const { table } = await ctx.enforcer.apply();
    return `${ctx.prepared.policies.policies.length} policies enforced by table inet ${table} on ${ctx.firewall.bridge}`;
  },
  async undo(ctx) {
    await removeTable(tableName(ctx.name), await firewallRunner());
  },
};
