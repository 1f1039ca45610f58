import { UserError } from "../../errors.ts";
import type { Plan } from "../../manifests/plan.ts";
import { nanoCpus, scaledQuantity } from "../../manifests/quantities.ts";
import type { SecretValues } from "../../manifests/secrets.ts";
import { serviceSelects } from "../../netpol/selector.ts";
import { type BackupSchedule, backupSchedules } from "./backup-schedule.ts";
import { clusterContainers } from "./cluster.ts";
import { backsUp } from "./cluster-backup.ts";
import {
  type K8sVolume,
  type K8sVolumeMount,
  mountsOf,
  type PodFile,
  type PodVolume,
} from "./pod-volumes.ts";

export type Probe = (
  | { kind: "http"; path: string; port: number }
  | { kind: "exec"; command: string[] }
  | { kind: "tcp"; port: number }
) & {
  periodSeconds: number;
  failureThreshold: number;
};

/** One container to run: a replica of a Deployment/StatefulSet, or an instance of a Cluster. */
export interface ContainerPlan {
  workload: string;
  /** The Kubernetes namespace of the pod it stands for (NetworkPolicy selectors look at it). */
  namespace: string;
  kind: string;
  /** 1 for the first replica (Deployment, StatefulSet) or instance (Cluster). */
  replica: number;
  /** The pod's name: `user-service-1`; a StatefulSet's are `redis-0`, `redis-1`, ... as on Kubernetes. */
  pod: string;
  /** The name of the pod's container in the manifests (kube-state-metrics' `container` label). */
  container: string;
  /** Logical image name from images/images.yaml. */
  image: string;
  env: Record<string, string>;
  command?: string[];
  args?: string[];
  /** DNS names on the environment's network: every Service selecting the pod (and CNPG's -rw/-ro/-r). */
  aliases: string[];
  /** Ports of LoadBalancer Services selecting the pod: the environment's entry points on 127.0.0.1. */
  loadBalancers: { service: string; port: number }[];
  ports: { name?: string; containerPort: number; protocol: string }[];
  labels: Record<string, string>;
  readiness?: Probe;
  liveness?: Probe;
  limits: { nanoCpus?: number; memoryBytes?: number };
  /** Files to place in the container before it starts (ConfigMap and Secret volumes, CNPG's post-init SQL). */
  files: PodFile[];
  /** The pod's emptyDir volumes this container mounts. */
  volumes: PodVolume[];
  /** The pod's init containers, run in order to completion before it starts. */
  init: InitContainerPlan[];
  /** What to call when the pod's configuration changed and it is kept running (see CONFIG_HOOK_ANNOTATION). */
  onConfigChange?: ConfigHook;
  /** The endpoint of the environment this pod serves on its first port, e.g. `postgres`. */
  endpoint?: string;
  /** A Cluster instance's ScheduledBackups, which the supervisor runs. */
  backupSchedules?: BackupSchedule[];
}

/** An init container of a pod: same environment rules, files and emptyDir volumes as the container. */
export interface InitContainerPlan {
  name: string;
  image: string;
  env: Record<string, string>;
  command?: string[];
  args?: string[];
  files: PodFile[];
  volumes: PodVolume[];
}

/**
 * The pod annotation that tells DevStack how a pod takes new configuration without a restart: an
 * HTTP request to itself, e.g. Tyk's `{"method":"POST","port":8080,"path":"/tyk/reload/group",
 * "headers":{"x-tyk-authorization":"$(TYK_GW_SECRET)"}}` (`$(VAR)` from the container's env).
 */
export const CONFIG_HOOK_ANNOTATION = "devstack.azora.dev/on-config-change";
export interface ConfigHook {
  method: string;
  port: number;
  path: string;
  headers: Record<string, string>;
}

interface Container {
  name: string;
  image: string;
  command?: string[];
  args?: string[];
  env?: {
    name: string;
    value?: string;
    valueFrom?: {
      configMapKeyRef?: { name: string; key: string };
      secretKeyRef?: { name: string; key: string };
      fieldRef?: { fieldPath: string };
    };
  }[];
  envFrom?: { configMapRef?: { name: string }; secretRef?: { name: string } }[];
  volumeMounts?: K8sVolumeMount[];
  ports?: { name?: string; containerPort: number; protocol?: string }[];
  readinessProbe?: K8sProbe;
  livenessProbe?: K8sProbe;
  resources?: { limits?: { cpu?: string; memory?: string } };
}
interface K8sProbe {
  httpGet?: { path?: string; port: number | string };
  exec?: { command: string[] };
  tcpSocket?: { port: number | string };
  periodSeconds?: number;
  failureThreshold?: number;
}

/** Kubernetes' `$(VAR)` expansion: a reference to a variable defined earlier is replaced; `$$(VAR)` escapes. */
export function expand(text: string, vars: Record<string, string>): string {
  return text.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (all, name: string | undefined) =>
    all === "$$" ? "$" : name !== undefined && name in vars ? (vars[name] ?? "") : all,
  );
}

/**
 * Turns the checked plan into the containers the Docker runtime starts. Pure: everything comes
 * from the rendered manifests, the environment's secret values and the image map.
 */
