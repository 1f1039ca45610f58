import type { EnvFile } from "../../config/env-file.ts";
import { docker, ensureEngine } from "../../docker/cli.ts";
import { type Group, staleReason } from "../../env/stale.ts";
import { type EnvState, envFileOf, readEnvState, removeEnvState, startingState } from "../../env/state.ts";
import { UserError } from "../../errors.ts";
import { listGuards, removeEgressGuard } from "../../firewall/egress-guard.ts";
import { firewallRunner } from "../../firewall/runner.ts";
import { loadImageMap } from "../../images/image-map.ts";
import { devstackLabels, LABEL, recordsId } from "../../labels.ts";
import { prepareEnvironment } from "../../manifests/prepare.ts";
import { probeAgainstEngine } from "../../netpol/live-probe.ts";
import { planActions, RunningUps, runActions } from "../actions.ts";
import { nsenterProbe, type ProbePod } from "../docker/policy-probe.ts";
import type {
  Collected,
  EnvironmentHandle,
  EnvironmentListing,
  EnvironmentStatus,
  PolicyProbeReport,
  Progress,
  Runtime,
  UpResult,
} from "../runtime.ts";
import { decideAddOns, policyEngine } from "./actions/addons.ts";
import type { KindUpContext } from "./actions/context.ts";
import { KIND_UP_ACTIONS } from "./actions/index.ts";
import { nodesBack } from "./actions/nodes-back.ts";
import { heldForwards } from "./actions/state.ts";
import { clusterConfigFor } from "./cluster-config.ts";
import { cnpgDatabase } from "./database.ts";
import { kindFaults } from "./faults.ts";
import { clusterConfigFile, clusterName, KIND_ENV_LABEL, kubeconfigFile, networkName } from "./names.ts";
import { clusterUnreachable, nodeContainers } from "./node-restarts.ts";
import { imagesToLoad, KIND_SUPPORT, namespaceOf, objectsToApply, refuseComponents } from "./objects.ts";
import { podNetworkNamespaces } from "./pod-netns.ts";
import { listPods, podParts, podRefs } from "./pods.ts";
import { POLICY_AGENT } from "./policy-agent/manifest.ts";
import { type ApiPod, livePods } from "./policy-agent/model.ts";
import { forwardsListening, keeperRunning } from "./port-forwards.ts";
import { nodesOf, removeEnvironment } from "./remove.ts";
import { kubectl, requireTool, runCommand } from "./tools.ts";
import { loadBalancerAddresses, streamLogs, unreachableRows, workloadRows } from "./views.ts";

async function newContext(name: string, envFile: EnvFile, progress: Progress): Promise<KindUpContext> {
  refuseComponents(
    envFile,
    "Kind",
    "Leave out --with (and the env file's `with:`), or use --runtime docker.",
  );
  const previous = readEnvState(name);
  const prepared = await prepareEnvironment(envFile, KIND_SUPPORT, previous?.secrets);
  const labels = devstackLabels({ purpose: "env", ttlMs: envFile.ttl });
  // Not dev.azora.devstack.managed/env: the Docker runtime's env:gc must not take it for its own.
  const { [LABEL.managed]: _managed, ...rest } = labels;
  return {
    name,
    prepared,
    cluster: clusterName(name),
    network: networkName(name),
    kubeconfig: kubeconfigFile(name),
    configFile: clusterConfigFile(name),
    clusterConfig: clusterConfigFor(name, envFile),
    namespace: namespaceOf(prepared),
    objects: objectsToApply(prepared),
    images: imagesToLoad(prepared, loadImageMap()),
    addOns: decideAddOns(),
    labels: { ...rest, [KIND_ENV_LABEL]: name, [LABEL.records]: recordsId() },
    state: { ...startingState(name, "kind", envFile, prepared.secrets), namespace: namespaceOf(prepared) },
    progress,
    timeoutSeconds: Math.round(envFile.startupTimeout / 1000),
    interrupted: false,
  };
}

function requireReady(name: string): EnvState {
  const state = readEnvState(name);
  if (state?.status !== "ready" || state.runtime !== "kind")
    throw new UserError(
      `Kind environment '${name}' is not up${state ? ` (it is ${state.status} on ${state.runtime})` : ""}`,
      `Start it with \`pnpm dev:up --runtime kind${name === "dev" ? "" : ` --name ${name}`}\`.`,
    );
  return state;
}

/** The namespace an environment's overlay runs in: from its record, else from its overlay. */
const namespaceOfEnv = async (state: EnvState) =>
  state.namespace ?? namespaceOf(await prepareEnvironment(envFileOf(state), KIND_SUPPORT, state.secrets));

const running = new RunningUps<KindUpContext>();

