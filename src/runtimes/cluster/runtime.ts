import { existsSync, rmSync } from "node:fs";
import type { EnvFile } from "../../config/env-file.ts";
import { ensureEngine } from "../../docker/cli.ts";
import { type Group, staleReason } from "../../env/stale.ts";
import {
  type EnvState,
  envFileOf,
  listEnvStates,
  readEnvState,
  removeEnvState,
  startingState,
} from "../../env/state.ts";
import { UserError } from "../../errors.ts";
import { loadImageMap } from "../../images/image-map.ts";
import { parseRegistry } from "../../images/registry.ts";
import { devstackLabels, LABEL } from "../../labels.ts";
import { prepareEnvironment } from "../../manifests/prepare.ts";
import type { K8sObject } from "../../manifests/render.ts";
import { type Action, planActions, RunningUps, runActions } from "../actions.ts";
import { IN_CLUSTER_ACTIONS } from "../kind/actions/index.ts";
import { recordState } from "../kind/actions/state.ts";
import { manifests, rollouts } from "../kind/actions/workloads.ts";
import { cnpgDatabase } from "../kind/database.ts";
import { kubeconfigFile } from "../kind/names.ts";
import { dbInitJob, imagesToLoad, KIND_SUPPORT, objectsToApply, refuseComponents } from "../kind/objects.ts";
import { listPods, podParts, podRefs } from "../kind/pods.ts";
import { keeperLogFile, keeperRunning, stopKeeper } from "../kind/port-forwards.ts";
import { kubectl, requireTool, runCommand } from "../kind/tools.ts";
import { loadBalancerAddresses, streamLogs, workloadRows } from "../kind/views.ts";
import type {
  Collected,
  EnvironmentHandle,
  EnvironmentListing,
  EnvironmentStatus,
  Runtime,
  UpResult,
} from "../runtime.ts";
import {
  access,
  type ClusterUpContext,
  findPrerequisites,
  images,
  kubeconfig,
  namespace,
  prerequisites,
  quota,
} from "./actions.ts";
import { EPHEMERAL_IMAGE } from "./ephemeral.ts";
import { clusterFaults } from "./faults.ts";
import {
  deleteNamespace,
  devstackNamespaces,
  getNamespace,
  namespaceFor,
  ownedBy,
  ownershipMetadata,
} from "./namespace.ts";
import { probeClusterPolicies } from "./policy-probe.ts";
import { namespaceBudget } from "./quota.ts";

const SUPPORT = { ...KIND_SUPPORT, runtime: "cluster" };

/**
 * How the cluster runtime brings an environment up in a namespace of an existing cluster, in
 * order: the user's context kept, what the cluster must already run checked, the namespace claimed,
 * the images pushed to the registry its nodes pull from, then what the Kind runtime does inside a
 * cluster (the overlay, the database, migrations and seed as a Job, rollouts, port-forwards).
 */
export const CLUSTER_UP_ACTIONS: readonly Action<ClusterUpContext>[] = [
  recordState,
  kubeconfig,
  prerequisites,
  namespace,
  quota,
  access,
  images,
  ...IN_CLUSTER_ACTIONS,
];

function target(envFile: EnvFile): { context: string; registry: string } {
  const { context, registry } = envFile.cluster;
  if (!context)
    throw new UserError(
      "--context: the cluster runtime needs the kubeconfig context of an existing cluster",
      `Pass --context CTX (\`kubectl config get-contexts\` lists them), or set cluster.context in envs/${envFile.name}.yaml.`,
    );
  if (!registry)
    throw new UserError(
      "--registry: the cluster runtime needs a registry the cluster's nodes pull from, to push the environment's images to",
      `Pass --registry HOST[:PORT], or set cluster.registry in envs/${envFile.name}.yaml.`,
    );
  return { context, registry: parseRegistry(registry) };
}

