import { spawnSync } from "node:child_process";
import { UserError } from "../errors.ts";
import { TABLE_PREFIX } from "../netpol/nftables.ts";

/**
 * The host's nftables, through the `nft` CLI: applying a compiled script (one transaction, so a
 * table is replaced whole or not at all), removing a table, listing DevStack's tables. Used by
 * `dev:up`/`dev:down`/`env:gc` on the host and by the supervisor (in the host's network namespace).
 * No dependency beyond node:child_process, as the supervisor image bundles it.
 */

export class FirewallError extends UserError {}

function nft(args: string[], input?: string): { ok: boolean; out: string; err: string } {
  const result = spawnSync("nft", args, { input, encoding: "utf8", maxBuffer: 256 * 2 ** 20 });
  if (result.error) {
    throw new FirewallError(
      (result.error as NodeJS.ErrnoException).code === "ENOENT"
        ? "the `nft` command is not installed (Debian: apt-get install nftables); NetworkPolicies cannot be enforced"
        : `nft could not run: ${result.error.message}`,
    );
  }
  return { ok: result.status === 0, out: result.stdout, err: result.stderr.trim() };
}

/** Applies an `nft -f` script atomically: on any error nothing of it is in force. */
export function applyScript(script: string, what: string): void {
  const result = nft(["-f", "-"], script);
  if (!result.ok) {
    const hint = /Operation not permitted/.test(result.err)
      ? " (enforcing NetworkPolicies needs root, or CAP_NET_ADMIN, in the host's network namespace)"
      : "";
    throw new FirewallError(`could not apply the firewall rules of ${what}${hint}: ${result.err}`);
  }
}

/** Removes a table if it exists; true if there was one. */
export function removeTable(table: string): boolean {
  if (!listTables().includes(table)) return false;
  const result = nft(["delete", "table", "inet", table]);
  if (!result.ok && listTables().includes(table))
    throw new FirewallError(`could not remove nftables table inet ${table}: ${result.err}`);
  return true;
}

/** DevStack's tables (family inet, name starting with `devstack_`). */
export function listTables(): string[] {
  const result = nft(["list", "tables", "inet"]);
  if (!result.ok) throw new FirewallError(`could not list nftables tables: ${result.err}`);
  return result.out
    .split("\n")
    .map((line) => line.trim().split(/\s+/))
    .filter((w) => w[0] === "table" && w[1] === "inet" && (w[2] ?? "").startsWith(TABLE_PREFIX))
    .map((w) => w[2] as string);
}

/** The current text of a table (for `dev:status` and tests), or undefined. */
export function tableText(table: string): string | undefined {
  const result = nft(["list", "table", "inet", table]);
  return result.ok ? result.out : undefined;
}
