import { dockerMaybe, inspectExisting } from "../../docker/cli.ts";
import { bridgeOf } from "../../docker/network.ts";
import { applyScript } from "../../firewall/nft.ts";
import { firewallRunner } from "../../firewall/runner.ts";
import type { PodInput } from "../../netpol/model.ts";
import { type CompiledFirewall, compileFirewall } from "../../netpol/nftables.ts";
import type { PolicyModel } from "../../netpol/policy-model.ts";
import { prefix } from "./names.ts";
import type { ContainerPlan } from "./translate.ts";

/**
 * NetworkPolicy on the Docker runtime: the environment's NetworkPolicies and Namespaces (from the
 * rendered manifests) plus its running containers (each labelled with the pod it stands for, and
 * its current IP) make the engine's model; that is compiled into the environment's nftables table
 * (src/netpol/nftables.ts) and applied in one transaction. `dev:up` applies it when the network
 * exists (nothing can talk yet) and again after every container starts; the supervisor re-applies
 * it whenever a container's IP changes (a restart), as Calico's agent would.
 */

export const POD_LABEL = "dev.azora.devstack.pod";

/** What the supervisor needs to enforce the environment's policies on its own. */
export interface FirewallConfig extends PolicyModel {
  env: string;
  network: string;
  bridge: string;
}

/** The label that tells the firewall which pod a container is (its name, namespace, labels, ports). */
export function podLabel(c: ContainerPlan): Record<string, string> {
  const pod: PodInput = {
    namespace: c.namespace,
    name: c.pod,
    labels: c.labels,
    ports: c.ports.map((p) => ({
      containerPort: p.containerPort,
      protocol: p.protocol as "TCP",
      ...(p.name ? { name: p.name } : {}),
    })),
  };
  return { [POD_LABEL]: JSON.stringify(pod) };
}

export interface RunningContainer {
  labels: Record<string, string>;
  /** Its IPv4 address on the environment's network, if it is running. */
  ip?: string;
  name?: string;
  /** Its main process on the host (to enter its network namespace). */
  pid?: number;
  /** The networks it is attached to: the environment's and, wrongly, any other. */
  networks: string[];
}

/**
 * Pods also attached to a network other than the environment's, with those networks: there they
 * can be reached, and reach out, without meeting the environment's rules.
 */
export function podsOffNetwork(containers: readonly RunningContainer[], network: string) {
  return containers.flatMap((c) => {
    const others = c.networks.filter((n) => n !== network);
    return c.labels[POD_LABEL] && others.length > 0 ? [{ name: c.name ?? "?", others }] : [];
  });
}

/** What `podsOffNetwork` found, in one sentence for status and probe reports, or undefined. */
export function offNetworkProblem(containers: readonly RunningContainer[], network: string) {
  const found = podsOffNetwork(containers, network);
  if (found.length === 0) return undefined;
  const list = found.map((p) => `${p.name} (also on ${p.others.map((n) => `'${n}'`).join(", ")})`);
  return `NOT enforced for ${list.join(", ")}: traffic on those networks bypasses the rules; \`pnpm dev:up\` recreates the environment with every pod on its network alone`;
}

/** The compiled table for the environment as its containers are now (`isolated`: cut off by the chaos suite). */
export function firewallFor(
  config: FirewallConfig,
  containers: readonly (Pick<RunningContainer, "labels" | "ip"> & { isolated?: boolean })[],
): CompiledFirewall {
  const pods: PodInput[] = [];
  for (const c of containers) {
    const pod = c.labels[POD_LABEL];
    if (pod && c.ip) pods.push({ ...(JSON.parse(pod) as PodInput), podIP: c.ip });
  }
  return compileFirewall(
    config.env,
    { bridge: config.bridge },
    {
      namespaces: config.namespaces,
      policies: config.policies,
      pods,
      isolated: containers.flatMap((c) => (c.isolated && c.ip ? [c.ip] : [])),
    },
  );
}

/** The running containers of the environment's network, with their labels and IPs. */
export async function runningContainers(network: string): Promise<RunningContainer[]> {
  // No network (an environment taken down with --keep-data): nothing runs.
  const listing = await dockerMaybe(["network", "inspect", network]);
  const [info] = JSON.parse(listing ?? "[]") as { Containers?: Record<string, { IPv4Address?: string }> }[];
  const ids = Object.keys(info?.Containers ?? {});
  const inspected = await inspectExisting<{
    Id: string;
    Config: { Labels?: Record<string, string> };
    Name: string;
    State: { Running: boolean; Pid: number };
    NetworkSettings: { Networks: Record<string, { IPAddress?: string }> };
  }>(ids);
  return inspected
    .filter((c) => c.State.Running)
    .map((c) => ({
      labels: c.Config.Labels ?? {},
      ip: c.NetworkSettings.Networks[network]?.IPAddress || undefined,
      name: c.Name.replace(/^\//, ""),
      pid: c.State.Pid,
      networks: Object.keys(c.NetworkSettings.Networks),
    }));
}

/**
 * Applies the environment's rules from the host. Each apply reads the containers as they are when
 * it starts, so callers arriving while one is under way share the single next one instead of
 * queueing an apply each (containers starting together need one re-apply, not one per container).
 */
export function hostEnforcer(config: FirewallConfig) {
  let running: Promise<CompiledFirewall> | undefined;
  let next: Promise<CompiledFirewall> | undefined;
  const start = () => {
    running = (async () => {
      const firewall = firewallFor(config, await runningContainers(config.network));
      await applyScript(firewall.script, `environment '${config.env}'`, await firewallRunner());
      return firewall;
    })().finally(() => {
      running = undefined;
    });
    return running;
  };
  return {
    apply(): Promise<CompiledFirewall> {
      if (next) return next;
      if (!running) return start();
      next = running
        .catch(() => undefined)
        .then(() => {
          next = undefined;
          return start();
        });
      return next;
    },
  };
}

export async function firewallConfig(env: string, model: PolicyModel): Promise<FirewallConfig> {
  const network = prefix(env);
  return { env, network, bridge: await bridgeOf(network), ...model };
}

/** The compiled table in one line: what `up` and `dev:status` say about enforcement. */
export function policySummary(firewall: CompiledFirewall): string {
  const { policies, pods, elements, rules } = firewall.stats;
  return `${policies} policies over ${pods} pods -> ${elements} set elements and ${rules} rules in table inet ${firewall.table}`;
}