async function newContext(name: string, envFile: EnvFile, progress: (line: string) => void) {
  refuseComponents(envFile, "the cluster runtime", "Leave out --with (and the env file's `with:`).");
  const { context, registry } = target(envFile);
  const ns = namespaceFor(name);
  const prepared = await prepareEnvironment(envFile, SUPPORT, readEnvState(name)?.secrets, { namespace: ns });
  const owned = ownershipMetadata(devstackLabels({ purpose: "env", env: name, ttlMs: envFile.ttl }));
  // The namespace is created once by its action (the objects would patch it, a right a
  // least-privileged context does not have).
  const applied = objectsToApply(prepared);
  const overlayNamespace = applied.find((o) => o.kind === "Namespace");
  if (!overlayNamespace)
    throw new UserError(`kind/overlays/${envFile.overlay}: no Namespace object for ${ns}`);
  const namespaceObject = withOwnership(overlayNamespace, owned);
  const objects = applied.filter((o) => o.kind !== "Namespace");
  const ctx: ClusterUpContext = {
    name,
    prepared,
    kubeconfig: kubeconfigFile(name),
    namespace: ns,
    objects,
    images: imagesToLoad(prepared, loadImageMap()),
    state: { ...startingState(name, "cluster", envFile, prepared.secrets), namespace: ns, context, registry },
    progress,
    timeoutSeconds: Math.round(envFile.startupTimeout / 1000),
    interrupted: false,
    context,
    registry,
    namespaceObject,
    // What the overlay runs, and the migrations Job the up starts.
    budget: namespaceBudget([...objects, dbInitJob(prepared, envFile, "db-init", ns)]),
  };
  return ctx;
}

/** The overlay's Namespace with the ownership labels and annotations. */
const withOwnership = (
  namespace: K8sObject,
  owned: { labels: Record<string, string>; annotations: Record<string, string> },
): K8sObject => ({
  ...namespace,
  metadata: {
    ...namespace.metadata,
    labels: { ...namespace.metadata.labels, ...owned.labels },
    annotations: { ...namespace.metadata.annotations, ...owned.annotations },
  },
});

function requireReady(name: string): EnvState & { namespace: string } {
  const state = readEnvState(name);
  if (state?.status !== "ready" || state.runtime !== "cluster" || !state.namespace)
    throw new UserError(
      `cluster environment '${name}' is not up${state ? ` (it is ${state.status} on ${state.runtime})` : ""}`,
      `Start it with \`pnpm dev:up --runtime cluster --context CTX --registry HOST[:PORT]${name === "dev" ? "" : ` --name ${name}`}\`.`,
    );
  return { ...state, namespace: state.namespace };
}

/**
 * Removes an environment's namespace (waiting until it is gone), its keeper and its files. The
 * namespace only if it says it is this environment's of this state folder: a Ctrl-C while `up` was
 * refusing someone else's namespace must not delete it.
 */
async function removeEnvironment(env: string, ns: string, timeoutSeconds?: number): Promise<number> {
  let removed = stopKeeper(env) ? 1 : 0;
  const found = existsSync(kubeconfigFile(env)) ? await getNamespace(kubeconfigFile(env), ns) : undefined;
  if (ownedBy(found, env) && (await deleteNamespace(kubeconfigFile(env), ns, timeoutSeconds))) removed += 1;
  rmSync(kubeconfigFile(env), { force: true });
  rmSync(keeperLogFile(env), { force: true });
  return removed;
}

const running = new RunningUps<ClusterUpContext>();

/**
 * The cluster runtime: an environment as a namespace (`azora-NAME`) of a Kubernetes cluster the
 * team runs, reached through a kubeconfig context, its images pulled from a registry. What the
 * cluster must run (CloudNativePG, a NetworkPolicy engine) is checked, never installed.
 */
