import { UserError } from "../../errors.ts";
import { nanoCpus, scaledQuantity } from "../../manifests/quantities.ts";
import type { K8sObject } from "../../manifests/render.ts";

/**
 * The most an environment's namespace may hold, computed from the objects its env file's overlay
 * renders: every pod at its peak (a Deployment at its autoscaler's maximum plus its rollout surge,
 * a StatefulSet's replicas, the database's instances plus the operator's bootstrap Job, the
 * migrations Job), each container as the LimitRange fills it in. A ResourceQuota of exactly this
 * keeps one pull request's environment from taking what another needs, and lets its own run.
 */
export interface NamespaceBudget {
  pods: number;
  requests: Resources;
  limits: Resources;
  persistentVolumeClaims: number;
  /** Bytes of storage the claims request. */
  storage: number;
  nodePorts: number;
  loadBalancers: number;
  /** The largest container's limits: the LimitRange's ceiling for any one container. */
  largestContainer: Resources;
  /** The largest claim: the LimitRange's ceiling for any one claim. */
  largestClaim: number;
}

/** Millicores of CPU and bytes of memory. */
export interface Resources {
  cpu: number;
  memory: number;
}

/** What a container that says nothing gets (the LimitRange's defaults): enough for a config renderer. */
export const CONTAINER_DEFAULTS = {
  request: { cpu: 10, memory: 32 * 2 ** 20 },
  limit: { cpu: 200, memory: 64 * 2 ** 20 },
} as const;

const ZERO: Resources = { cpu: 0, memory: 0 };
const add = (a: Resources, b: Resources, times = 1): Resources => ({
  cpu: a.cpu + b.cpu * times,
  memory: a.memory + b.memory * times,
});
const max = (a: Resources, b: Resources): Resources => ({
  cpu: Math.max(a.cpu, b.cpu),
  memory: Math.max(a.memory, b.memory),
});

interface ResourceSpec {
  requests?: { cpu?: string | number; memory?: string | number };
  limits?: { cpu?: string | number; memory?: string | number };
}
interface ContainerSpec {
  name: string;
  resources?: ResourceSpec;
}
interface PodSpec {
  containers?: ContainerSpec[];
  initContainers?: ContainerSpec[];
}

/**
 * A container's requests and limits as the API server admits it, resource by resource: a limit
 * without a request requests the limit (Kubernetes' defaulting), and the LimitRange fills in the rest.
 */
function containerShape(resources: ResourceSpec | undefined, where: string) {
  const requests = { ...ZERO };
  const limits = { ...ZERO };
  for (const r of ["cpu", "memory"] as const) {
    const amount = (value: string | number, field: string) =>
      r === "cpu"
        ? nanoCpus(value, `${where}.${field}.cpu`) / 1e6
        : scaledQuantity(value, `${where}.${field}.memory`);
    const limit = resources?.limits?.[r];
    const request = resources?.requests?.[r] ?? limit;
    limits[r] = limit === undefined ? CONTAINER_DEFAULTS.limit[r] : amount(limit, "limits");
    requests[r] = request === undefined ? CONTAINER_DEFAULTS.request[r] : amount(request, "requests");
  }
  return { requests, limits };
}

/** A pod's requests and limits as a quota counts them: its containers' sum, or its largest init container. */
function podShape(pod: PodSpec, where: string) {
  const main = (pod.containers ?? []).map((c) =>
    containerShape(c.resources, `${where} container ${c.name} resources`),
  );
  const init = (pod.initContainers ?? []).map((c) =>
    containerShape(c.resources, `${where} init container ${c.name} resources`),
  );
  const sum = (pick: "requests" | "limits") => main.reduce((total, c) => add(total, c[pick]), ZERO);
  const largestInit = (pick: "requests" | "limits") => init.reduce((m, c) => max(m, c[pick]), ZERO);
  return {
    requests: max(sum("requests"), largestInit("requests")),
    limits: max(sum("limits"), largestInit("limits")),
    largestContainer: [...main, ...init].reduce((m, c) => max(m, c.limits), ZERO),
  };
}

