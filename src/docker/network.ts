import { docker } from "./cli.ts";

interface NetworkInfo {
  Id: string;
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
