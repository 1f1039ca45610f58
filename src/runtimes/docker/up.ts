import { createHash } from "node:crypto";
import type { EnvFile } from "../../config/env-file.ts";
import { migrate } from "../../db/migrate.ts";
import { docker, dockerMaybe, ensureEngine } from "../../docker/cli.ts";
import { lastLogLines } from "../../docker/logs.ts";
import { removeResources } from "../../docker/resources.ts";
import { GenericContainer } from "../../docker/testcontainers.ts";
import { WorkloadContainer } from "../../docker/workload-container.ts";
import { envResources, prefix, type Step } from "../../env/environment.ts";
import { type EnvState, readEnvState, writeEnvState } from "../../env/state.ts";
import { UserError } from "../../errors.ts";
import { imageForReference, loadImageMap } from "../../images/image-map.ts";
import { resolveImages } from "../../images/resolve.ts";
import { currentRun, devstackLabels, labelArgs, runIsAlive } from "../../labels.ts";
import { planObjects } from "../../manifests/plan.ts";
import { renderOverlay } from "../../manifests/render.ts";
import type { CompiledFirewall } from "../../netpol/nftables.ts";
import { seed } from "../../seed/seed.ts";
import {
  type FirewallConfig,
  firewallConfig,
  hostEnforcer,
  POD_LABEL,
  podLabel,
  podsOffNetwork,
  policyModel,
  runningContainers,
} from "./firewall.ts";
import { probeOnce, startedOnly, waitUntilReady } from "./probe.ts";
import { generateSecrets } from "./secrets.ts";
import { type ContainerPlan, translate } from "./translate.ts";

/** Endpoints of LoadBalancer Services are recorded as `loadbalancer/<service>`. */
export const LOAD_BALANCER_PREFIX = "loadbalancer/";

export const containerName = (env: string, c: ContainerPlan) => `${prefix(env)}-${c.workload}-${c.replica}`;
const seconds = (since: number) => `${((performance.now() - since) / 1000).toFixed(1)}s`;

/**
 * The containers an env file's manifests translate to, with this environment's secrets, and its
 * NetworkPolicy model. Everything is checked here, before anything starts.
 */
export async function containersOf(envFile: EnvFile, previousSecrets?: EnvState["secrets"]) {
  const map = loadImageMap();
  const plan = planObjects(await renderOverlay(envFile.overlay), `kind/overlays/${envFile.overlay}`);
  const secrets = generateSecrets(plan, previousSecrets);
  const containers = translate(plan, secrets, (reference, owner) => {
    const image = imageForReference(map, reference);
    if (!image)
      throw new UserError(`${owner}: image ${reference} is not in images/images.yaml (as upstream or alias)`);
    return image;
  });
  return { plan, secrets, containers, policies: policyModel(plan) };
}

/**
 * Brings environment `name` up from its env file: renders the overlay, checks it, then runs it as
 * containers on the environment's own network — the database first (then migrations and seed),
 * then every other workload, each gated on its readiness probe. NetworkPolicies are in force from
 * the moment the network exists. Idempotent: a ready environment whose containers all pass their
 * probes is kept (its policies re-applied, in case they changed); anything else left by an earlier
 * run is removed (data volumes and generated secrets stay) and started again.
 */
