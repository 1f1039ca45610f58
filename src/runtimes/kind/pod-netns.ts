import { readdirSync, readFileSync, readlinkSync } from "node:fs";
import { execa } from "execa";
import { docker } from "../../docker/cli.ts";

const read = (file: string, how: (f: string) => string) => {
  try {
    return how(file);
  } catch {
    return undefined; // the process ended meanwhile
  }
};

/**
 * A host process in each pod network namespace of the given Kind nodes, by the pod's IPv4 address.
 * A node is a container on this machine's kernel, so its pods' processes are this machine's too:
 * found by their cgroup (it names the node's container) and told apart by their network
 * namespace, whose addresses `ip` lists. The policy probe enters them with nsenter, as on Docker.
 */
export async function podNetworkNamespaces(nodes: readonly string[]): Promise<Map<string, number>> {
  const ids = (await docker(["inspect", "--format", "{{.Id}}", ...nodes])).split("\n").filter(Boolean);
  const namespaces = new Map<string, number>();
  for (const pid of readdirSync("/proc").filter((entry) => /^\d+$/.test(entry))) {
    const cgroup = read(`/proc/${pid}/cgroup`, (f) => readFileSync(f, "utf8"));
    if (!cgroup || !ids.some((id) => cgroup.includes(id))) continue;
    const netns = read(`/proc/${pid}/ns/net`, readlinkSync);
    if (netns && !namespaces.has(netns)) namespaces.set(netns, Number(pid));
  }
  const byAddress = new Map<string, number>();
  await Promise.all(
    [...namespaces.values()].map(async (pid) => {
      const listed = await execa(
        "nsenter",
        [`--target=${pid}`, "--net", "--", "ip", "-4", "-o", "addr", "show"],
        {
          reject: false,
        },
      );
      for (const [, address] of String(listed.stdout).matchAll(/ inet (\d+\.\d+\.\d+\.\d+)\//g))
        if (address && !address.startsWith("127.")) byAddress.set(address, pid);
    }),
  );
  return byAddress;
}