export const clusterRuntime: Runtime = {
  name: "cluster",
  support: SUPPORT,

  async ensureAvailable() {
    await ensureEngine();
    requireTool("kubectl");
  },

  async dryRun({ name, envFile }) {
    return planActions(CLUSTER_UP_ACTIONS, await newContext(name, envFile, () => {}));
  },

  async up({ name, envFile, progress }): Promise<UpResult> {
    await this.ensureAvailable();
    const ctx = await newContext(name, envFile, progress);
    const existing = readEnvState(name);
    const live =
      existing?.status === "ready" && existing.runtime === "cluster" && existsSync(ctx.kubeconfig)
        ? await getNamespace(ctx.kubeconfig, ctx.namespace)
        : undefined;
    if (live && existing) {
      // Healthy: the quota must still cover the overlay, which is applied again (only what changed
      // changes), images pushed if new.
      await runActions([quota, images, manifests, rollouts], ctx, progress);
      if (!keeperRunning(name))
        progress(
          "endpoints: the port-forward keeper was not running; run `pnpm dev:down` and `dev:up` again",
        );
      return { state: existing, reused: true };
    }
    await running.run(name, CLUSTER_UP_ACTIONS, ctx, progress);
    return { state: ctx.state, reused: false };
  },

  async abandon(name) {
    await running.interrupt(name);
    const state = readEnvState(name);
    await removeEnvironment(name, state?.namespace ?? namespaceFor(name));
  },

  async down(name, { keepData = false } = {}) {
    if (keepData)
      throw new UserError(
        "--keep-data: a cluster environment's database lives in its namespace, which `down` deletes",
        "Run `pnpm dev:down` without --keep-data (the seed is loaded again by the next `dev:up`).",
      );
    const state = readEnvState(name);
    const removed = await removeEnvironment(name, state?.namespace ?? namespaceFor(name));
    removeEnvState(name);
    return removed;
  },

  async status(name): Promise<EnvironmentStatus> {
    const state = requireReady(name);
    const [{ policyEngine }, workloads, loadBalancers] = await Promise.all([
      findPrerequisites(kubeconfigFile(name)),
      workloadRows(state, state.namespace),
      loadBalancerAddresses(kubeconfigFile(name), state.namespace),
    ]);
    return {
      state,
      workloads,
      loadBalancers,
      policies: {
        // What enforces them is the cluster's: DevStack can name it, not vouch for it.
        enforced: !policyEngine.startsWith("none") && !policyEngine.startsWith("not looked"),
        detail: `NetworkPolicy engine of context ${state.context}: ${policyEngine}`,
      },
    };
  },

  async logs(name, options) {
    const state = requireReady(name);
    await streamLogs(name, state.namespace, options);
  },

  async open(name): Promise<EnvironmentHandle> {
    const state = requireReady(name);
    const ns = state.namespace;
    return {
      name,
      runtime: "cluster",
      endpoints: state.endpoints,
      pods: async () => podRefs(await listPods(name, ns)),
      exec: (pod, command) => {
        const { namespace: podNs, name: podName } = podParts(pod, ns);
        return runCommand(kubectl(kubeconfigFile(name), ["-n", podNs, "exec", podName, "--", ...command]));
      },
      faults: clusterFaults(kubeconfigFile(name), ns, state.images[EPHEMERAL_IMAGE]?.ref),
      database: cnpgDatabase(name, ns),
    };
  },

  async list(): Promise<EnvironmentListing[]> {
    return (await scanClusters()).map((found) => found.listing);
  },

  async gc({ dryRun = false, testRunsOnly = false } = {}): Promise<Collected[]> {
    const collected: Collected[] = [];
    // Kubeconfigs of collected environments go last: a later deletion on their cluster may use them.
    const kubeconfigs: string[] = [];
    for (const { listing, namespace: ns, kubeconfig: via } of await scanClusters()) {
      if (!ns || !via || !listing.stale || (testRunsOnly && !listing.testRun)) continue;
      if (listing.status === "terminating") continue;
      collected.push({ what: `env ${listing.name}`, reason: listing.stale, removed: [listing.holds] });
      if (dryRun) continue;
      // Another machine's env:gc may take it at the same time: a namespace already gone is no error.
      await deleteNamespace(via, ns);
      const record = readEnvState(listing.name);
      if (record?.runtime === "cluster" && record.namespace === ns) {
        stopKeeper(listing.name);
        rmSync(keeperLogFile(listing.name), { force: true });
        kubeconfigs.push(kubeconfigFile(listing.name));
        removeEnvState(listing.name);
      }
    }
    for (const file of kubeconfigs) rmSync(file, { force: true });
    return collected;
  },

  async probePolicies(name, { timeoutMs }) {
    const state = requireReady(name);
    const image = state.images[EPHEMERAL_IMAGE]?.ref;
    if (!image)
      throw new UserError(
        `test:policy: environment '${name}' was brought up without the prober's image (${EPHEMERAL_IMAGE}) in its registry`,
        "Bring it up again (`pnpm dev:down`, then `dev:up` with the same flags): `up` pushes it now.",
      );
    const prepared = await prepareEnvironment(envFileOf(state), SUPPORT, state.secrets, {
      namespace: state.namespace,
    });
    return probeClusterPolicies({
      kubeconfig: kubeconfigFile(name),
      namespace: state.namespace,
      model: prepared.policies,
      image,
      timeoutMs,
    });
  },

  backups: {
    take: noBackups,
    list: async () => [],
    restore: noBackups,
    remove: noBackups,
    kept: async () => false,
    orphaned: async () => false,
  },
};

