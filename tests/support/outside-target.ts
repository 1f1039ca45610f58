import { applyScript, hostNft, removeTable, run as runCommand } from "../../src/firewall/nft.ts";

/**
 * A stand-in for "somewhere off this machine", made by the test itself: a network namespace behind a
 * veth pair, holding an address of the benchmarking range (198.18.0.0/15) with a TCP server on 8080
 * that answers "reached". To containers it is as far as the internet: reached by forwarding, off
 * their bridge. A fence of the test's own (a drop for that range on any other interface) is in
 * place before the address exists, so a missing route can never send a packet by the default route.
 * `slot` (0-255) keeps the targets of different test files apart.
 */
export interface OutsideTarget {
  address: string;
  port: number;
  /** Packets this machine has forwarded towards the target so far (counted before any guard). */
  forwarded: () => Promise<number>;
  remove: () => Promise<void>;
}

/** A TCP server answering "reached" on port argv[1], address argv[2]: `node -e SERVE 8080 0.0.0.0`. */
export const SERVE = `require("node:net").createServer((s) => s.end("reached")).listen(Number(process.argv[1]), process.argv[2]);`;

export async function createOutsideTarget(slot: number): Promise<OutsideTarget> {
  const id = `${process.pid % 10_000}${slot}`;
  const [netns, hostEnd, nsEnd, fence] = [`dsout${id}`, `dsoh${id}`, `dson${id}`, `devstacktest_fence_${id}`];
  const [range, hostSide, address] = [`198.18.${slot}.0/30`, `198.18.${slot}.1`, `198.18.${slot}.2`];
  const sh = async (command: string, args: string[]) => {
    const result = await runCommand(command, args);
    if (!result.ok) throw new Error(`${command} ${args.join(" ")}: ${result.err}`);
    return result.out;
  };
  const inNs = (args: string[]) => sh("ip", ["netns", "exec", netns, ...args]);
  const remove = async () => {
    // What runs in the namespace, then the namespace (the veth pair goes with it), then the fence.
    await runCommand("sh", ["-c", `ip netns pids ${netns} | xargs -r kill`]);
    await runCommand("ip", ["netns", "delete", netns]);
    await runCommand("ip", ["link", "delete", hostEnd]);
    await removeTable(fence, hostNft).catch(() => undefined);
  };
  try {
    await sh("ip", ["netns", "add", netns]);
    await sh("ip", ["link", "add", hostEnd, "type", "veth", "peer", "name", nsEnd]);
    await sh("ip", ["link", "set", nsEnd, "netns", netns]);
    await applyScript(
      [
        `table inet ${fence} {`,
        ...["output", "forward"].flatMap((hook) => [
          `  chain ${hook} {`,
          `    type filter hook ${hook} priority filter - 30; policy accept;`,
          ...(hook === "forward" ? [`    ip daddr ${address} counter`] : []),
          `    ip daddr ${range} oifname != "${hostEnd}" drop`,
          "  }",
        ]),
        "}",
        "",
      ].join("\n"),
      "the test's fence",
    );
    await sh("ip", ["addr", "add", `${hostSide}/30`, "dev", hostEnd]);
    await sh("ip", ["link", "set", hostEnd, "up"]);
    await inNs(["ip", "addr", "add", `${address}/30`, "dev", nsEnd]);
    await inNs(["ip", "link", "set", nsEnd, "up"]);
    await inNs(["ip", "link", "set", "lo", "up"]);
    if (!(await sh("ip", ["route", "get", address])).includes(`dev ${hostEnd}`))
      throw new Error(`the route to ${address} does not go through ${hostEnd}`);
    await sh("sh", [
      "-c",
      `ip netns exec ${netns} ${process.execPath} -e '${SERVE}' 8080 ${address} >/dev/null 2>&1 & echo $!`,
    ]);
  } catch (error) {
    await remove();
    throw error;
  }
  const forwarded = async () => {
    const listed = await sh("nft", ["list", "chain", "inet", fence, "forward"]);
    const packets = /ip daddr [\d.]+ counter packets (\d+)/.exec(listed)?.[1];
    if (packets === undefined) throw new Error(`no counter in the fence:\n${listed}`);
    return Number(packets);
  };
  return { address, port: 8080, forwarded, remove };
}

/**
 * Connects to host:port and prints what it read, or the error's code (ETIMEDOUT when nothing
 * answers within 1.5 s): a Node.js program for `node -e CONNECT host port` in a container or pod.
 */
export const CONNECT = `
const [host, port] = process.argv.slice(1);
const s = require("node:net").connect({ host, port: Number(port), timeout: 1500 });
let got = "";
s.on("data", (d) => (got += d));
s.on("end", () => { console.log(got); process.exit(0); });
s.on("timeout", () => { console.log("ETIMEDOUT"); process.exit(0); });
s.on("error", (e) => { console.log(e.code); process.exit(0); });`;

/**
 * `node -e OPENS HOST PORT` prints OPEN once a TCP connection to it opens, else why not (ETIMEDOUT
 * after 2 s, ECONNREFUSED...): for servers that speak only when asked, where CONNECT would wait.
 */
export const OPENS = `
const s = require("node:net").connect({ host: process.argv[1], port: Number(process.argv[2]), timeout: 2000 });
s.on("connect", () => { console.log("OPEN"); process.exit(0); });
s.on("timeout", () => { console.log("ETIMEDOUT"); process.exit(0); });
s.on("error", (e) => { console.log(e.code); process.exit(0); });`;
