import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { execa } from "execa";
import { docker } from "../../src/docker/cli.ts";
import { type LocalRegistry, startLocalRegistry } from "../../src/images/local-registry.ts";
import { requireTool } from "../../src/runtimes/kind/tools.ts";
import { runScript } from "./cli.ts";

/**
 * A Kind environment of this machine standing in for a team's existing cluster, as the cluster
 * runtime meets one: a registry on its network that its nodes pull from (containerd's hosts.toml,
 * as a team's nodes are configured for its registry), kind/cluster-access applied by its admin,
 * and a kubeconfig of its own holding only the least-privileged ServiceAccount's token.
 */
export interface StandInCluster {
  /** The Kind environment's name (its cluster is azora-HOST; its own platform runs in `azora`). */
  host: string;
  /** The Kind environment's kubeconfig: the cluster admin's. */
  adminKubeconfig: string;
  /** The ServiceAccount's kubeconfig, with its one context `context`: DevStack's KUBECONFIG. */
  kubeconfig: string;
  context: string;
  registry: LocalRegistry;
  /** Takes the registry and the Kind environment down. */
  remove: () => Promise<void>;
}

/**
 * Brings the stand-in up in `stateDir` (`env` carries DEVSTACK_STATE_DIR for the scripts). The
 * registry runs `registryImage`, labelled `labels`, so a killed run's leftovers are collected.
 */
export async function startStandInCluster(options: {
  host: string;
  stateDir: string;
  env: Record<string, string>;
  registryImage: string;
  labels: Record<string, string>;
  /** Worker nodes (`dev:up --kind-workers`): room for more environments' requests. */
  workers?: number;
}): Promise<StandInCluster> {
  const { host, stateDir, env } = options;
  const adminKubeconfig = join(stateDir, "kind", `${host}.kubeconfig`);
  const kubeconfig = join(stateDir, "devstack.kubeconfig");
  const context = "devstack";
  let registry: LocalRegistry | undefined;
  const remove = async () => {
    await registry?.remove();
    await runScript("dev-down", ["--name", host], { env });
  };
  const admin = async (...args: string[]) =>
    (await execa(requireTool("kubectl"), ["--kubeconfig", adminKubeconfig, ...args])).stdout.trim();
  try {
    const workers = options.workers ? ["--kind-workers", String(options.workers)] : [];
    const kind = await runScript("dev-up", ["--runtime", "kind", "--name", host, ...workers], { env });
    if (kind.exitCode !== 0) throw new Error(`the stand-in Kind environment did not come up:\n${kind.all}`);
    registry = await startLocalRegistry(options.registryImage, options.labels, {
      network: `azora-${host}-kind`,
    });
    // Each node pulls the registry's 127.0.0.1 name from its address on the cluster's network.
    const hostsToml = `server = "http://${registry.address}"\n\n[host."http://${registry.inNetwork}"]\n  capabilities = ["pull", "resolve"]\n`;
    const nodes = await docker(["ps", "--quiet", "--filter", `label=io.x-k8s.kind.cluster=azora-${host}`]);
    for (const node of nodes.split("\n").filter(Boolean)) {
      const dir = `/etc/containerd/certs.d/${registry.address}`;
      await docker(["exec", node, "mkdir", "-p", dir]);
      await execa("docker", ["exec", "-i", node, "sh", "-c", `cat > ${dir}/hosts.toml`], {
        input: hostsToml,
      });
    }
    // What a cluster admin applies once, then a kubeconfig with the ServiceAccount's token.
    await admin("apply", "-f", "kind/cluster-access/devstack-access.yaml");
    const server = await admin("config", "view", "--minify", "-o", "jsonpath={.clusters[0].cluster.server}");
    const ca = await admin(
      ...["config", "view", "--minify", "--raw"],
      ...["-o", "jsonpath={.clusters[0].cluster.certificate-authority-data}"],
    );
    const token = await admin("-n", "devstack-system", "create", "token", "devstack", "--duration=2h");
    writeFileSync(
      kubeconfig,
      JSON.stringify({
        apiVersion: "v1",
        kind: "Config",
        clusters: [{ name: "kind", cluster: { server, "certificate-authority-data": ca } }],
        users: [{ name: "devstack", user: { token } }],
        contexts: [{ name: context, context: { cluster: "kind", user: "devstack" } }],
        "current-context": context,
      }),
      { mode: 0o600 },
    );
    return { host, adminKubeconfig, kubeconfig, context, registry, remove };
  } catch (error) {
    await remove();
    throw error;
  }
}
