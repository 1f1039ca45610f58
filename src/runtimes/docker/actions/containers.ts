import { createWritableVolume, ensureVolume } from "../../../docker/api.ts";
import { removeResources } from "../../../docker/resources.ts";
import type { StartedTestContainer } from "../../../docker/testcontainers.ts";
import { writeEnvState } from "../../../env/state.ts";
import { LABEL } from "../../../labels.ts";
import type { Action } from "../../actions.ts";
import { endpointsOf } from "../endpoints.ts";
import { podLabel } from "../firewall.ts";
import { KUBE_STATE_HOST } from "../kube-state.ts";
import { backupRepositoryLabels, containerName, envResources, isData, volumeName } from "../names.ts";
import { configDigest, replicaName, runInit, withPodParts } from "../pods.ts";
import { startedOnly } from "../probe.ts";
import type { ContainerPlan } from "../translate.ts";
import type { DockerUpContext } from "./context.ts";
import { waitForReadiness } from "./readiness.ts";

/**
 * Every pod of the environment as a container on its network. The database's containers are
 * created first, alone, because its initialisation is the longest wait and migrations need it; the
 * other pods start as soon as those have, and finish starting in the background while the database
 * initialises and migrations and the seed run (`readiness` waits for them). Nothing here waits for
 * readiness, except a StatefulSet's pods for the one before. Services connect to their
 * dependencies on demand, as on Kubernetes, where pods start in no fixed order.
 */
export const containers: Action<DockerUpContext> = {
  name: "containers",
  plan: (ctx) =>
    ordered(ctx.containers).map((c) =>
      [
        `docker create+start ${containerName(ctx.name, c)}: image ${c.image}, network ${ctx.network} (aliases ${c.aliases.join(", ") || "none"}), ports ${c.ports.map((p) => `127.0.0.1::${p.containerPort}`).join(", ") || "none"}`,
        c.files.length > 0 ? `files ${c.files.map((f) => f.path).join(", ")}` : "",
        c.volumes.length > 0
          ? `volumes ${c.volumes.map((v) => `${volumeName(ctx.name, c, v)} at ${v.path}`).join(", ")}`
          : "",
        c.kind === "StatefulSet" && c.replica > 1
          ? `once ${c.workload}-${c.replica - 2} is ready`
          : c.kind !== "Cluster" && ctx.containers.some((d) => d.kind === "Cluster")
            ? "once the database's containers have started"
            : "",
        c.init.length > 0
          ? `after init containers ${c.init.map((i) => `${i.name} (image ${i.image})`).join(", ")}`
          : "",
      ]
        .filter(Boolean)
        .join(", "),
    ),
  async execute(ctx) {
    const databases = ctx.containers.filter((c) => c.kind === "Cluster");
    const startOf = (c: ContainerPlan, before?: Promise<unknown>) => {
      const started = (async () => {
        await before;
        return start(ctx, c);
      })();
      ctx.starting.set(containerName(ctx.name, c), started);
      return started;
    };
    const databasesStarted = Promise.all(databases.map((c) => startOf(c)));
    // A StatefulSet's pods start in order, each once the one before is ready (OrderedReady).
    const previous = new Map<string, Promise<unknown>>();
    for (const c of ctx.containers.filter((x) => x.kind !== "Cluster")) {
      const started = startOf(c, previous.get(c.workload) ?? databasesStarted);
      if (c.kind === "StatefulSet")
        previous.set(
          c.workload,
          started.then(() => waitForReadiness(ctx, [c])),
        );
    }
    ctx.othersStarted = Promise.all([...ctx.starting.values(), ...previous.values()]).then(() => {
      ctx.state.endpoints = endpointsOf(ctx.state.ports, ctx.containers, ctx.state.secrets);
      writeEnvState(ctx.state);
    });
    // Awaited by `readiness`, which reports a failed start; until then it must not count as unhandled.
    ctx.othersStarted.catch(() => {});
    await databasesStarted;
    ctx.state.endpoints = endpointsOf(ctx.state.ports, ctx.containers, ctx.state.secrets);
    const others = ctx.containers.length - databases.length;
    return `${databases.length} database container(s) started, ${others} more starting on ${ctx.network}`;
  },
  async undo(ctx) {
    // Starts still in flight land after a first removal; wait for them to settle first.
    await Promise.allSettled(ctx.starting.values());
    await removeResources((await envResources(ctx.name)).filter((r) => !isData(r) && r.kind !== "network"));
  },
};