/** Extra pods a rolling update of `replicas` may start (maxSurge: a count or a percentage, rounded up). */
function surge(deployment: K8sObject, replicas: number): number {
  const strategy = deployment.spec?.strategy;
  if (strategy?.type === "Recreate") return 0;
  const maxSurge: string | number = strategy?.rollingUpdate?.maxSurge ?? "25%";
  if (typeof maxSurge === "number") return maxSurge;
  const percent = /^(\d+)%$/.exec(maxSurge);
  if (!percent)
    throw new UserError(
      `Deployment ${deployment.metadata.name}: spec.strategy.rollingUpdate.maxSurge '${maxSurge}' is not a count or a percentage`,
    );
  return Math.ceil((replicas * Number(percent[1])) / 100);
}

interface Claims {
  count: number;
  storage: number;
  largest: number;
}
const NO_CLAIMS: Claims = { count: 0, storage: 0, largest: 0 };

/** The pods one object runs at its peak, what each takes, and the claims it keeps. */
function peakOf(object: K8sObject, objects: K8sObject[]) {
  const where = `${object.kind} ${object.metadata.name}`;
  const spec = object.spec ?? {};
  switch (object.kind) {
    case "Deployment": {
      const autoscaler = objects.find(
        (o) =>
          o.kind === "HorizontalPodAutoscaler" &&
          o.spec?.scaleTargetRef?.kind === "Deployment" &&
          o.spec?.scaleTargetRef?.name === object.metadata.name,
      );
      const replicas = Math.max(spec.replicas ?? 1, autoscaler?.spec?.maxReplicas ?? 0);
      return {
        pods: replicas + surge(object, replicas),
        pod: podShape(spec.template?.spec ?? {}, where),
        claims: NO_CLAIMS,
      };
    }
    case "StatefulSet": {
      const replicas: number = spec.replicas ?? 1;
      const sizes = (
        (spec.volumeClaimTemplates ?? []) as { spec?: { resources?: { requests?: { storage?: string } } } }[]
      ).map((t, i) =>
        scaledQuantity(
          t.spec?.resources?.requests?.storage ?? 0,
          `${where} volumeClaimTemplates[${i}] storage`,
          "storage",
        ),
      );
      return {
        pods: replicas,
        pod: podShape(spec.template?.spec ?? {}, where),
        claims: claimsOf(sizes, replicas),
      };
    }
    case "Job":
      return {
        pods: spec.parallelism ?? 1,
        pod: podShape(spec.template?.spec ?? {}, where),
        claims: NO_CLAIMS,
      };
    case "Cluster": {
      // CloudNativePG: one pod per instance, and its initdb or join Job beside them while one starts,
      // each with the Cluster's resources; a data volume (and a WAL volume) per instance.
      const instances: number = spec.instances ?? 1;
      const pod = podShape({ containers: [{ name: "postgres", resources: spec.resources }] }, where);
      const sizes = [spec.storage?.size, spec.walStorage?.size]
        .filter((s) => s !== undefined)
        .map((s, i) =>
          scaledQuantity(s, `${where} spec.${i === 0 ? "storage" : "walStorage"}.size`, "storage"),
        );
      return { pods: instances + 1, pod, claims: claimsOf(sizes, instances) };
    }
    default:
      return undefined;
  }
}

const claimsOf = (sizes: number[], times: number): Claims => ({
  count: sizes.length * times,
  storage: sizes.reduce((a, b) => a + b, 0) * times,
  largest: Math.max(0, ...sizes),
});

