import { rmSync } from "node:fs";
import { UserError } from "../../errors.ts";
import { type PushedImage, pushImages, registryRef } from "../../images/registry.ts";
import { imagesRecord, type ResolvedImage, resolveImages } from "../../images/resolve.ts";
import { LABEL } from "../../labels.ts";
import type { K8sObject } from "../../manifests/render.ts";
import type { Action } from "../actions.ts";
import type { KubeUpContext } from "../kind/actions/context.ts";
import { imageNames, withImages } from "../kind/objects.ts";
import { POLICY_AGENT } from "../kind/policy-agent/manifest.ts";
import { kubectl, placeholder, runCommand, showCommand } from "../kind/tools.ts";
import { EPHEMERAL_IMAGE } from "./ephemeral.ts";
import { snapshotContext } from "./kubeconfig.ts";
import { deleteNamespace, getNamespace, ownedBy } from "./namespace.ts";
import { describeBudget, type NamespaceBudget, quotaHard, quotaObjects, shortfall } from "./quota.ts";

/** What the cluster runtime's `up` actions share besides the Kubernetes ones. */
export interface ClusterUpContext extends KubeUpContext {
  /** The user's kubeconfig context the environment runs on. */
  context: string;
  /** HOST[:PORT] of the registry the cluster's nodes pull from. */
  registry: string;
  /** What the prerequisites action found: the NetworkPolicy engine, in words. */
  policyEngine?: string;
  /** The overlay's Namespace with DevStack's ownership; created once, never applied again. */
  namespaceObject: K8sObject;
  /** Set once the namespace is this `up`'s: only then does an undo delete it. */
  namespaceClaimed?: boolean;
  /** The most the namespace may hold: its ResourceQuota and LimitRange (namespaceBudget). */
  budget: NamespaceBudget;
}

/** The kubeconfig every later command uses: the user's context, cut down and kept with the record. */
export const kubeconfig: Action<ClusterUpContext> = {
  name: "kubeconfig",
  plan: (ctx) => [
    `kubectl config view --minify --flatten --context ${ctx.context} > ${ctx.kubeconfig} (mode 0600)`,
  ],
  async execute(ctx) {
    await snapshotContext(ctx.context, ctx.kubeconfig);
    const server = (
      await runCommand(
        kubectl(ctx.kubeconfig, ["config", "view", "-o", "jsonpath={.clusters[0].cluster.server}"]),
      )
    ).trim();
    return `context ${ctx.context} (API server ${server})`;
  },
  async undo(ctx) {
    rmSync(ctx.kubeconfig, { force: true });
  },
};

/** NetworkPolicy engines by the DaemonSet that runs them on every node. */
const POLICY_ENGINES: Record<string, string> = {
  "calico-node": "Calico",
  cilium: "Cilium",
  "antrea-agent": "Antrea",
  "kube-router": "kube-router",
  "kube-network-policies": "kube-network-policies",
  [POLICY_AGENT.daemonSet]: "DevStack's NetworkPolicy agent",
};

interface DaemonSetList {
  items: {
    metadata: { name: string; namespace: string };
    status?: { numberReady?: number; desiredNumberScheduled?: number };
  }[];
}

/**
 * What an environment needs of the cluster and does not install (a cluster admin does, once):
 * CloudNativePG's API, which it refuses to go on without, and a NetworkPolicy engine, which it
 * reports (listing DaemonSets cluster-wide may not be allowed: then it says it could not look).
 */
export async function findPrerequisites(kubeconfigFile: string): Promise<{ policyEngine: string }> {
  const cnpg = await runCommand(
    kubectl(kubeconfigFile, ["api-resources", "--api-group=postgresql.cnpg.io", "-o", "name"]),
  );
  if (!cnpg.split("\n").includes("clusters.postgresql.cnpg.io"))
    throw new UserError(
      "the cluster does not serve CloudNativePG's API (no clusters.postgresql.cnpg.io): its operator is not installed",
      "A cluster admin installs it once (the release manifest the Kind runtime applies: kind/cnpg); DevStack never installs cluster-wide parts into a cluster it did not make.",
    );
  const listed = await runCommand(
    kubectl(kubeconfigFile, ["get", "daemonsets", "--all-namespaces", "-o", "json"]),
  ).then(
    (out) => JSON.parse(out) as DaemonSetList,
    (error: Error) => error,
  );
  if (listed instanceof Error)
    return {
      policyEngine: `not looked for (listing DaemonSets is not allowed: ${listed.message.split("\n").at(-1)})`,
    };
  const engines = listed.items.flatMap((d) => {
    const engine = POLICY_ENGINES[d.metadata.name];
    return engine
      ? [
          `${engine} (${d.metadata.namespace}/${d.metadata.name} ready on ${d.status?.numberReady ?? 0}/${d.status?.desiredNumberScheduled ?? 0} nodes)`,
        ]
      : [];
  });
  return {
    policyEngine:
      engines.join(", ") ||
      `none found (no DaemonSet ${Object.keys(POLICY_ENGINES).join(", ")}): the NetworkPolicies are applied but may not be enforced`,
  };
}

