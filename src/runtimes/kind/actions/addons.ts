import { resolveImages } from "../../../images/resolve.ts";
import { calicoVendored, loadCalicoLock } from "../check.ts";
import { POLICY_AGENT, policyAgentObjects, policyAgentReference } from "../policy-agent/manifest.ts";
import { type Command, kubectl, placeholder } from "../tools.ts";
import { CNPG_OPERATOR, checkVendoredManifest, cnpgVendored, requireVendored } from "../vendored.ts";
import { nodesReady } from "./cluster.ts";
import type { KindUpContext } from "./context.ts";
import { commandAction, timeout } from "./run-commands.ts";
import { applyObjects } from "./workloads.ts";

/**
 * What enforces the NetworkPolicies: Calico where its manifest is vendored (a machine that can
 * pull it), else DevStack's own agent (kind/policy-agent), which needs the node image to bring
 * its own pod network, as the offline node does.
 */
export const policyEngine = (): "calico" | "agent" =>
  checkVendoredManifest(calicoVendored(loadCalicoLock())).ok ? "calico" : "agent";

const rolledOut = (ctx: KindUpContext, daemonSet: string): Command =>
  kubectl(ctx.kubeconfig, ["-n", "kube-system", "rollout", "status", `daemonset/${daemonSet}`, timeout(ctx)]);

const calicoCommands = (ctx: KindUpContext): Command[] => [
  kubectl(ctx.kubeconfig, ["apply", "--server-side", "-f", calicoVendored(loadCalicoLock()).file]),
  rolledOut(ctx, "calico-node"),
  nodesReady(ctx),
];

const agentCommands = (ctx: KindUpContext): Command[] => {
  const reference = policyAgentReference();
  const image = ctx.policyAgentImage ?? placeholder("policy-agent image");
  const ranges = [ctx.clusterConfig.networking.podSubnet];
  return [
    ...(image === reference ? [] : [{ tool: "docker" as const, args: ["tag", image, reference] }]),
    { tool: "kind", args: ["load", "docker-image", "--name", ctx.cluster, reference] },
    applyObjects(
      ctx.kubeconfig,
      policyAgentObjects(ranges),
      `kind/policy-agent/policy-agent.yaml (POD_RANGES=${ranges.join(",")})`,
    ),
    rolledOut(ctx, POLICY_AGENT.daemonSet),
    nodesReady(ctx),
  ];
};

/** The NetworkPolicy engine, running on every node before the overlay's first object is applied. */
export const networkPolicies = commandAction({
  name: "network policies",
  commands: (ctx) => (policyEngine() === "calico" ? calicoCommands(ctx) : agentCommands(ctx)),
  notes: () =>
    policyEngine() === "calico"
      ? []
      : ["kind/calico/calico.yaml is not vendored: DevStack's NetworkPolicy agent enforces them instead"],
  async prepare(ctx) {
    if (policyEngine() === "calico") return void requireVendored(calicoVendored(loadCalicoLock()));
    const image = (await resolveImages({ names: [POLICY_AGENT.image], silent: true })).get(
      POLICY_AGENT.image,
    );
    ctx.policyAgentImage = image?.ref;
  },
  line: (ctx) =>
    policyEngine() === "calico"
      ? `Calico ${loadCalicoLock().version} on ${ctx.clusterConfig.nodes.length} node(s), nodes Ready`
      : `DevStack's NetworkPolicy agent on ${ctx.clusterConfig.nodes.length} node(s) (Calico is not vendored), nodes Ready`,
});

/** The CloudNativePG operator from its vendored release manifest; the Cluster needs its CRDs and webhook. */
export const operator = commandAction({
  name: "operator",
  commands: (ctx) => [
    kubectl(ctx.kubeconfig, ["apply", "--server-side", "-f", cnpgVendored().file]),
    kubectl(ctx.kubeconfig, [
      "-n",
      CNPG_OPERATOR.namespace,
      "rollout",
      "status",
      `deployment/${CNPG_OPERATOR.deployment}`,
      timeout(ctx),
    ]),
  ],
  prepare: () => void requireVendored(cnpgVendored()),
  line: () => `CloudNativePG ${cnpgVendored().lock.version} running in ${CNPG_OPERATOR.namespace}`,
});
