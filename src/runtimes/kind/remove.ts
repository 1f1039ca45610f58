import { rmSync } from "node:fs";
import { docker } from "../../docker/cli.ts";
import { removeNetwork } from "../../docker/network.ts";
import { removeEgressGuard } from "../../firewall/egress-guard.ts";
import { firewallRunner } from "../../firewall/runner.ts";
import { deleteCluster } from "./actions/cluster.ts";
import { clusterConfigFile, clusterName, KIND_CLUSTER_LABEL, kubeconfigFile, networkName } from "./names.ts";
import { keeperLogFile, stopKeeper } from "./port-forwards.ts";
import { findTool, runCommand } from "./tools.ts";

/** The cluster's node containers, found by kind's label (no kind CLI needed). */
export const nodesOf = async (env: string) =>
  (await docker(["ps", "--all", "--quiet", "--filter", `label=${KIND_CLUSTER_LABEL}=${clusterName(env)}`]))
    .split("\n")
    .filter(Boolean);

/**
 * Removes everything of a Kind environment: the keeper, the cluster (kind, or its node containers
 * and their volumes where kind is not installed), the network, the guard (last: it fences the
 * nodes while they exist), the files (kubeconfig, cluster config, the keeper's log). Resolves to how many things were removed.
 */
export async function removeEnvironment(env: string): Promise<number> {
  let removed = stopKeeper(env) ? 1 : 0;
  const nodes = await nodesOf(env);
  if (nodes.length > 0) {
    if (findTool("kind")) await runCommand(deleteCluster(clusterName(env), kubeconfigFile(env)));
    else await docker(["rm", "--force", "--volumes", ...nodes]);
    removed += nodes.length;
  }
  if (await removeNetwork(networkName(env))) removed += 1;
  if (await removeEgressGuard(env, await firewallRunner())) removed += 1;
  rmSync(kubeconfigFile(env), { force: true });
  rmSync(clusterConfigFile(env), { force: true });
  rmSync(keeperLogFile(env), { force: true });
  return removed;
}
