import { execa } from "execa";
import type { EnvFile } from "../../config/env-file.ts";
import { inspectContainer } from "../../docker/api.ts";
import { docker, ensureEngine } from "../../docker/cli.ts";
import { listResources, removeResources } from "../../docker/resources.ts";
import { staleReason } from "../../env/stale.ts";
import {
  type EnvState,
  envFileOf,
  readEnvState,
  removeEnvState,
  startingState,
  writeEnvState,
} from "../../env/state.ts";
import { UserError } from "../../errors.ts";
import { listTables, removeTable } from "../../firewall/nft.ts";
import { firewallRunner } from "../../firewall/runner.ts";
import { loadImageMap } from "../../images/image-map.ts";
import { resolveImages } from "../../images/resolve.ts";
import { currentRun, devstackLabels, LABEL, runIsAlive } from "../../labels.ts";
import { clusterRanges, loadClusterConfig } from "../../manifests/cluster-file.ts";
import type { PreparedEnvironment } from "../../manifests/prepare.ts";
import { probeAgainstEngine } from "../../netpol/live-probe.ts";
import { tableName } from "../../netpol/nftables.ts";
import { planActions, RunningUps } from "../actions.ts";
import type {
  Collected,
  EnvironmentHandle,
  EnvironmentListing,
  EnvironmentStatus,
  LogOptions,
  PolicyProbeReport,
  Progress,
  Runtime,
  UpResult,
} from "../runtime.ts";
import type { DockerUpContext } from "./actions/context.ts";
import { UP_ACTIONS } from "./actions/index.ts";
import { dockerBackups } from "./backups.ts";
import { isStandIn } from "./cluster.ts";
import { backsUp } from "./cluster-backup.ts";
import { composeFile } from "./compose.ts";
import { dockerDatabase } from "./database.ts";
import { containerOf, dockerFaults, podsOf } from "./faults.ts";
import {
  firewallConfig,
  hostEnforcer,
  offNetworkProblem,
  POD_LABEL,
  podsOffNetwork,
  policySummary,
  runningContainers,
} from "./firewall.ts";
import { collectGarbage, groupResources } from "./gc.ts";
import {
  backupRepositoryName,
  containerName,
  envResources,
  isData,
  prefix,
  supervisorName,
} from "./names.ts";
import { configDigest, replicaName } from "./pods.ts";
import { nsenterProbe, probePods } from "./policy-probe.ts";
import { probeOnce } from "./probe.ts";
import { reconfigure } from "./reconfigure.ts";
import { environmentStatus } from "./status.ts";
import { ensureSupervisor } from "./supervisor.ts";
import { DOCKER_SUPPORT, dockerPlanOf } from "./support.ts";
import type { ContainerPlan } from "./translate.ts";

const prepare = (envFile: EnvFile, state?: EnvState) => dockerPlanOf(envFile, state?.secrets);

const running = new RunningUps<DockerUpContext>();

function newContext(
  name: string,
  { prepared, containers }: { prepared: PreparedEnvironment; containers: ContainerPlan[] },
  progress: Progress,
): DockerUpContext {
  const { envFile } = prepared;
  return {
    name,
    prepared,
    containers,
    network: prefix(name),
    avoid: clusterRanges(loadClusterConfig()),
    labels: devstackLabels({ purpose: "env", env: name, ttlMs: envFile.ttl }),
    state: startingState(name, "docker", envFile, prepared.secrets),
    progress,
    hadData: false,
    started: new Map(),
    starting: new Map(),
    began: performance.now(),
    interrupted: false,
  };
}

function requireState(name: string): EnvState {
  const state = readEnvState(name);
  if (!state)
    throw new UserError(
      `environment '${name}' is not known here`,
      "See `pnpm env:list`, or start it with `pnpm dev:up`.",
    );
  return state;
}

function requireReady(name: string): EnvState {
  const state = readEnvState(name);
  if (state?.status !== "ready")
    throw new UserError(
      `environment '${name}' is not up${state ? ` (it is ${state.status})` : ""}`,
      `Start it with \`pnpm dev:up${name === "dev" ? "" : ` --name ${name}`}\`.`,
    );
  return state;
}

