import { stringify } from "yaml";
import type { EnvFile } from "../../config/env-file.ts";
import { LABEL, owner } from "../../labels.ts";
import { prefix } from "./names.ts";
import type { ContainerPlan, Probe } from "./translate.ts";

// Compose interpolates `$VAR` in the file; values are literal here, so every `$` is doubled.
const literal = (text: string) => text.replaceAll("$", "$$$$");
const literalEnv = (env: Record<string, string>) =>
  Object.fromEntries(Object.entries(env).map(([k, v]) => [k, literal(v)]));

/**
 * A readiness probe as a compose healthcheck, run inside the container. An HTTP probe needs a
 * client in the image: Node's fetch where the image has Node; elsewhere (the gateway) there is
 * none, and compose waits for the container to run instead.
 */
function healthcheck(probe: Probe | undefined, hasNode: boolean) {
  if (!probe) return undefined;
  const timing = { interval: "1s", timeout: "3s", retries: 120 };
  if (probe.kind === "exec") return { test: ["CMD", ...probe.command.map(literal)], ...timing };
  if (probe.kind === "http" && hasNode) {
    const script = `fetch('http://127.0.0.1:${probe.port}${probe.path}').then(r=>process.exit(r.status===200?0:1),()=>process.exit(1))`;
    return { test: ["CMD", "node", "-e", script], ...timing };
  }
  return undefined;
}

/**
 * The same environment as a docker compose file: the containers the runtime would start, in the
 * same order (database, then the db-init job for migrations and seed, then every other workload,
 * each waiting for the health of what it follows), with the same env, aliases, limits and
 * loopback-only ports. Secret values are inlined, so the file must stay private.
 */
export function composeFile(opts: {
  name: string;
  envFile: EnvFile;
  containers: ContainerPlan[];
  refs: Map<string, string>;
  initImage: string;
  /** Whether a logical image has Node (for HTTP healthchecks). */
  hasNode: (image: string) => boolean;
}): string {
  const { containers, refs } = opts;
  // Found by env:list and the test suite's leak check; no `run` or `expires` label, so env:gc never
  // collects a stack someone runs by hand.
  const devstack = {
    [LABEL.managed]: "true",
    [LABEL.purpose]: "compose",
    [LABEL.env]: `${opts.name}-compose`,
    [LABEL.owner]: owner(),
  };
  const firstReplicas = containers.filter((c) => c.replica === 1);
  const database = firstReplicas.find((c) => c.kind === "Cluster");
  const services: Record<string, object> = {};
  const configs: Record<string, object> = {};
  const volumes: Record<string, object> = {};

  for (const c of firstReplicas) {
    const replicas = containers.filter((x) => x.workload === c.workload).length;
    const filesOf = (owner: string, files: ContainerPlan["files"]) =>
      files.map((f, i) => {
        configs[`${owner}-file-${i}`] = { content: literal(f.content) };
        return { source: `${owner}-file-${i}`, target: f.path, mode: f.mode };
      });
    const files = filesOf(c.workload, c.files);
    // The pod's volumes, a named volume each. emptyDirs are made writable by whoever runs in the
    // pod (as on Kubernetes); claims and the database's data are left to their image (Postgres
    // wants its data folder private). Then its init containers in order, each waiting for the one
    // before.
    const podVolumes = [...c.volumes, ...c.init.flatMap((i) => i.volumes)];
    for (const v of podVolumes) volumes[`${c.workload}-${v.name}`] = { labels: devstack };
    const emptyDirs = [...new Set(podVolumes.filter((v) => !v.persistent).map((v) => v.name))];
    const mounts = (vs: ContainerPlan["volumes"]) =>
      vs.map((v) => `${c.workload}-${v.name}:${v.path}${v.readOnly ? ":ro" : ""}`);
    let before: Record<string, { condition: string }> = {};
    if (emptyDirs.length > 0) {
      services[`${c.workload}-emptydirs`] = {
        image: refs.get(c.init[0]?.image ?? c.image) ?? c.image,
        user: "0",
        entrypoint: ["chmod", "1777", ...emptyDirs.map((v) => `/emptydir/${v}`)],
        volumes: emptyDirs.map((v) => `${c.workload}-${v}:/emptydir/${v}`),
        labels: devstack,
        restart: "no",
      };
      before = { [`${c.workload}-emptydirs`]: { condition: "service_completed_successfully" } };
    }
    for (const init of c.init) {
      const service = `${c.workload}-init-${init.name}`;
      const initFiles = filesOf(service, init.files);
      services[service] = {
        image: refs.get(init.image) ?? init.image,
        ...(init.command ? { entrypoint: init.command.map(literal) } : {}),
        ...(init.args ? { command: init.args.map(literal) } : {}),
        environment: literalEnv(init.env),
        ...(initFiles.length > 0 ? { configs: initFiles } : {}),
        ...(init.volumes.length > 0 ? { volumes: mounts(init.volumes) } : {}),
        labels: devstack,
        depends_on: before,
        restart: "no",
      };
      before = { [service]: { condition: "service_completed_successfully" } };
    }
    services[c.workload] = {
      image: refs.get(c.image) ?? c.image,
      ...(c.command ? { entrypoint: c.command.map(literal) } : {}),
      ...(c.args ? { command: c.args.map(literal) } : {}),
      environment: literalEnv(c.env),
      labels: { ...c.labels, ...devstack },
      networks: { default: { aliases: c.aliases.filter((a) => a !== c.workload) } },
      ports: c.ports.map((p) => `127.0.0.1::${p.containerPort}`),
      ...(files.length > 0 ? { configs: files } : {}),
      ...(c.volumes.length > 0 ? { volumes: mounts(c.volumes) } : {}),
      ...(c.kind === "Cluster" ? { shm_size: "256m" } : {}),
      ...(c.limits.nanoCpus ? { cpus: c.limits.nanoCpus / 1e9 } : {}),
      ...(c.limits.memoryBytes ? { mem_limit: c.limits.memoryBytes } : {}),
      ...(replicas > 1 ? { deploy: { replicas } } : {}),
      healthcheck: healthcheck(c.readiness, opts.hasNode(c.image)),
      ...(c.kind !== "Cluster"
        ? { depends_on: { ...before, "db-init": { condition: "service_completed_successfully" } } }
        : {}),
      restart: "unless-stopped",
    };
  }
  if (database) {
    services["db-init"] = {
      image: opts.initImage,
      environment: literalEnv({
        DATABASE_URL: `postgresql://${database.env.POSTGRES_USER}:${database.env.POSTGRES_PASSWORD}@${database.aliases[0]}:5432/${database.env.POSTGRES_DB}`,
        SEED_SIZE: opts.envFile.seed.size,
        SEED: String(opts.envFile.seed.seed),
      }),
      labels: devstack,
      depends_on: { [database.workload]: { condition: "service_healthy" } },
      restart: "no",
    };
  }
  const header = [
    `# Environment '${opts.name}' (envs/${opts.envFile.name}.yaml, kind/overlays/${opts.envFile.overlay}) as a compose file,`,
    "# exported by `pnpm dev:export compose`. It holds generated secrets: keep it private.",
    "# Run: docker compose -f FILE up --wait     Stop: docker compose -f FILE down --volumes",
    "# NetworkPolicies are NOT enforced under compose (every container can reach every other):",
    "# `pnpm dev:up` enforces them with nftables rules on the environment's bridge.",
  ].join("\n");
  return `${header}\n${stringify(
    {
      name: `${prefix(opts.name)}-compose`,
      services,
      configs,
      volumes,
      networks: { default: { labels: devstack } },
    },
    { lineWidth: 0 },
  )}`;
}
