import { existsSync, readFileSync } from "node:fs";
import { execa } from "execa";
import { UserError } from "../errors.ts";
import { LABEL } from "../labels.ts";
import { docker, dockerMaybe } from "./cli.ts";

interface NetworkInfo {
  Id: string;
  Name: string;
  Labels?: Record<string, string>;
  Options?: Record<string, string>;
  IPAM?: { Config?: { Subnet?: string }[] };
}

async function inspectNetwork(network: string): Promise<NetworkInfo> {
  const [info] = JSON.parse(await docker(["network", "inspect", network])) as NetworkInfo[];
  if (!info) throw new Error(`no network ${network}`);
  return info;
}

/** The Linux bridge behind a Docker network: its configured name, else `br-` and 12 characters of its id. */
export async function bridgeOf(network: string): Promise<string> {
  const info = await inspectNetwork(network);
  return info.Options?.["com.docker.network.bridge.name"] ?? `br-${info.Id.slice(0, 12)}`;
}

/** The network's IPv4 subnets, as the engine assigned them. */
export async function subnetsOf(network: string): Promise<string[]> {
  const info = await inspectNetwork(network);
  return (info.IPAM?.Config ?? []).flatMap((c) => (c.Subnet && !c.Subnet.includes(":") ? [c.Subnet] : []));
}

const ipv4 = (address: string) => address.split(".").reduce((acc, octet) => acc * 256 + Number(octet), 0);

/** A CIDR `a.b.c.d/n` as its first address and size. */
function span(cidr: string): { start: number; size: number } {
  const [address = "", prefix = "32"] = cidr.split("/");
  const size = 2 ** (32 - Number(prefix));
  return { start: Math.floor(ipv4(address) / size) * size, size };
}

/** The first host address of an IPv4 subnet (`10.200.0.0/16` → `10.200.0.1`): where Docker puts the gateway. */
export function firstHost(cidr: string): string {
  const first = span(cidr).start + 1;
  return [24, 16, 8, 0].map((shift) => Math.floor(first / 2 ** shift) % 256).join(".");
}

/**
 * The host's address on a network, from its IPAM configuration: the Gateway the network was made
 * with, else the subnet's first host, where the engine puts the bridge's address all the same
 * (a network made with --subnet alone shows no Gateway in its inspect).
 */
export function gatewayIn(config: { Gateway?: string; Subnet?: string } | undefined): string | undefined {
  return config?.Gateway || (config?.Subnet ? firstHost(config.Subnet) : undefined);
}

/** Whether two IPv4 CIDRs share an address. */
export function overlapping(a: string, b: string): boolean {
  const [x, y] = [span(a), span(b)];
  return x.start < y.start + y.size && y.start < x.start + x.size;
}

/** The IPv4 destinations of this machine's routes (/proc/net/route) and their devices, default route left out. */
export function hostRoutes(table: string): { subnet: string; device: string }[] {
  return table
    .split("\n")
    .slice(1)
    .flatMap((line) => {
      const [device = "", destination, , , , , , mask] = line.trim().split(/\s+/);
      if (!destination || !mask || mask === "00000000") return [];
      // Little-endian hex: the address's first octet is the last byte pair.
      const octets = (hex: string) =>
        [3, 2, 1, 0].map((i) => Number.parseInt(hex.slice(2 * i, 2 * i + 2), 16));
      const prefix = octets(mask).reduce((n, o) => n + o.toString(2).replaceAll("0", "").length, 0);
      return [{ subnet: `${octets(destination).join(".")}/${prefix}`, device }];
    });
}

/** A subnet taken on this machine, and what holds it. */
export interface TakenSubnet {
  subnet: string;
  by: string;
}

const networkOwner = (n: NetworkInfo) => {
  const env = n.Labels?.[LABEL.env];
  return `Docker network ${n.Name}${env ? ` of DevStack environment ${env}` : ""}`;
};

/** Subnets taken on this machine: every Docker network's and every other route's. */
async function subnetsInUse(): Promise<TakenSubnet[]> {
  const ids = (await docker(["network", "ls", "--quiet"])).split("\n").filter(Boolean);
  const networks = JSON.parse(await docker(["network", "inspect", ...ids])) as NetworkInfo[];
  const routes = existsSync("/proc/net/route") ? hostRoutes(readFileSync("/proc/net/route", "utf8")) : [];
  const fromNetworks = networks.flatMap((n) =>
    (n.IPAM?.Config ?? []).flatMap((c) =>
      c.Subnet?.includes(".") ? [{ subnet: c.Subnet, by: networkOwner(n) }] : [],
    ),
  );
  // A bridge network's route says nothing its network does not.
  const named = new Set(fromNetworks.map((t) => t.subnet));
  return [
    ...fromNetworks,
    ...routes.flatMap((r) =>
      named.has(r.subnet) ? [] : [{ subnet: r.subnet, by: `a route via ${r.device}` }],
    ),
  ];
}