async function noBackups(): Promise<never> {
  throw new UserError("backups run on the Docker runtime only", "See the README's Backups section.");
}

interface FoundEnvironment {
  listing: EnvironmentListing;
  /** Its namespace and a kubeconfig reaching it, unless its cluster did not answer. */
  namespace?: string;
  kubeconfig?: string;
}

/**
 * The DevStack namespaces of every cluster this state folder has an environment on (each context
 * asked once, through one of its environments' kubeconfigs), whichever machine made them. A cluster
 * that does not answer is named in its environments' status, not hidden.
 */
async function scanClusters(): Promise<FoundEnvironment[]> {
  const records = listEnvStates().filter(
    (s) => s.runtime === "cluster" && existsSync(kubeconfigFile(s.name)),
  );
  const contexts = new Map(records.map((s) => [s.context ?? "?", kubeconfigFile(s.name)]));
  const found: FoundEnvironment[] = [];
  for (const [context, kubeconfig] of contexts) {
    const namespaces = await devstackNamespaces(kubeconfig).catch((error: Error) => error);
    if (namespaces instanceof Error) {
      for (const s of records.filter((r) => (r.context ?? "?") === context))
        found.push({
          listing: {
            name: s.name,
            runtime: "cluster",
            owner: "-",
            purpose: s.env,
            createdAt: s.createdAt,
            status: `unknown: context ${context} does not answer (${namespaces.message.split("\n").at(-1)})`,
            holds: `namespace ${s.namespace} on ${context}`,
            expires: s.expiresAt,
          },
        });
      continue;
    }
    for (const ns of namespaces) {
      const env = ns.devstack[LABEL.env] ?? ns.name;
      const group: Group = {
        key: `env ${env}`,
        env,
        purpose: "env",
        run: ns.devstack[LABEL.run] ?? "",
        expires: ns.devstack[LABEL.expires] ?? "",
        records: ns.devstack[LABEL.records],
        testRun: ns.devstack[LABEL.testRun],
        resources: [],
      };
      const record = readEnvState(env);
      const mine = record?.runtime === "cluster" && record.namespace === ns.name ? record : undefined;
      found.push({
        namespace: ns.name,
        kubeconfig,
        listing: {
          name: env,
          runtime: "cluster",
          owner: ns.devstack[LABEL.owner] ?? "-",
          purpose: mine?.env ?? "env",
          createdAt: mine?.createdAt ?? ns.createdAt,
          status: ns.phase === "Terminating" ? "terminating" : (mine?.status ?? "-"),
          holds: `namespace ${ns.name} on ${context}`,
          expires: mine?.expiresAt ?? (group.expires || "-"),
          stale: staleReason(group, mine, new Date()),
          ...(group.testRun ? { testRun: group.testRun } : {}),
        },
      });
    }
  }
  return found;
}