export async function upEnvironment(
  name: string,
  envFile: EnvFile,
  step: Step,
): Promise<{ state: EnvState; reused: boolean }> {
  await ensureEngine();
  const existing = readEnvState(name);
  const { secrets, containers, policies } = await containersOf(envFile, existing?.secrets);
  const network = prefix(name);
  const labels = devstackLabels({ purpose: "env", env: name, ttlMs: envFile.ttl });

  if (existing?.status === "ready") {
    const checks = await Promise.all(
      containers.map((c) =>
        probeOnce(containerName(name, c), c.readiness, (port) => existing.ports[`${c.workload}:${port}`]),
      ),
    );
    // Containers made by an older DevStack may carry no pod label (the firewall would not know
    // them) or sit on Docker's default bridge too (out of the firewall's reach): such an
    // environment is recreated rather than reused.
    const contained = async () => {
      const running = await runningContainers(network);
      const pods = running.filter((c) => c.labels[POD_LABEL]);
      return pods.length === containers.length && podsOffNetwork(running, network).length === 0;
    };
    if (checks.every(Boolean) && (await contained())) {
      const firewall = await firewallConfig(name, policies);
      reportPolicies(step, await hostEnforcer(firewall).apply());
      await startSupervisor(name, firewall, labels);
      return { state: existing, reused: true };
    }
  }
  if (existing?.status === "starting" && existing.run !== currentRun() && runIsAlive(existing.run)) {
    throw new UserError(`environment '${name}' is being brought up by another run (${existing.run})`);
  }
  const leftovers = (await envResources(name)).filter((r) => r.kind !== "volume");
  if (leftovers.length > 0) {
    step(`removing ${leftovers.length} leftover resource(s) of an earlier run`);
    await removeResources(leftovers);
  }

  const now = new Date();
  const state: EnvState = {
    name,
    env: envFile.name,
    status: "starting",
    run: currentRun(),
    createdAt: now.toISOString(),
    expiresAt: new Date(now.getTime() + envFile.ttl).toISOString(),
    ports: {},
    endpoints: {},
    secrets,
  };
  writeEnvState(state);

  const images = await resolveImages({ names: [...new Set(containers.map((c) => c.image))], silent: true });
  await docker(["network", "create", ...labelArgs(labels), network]);
  // Policies first: from here on, a container that starts can talk only as they allow.
  const firewall = await firewallConfig(name, policies);
  const enforcer = hostEnforcer(firewall);
  await enforcer.apply();
  step(
    `network ${network}; ${containers.length} container(s) from kind/overlays/${envFile.overlay}; ${policies.policies.length} NetworkPolicies enforced on ${firewall.bridge}`,
  );

  const start = async (c: ContainerPlan) => {
    const began = performance.now();
    const container = containerName(name, c);
    let builder = new WorkloadContainer(images.get(c.image)?.ref ?? c.image)
      .withName(container)
      .withLabels({
        ...c.labels,
        ...labels,
        "dev.azora.devstack.workload": c.workload,
        ...livenessLabel(c),
        ...podLabel(c),
      })
      .withSoleNetwork(network, c.aliases)
      .withEnvironment(c.env)
      .withExposedPorts(...c.ports.map((p) => p.containerPort))
      .withWaitStrategy(startedOnly)
      .withStartupTimeout(envFile.startupTimeout);
    if (c.command) builder = builder.withEntrypoint(c.command);
    if (c.args) builder = builder.withCommand(c.args);
    if (c.limits.nanoCpus || c.limits.memoryBytes) {
      builder = builder.withResourcesQuota({
        cpu: c.limits.nanoCpus ? c.limits.nanoCpus / 1e9 : undefined,
        memory: c.limits.memoryBytes ? c.limits.memoryBytes / 1024 ** 3 : undefined,
      });
    }
    if (c.files.length > 0)
      builder = builder.withCopyContentToContainer(
        c.files.map((f) => ({ content: f.content, target: f.path })),
      );
    if (c.kind === "Cluster") {
      // Data survives `down --keep-data` and interrupted runs; shared memory as CNPG pods get it.
      const volume = `${container}-data`;
      if (!(await envResources(name)).some((r) => r.kind === "volume" && r.name === volume)) {
        await docker(["volume", "create", ...labelArgs(labels), volume]);
      }
      builder = builder
        .withBindMounts([{ source: volume, target: "/var/lib/postgresql/data" }])
        .withSharedMemorySize(256 * 2 ** 20);
    }
    step(`${c.workload}${c.replica > 1 ? ` #${c.replica}` : ""}: starting`);
    try {
      const started = await builder.start();
      // Its address is known now: it joins the rules before anything waits on it.
      await enforcer.apply();
      await waitUntilReady(
        container,
        c.readiness,
        (port) => started.getMappedPort(port),
        envFile.startupTimeout,
      );
      step(`${c.workload}${c.replica > 1 ? ` #${c.replica}` : ""}: ready in ${seconds(began)}`);
      if (c.replica === 1)
        for (const p of c.ports)
          state.ports[`${c.workload}:${p.containerPort}`] = started.getMappedPort(p.containerPort);
    } catch (error) {
      throw new UserError(
        `workload '${c.workload}' of environment '${name}' did not become ready: ${(error as Error).message}`,
        `last log lines of ${container}:\n${(await lastLogLines(container)).replace(/^/gm, "  | ")}\nInspect with \`pnpm dev:logs\` or \`docker logs ${container}\`; remove with \`pnpm dev:down --name ${name}\`.`,
      );
    }
  };

  // The database first: the schema and seed must be in place before services take traffic.
  const databases = containers.filter((c) => c.kind === "Cluster");
  await Promise.all(databases.map(start));
  recordEndpoints(state, containers);
  writeEnvState(state);
  const postgres = state.endpoints.postgres;
  if (postgres) {
    const began = performance.now();
    const applied = await migrate(postgres);
    step(
      `migrations: ${applied.length === 0 ? "schema up to date" : `applied ${applied.join(", ")}`} (${seconds(began)})`,
    );
    if (envFile.seed.size !== "none") {
      const seeded = await seed(postgres, { size: envFile.seed.size, seed: envFile.seed.seed });
      step(
        `seed ${envFile.seed.size}: ${seeded.applied ? `loaded in ${(seeded.totalMs / 1000).toFixed(1)}s` : "already loaded"}`,
      );
    }
  }
  await Promise.all(containers.filter((c) => c.kind !== "Cluster").map(start));

  reportPolicies(step, await enforcer.apply());
  await startSupervisor(name, firewall, labels);
  step("supervisor: watching liveness probes and container addresses");

  recordEndpoints(state, containers);
  const ready: EnvState = { ...state, status: "ready" };
  writeEnvState(ready);
  return { state: ready, reused: false };
}

/** Host-side URLs: the database and Redis with credentials, HTTP services by name, LoadBalancers. */
function recordEndpoints(state: EnvState, containers: ContainerPlan[]) {
  for (const c of containers.filter((x) => x.replica === 1)) {
    const port = (containerPort: number) => state.ports[`${c.workload}:${containerPort}`];
    for (const lb of c.loadBalancers)
      if (port(lb.port))
        state.endpoints[`${LOAD_BALANCER_PREFIX}${lb.service}`] = `http://127.0.0.1:${port(lb.port)}`;
    if (c.kind === "Cluster" && port(5432)) {
      state.endpoints.postgres ??= `postgresql://${c.env.POSTGRES_USER}:${c.env.POSTGRES_PASSWORD}@127.0.0.1:${port(5432)}/${c.env.POSTGRES_DB}`;
    } else if (c.image === "redis" && port(6379)) {
      state.endpoints.redis = `redis://:${c.env.REDIS_PASSWORD ?? ""}@127.0.0.1:${port(6379)}`;
    } else if (c.readiness?.kind === "http" && port(c.readiness.port)) {
      state.endpoints[c.workload] = `http://127.0.0.1:${port(c.readiness.port)}`;
    }
  }
}

function reportPolicies(step: Step, firewall: CompiledFirewall) {
  const { policies, pods, elements, rules } = firewall.stats;
  step(
    `network policies: ${policies} policies over ${pods} pods -> ${elements} set elements and ${rules} rules in table inet ${firewall.table}`,
  );
}

/**
 * The supervisor: restarts containers whose liveness probe fails (the kubelet's job) and re-applies
 * the firewall when a container comes back with another address (Calico's). It runs in the host's
 * network namespace, like a node agent: it needs the host's nftables, and its probes, like the
 * kubelet's, are not pod traffic. It is replaced when the policies it enforces changed.
 */
async function startSupervisor(name: string, firewall: FirewallConfig, labels: Record<string, string>) {
  const config = JSON.stringify(firewall);
  const digest = createHash("sha256").update(config).digest("hex").slice(0, 16);
  const container = `${prefix(name)}-supervisor`;
  const current = await dockerMaybe([
    "inspect",
    "--format",
    '{{index .Config.Labels "dev.azora.devstack.firewall"}}',
    container,
  ]);
  if (current === digest) return;
  if (current !== undefined) await docker(["rm", "--force", container]);
  const supervisor = (await resolveImages({ names: ["supervisor"], silent: true })).get("supervisor");
  await new GenericContainer(supervisor?.ref ?? "supervisor")
    .withName(container)
    .withLabels({
      ...labels,
      "dev.azora.devstack.workload": "supervisor",
      "dev.azora.devstack.firewall": digest,
    })
    .withNetworkMode("host")
    .withAddedCapabilities("NET_ADMIN")
    .withEnvironment({ DEVSTACK_ENV: name, DEVSTACK_FIREWALL: config })
    .withBindMounts([{ source: "/var/run/docker.sock", target: "/var/run/docker.sock" }])
    .withWaitStrategy(startedOnly)
    .start();
}

/** The liveness probe as a label the supervisor reads (HTTP and TCP probes; exec is not supervised). */
function livenessLabel(c: ContainerPlan): Record<string, string> {
  const l = c.liveness;
  if (!l || l.kind === "exec") return {};
  return { "dev.azora.devstack.liveness": JSON.stringify(l) };
}