export function translate(
  plan: Plan,
  secrets: SecretValues,
  imageFor: (reference: string, owner: string) => string,
): ContainerPlan[] {
  const problems: string[] = [];
  const configMaps = new Map(
    plan.run.filter((o) => o.kind === "ConfigMap").map((o) => [o.metadata.name, o.data ?? {}]),
  );
  const services = plan.run.filter((o) => o.kind === "Service");
  const containers: ContainerPlan[] = [];

  for (const o of plan.run.filter((x) => x.kind === "Deployment" || x.kind === "StatefulSet")) {
    const owner = `${o.kind}/${o.metadata.name}`;
    const pod = o.spec?.template ?? {};
    const labels: Record<string, string> = pod.metadata?.labels ?? {};
    const podContainers: Container[] = pod.spec?.containers ?? [];
    if (podContainers.length !== 1)
      problems.push(
        `${owner}: the Docker runtime runs pods of exactly one container (found ${podContainers.length})`,
      );
    const c = podContainers[0];
    if (!c) continue;
    const ports = (c.ports ?? []).map((p) => ({
      name: p.name,
      containerPort: p.containerPort,
      protocol: p.protocol ?? "TCP",
    }));
    const portNumber = (port: number | string) =>
      typeof port === "number" ? port : (ports.find((p) => p.name === port)?.containerPort ?? Number.NaN);

    const podNameOf = (replica: number) =>
      o.kind === "StatefulSet" ? `${o.metadata.name}-${replica - 1}` : `${o.metadata.name}-${replica}`;
    // A StatefulSet's claims are volumes of each pod, kept like data (volumeClaimTemplates).
    const claims: K8sVolume[] = (o.kind === "StatefulSet" ? (o.spec?.volumeClaimTemplates ?? []) : []).map(
      (t: { metadata: { name: string } }) => ({ name: t.metadata.name, persistent: true }),
    );
    const podVolumes: K8sVolume[] = [...(pod.spec?.volumes ?? []), ...claims];
    const namespace = o.metadata.namespace ?? "default";
    // Problems are reported for the first replica; the others repeat them.
    const run = (container: Container, what: string, podName: string) => {
      const found = podName === podNameOf(1) ? problems : [];
      const env = environmentOf(what, container, configMaps, secrets, { name: podName, namespace }, found);
      const mounts = mountsOf(what, container.volumeMounts ?? [], podVolumes, configMaps, secrets, found);
      return {
        env,
        command: container.command?.map((a) => expand(a, env)),
        args: container.args?.map((a) => expand(a, env)),
        ...mounts,
      };
    };
    const main = run(c, `${owner} container ${c.name}`, podNameOf(1));
    const env = main.env;
    const initOf = (pod: string): InitContainerPlan[] =>
      ((o.spec?.template?.spec?.initContainers ?? []) as Container[]).map((ic) => ({
        name: ic.name,
        image: imageFor(ic.image, `${owner} initContainer ${ic.name}`),
        ...run(ic, `${owner} initContainer ${ic.name}`, pod),
      }));
    const onConfigChange = configHook(
      pod.metadata?.annotations?.[CONFIG_HOOK_ANNOTATION],
      env,
      owner,
      problems,
    );
    // Per-pod DNS through the StatefulSet's governing (headless) Service: `redis-0.redis`.
    const governing: string | undefined = o.kind === "StatefulSet" ? o.spec?.serviceName : undefined;

    const probe = (p: K8sProbe | undefined, what: string): Probe | undefined => {
      if (!p) return undefined;
      const timing = { periodSeconds: p.periodSeconds ?? 10, failureThreshold: p.failureThreshold ?? 3 };
      if (p.httpGet)
        return { kind: "http", path: p.httpGet.path ?? "/", port: portNumber(p.httpGet.port), ...timing };
      if (p.exec) return { kind: "exec", command: p.exec.command, ...timing };
      if (p.tcpSocket) return { kind: "tcp", port: portNumber(p.tcpSocket.port), ...timing };
      problems.push(`${owner}: ${what} has no httpGet, exec or tcpSocket handler`);
      return undefined;
    };

    // Docker has no kube-proxy: a Service is a DNS alias, so its port must be the container's port.
    const aliases: string[] = [];
    const loadBalancers: ContainerPlan["loadBalancers"] = [];
    for (const s of services.filter((svc) => serviceSelects(svc.spec?.selector, labels))) {
      aliases.push(s.metadata.name);
      for (const p of s.spec?.ports ?? []) {
        if (s.spec?.type === "LoadBalancer") loadBalancers.push({ service: s.metadata.name, port: p.port });
        const target = portNumber(p.targetPort ?? p.port);
        if (target !== p.port)
          problems.push(
            `Service/${s.metadata.name}: port ${p.port} must equal its target port (${p.targetPort} = ${target}) on the Docker runtime, which has no kube-proxy`,
          );
      }
    }

    const limits = c.resources?.limits ?? {};
    const image = imageFor(c.image, owner);
    for (let replica = 1; replica <= (o.spec?.replicas ?? 1); replica++) {
      const name = podNameOf(replica);
      const own = replica === 1 ? main : run(c, `${owner} container ${c.name}`, name);
      const init = initOf(name);
      containers.push({
        workload: o.metadata.name,
        namespace,
        kind: o.kind,
        replica,
        pod: name,
        container: c.name,
        image,
        env: own.env,
        command: own.command,
        args: own.args,
        aliases: governing
          ? [...aliases, `${name}.${governing}`, `${name}.${governing}.${namespace}.svc.cluster.local`]
          : aliases,
        loadBalancers,
        ports,
        labels,
        readiness: probe(c.readinessProbe, "readinessProbe"),
        liveness: probe(c.livenessProbe, "livenessProbe"),
        limits: dockerLimits(limits, owner),
        files: own.files,
        volumes: own.volumes,
        init,
        ...(onConfigChange ? { onConfigChange } : {}),
      });
    }
  }

  const schedules = backupSchedules(plan.run, problems);
  for (const cluster of plan.run.filter((x) => x.kind === "Cluster")) {
    const owner = `Cluster/${cluster.metadata.name}`;
    // The instances stand in for CloudNativePG's: the postgres image under its own entrypoint, not
    // the Cluster's image (cnpg-postgres, the operand the operator runs on Kind). The reference is
    // still checked against the image map, as on Kind.
    imageFor(cluster.spec?.imageName ?? "", owner);
    const instances = clusterContainers(
      cluster,
      secrets,
      "postgres",
      dockerLimits(cluster.spec?.resources?.limits ?? {}, owner),
      (logical) => logical,
      problems,
    );
    // Every instance carries the schedules; the one that is the primary when they fire takes the
    // backup (backup-schedule.ts).
    const scheduled = schedules.get(cluster.metadata.name);
    for (const c of instances) if (scheduled && backsUp(c)) c.backupSchedules = scheduled;
    containers.push(...instances);
  }
  if (problems.length > 0)
    throw new UserError(`the manifests cannot run on Docker\n  ${problems.join("\n  ")}`);
  return containers;
}

