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
  const namespaces = new Map<string, { pid: number; started: number }[]>();
  for (const pid of readdirSync("/proc").filter((entry) => /^\d+$/.test(entry))) {
    const cgroup = read(`/proc/${pid}/cgroup`, (f) => readFileSync(f, "utf8"));
    if (!cgroup || !ids.some((id) => cgroup.includes(id))) continue;
    const netns = read(`/proc/${pid}/ns/net`, readlinkSync);
    const started = Number(
      read(`/proc/${pid}/stat`, (f) => readFileSync(f, "utf8"))
        ?.split(") ")[1]
        ?.split(" ")[19],
    );
    if (netns && Number.isFinite(started))
      namespaces.set(netns, [...(namespaces.get(netns) ?? []), { pid: Number(pid), started }]);
  }
  const byAddress = new Map<string, number>();
  await Promise.all(
    [...namespaces.values()].map(async (processes) => {
      // The oldest process first (the pod's sandbox, alive as long as the pod): a probe's or an
      // exec's process may be gone by the time it is entered, here or by the prober later.
      for (const { pid } of processes.sort((a, b) => a.started - b.started)) {
        const listed = await execa(
          "nsenter",
          [`--target=${pid}`, "--net", "--", "ip", "-4", "-o", "addr", "show"],
          {
            reject: false,
          },
        );
        if (listed.exitCode !== 0) continue;
        for (const [, address] of String(listed.stdout).matchAll(/ inet (\d+\.\d+\.\d+\.\d+)\//g))
          if (address && !address.startsWith("127.")) byAddress.set(address, pid);
        return;
      }
    }),
  );
  return byAddress;
}
