import { loadImageMap } from "../../../images/image-map.ts";
import { resolveImages } from "../../../images/resolve.ts";
import { calicoVendored, loadCalicoLock } from "../check.ts";
import { cnpgModuleVersion, cnpgObjectsFromModule } from "../cnpg-module.ts";
import { POLICY_AGENT, policyAgentObjects, policyAgentReference } from "../policy-agent/manifest.ts";
import { type Command, kubectl } from "../tools.ts";
import { CNPG_OPERATOR, checkVendoredManifest, cnpgVendored, requireVendored } from "../vendored.ts";
import { nodesReady } from "./cluster.ts";
import type { KindUpContext } from "./context.ts";
import { loadImage, workloadNodes } from "./images.ts";
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
  const ranges = [ctx.clusterConfig.networking.podSubnet];
  return [
    ...loadImage(ctx, ctx.policyAgentImage, policyAgentReference(), POLICY_AGENT.image),
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
  commands: (ctx) => (ctx.addOns.policyEngine === "calico" ? calicoCommands(ctx) : agentCommands(ctx)),
  notes: (ctx) =>
    ctx.addOns.policyEngine === "calico"
      ? []
      : ["kind/calico/calico.yaml is not vendored: DevStack's NetworkPolicy agent enforces them instead"],
  async prepare(ctx) {
    if (ctx.addOns.policyEngine === "calico") return void requireVendored(calicoVendored(loadCalicoLock()));
    ctx.policyAgentImage = await resolvedRef(POLICY_AGENT.image);
  },
  line: (ctx) =>
    ctx.addOns.policyEngine === "calico"
      ? `Calico ${loadCalicoLock().version} on ${ctx.clusterConfig.nodes.length} node(s), nodes Ready`
      : `DevStack's NetworkPolicy agent on ${ctx.clusterConfig.nodes.length} node(s) (Calico is not vendored), nodes Ready`,
});

/** The local reference of an image of the map, resolved (and built if need be) now. */
const resolvedRef = async (logical: string) =>
  (await resolveImages({ names: [logical], silent: true })).get(logical)?.ref;

const cnpgReleased = () => checkVendoredManifest(cnpgVendored()).ok;

/**
 * Which add-ons an `up` installs, decided once (each check reads and hashes a vendored manifest):
 * Calico or DevStack's agent, the operator's release manifest or one made from its module.
 */
export const decideAddOns = (): KindUpContext["addOns"] => ({
  policyEngine: policyEngine(),
  cnpgReleased: cnpgReleased(),
});
/** The operator image the module-made manifest names: the release's, the image map's alias for it. */
const operatorReference = () => loadImageMap().images[CNPG_OPERATOR.image]?.aliases?.[0] as string;

const operatorRolledOut = (ctx: KindUpContext): Command =>
  kubectl(ctx.kubeconfig, [
    "-n",
    CNPG_OPERATOR.namespace,
    "rollout",
    "status",
    `deployment/${CNPG_OPERATOR.deployment}`,
    timeout(ctx),
  ]);

/**
 * The CloudNativePG operator; the Cluster needs its CRDs and webhook. From its vendored release
 * manifest where there is one; else made from the module the offline operator image is compiled
 * from (`config/default`, as the release is), with that image loaded into the nodes.
 */
export const operator = commandAction({
  name: "operator",
  commands: (ctx) =>
    ctx.addOns.cnpgReleased
      ? [
          kubectl(ctx.kubeconfig, ["apply", "--server-side", "-f", cnpgVendored().file]),
          operatorRolledOut(ctx),
        ]
      : [
          // The operator's pods and the instances' bootstrap-controller run where the workloads do.
          ...loadImage(ctx, ctx.operatorImage, operatorReference(), CNPG_OPERATOR.image, workloadNodes(ctx)),
          applyObjects(
            ctx.kubeconfig,
            ctx.operatorObjects ?? [],
            `CloudNativePG ${cnpgModuleVersion()}'s config/default from its Go module (kustomize), image ${operatorReference()}`,
          ),
          operatorRolledOut(ctx),
        ],
  notes: (ctx) =>
    ctx.addOns.cnpgReleased
      ? []
      : ["kind/cnpg/cnpg.yaml is not vendored: the manifest is made from the operator's source"],
  async prepare(ctx) {
    if (ctx.addOns.cnpgReleased) return;
    ctx.operatorImage = await resolvedRef(CNPG_OPERATOR.image);
    ctx.operatorObjects = await cnpgObjectsFromModule(operatorReference());
  },
  line: (ctx) =>
    `CloudNativePG ${ctx.addOns.cnpgReleased ? `${cnpgVendored().lock.version} (release manifest)` : `${cnpgModuleVersion()} (made from its module)`} running in ${CNPG_OPERATOR.namespace}`,
});