/** The budget of a namespace running `objects` (the overlay's, and the Jobs an `up` starts). */
export function namespaceBudget(objects: K8sObject[]): NamespaceBudget {
  const budget: NamespaceBudget = {
    pods: 0,
    requests: ZERO,
    limits: ZERO,
    persistentVolumeClaims: 0,
    storage: 0,
    nodePorts: 0,
    loadBalancers: 0,
    largestContainer: ZERO,
    largestClaim: 0,
  };
  for (const object of objects) {
    if (object.kind === "Service") {
      const type = object.spec?.type;
      if (type === "NodePort" || type === "LoadBalancer")
        budget.nodePorts += (object.spec?.ports ?? []).length;
      if (type === "LoadBalancer") budget.loadBalancers += 1;
      continue;
    }
    const peak = peakOf(object, objects);
    if (!peak) continue;
    budget.pods += peak.pods;
    budget.requests = add(budget.requests, peak.pod.requests, peak.pods);
    budget.limits = add(budget.limits, peak.pod.limits, peak.pods);
    budget.largestContainer = max(budget.largestContainer, peak.pod.largestContainer);
    budget.persistentVolumeClaims += peak.claims.count;
    budget.storage += peak.claims.storage;
    budget.largestClaim = Math.max(budget.largestClaim, peak.claims.largest);
  }
  return budget;
}

const cpu = (millicores: number) => `${Math.ceil(millicores)}m`;
const bytes = (n: number) => `${Math.ceil(n / 2 ** 20)}Mi`;

/** A budget in one line: `29 pods, requests 1970m CPU 3488Mi, limits …, 2 claims 6144Mi, …`. */
export const describeBudget = (b: NamespaceBudget) =>
  [
    `${b.pods} pods`,
    `requests ${cpu(b.requests.cpu)} CPU ${bytes(b.requests.memory)}`,
    `limits ${cpu(b.limits.cpu)} CPU ${bytes(b.limits.memory)}`,
    `${b.persistentVolumeClaims} claims ${bytes(b.storage)}`,
    `${b.loadBalancers} load balancer(s)`,
  ].join(", ");

/** The ResourceQuota's `hard`: what the API server compares with a namespace's use. */
export function quotaHard(budget: NamespaceBudget): Record<string, string> {
  return {
    pods: String(budget.pods),
    "requests.cpu": cpu(budget.requests.cpu),
    "requests.memory": bytes(budget.requests.memory),
    "limits.cpu": cpu(budget.limits.cpu),
    "limits.memory": bytes(budget.limits.memory),
    persistentvolumeclaims: String(budget.persistentVolumeClaims),
    "requests.storage": bytes(budget.storage),
    "services.nodeports": String(budget.nodePorts),
    "services.loadbalancers": String(budget.loadBalancers),
  };
}

/** The namespace's ResourceQuota and LimitRange, both named `devstack`. */
export function quotaObjects(namespace: string, budget: NamespaceBudget): K8sObject[] {
  const metadata = { name: "devstack", namespace, labels: { "app.kubernetes.io/managed-by": "devstack" } };
  return [
    { apiVersion: "v1", kind: "ResourceQuota", metadata, spec: { hard: quotaHard(budget) } },
    {
      apiVersion: "v1",
      kind: "LimitRange",
      metadata,
      spec: {
        limits: [
          {
            type: "Container",
            defaultRequest: {
              cpu: cpu(CONTAINER_DEFAULTS.request.cpu),
              memory: bytes(CONTAINER_DEFAULTS.request.memory),
            },
            default: {
              cpu: cpu(CONTAINER_DEFAULTS.limit.cpu),
              memory: bytes(CONTAINER_DEFAULTS.limit.memory),
            },
            max: { cpu: cpu(budget.largestContainer.cpu), memory: bytes(budget.largestContainer.memory) },
          },
          ...(budget.largestClaim > 0
            ? [{ type: "PersistentVolumeClaim", max: { storage: bytes(budget.largestClaim) } }]
            : []),
        ],
      },
    },
  ];
}

/** What `hard` lacks of `wanted`, in words (each resource whose limit is below what is wanted). */
export function shortfall(hard: Record<string, string>, wanted: Record<string, string>): string[] {
  const amount = (key: string, value: string) =>
    key.endsWith("cpu")
      ? nanoCpus(value, `ResourceQuota ${key}`)
      : scaledQuantity(
          value,
          `ResourceQuota ${key}`,
          /memory|storage/.test(key) ? "memory or storage" : "count",
        );
  return Object.entries(wanted).flatMap(([key, value]) =>
    hard[key] === undefined || amount(key, hard[key]) < amount(key, value)
      ? [`${key} ${value} (the quota allows ${hard[key] ?? "none"})`]
      : [],
  );
}