/** Kubernetes resource limits as Docker's. */
function dockerLimits(limits: { cpu?: string; memory?: string }, owner: string): ContainerPlan["limits"] {
  return {
    nanoCpus: limits.cpu === undefined ? undefined : nanoCpus(limits.cpu, `${owner} resources.limits.cpu`),
    memoryBytes:
      limits.memory === undefined
        ? undefined
        : scaledQuantity(limits.memory, `${owner} resources.limits.memory`),
  };
}

/** A container's environment, in Kubernetes order: envFrom first, then env entries, each able to use earlier ones. */
function environmentOf(
  owner: string,
  c: Container,
  configMaps: ReadonlyMap<string, Record<string, string>>,
  secrets: SecretValues,
  pod: { name: string; namespace: string },
  problems: string[],
): Record<string, string> {
  // The downward API's fields that are known before the pod starts.
  const fields: Record<string, string> = { "metadata.name": pod.name, "metadata.namespace": pod.namespace };
  const env: Record<string, string> = {};
  for (const from of c.envFrom ?? []) {
    if (from.configMapRef) Object.assign(env, configMaps.get(from.configMapRef.name) ?? {});
    if (from.secretRef) Object.assign(env, secrets[from.secretRef.name] ?? {});
  }
  for (const e of c.env ?? []) {
    const cm = e.valueFrom?.configMapKeyRef;
    const sec = e.valueFrom?.secretKeyRef;
    const field = e.valueFrom?.fieldRef?.fieldPath;
    env[e.name] = cm
      ? (configMaps.get(cm.name)?.[cm.key] ?? "")
      : sec
        ? (secrets[sec.name]?.[sec.key] ?? "")
        : field !== undefined
          ? (fields[field] ?? "")
          : expand(e.value ?? "", env);
    if (field !== undefined && !(field in fields))
      problems.push(
        `${owner} env ${e.name}: fieldRef ${field} is not known before the pod starts on Docker (known: ${Object.keys(fields).join(", ")})`,
      );
  }
  return env;
}

/** The pod's config-change hook (CONFIG_HOOK_ANNOTATION), its `$(VAR)`s expanded from the container's env. */
function configHook(
  text: string | undefined,
  env: Record<string, string>,
  owner: string,
  problems: string[],
): ConfigHook | undefined {
  if (text === undefined) return undefined;
  const where = `${owner} annotation ${CONFIG_HOOK_ANNOTATION}`;
  let hook: Partial<ConfigHook>;
  try {
    hook = JSON.parse(text) as Partial<ConfigHook>;
  } catch (error) {
    problems.push(`${where}: not JSON (${(error as Error).message})`);
    return undefined;
  }
  if (typeof hook.method !== "string" || typeof hook.path !== "string" || !Number.isInteger(hook.port)) {
    problems.push(`${where}: expected {"method", "port", "path", "headers"?}, got ${text}`);
    return undefined;
  }
  const headers = Object.fromEntries(
    Object.entries(hook.headers ?? {}).map(([k, v]) => [k, expand(String(v), env)]),
  );
  return { method: hook.method, port: hook.port as number, path: hook.path, headers };
}