/** The database first: its start (and the initialisation of its volume) takes longest. */
const ordered = (all: readonly ContainerPlan[]) => [
  ...all.filter((c) => c.kind === "Cluster"),
  ...all.filter((c) => c.kind !== "Cluster"),
];

/** After Ctrl-C nothing more is created: what is created now could land after the removal. */
function stopIfInterrupted(ctx: DockerUpContext, name: string): void {
  if (ctx.interrupted) throw new Error(`interrupted before ${name} was created`);
}

async function start(ctx: DockerUpContext, c: ContainerPlan): Promise<StartedTestContainer> {
  const name = containerName(ctx.name, c);
  stopIfInterrupted(ctx, name);
  const image = (logical: string) => ctx.images?.get(logical)?.ref ?? logical;
  // The pod's volumes first: its init containers fill them for the container.
  const emptyDirs = new Map<string, string>();
  for (const v of [...c.volumes, ...c.init.flatMap((i) => i.volumes)]) {
    if (emptyDirs.has(v.name)) continue;
    const volume = volumeName(ctx.name, c, v);
    emptyDirs.set(v.name, volume);
    // A claim keeps its data (created once, as a PVC is bound once); the image's files and
    // owners at the mount path are copied into it on first use, as Docker does.
    if (v.persistent)
      await ensureVolume(
        volume,
        v.repository ? backupRepositoryLabels(ctx.name, ctx.prepared.envFile) : ctx.labels,
      );
    // The supervisor image makes /emptydir-mode root 1777 for this (images/nft-agent).
    else await createWritableVolume(volume, ctx.labels, image("supervisor"), "/emptydir-mode");
  }
  for (const init of c.init) {
    stopIfInterrupted(ctx, name);
    await runInit(ctx, c, init, image(init.image), emptyDirs);
  }

  const { WorkloadContainer } = await import("../../../docker/workload-container.ts");
  let builder = withPodParts(new WorkloadContainer(image(c.image)), c, emptyDirs)
    .withName(name)
    .withLabels({
      ...c.labels,
      ...ctx.labels,
      [LABEL.workload]: c.workload,
      ...probeLabels(c),
      ...podLabel(c),
    })
    .withSoleNetwork(ctx.network, c.aliases, ctx.gateway)
    // The node agent's pod-state series, where the environment's Prometheus scrapes them.
    .withGatewayNames([KUBE_STATE_HOST])
    .withHostname(c.pod)
    .withEnvironment(c.env)
    .withExposedPorts(...c.ports.map((p) => p.containerPort))
    .withWaitStrategy(startedOnly);
  if (c.command) builder = builder.withEntrypoint(c.command);
  if (c.args) builder = builder.withCommand(c.args);
  if (c.limits.nanoCpus || c.limits.memoryBytes) {
    builder = builder.withResourcesQuota({
      cpu: c.limits.nanoCpus ? c.limits.nanoCpus / 1e9 : undefined,
      memory: c.limits.memoryBytes ? c.limits.memoryBytes / 1024 ** 3 : undefined,
    });
  }
  // PostgreSQL wants more shared memory than Docker's 64 MiB, as CNPG pods get it.
  if (c.ports.some((p) => p.name === "postgresql" && p.containerPort === 5432) && c.image !== "haproxy")
    builder = builder.withSharedMemorySize(256 * 2 ** 20);
  stopIfInterrupted(ctx, name);
  const started = await builder.start();
  ctx.started.set(name, started);
  ctx.state.config[name] = configDigest(c);
  if (c.replica === 1)
    for (const p of c.ports)
      ctx.state.ports[`${c.workload}:${p.containerPort}`] = started.getMappedPort(p.containerPort);
  // Its address is known now: it joins the rules before anything waits on it.
  await ctx.enforcer?.apply();
  ctx.progress(`  ${replicaName(c)}: started`);
  return started;
}

/** What the supervisor looks after: liveness (not exec probes), readiness, and scheduled backups. */
function probeLabels(c: ContainerPlan): Record<string, string> {
  const l = c.liveness;
  return {
    [LABEL.container]: c.container,
    ...(l && l.kind !== "exec" ? { [LABEL.liveness]: JSON.stringify(l) } : {}),
    ...(c.readiness ? { [LABEL.readiness]: JSON.stringify(c.readiness) } : {}),
    ...(c.backupSchedules ? { [LABEL.backupSchedules]: JSON.stringify(c.backupSchedules) } : {}),
  };
}