interface KubeList<T> {
  items: T[];
}
/**
 * The Kind runtime: one Kind cluster per environment on a Docker network of its own, fenced by an
 * egress guard; Calico (or, where it cannot be pulled, DevStack's agent) enforces the
 * NetworkPolicies and CloudNativePG runs the database, as in production. What of it was run on our machines is in the README (Kind runtime).
 */
export const kindRuntime: Runtime = {
  name: "kind",
  support: KIND_SUPPORT,

  async ensureAvailable() {
    await ensureEngine();
    requireTool("kind");
    requireTool("kubectl");
  },

  async dryRun({ name, envFile }) {
    return planActions(KIND_UP_ACTIONS, await newContext(name, envFile, () => {}));
  },

  async up({ name, envFile, progress }): Promise<UpResult> {
    await this.ensureAvailable();
    const existing = readEnvState(name);
    if (existing?.status === "ready" && existing.runtime === "kind" && (await nodesOf(name)).length > 0) {
      // An existing cluster: its nodes running and every pod back (after a restart of the engine
      // or of the machine), then the overlay applied again (kubectl apply changes only what changed).
      const ctx = await newContext(name, envFile, progress);
      await runActions(
        [nodesBack, ...KIND_UP_ACTIONS.filter((a) => a.name === "manifests" || a.name === "rollouts")],
        ctx,
        progress,
      );
      if (!keeperRunning(name))
        progress(
          "endpoints: the port-forward keeper was not running; run `pnpm dev:down` and `dev:up` again",
        );
      // Forwards the keeper is making again (their pod or its kubelet went) answer before this returns.
      else
        await forwardsListening(name, heldForwards(ctx.prepared, existing.ports), ctx.timeoutSeconds * 1000);
      return { state: existing, reused: true, ...(ctx.restarted ? { restarted: ctx.restarted } : {}) };
    }
    const ctx = await newContext(name, envFile, progress);
    await running.run(name, KIND_UP_ACTIONS, ctx, progress);
    return { state: ctx.state, reused: false };
  },

  async abandon(name) {
    await running.interrupt(name);
    await removeEnvironment(name);
  },

  async down(name, { keepData = false } = {}) {
    await ensureEngine();
    if (keepData)
      throw new UserError(
        "--keep-data: a Kind environment's database lives in its cluster's nodes, which `down` removes",
        "Run `pnpm dev:down` without --keep-data (the seed is loaded again by the next `dev:up`).",
      );
    const removed = await removeEnvironment(name);
    removeEnvState(name);
    return removed;
  },

  async status(name): Promise<EnvironmentStatus> {
    const state = requireReady(name);
    const kubeconfig = kubeconfigFile(name);
    const nodes = await nodeContainers(name);
    const unreachable = await clusterUnreachable(kubeconfig, nodes);
    if (unreachable) {
      const prepared = await prepareEnvironment(envFileOf(state), KIND_SUPPORT, state.secrets);
      return {
        state,
        workloads: unreachableRows(state, objectsToApply(prepared), "cluster not answering"),
        policies: {
          enforced: false,
          detail: `not known: the cluster cannot be asked: ${unreachable}; \`dev:up\` starts stopped nodes and waits until every pod is ready again`,
        },
        loadBalancers: {},
      };
    }
    const ns = await namespaceOfEnv(state);
    const [rows, loadBalancers] = await Promise.all([
      workloadRows(state, ns, nodes),
      loadBalancerAddresses(kubeconfig, ns),
    ]);
    const engine =
      policyEngine() === "calico"
        ? { name: "Calico", daemonSet: "calico-node" }
        : { name: "DevStack's NetworkPolicy agent", daemonSet: POLICY_AGENT.daemonSet };
    const agents = JSON.parse(
      await runCommand(
        kubectl(kubeconfig, ["-n", "kube-system", "get", "daemonset", engine.daemonSet, "-o", "json"]),
      ),
    ) as { status: { numberReady: number; desiredNumberScheduled: number } };
    const { numberReady, desiredNumberScheduled } = agents.status;
    const enforced = numberReady === desiredNumberScheduled;
    return {
      state,
      workloads: rows,
      policies: {
        enforced,
        detail: `${enforced ? "enforced" : "NOT enforced"} by ${engine.name} (${engine.daemonSet} ready on ${numberReady}/${desiredNumberScheduled} nodes)`,
      },
      loadBalancers,
    };
  },

  async logs(name, options) {
    const state = requireReady(name);
    await streamLogs(name, await namespaceOfEnv(state), options);
  },

  async open(name): Promise<EnvironmentHandle> {
    await ensureEngine();
    const state = requireReady(name);
    const ns = await namespaceOfEnv(state);
    return {
      name,
      runtime: "kind",
      endpoints: state.endpoints,
      pods: async () => podRefs(await listPods(name, ns)),
      exec: (pod, command) => {
        const { namespace, name: podName } = podParts(pod, ns);
        return runCommand(
          kubectl(kubeconfigFile(name), ["-n", namespace, "exec", podName, "--", ...command]),
        );
      },
      faults: kindFaults(name, ns),
      database: cnpgDatabase(name, ns),
    };
  },

  async list(): Promise<EnvironmentListing[]> {
    await ensureEngine();
    const networks = (
      await docker(["network", "ls", "--filter", `label=${KIND_ENV_LABEL}`, "--format", "{{.Name}}"])
    )
      .split("\n")
      .filter(Boolean);
    return Promise.all(
      networks.map(async (network) => {
        const labels = JSON.parse(
          await docker(["network", "inspect", "--format", "{{json .Labels}}", network]),
        ) as Record<string, string>;
        const env = labels[KIND_ENV_LABEL] ?? network;
        const state = readEnvState(env);
        const group: Group = {
          key: `env ${env}`,
          env,
          purpose: "env",
          run: labels[LABEL.run] ?? "",
          expires: labels[LABEL.expires] ?? "",
          records: labels[LABEL.records],
          testRun: labels[LABEL.testRun],
          resources: [],
        };
        const mine = state?.runtime === "kind" ? state : undefined;
        return {
          name: env,
          runtime: "kind" as const,
          owner: labels[LABEL.owner] ?? "-",
          purpose: mine?.env ?? "env",
          ...(mine ? { createdAt: mine.createdAt } : {}),
          status: mine?.status ?? "-",
          holds: `${(await nodesOf(env)).length} node(s), network ${network}`,
          expires: mine?.expiresAt ?? (group.expires || "-"),
          stale: staleReason(group, mine, new Date()),
          ...(group.testRun ? { testRun: group.testRun } : {}),
        };
      }),
    );
  },

  async gc({ dryRun = false, testRunsOnly = false } = {}): Promise<Collected[]> {
    const collected: Collected[] = [];
    const listings = await this.list();
    for (const listing of listings.filter((l) => l.stale && (!testRunsOnly || l.testRun))) {
      collected.push({
        what: `env ${listing.name}`,
        reason: listing.stale ?? "",
        removed: [`kind cluster ${clusterName(listing.name)} (${listing.holds})`],
      });
      if (!dryRun) {
        await removeEnvironment(listing.name);
        if (readEnvState(listing.name)?.runtime === "kind") removeEnvState(listing.name);
      }
    }
    // A guard whose network is gone fences nothing: an interrupted `down`.
    const live = new Set(listings.map((l) => l.name));
    for (const env of await listGuards(await firewallRunner())) {
      if (live.has(env)) continue;
      collected.push({
        what: `env ${env}`,
        reason: "only its egress guard was left",
        removed: [`egress guard of ${env}`],
      });
      if (!dryRun) await removeEgressGuard(env, await firewallRunner());
    }
    return collected;
  },

  async probePolicies(name, { timeoutMs }): Promise<PolicyProbeReport> {
    const state = requireReady(name);
    const prepared = await prepareEnvironment(envFileOf(state), KIND_SUPPORT, state.secrets);
    const listed = JSON.parse(
      await runCommand(
        kubectl(kubeconfigFile(name), ["-n", namespaceOf(prepared), "get", "pods", "-o", "json"]),
      ),
    ) as KubeList<ApiPod>;
    const running = listed.items.filter((p) => p.status?.phase === "Running");
    const netns = await podNetworkNamespaces(await nodesOf(name));
    const problems: string[] = [];
    const pods: ProbePod[] = livePods(running).flatMap((pod) => {
      const pid = pod.podIP ? netns.get(pod.podIP) : undefined;
      if (pod.podIP && pid) return [{ ...pod, podIP: pod.podIP, pid }];
      problems.push(
        `${pod.namespace}/${pod.name}: not probed (no network namespace on this machine has ${pod.podIP ?? "its address"})`,
      );
      return [];
    });
    // Probes leave each pod's own network namespace, as its traffic does, through the nodes.
    const observations = await probeAgainstEngine(pods, prepared.policies, nsenterProbe, { timeoutMs });
    return { pods: pods.length, observations, problems };
  },

  // CloudNativePG backs up to an object store, and none runs on (or may be reached from) a Kind
  // environment here; components, the backups one included, are refused on Kind.
  backups: {
    take: noBackups,
    list: noBackups,
    restore: noBackups,
    remove: noBackups,
    kept: async () => false,
    orphaned: async () => false,
  },
};

async function noBackups(): Promise<never> {
  throw new UserError(
    "backups run on the Docker runtime only",
    "CloudNativePG on Kind needs an object store for them; see the README's Backups section.",
  );
}