/** Each of `ranges` that overlaps a taken subnet, said with what holds it. */
export function rangeClashes(ranges: readonly string[], taken: readonly TakenSubnet[]): string[] {
  return taken.flatMap((t) =>
    ranges.filter((r) => overlapping(r, t.subnet)).map((r) => `${r} overlaps ${t.by} (${t.subnet})`),
  );
}

/**
 * Refuses to go on while a network or route of this machine overlaps one of `ranges` (a Kind
 * cluster's pod and Service ranges): this machine would send their traffic there, so pods on
 * different nodes could not reach each other, and nothing would say why.
 */
export async function requireRangesClear(ranges: readonly string[], whose: string): Promise<void> {
  const clashes = rangeClashes(ranges, await subnetsInUse());
  if (clashes.length === 0) return;
  throw new UserError(
    `${whose}: ${clashes.join("; ")}. This machine would route the cluster's pod or Service traffic there: pods on different nodes could not reach each other.`,
    "Remove what holds that range: a DevStack environment with `pnpm dev:down --name NAME` (see `pnpm env:list`), any other network with `docker network rm NAME`.",
  );
}

/**
 * Where a network is placed when the engine must not choose: 10.200-249 first, outside the pools
 * the engine picks from for networks made without a subnet (which would otherwise run out of
 * 172.x sooner and go on to 192.168.x), then Docker's own first pool.
 */
const CANDIDATES = [
  ...Array.from({ length: 50 }, (_, i) => `10.${200 + i}.0.0/16`),
  ...Array.from({ length: 14 }, (_, i) => `172.${18 + i}.0.0/16`),
];

/**
 * Creates a network on a subnet that overlaps none in use on this machine nor any of `avoid` (a
 * Kind cluster's pod and Service ranges: a node address inside them is taken for a pod's or a
 * Service's). The engine's own pick cannot be told what to avoid; it may hand out 192.168.x,
 * Calico's pod range. Two creations racing for one subnet: the loser takes the next.
 */
export async function createNetworkAvoiding(
  name: string,
  args: string[],
  avoid: readonly string[],
): Promise<{ subnet: string; gateway: string }> {
  const taken = [...(await subnetsInUse()).map((t) => t.subnet), ...avoid];
  const free = CANDIDATES.filter((c) => !taken.some((t) => overlapping(c, t)));
  for (const subnet of free.slice(0, 5)) {
    // The gateway named too: with --subnet alone the engine's inspect shows none, and the Docker
    // runtime's supervisor serves its DNS answers and pod-state metrics on it.
    const gateway = firstHost(subnet);
    const created = await docker([
      "network",
      "create",
      ...args,
      "--subnet",
      subnet,
      "--gateway",
      gateway,
      name,
    ]).then(
      () => true,
      (error: Error) => {
        if (/overlaps/i.test(error.message)) return false;
        throw error;
      },
    );
    if (created) return { subnet, gateway };
  }
  throw new UserError(
    `cannot place network ${name}: none of 10.200-249.0.0/16 and 172.18-31.0.0/16 is free of this machine's networks and routes and of ${avoid.join(", ")}`,
    "Remove Docker networks no longer needed (`pnpm env:gc`, `docker network prune`).",
  );
}

/**
 * Removes a network; false when there was none. One that cannot go (containers still on it) is an
 * error naming them, not a leftover found later.
 */
export async function removeNetwork(network: string): Promise<boolean> {
  const result = await execa("docker", ["network", "rm", network], { reject: false });
  if (result.exitCode === 0) return true;
  const said = String(result.stderr).trim();
  if (/not found|no such network/i.test(said)) return false;
  const attached = (
    await dockerMaybe(["network", "inspect", network, "--format", "{{range .Containers}}{{.Name}} {{end}}"])
  )
    ?.split(" ")
    .filter(Boolean);
  throw new UserError(
    `could not remove network ${network}: ${said}`,
    attached?.length
      ? `Still on it: ${attached.join(", ")}. Remove them (docker rm --force NAME) and run the command again.`
      : undefined,
  );
}
