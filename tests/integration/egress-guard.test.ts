import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { docker } from "../../src/docker/cli.ts";
import { bridgeOf } from "../../src/docker/network.ts";
import {
  applyEgressGuard,
  guardDrops,
  listGuards,
  removeEgressGuard,
} from "../../src/firewall/egress-guard.ts";
import { applyScript, hostNft, removeTable, run as runCommand } from "../../src/firewall/nft.ts";
import { labelArgs } from "../../src/labels.ts";
import { image, testLabels } from "../support/labels.ts";

// The guard a Kind environment's network gets before its first node starts, tried against a target
// this test makes itself: a network namespace behind a veth pair, holding an address of the
// benchmarking range (198.18.0.0/15) that stands for "somewhere off this machine". To the
// containers it is just as far as the internet: reached by forwarding, off their bridge. A fence of
// the test's own (a drop for that address on any other interface) is in place before any packet is
// sent, so a missing route can never send one by the default route.

const id = `${process.pid % 100_000}`;
const env = `guardtest-${id}`;
const network = `devstack-${env}`;
const netns = `dsguard${id}`;
const hostEnd = `dsgh${id}`;
const nsEnd = `dsgn${id}`;
const fence = `devstacktest_fence_${id}`;
const TARGET = "198.18.77.2";
const HOST_SIDE = "198.18.77.1";

const sh = async (command: string, args: string[]) => {
  const result = await runCommand(command, args);
  if (!result.ok) throw new Error(`${command} ${args.join(" ")}: ${result.err}`);
  return result.out;
};
const ipNs = (args: string[]) => sh("ip", ["netns", "exec", netns, ...args]);

// Connects to host:port from a fresh container on the network; resolves to what it read, or the
// error's code (ETIMEDOUT when nothing answers within 1.5 s).
const CONNECT = `
const [host, port] = process.argv.slice(1);
const s = require("node:net").connect({ host, port: Number(port), timeout: 1500 });
let got = "";
s.on("data", (d) => (got += d));
s.on("end", () => { console.log(got); process.exit(0); });
s.on("timeout", () => { console.log("ETIMEDOUT"); process.exit(0); });
s.on("error", (e) => { console.log(e.code); process.exit(0); });`;
const connectFrom = async (host: string, port: number) =>
  (
    await docker([
      "run",
      "--rm",
      ...labelArgs(testLabels()),
      "--network",
      network,
      image("node"),
      "node",
      "-e",
      CONNECT,
      host,
      String(port),
    ])
  ).trim();

const SERVE = `require("node:net").createServer((s) => s.end("reached")).listen(Number(process.argv[1]), process.argv[2]);`;
let neighbour = "";
let bridge = "";

beforeAll(async () => {
  await sh("ip", ["netns", "add", netns]);
  await sh("ip", ["link", "add", hostEnd, "type", "veth", "peer", "name", nsEnd]);
  await sh("ip", ["link", "set", nsEnd, "netns", netns]);
  // The fence first: nothing for the target range goes anywhere but the veth.
  await applyScript(
    [
      `table inet ${fence} {`,
      ...["output", "forward"].flatMap((hook) => [
        `  chain ${hook} {`,
        `    type filter hook ${hook} priority filter - 30; policy accept;`,
        `    ip daddr 198.18.77.0/30 oifname != "${hostEnd}" drop`,
        "  }",
      ]),
      "}",
      "",
    ].join("\n"),
    "the test's fence",
  );
  await sh("ip", ["addr", "add", `${HOST_SIDE}/30`, "dev", hostEnd]);
  await sh("ip", ["link", "set", hostEnd, "up"]);
  await ipNs(["ip", "addr", "add", `${TARGET}/30`, "dev", nsEnd]);
  await ipNs(["ip", "link", "set", nsEnd, "up"]);
  await ipNs(["ip", "link", "set", "lo", "up"]);
  expect(await sh("ip", ["route", "get", TARGET])).toContain(`dev ${hostEnd}`);
  // The target, inside its namespace.
  await sh("sh", [
    "-c",
    `ip netns exec ${netns} ${process.execPath} -e '${SERVE}' 8080 ${TARGET} >/dev/null 2>&1 & echo $!`,
  ]);
  await docker(["network", "create", ...labelArgs(testLabels()), network]);
  bridge = await bridgeOf(network);
  // A neighbour on the same network, as another node of the cluster would be.
  await docker([
    "run",
    "--detach",
    "--name",
    `${network}-neighbour`,
    ...labelArgs(testLabels()),
    "--network",
    network,
    image("node"),
    "node",
    "-e",
    SERVE,
    "8080",
    "0.0.0.0",
  ]);
  neighbour = (
    await docker([
      "inspect",
      "--format",
      "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}",
      `${network}-neighbour`,
    ])
  ).trim();
}, 120_000);

afterAll(async () => {
  await removeEgressGuard(env).catch(() => undefined);
  await docker(["rm", "--force", `${network}-neighbour`], { reject: false });
  await docker(["network", "rm", network], { reject: false });
  // Killing what runs in the namespace, then the namespace (the veth pair goes with it).
  await runCommand("sh", ["-c", `ip netns pids ${netns} | xargs -r kill`]);
  await runCommand("ip", ["netns", "delete", netns]);
  await runCommand("ip", ["link", "delete", hostEnd]);
  await removeTable(fence, hostNft).catch(() => undefined);
});

describe("the egress guard of a Kind environment's network", () => {
  it("without it, a container reaches the stand-in for an outside address by forwarding", async () => {
    expect(await connectFrom(TARGET, 8080)).toBe("reached");
  }, 60_000);

  it("with it, that traffic is dropped (and counted), while node-to-node traffic on the network still flows", async () => {
    await applyEgressGuard(env, bridge);
    expect(await listGuards()).toContain(env);
    expect(await connectFrom(TARGET, 8080)).toBe("ETIMEDOUT");
    expect(await guardDrops(env)).toBeGreaterThan(0);
    expect(await connectFrom(neighbour, 8080)).toBe("reached");
  }, 60_000);

  it("applied again it replaces itself; removed, forwarding works as before", async () => {
    await applyEgressGuard(env, bridge);
    expect(await connectFrom(TARGET, 8080)).toBe("ETIMEDOUT");
    expect(await removeEgressGuard(env)).toBe(true);
    expect(await removeEgressGuard(env)).toBe(false);
    expect(await listGuards()).not.toContain(env);
    expect(await connectFrom(TARGET, 8080)).toBe("reached");
  }, 60_000);
});
