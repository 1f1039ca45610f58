import { docker, dockerMaybe } from "../../../docker/cli.ts";
import { removeResources } from "../../../docker/resources.ts";
import type { StartedTestContainer } from "../../../docker/testcontainers.ts";
import { WorkloadContainer } from "../../../docker/workload-container.ts";
import { writeEnvState } from "../../../env/state.ts";
import { LABEL, labelArgs } from "../../../labels.ts";
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
 * Every pod of the environment as a container on its network, all started at once (the database's
 * first): nothing here waits for readiness, so services boot while Postgres initialises. Services
 * connect to their dependencies on demand, as on Kubernetes, where pods start in no fixed order.
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
        c.kind === "StatefulSet" && c.replica > 1 ? `once ${c.workload}-${c.replica - 2} is ready` : "",
        c.init.length > 0
          ? `after init containers ${c.init.map((i) => `${i.name} (image ${i.image})`).join(", ")}`
          : "",
      ]
        .filter(Boolean)
        .join(", "),
    ),
  async execute(ctx) {
    // A StatefulSet's pods start in order, each once the one before is ready (OrderedReady).
    const previous = new Map<string, Promise<unknown>>();
    for (const c of ordered(ctx.containers)) {
      const before = c.kind === "StatefulSet" ? previous.get(c.workload) : undefined;
      const started = (async () => {
        await before;
        return start(ctx, c);
      })();
      ctx.starting.set(containerName(ctx.name, c), started);
      if (c.kind === "StatefulSet")
        previous.set(
          c.workload,
          started.then(() => waitForReadiness(ctx, [c])),
        );
    }
    await Promise.all([...ctx.starting.values(), ...previous.values()]);
    ctx.state.endpoints = endpointsOf(ctx.state.ports, ctx.containers, ctx.state.secrets);
    writeEnvState(ctx.state);
    return `${ctx.starting.size} started on ${ctx.network}`;
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
    if (v.persistent) {
      const labels = v.repository ? backupRepositoryLabels(ctx.name, ctx.prepared.envFile) : ctx.labels;
      if (!(await dockerMaybe(["volume", "inspect", volume])))
        await docker(["volume", "create", ...labelArgs(labels), volume]);
      continue;
    }
    await docker(["volume", "create", ...labelArgs(ctx.labels), volume]);
    // An emptyDir is writable by every container of the pod, whatever user it runs as.
    const tool = image(c.init[0]?.image ?? c.image);
    await docker([
      "run",
      "--rm",
      ...labelArgs(ctx.labels),
      "--user",
      "0",
      "--network",
      "none",
      "--entrypoint",
      "chmod",
      "-v",
      `${volume}:/v`,
      tool,
      "1777",
      "/v",
    ]);
  }
  for (const init of c.init) {
    stopIfInterrupted(ctx, name);
    await runInit(ctx, c, init, image(init.image), emptyDirs);
  }

  let builder = withPodParts(new WorkloadContainer(image(c.image)), c, emptyDirs)
    .withName(name)
    .withLabels({
      ...c.labels,
      ...ctx.labels,
      [LABEL.workload]: c.workload,
      ...probeLabels(c),
      ...podLabel(c),
    })
    .withSoleNetwork(ctx.network, c.aliases)
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