export const prerequisites: Action<ClusterUpContext> = {
  name: "prerequisites",
  plan: (ctx) => [
    `${showCommand(kubectl(ctx.kubeconfig, ["api-resources", "--api-group=postgresql.cnpg.io", "-o", "name"]))}: CloudNativePG's API, else refused (never installed)`,
    `${showCommand(kubectl(ctx.kubeconfig, ["get", "daemonsets", "--all-namespaces", "-o", "json"]))}: which NetworkPolicy engine runs, reported`,
  ],
  async execute(ctx) {
    ctx.policyEngine = (await findPrerequisites(ctx.kubeconfig)).policyEngine;
    return `CloudNativePG API served; NetworkPolicy engine: ${ctx.policyEngine}`;
  },
};

/**
 * The environment's namespace, labelled as its own. One left by an interrupted `up` of this
 * environment (same name, same state folder) is deleted first; any other namespace of that name is
 * refused: it may be another machine's environment, or nobody's.
 */
export const namespace: Action<ClusterUpContext> = {
  name: "namespace",
  plan: (ctx) => [
    `refuse if namespace ${ctx.namespace} exists and is not environment ${ctx.name}'s of this state folder; delete it if it is (an interrupted up)`,
    `${showCommand(kubectl(ctx.kubeconfig, ["create", "-f", "-"]))} < Namespace ${ctx.namespace} (DevStack's labels and annotations; create, not apply: of two machines claiming it at once, one is refused)`,
  ],
  async execute(ctx) {
    const found = await getNamespace(ctx.kubeconfig, ctx.namespace);
    let replaced = false;
    if (found) {
      if (!ownedBy(found, ctx.name))
        throw new UserError(
          `namespace ${ctx.namespace} already exists and is not this environment's (${describeOwner(found.devstack)})`,
          `Choose another --name, or remove it with \`kubectl --context ${ctx.context} delete namespace ${ctx.namespace}\` if it is nobody's.`,
        );
      replaced = await deleteNamespace(ctx.kubeconfig, ctx.namespace, ctx.timeoutSeconds);
    }
    await runCommand(
      kubectl(ctx.kubeconfig, ["create", "-f", "-"], {
        text: JSON.stringify(ctx.namespaceObject),
        shown: `Namespace ${ctx.namespace}`,
      }),
    );
    ctx.namespaceClaimed = true;
    return `${ctx.namespace}${replaced ? " (an interrupted up's deleted first)" : ""}`;
  },
  async undo(ctx) {
    // A namespace this `up` refused is someone else's: it stays.
    if (ctx.namespaceClaimed) await deleteNamespace(ctx.kubeconfig, ctx.namespace, ctx.timeoutSeconds);
  },
};

/**
 * The namespace's ResourceQuota and LimitRange, sized by what its overlay runs at its peak: one
 * environment cannot take what another needs. Created, never updated: the least-privileged identity
 * may create them but not raise them. An environment reused with an overlay that now needs more is
 * refused before anything is applied.
 */
export const quota: Action<ClusterUpContext> = {
  name: "quota",
  plan: (ctx) => [
    `${showCommand(kubectl(ctx.kubeconfig, ["create", "-f", "-"]))} < ResourceQuota and LimitRange devstack in ${ctx.namespace}: ${describeBudget(ctx.budget)}`,
    "(an environment reused: refused if its quota is below that)",
  ],
  async execute(ctx) {
    // A namespace this `up` made holds none yet (and its identity may not read one before access).
    const live = ctx.namespaceClaimed
      ? ""
      : await runCommand(
          kubectl(ctx.kubeconfig, [
            ...["-n", ctx.namespace, "get", "resourcequota", "devstack"],
            ...["--ignore-not-found", "-o", "json"],
          ]),
        );
    if (live.trim()) {
      const lacking = shortfall((JSON.parse(live) as K8sObject).spec?.hard ?? {}, quotaHard(ctx.budget));
      if (lacking.length > 0)
        throw new UserError(
          `kind/overlays/${ctx.prepared.envFile.overlay} now needs more than namespace ${ctx.namespace}'s quota: ${lacking.join(", ")}`,
          `Run \`pnpm dev:down --name ${ctx.name}\` and \`dev:up\` again: a new namespace gets a quota sized for it.`,
        );
      return `within ResourceQuota devstack (${describeBudget(ctx.budget)})`;
    }
    await runCommand(
      kubectl(ctx.kubeconfig, ["create", "-f", "-"], {
        text: JSON.stringify({
          apiVersion: "v1",
          kind: "List",
          items: quotaObjects(ctx.namespace, ctx.budget),
        }),
        shown: "ResourceQuota and LimitRange devstack",
      }),
    );
    return describeBudget(ctx.budget);
  },
};

/** The ClusterRole a cluster admin installs (kind/cluster-access) for what an environment does in its namespace. */
export const ENVIRONMENT_ROLE = "devstack-environment";
const ACCESS_FILE = "kind/cluster-access/devstack-access.yaml";