/**
 * The Docker runtime: the manifests run as containers on one engine, one network per environment,
 * NetworkPolicies compiled to nftables rules on its bridge, and a supervisor container doing the
 * kubelet's liveness restarts and Calico's re-applies.
 */
export const dockerRuntime: Runtime & {
  exportCompose(name: string, envFile: EnvFile): Promise<string>;
} = {
  name: "docker",
  support: DOCKER_SUPPORT,

  async ensureAvailable() {
    await ensureEngine();
  },

  async dryRun({ name, envFile }) {
    const planned = await prepare(envFile, readEnvState(name));
    return planActions(
      UP_ACTIONS,
      newContext(name, planned, () => {}),
    );
  },

  async up({ name, envFile, progress, seed }): Promise<UpResult> {
    await ensureEngine();
    const existing = readEnvState(name);
    const planned = await prepare(envFile, existing);
    const { prepared, containers } = planned;
    if (existing?.status === "ready") {
      const images = await resolveImages({
        names: [...new Set(containers.map((c) => c.image))],
        silent: true,
      });
      const verdict = await reuseVerdict(name, existing, containers, images);
      if (verdict.reusable) {
        for (const c of verdict.reconfigure) {
          await reconfigure(
            {
              name,
              network: prefix(name),
              labels: devstackLabels({ purpose: "env", env: name, ttlMs: envFile.ttl }),
              image: (logical) => images.get(logical)?.ref ?? logical,
            },
            c,
          );
          existing.config[containerName(name, c)] = configDigest(c);
          progress(
            `${replicaName(c)}: configuration changed, reloaded without a restart (${c.onConfigChange?.method} ${c.onConfigChange?.path})`,
          );
        }
        writeEnvState(existing);
        // Policies may have changed since: re-applied, and the supervisor follows them.
        const firewall = await firewallConfig(name, prepared.policies);
        progress(`network policies: ${policySummary(await hostEnforcer(firewall).apply())}`);
        const image = async () =>
          (await resolveImages({ names: ["supervisor"], silent: true })).get("supervisor")?.ref ??
          "supervisor";
        const labels = devstackLabels({ purpose: "env", env: name, ttlMs: envFile.ttl });
        if (await ensureSupervisor(name, image, firewall, labels))
          progress("supervisor: started (it was not running, or enforced other policies)");
        return { state: existing, reused: true };
      }
      progress(`recreating the environment: ${verdict.why}`);
    }
    if (existing?.status === "starting" && existing.run !== currentRun() && runIsAlive(existing.run))
      throw new UserError(`environment '${name}' is being brought up by another run (${existing.run})`);
    const ctx = newContext(name, planned, progress);
    ctx.skipSeed = seed === false;
    ctx.hadData = (await envResources(name)).some(isData);
    // pgBackRest refuses WAL of another database (its system identifier): refused before anything starts.
    if (containers.some(backsUp) && (await this.backups.orphaned(name)))
      throw new UserError(
        `environment '${name}' would start a new database, but the backups of an earlier '${name}' are kept (volume ${backupRepositoryName(name)}); its WAL cannot be archived beside them`,
        `Bring those back with \`pnpm db:restore --name ${name} --into ${name}\`, or remove them first with \`pnpm db:backups --delete ${name}\`.`,
      );
    await running.run(name, UP_ACTIONS, ctx, progress);
    return { state: ctx.state, reused: false };
  },

  async abandon(name) {
    await running.interrupt(name);
    // A container create already sent to the engine can land after a first removal: again until
    // a listing comes back empty.
    for (let round = 0; round < 10; round++) {
      if ((await this.down(name, { keepData: true })) === 0 && round > 0) return;
      await new Promise((r) => setTimeout(r, 300));
    }
  },

  async down(name, { keepData = false } = {}) {
    await ensureEngine();
    const resources = (await envResources(name)).filter((r) => !(keepData && isData(r)));
    // The supervisor first: nothing may restart a pod of an environment being removed.
    const supervisor = resources.filter((r) => r.name === supervisorName(name));
    await removeResources(supervisor);
    await removeResources(resources.filter((r) => !supervisor.includes(r)));
    // The table goes after the containers, so no supervisor is left to re-apply it.
    const table = (await removeTable(tableName(name), await firewallRunner())) ? 1 : 0;
    if (!keepData) removeEnvState(name);
    return resources.length + table;
  },

  async status(name): Promise<EnvironmentStatus> {
    await ensureEngine();
    const state = requireState(name);
    const { containers } = await prepare(envFileOf(state), state);
    const workloads = await environmentStatus(state, containers);
    const table = tableName(name);
    const hasTable = (await listTables(await firewallRunner())).includes(table);
    const bypass = offNetworkProblem(await runningContainers(prefix(name)), prefix(name));
    const detail = !hasTable
      ? `NOT enforced (no table inet ${table}; the supervisor restores it within 10 s, \`pnpm dev:up\` re-applies it)`
      : (bypass ?? `enforced by nftables table inet ${table}`);
    return { state, workloads, policies: { enforced: hasTable && !bypass, detail } };
  },

  async logs(name, { workload, follow, tail, line }: LogOptions) {
    await ensureEngine();
    const found = (await envResources(name)).filter((r) => r.kind === "container");
    if (found.length === 0)
      throw new UserError(`environment '${name}' has no containers`, "Start it with `pnpm dev:up`.");
    const workloads = [...new Set(found.map((c) => c.labels[LABEL.workload] ?? c.name))].sort();
    if (workload && !workloads.includes(workload))
      throw new UserError(
        `unknown workload '${workload}' in environment '${name}'`,
        `workloads: ${workloads.join(", ")}`,
      );
    const chosen = found
      .filter((c) => !workload || c.labels[LABEL.workload] === workload)
      .sort((a, b) => a.name.localeCompare(b.name));
    await Promise.all(
      chosen.map(async (c) => {
        const args = ["logs", "--tail", String(tail), ...(follow ? ["--follow"] : []), c.name];
        const run = execa("docker", args, { all: true, reject: false });
        for await (const text of run.iterable({ from: "all" })) line(c.name, String(text));
      }),
    );
  },

  async open(name): Promise<EnvironmentHandle> {
    await ensureEngine();
    const state = requireReady(name);
    return {
      name,
      runtime: "docker",
      endpoints: state.endpoints,
      pods: () => podsOf(name),
      exec: (pod, command) => docker(["exec", containerOf(name, pod), ...command]),
      faults: dockerFaults(name),
      database: dockerDatabase(name),
    };
  },

  async list(): Promise<EnvironmentListing[]> {
    await ensureEngine();
    const groups = groupResources(await listResources(`${LABEL.managed}=true`));
    return groups.map((g) => {
      const state = g.env ? readEnvState(g.env) : undefined;
      const count = (kind: string) => g.resources.filter((r) => r.kind === kind).length;
      return {
        name: g.env ?? `(${g.purpose} run)`,
        runtime: "docker",
        owner: g.resources[0]?.labels[LABEL.owner] ?? "-",
        purpose: state?.env ?? g.purpose,
        ...(state ? { createdAt: state.createdAt } : {}),
        status: state?.status ?? "-",
        holds: `${count("container")}/${count("network")}/${count("volume")} ctr/net/vol`,
        expires: (state?.runtime === "docker" ? state.expiresAt : undefined) ?? (g.expires || "-"),
        stale: staleReason(g, state, new Date()),
      };
    });
  },

  async gc({ dryRun = false, testRunsOnly = false } = {}): Promise<Collected[]> {
    await ensureEngine();
    return (await collectGarbage({ dryRun, ...(testRunsOnly ? { purposes: ["test"] } : {}) })).map(
      ({ group, reason }) => ({
        what: group.key,
        reason,
        removed: group.resources.map((r) => `${r.kind} ${r.name}`),
      }),
    );
  },

  get backups() {
    return dockerBackups(dockerRuntime);
  },

  async probePolicies(name, { timeoutMs }): Promise<PolicyProbeReport> {
    await ensureEngine();
    const state = requireReady(name);
    const { prepared } = await prepare(envFileOf(state), state);
    const running = await runningContainers(prefix(name));
    const pods = probePods(running);
    const observations = await probeAgainstEngine(pods, prepared.policies, nsenterProbe, { timeoutMs });
    // Probes go over the environment's network; a pod on another network too is open there.
    const bypass = offNetworkProblem(running, prefix(name));
    return { pods: pods.length, observations, problems: bypass ? [bypass] : [] };
  },

  async exportCompose(name, envFile) {
    const { containers } = await prepare(envFile, readEnvState(name));
    if (containers.some(isStandIn))
      throw new UserError(
        `env ${envFile.name}: a Cluster of several instances (Patroni, etcd, HAProxy) is not exported to compose`,
        "Export an env with one database instance (dev, pr), or run this one with `pnpm dev:up`.",
      );
    const images = await resolveImages({
      names: [...new Set([...containers.map((c) => c.image), "db-init"])],
      silent: true,
    });
    const refs = new Map([...images].map(([n, i]) => [n, i.ref]));
    const map = loadImageMap();
    // An image has Node when it, or what it is built from, installs it (the services, db-init).
    const hasNode = (image: string): boolean => {
      const recipe = map.images[image]?.recipe;
      return !!recipe && (!!recipe.packages?.includes("nodejs") || (!!recipe.from && hasNode(recipe.from)));
    };
    return composeFile({
      name,
      envFile,
      containers,
      refs,
      initImage: refs.get("db-init") ?? "db-init",
      hasNode,
    });
  },
};

