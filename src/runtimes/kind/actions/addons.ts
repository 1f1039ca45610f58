import { calicoVendored, loadCalicoLock } from "../check.ts";
import { kubectl } from "../tools.ts";
import { CNPG_OPERATOR, cnpgVendored, requireVendored } from "../vendored.ts";
import { nodesReady } from "./cluster.ts";
import { commandAction, timeout } from "./run-commands.ts";

/** Calico from the vendored, digest-checked manifest: the CNI, and what enforces NetworkPolicy. */
export const calico = commandAction({
  name: "calico",
  commands: (ctx) => [
    kubectl(ctx.kubeconfig, ["apply", "--server-side", "-f", calicoVendored(loadCalicoLock()).file]),
    kubectl(ctx.kubeconfig, [
      "-n",
      "kube-system",
      "rollout",
      "status",
      "daemonset/calico-node",
      timeout(ctx),
    ]),
    nodesReady(ctx),
  ],
  prepare: () => void requireVendored(calicoVendored(loadCalicoLock())),
  line: (ctx) =>
    `Calico ${loadCalicoLock().version} on ${ctx.clusterConfig.nodes.length} node(s), nodes Ready`,
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