/** `kubectl auth can-i`: whether the context may do `verb` on `resource` in the namespace. */
async function canI(ctx: ClusterUpContext, verb: string, resource: string): Promise<boolean> {
  const answer = await runCommand(
    kubectl(ctx.kubeconfig, ["auth", "can-i", verb, resource, "-n", ctx.namespace]),
  ).catch((error: Error) => error.message);
  return answer.trim() === "yes";
}

/**
 * The context's rights inside its new namespace. An identity that may already manage it (a cluster
 * admin) gets nothing more; a least-privileged one (kind/cluster-access) binds itself the
 * devstack-environment role there, which is all the admission policy lets it bind.
 */
export const access: Action<ClusterUpContext> = {
  name: "access",
  plan: (ctx) => [
    `${showCommand(kubectl(ctx.kubeconfig, ["auth", "can-i", "create", "deployments.apps", "-n", ctx.namespace]))}; if not:`,
    `${showCommand(kubectl(ctx.kubeconfig, ["create", "rolebinding", ENVIRONMENT_ROLE, `--clusterrole=${ENVIRONMENT_ROLE}`, `--user=${placeholder("the context's user")}`, "-n", ctx.namespace]))}`,
  ],
  async execute(ctx) {
    if (await canI(ctx, "create", "deployments.apps")) return "the context may manage the namespace already";
    const user = (
      await runCommand(
        kubectl(ctx.kubeconfig, ["auth", "whoami", "-o", "jsonpath={.status.userInfo.username}"]),
      )
    ).trim();
    await runCommand(
      kubectl(ctx.kubeconfig, [
        ...["create", "rolebinding", ENVIRONMENT_ROLE, `--clusterrole=${ENVIRONMENT_ROLE}`],
        ...[`--user=${user}`, "-n", ctx.namespace],
      ]),
    ).catch((error: Error) => {
      throw new UserError(
        `context ${ctx.context} (${user}) may not manage namespace ${ctx.namespace}, nor bind itself ${ENVIRONMENT_ROLE} there: ${error.message.split("\n").at(-1)}`,
        `A cluster admin applies ${ACCESS_FILE} once and binds ClusterRole devstack-namespaces to ${user}.`,
      );
    });
    // RBAC is cached by the API server for a moment: ready when it says so.
    for (const until = Date.now() + 15_000; !(await canI(ctx, "create", "deployments.apps")); ) {
      if (Date.now() > until)
        throw new UserError(`the RoleBinding ${ENVIRONMENT_ROLE} in ${ctx.namespace} took no effect in 15 s`);
      await new Promise((r) => setTimeout(r, 250));
    }
    return `${user} bound to ${ENVIRONMENT_ROLE} in ${ctx.namespace}`;
  },
};

const describeOwner = (devstack: Record<string, string>) =>
  devstack[LABEL.env]
    ? `DevStack environment ${devstack[LABEL.env]} of ${devstack[LABEL.owner] ?? "someone"}, run ${devstack[LABEL.run] ?? "?"}`
    : "not made by DevStack";

/**
 * Every image the manifests name, resolved through the image map and pushed to the registry (only
 * what it lacks); the objects then name each image there, as the nodes pull it.
 */
/** The environment's images, and the one DevStack's programs in its pods run on (ephemeral.ts). */
const pushedNames = (ctx: ClusterUpContext) => [...new Set([...imageNames(ctx.images), EPHEMERAL_IMAGE])];

export const images: Action<ClusterUpContext> = {
  name: "images",
  plan: (ctx) => [
    ...pushedNames(ctx).map(
      (logical) =>
        `push ${logical} as ${registryRef(ctx.registry, logical, placeholder("image id"))} (unless the registry has it)`,
    ),
    "the objects name each image in the registry",
  ],
  async execute(ctx) {
    const names = pushedNames(ctx);
    const local = await resolveImages({ names, silent: true });
    const pushed = await pushImages(
      names.map((n) => local.get(n) as ResolvedImage),
      ctx.registry,
      { silent: true },
    );
    const inRegistry = new Map(pushed.map((p) => [p.name, p.ref]));
    // As the nodes run them: the registry's reference, with the local image's id and origin.
    ctx.resolved = new Map(
      names.map((n) => [n, { ...(local.get(n) as ResolvedImage), ref: inRegistry.get(n) as string }]),
    );
    ctx.state.images = imagesRecord(ctx.resolved.values());
    const byReference = new Map(ctx.images.map((i) => [i.reference, inRegistry.get(i.logical)]));
    ctx.objects = withImages(ctx.objects, (reference) => byReference.get(reference));
    return pushedLine(pushed, ctx.registry);
  },
};

const pushedLine = (pushed: PushedImage[], registry: string) => {
  const sent = pushed.filter((p) => p.pushed);
  return `${pushed.length} image(s) in ${registry}, ${sent.length} pushed${sent.length > 0 ? ` (${sent.map((p) => p.name).join(", ")})` : ""}`;
};