/**
 * Whether a ready environment can be kept: every container passes its probe now, runs the image
 * the current recipe resolves to, is a pod the firewall knows (made by this DevStack) and on no
 * other network (out of the rules' reach); a pod whose configuration changed is kept only if it
 * can take it without a restart (its config-change hook). Otherwise it is recreated, saying why.
 */
async function reuseVerdict(
  name: string,
  state: EnvState,
  containers: readonly ContainerPlan[],
  images: ReadonlyMap<string, { ref: string }>,
): Promise<{ reusable: boolean; why?: string; reconfigure: ContainerPlan[] }> {
  const no = (why: string) => ({ reusable: false, why, reconfigure: [] });
  const checks = await Promise.all(
    containers.map(async (c) => {
      const container = containerName(name, c);
      const inspection = await inspectContainer(container);
      const ready = await probeOnce(container, c.readiness, (port) => state.ports[`${c.workload}:${port}`]);
      const image = images.get(c.image)?.ref;
      return { c, container, ready, stale: !!image && inspection?.Config.Image !== image };
    }),
  );
  const notReady = checks.filter((x) => !x.ready).map((x) => x.container);
  if (notReady.length > 0) return no(`not ready: ${notReady.join(", ")}`);
  const stale = checks.filter((x) => x.stale).map((x) => x.container);
  if (stale.length > 0) return no(`a newer image: ${stale.join(", ")}`);
  const running = await runningContainers(prefix(name));
  const pods = running.filter((c) => c.labels[POD_LABEL]);
  if (pods.length !== containers.length)
    return no(`${pods.length} pods run, the manifests have ${containers.length}`);
  if (podsOffNetwork(running, prefix(name)).length > 0) return no("a pod is on another network too");
  // A digest recorded by this DevStack that differs: the pod's files or init containers changed.
  const changed = checks.filter(({ c, container }) => {
    const recorded = state.config[container];
    return recorded !== undefined && recorded !== configDigest(c);
  });
  const unreloadable = changed.filter((x) => !x.c.onConfigChange).map((x) => x.container);
  if (unreloadable.length > 0) return no(`configuration changed: ${unreloadable.join(", ")}`);
  return { reusable: true, reconfigure: changed.map((x) => x.c) };
}
