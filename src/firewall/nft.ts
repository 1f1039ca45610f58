import { spawn } from "node:child_process";
import { UserError } from "../errors.ts";
import { TABLE_PREFIX } from "../netpol/nftables.ts";

/**
 * nftables through the `nft` CLI: applying a compiled script (one transaction, so a table is
 * replaced whole or not at all), removing a table, listing DevStack's tables. Where `nft` runs is
 * the runner's business (see runner.ts): on the host, or in a throwaway container in the Docker
 * host's network namespace. The supervisor, in that namespace already, uses `hostNft`. No
 * dependency beyond node:child_process, as the supervisor image bundles this.
 */

export class FirewallError extends UserError {}

export interface NftResult {
  ok: boolean;
  out: string;
  err: string;
}
export type NftRunner = (args: string[], input?: string) => Promise<NftResult>;

/** Runs a command, feeding `input`; resolves with its exit status and output, never rejects on exit codes. */
export function run(command: string, args: string[], input?: string): Promise<NftResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: [input === undefined ? "ignore" : "pipe", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout?.on("data", (chunk) => {
      out += chunk;
    });
    child.stderr?.on("data", (chunk) => {
      err += chunk;
    });
    child.on("error", (error: NodeJS.ErrnoException) =>
      reject(
        new FirewallError(
          error.code === "ENOENT"
            ? `\`${command}\` is not installed${command === "nft" ? " (Debian: apt-get install nftables)" : ""}`
            : `${command} could not run: ${error.message}`,
        ),
      ),
    );
    child.on("close", (code) => resolve({ ok: code === 0, out, err: err.trim() }));
    // A command that exits without reading its input (an error) must not crash us with EPIPE: its
    // exit status says what happened.
    child.stdin?.on("error", () => undefined);
    child.stdin?.end(input);
  });
}

/** `nft` on this machine, in this network namespace. */
export const hostNft: NftRunner = (args, input) => run("nft", args, input);

/** Applies an `nft -f` script atomically: on any error nothing of it is in force. */
export async function applyScript(script: string, what: string, nft: NftRunner = hostNft): Promise<void> {
  const result = await nft(["-f", "-"], script);
  if (!result.ok) {
    const hint = /Operation not permitted/.test(result.err)
      ? " (enforcing NetworkPolicies needs CAP_NET_ADMIN in the Docker host's network namespace)"
      : "";
    throw new FirewallError(`could not apply the firewall rules of ${what}${hint}: ${result.err}`);
  }
}

/** Removes a table if it exists; true if there was one. */
export async function removeTable(table: string, nft: NftRunner = hostNft): Promise<boolean> {
  const exists = async () => (await nft(["list", "table", "inet", table])).ok;
  if (!(await exists())) return false;
  const result = await nft(["delete", "table", "inet", table]);
  if (!result.ok && (await exists()))
    throw new FirewallError(`could not remove nftables table inet ${table}: ${result.err}`);
  return true;
}

/** DevStack's tables (family inet) whose names start with `prefix`: NetworkPolicy tables by default. */
export async function listTables(nft: NftRunner = hostNft, prefix = TABLE_PREFIX): Promise<string[]> {
  const result = await nft(["list", "tables", "inet"]);
  if (!result.ok) throw new FirewallError(`could not list nftables tables: ${result.err}`);
  return result.out
    .split("\n")
    .map((line) => line.trim().split(/\s+/))
    .filter((w) => w[0] === "table" && w[1] === "inet" && (w[2] ?? "").startsWith(prefix))
    .map((w) => w[2] as string);
}

/** The current text of a table, or undefined. */
export async function tableText(table: string, nft: NftRunner = hostNft): Promise<string | undefined> {
  const result = await nft(["list", "table", "inet", table]);
  return result.ok ? result.out : undefined;
}
