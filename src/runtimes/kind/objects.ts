import { type EnvFile, envLabel } from "../../config/env-file.ts";
import { UserError } from "../../errors.ts";
import { type ImageMap, imageForReference } from "../../images/image-map.ts";
import type { RuntimeSupport } from "../../manifests/plan.ts";
import { cnpgAppSecret } from "../../manifests/plan.ts";
import type { PreparedEnvironment } from "../../manifests/prepare.ts";
import type { K8sObject } from "../../manifests/render.ts";
import type { ImageToLoad } from "./actions/context.ts";

/**
 * Components run on the Docker runtime only so far: monitoring needs a Prometheus configured from
 * its monitors (a cluster would need the Prometheus operator or scrape jobs of its own), backups a
 * store beside the database. `where` names what refuses them ("Kind", "an exported cluster").
 */
export function refuseComponents(envFile: EnvFile, where: string, hint: string): void {
  if (envFile.with.length > 0)
    throw new UserError(
      `${envLabel(envFile)}: components (${envFile.with.join(", ")}) run on the Docker runtime only, not yet on ${where}`,
      hint,
    );
}

/** What the Kind runtime does with each kind: a real cluster runs them all, bar the monitoring CRDs. */
export const KIND_SUPPORT: RuntimeSupport = {
  runtime: "Kind",
  run: [
    "Namespace",
    "ConfigMap",
    "Secret",
    "Deployment",
    "StatefulSet",
    "Service",
    "Cluster",
    "NetworkPolicy",
    "PodDisruptionBudget",
    "HorizontalPodAutoscaler",
  ],
  ignored: {
    PodMonitor: "no Prometheus operator in the cluster: scrape /metrics directly",
    ServiceMonitor: "no Prometheus operator in the cluster: scrape /metrics directly",
  },
};

/** The namespace the overlay's objects live in (kustomize's `namespace:`). */
export function namespaceOf(prepared: PreparedEnvironment): string {
  const namespaces = new Set(
    prepared.plan.run.flatMap((o) => (o.metadata.namespace ? [o.metadata.namespace] : [])),
  );
  if (namespaces.size !== 1)
    throw new UserError(
      `kind/overlays/${prepared.envFile.overlay}: the Kind runtime expects every object in one namespace, found ${[...namespaces].join(", ") || "none"}`,
    );
  return [...namespaces][0] as string;
}

/**
 * What `kubectl apply` gets: the Namespace first, then the overlay's objects in order, each Secret
 * template filled with the environment's generated values (never its empty placeholders).
 */
export function objectsToApply(prepared: PreparedEnvironment): K8sObject[] {
  const filled = prepared.plan.run.map((o): K8sObject => {
    if (o.kind !== "Secret") return o;
    const values = prepared.secrets[o.metadata.name];
    if (!values) throw new Error(`no generated values for Secret/${o.metadata.name}`);
    const { data: _data, ...rest } = o;
    return { ...rest, stringData: values };
  });
  return [...filled.filter((o) => o.kind === "Namespace"), ...filled.filter((o) => o.kind !== "Namespace")];
}

interface Container {
  image?: string;
  env?: { name: string; value?: string; valueFrom?: { secretKeyRef?: { name: string; key: string } } }[];
  readinessProbe?: { httpGet?: unknown };
}
const containersOf = (o: K8sObject): Container[] => [
  ...((o.spec?.template?.spec?.initContainers ?? []) as Container[]),
  ...((o.spec?.template?.spec?.containers ?? []) as Container[]),
];

/** Every image the manifests name, with the image-map entry that provides it, in first-seen order. */
export function imagesToLoad(prepared: PreparedEnvironment, map: ImageMap): ImageToLoad[] {
  const seen = new Map<string, ImageToLoad>();
  for (const o of prepared.plan.run) {
    const references =
      o.kind === "Cluster" ? [o.spec?.imageName as string] : containersOf(o).map((c) => c.image ?? "");
    for (const reference of references) {
      if (seen.has(reference)) continue;
      const logical = imageForReference(map, reference);
      if (!logical)
        throw new UserError(
          `${o.kind}/${o.metadata.name}: image ${reference} is not in images/images.yaml (as upstream or alias)`,
        );
      seen.set(reference, { reference, logical });
    }
  }
  return [...seen.values()];
}

/** The image-map names an environment's nodes run: its manifests' images and the migrations Job's. */
export const imageNames = (images: ImageToLoad[]) => [
  ...new Set([...images.map((i) => i.logical), "db-init"]),
];

/**
 * The objects with every image the manifests name replaced as `replace` says (e.g. by its pushed
 * reference in a registry); an image it does not know is an error, never left as it was.
 */
export function withImages(
  objects: K8sObject[],
  replace: (reference: string) => string | undefined,
): K8sObject[] {
  const swap = (o: K8sObject, reference: string) => {
    const replaced = replace(reference);
    if (!replaced) throw new Error(`${o.kind}/${o.metadata.name}: no replacement for image ${reference}`);
    return replaced;
  };
  return objects.map((original) => {
    const o = structuredClone(original);
    if (o.kind === "Cluster" && o.spec?.imageName) o.spec.imageName = swap(o, o.spec.imageName);
    for (const c of containersOf(o)) if (c.image) c.image = swap(o, c.image);
    return o;
  });
}

/** One `kubectl port-forward` the environment's endpoints go through. */
export interface Forward {
  /** The endpoint's name in the state, as on Docker: `postgres`, `redis`, `user-service`, `loadbalancer/tyk-gateway`. */
  endpoint: string;
  /** Another name of the same endpoint (a LoadBalancer's workload). */
  alias?: string;
  service: string;
  port: number;
  /** The Service port's name ("" if unnamed): its EndpointSlices give the pods' port under it. */
  portName: string;
  scheme: "http" | "redis" | "postgresql";
  /** For redis: the password, from the Secret the workload reads it from. */
  password?: string;
}

const matches = (selector: Record<string, string> | undefined, labels: Record<string, string> | undefined) =>
  !!selector && Object.entries(selector).every(([k, v]) => labels?.[k] === v);

/**
 * The endpoints a Kind environment offers on 127.0.0.1, each through a port-forward to a Service:
 * the database's read-write Service (and -ro, -r with several instances), LoadBalancers, HTTP
 * services (a readiness probe over HTTP) and Redis, named as the Docker runtime names them.
 */
export function forwardsOf(prepared: PreparedEnvironment): Forward[] {
  const forwards: Forward[] = [];
  const workloads = prepared.plan.run.filter((o) => o.kind === "Deployment" || o.kind === "StatefulSet");
  for (const cluster of prepared.plan.run.filter((o) => o.kind === "Cluster")) {
    const roles = (cluster.spec?.instances ?? 1) > 1 ? ["rw", "ro", "r"] : ["rw"];
    for (const role of roles)
      forwards.push({
        endpoint: role === "rw" ? "postgres" : `postgres-${role}`,
        service: `${cluster.metadata.name}-${role}`,
        port: 5432,
        portName: "postgres",
        scheme: "postgresql",
      });
  }
  for (const service of prepared.plan.run.filter((o) => o.kind === "Service")) {
    const workload = workloads.find((w) =>
      matches(service.spec?.selector, w.spec?.template?.metadata?.labels),
    );
    const port = Number(service.spec?.ports?.[0]?.port);
    const portName = String(service.spec?.ports?.[0]?.name ?? "");
    if (!workload || !port || forwards.some((f) => f.endpoint === workload.metadata.name)) continue;
    const containers = containersOf(workload);
    if (service.spec?.type === "LoadBalancer")
      // The entry point; the workload's own name points at it too, as on Docker.
      forwards.push({
        endpoint: `loadbalancer/${service.metadata.name}`,
        alias: workload.metadata.name,
        service: service.metadata.name,
        port,
        portName,
        scheme: "http",
      });
    else if (port === 6379) {
      const ref = containers.flatMap((c) => c.env ?? []).find((e) => e.name === "REDIS_PASSWORD")
        ?.valueFrom?.secretKeyRef;
      const password = ref ? prepared.secrets[ref.name]?.[ref.key] : undefined;
      forwards.push({
        endpoint: workload.metadata.name,
        service: service.metadata.name,
        port,
        portName,
        scheme: "redis",
        ...(password ? { password } : {}),
      });
    } else if (containers.some((c) => c.readinessProbe?.httpGet))
      forwards.push({
        endpoint: workload.metadata.name,
        service: service.metadata.name,
        port,
        portName,
        scheme: "http",
      });
  }
  return forwards;
}

/** The URL of a forward on a host port; the database's credentials come from the operator's Secret. */
export function forwardUrl(forward: Forward, hostPort: number, app?: Record<string, string>): string {
  if (forward.scheme === "postgresql")
    return `postgresql://${app?.username}:${app?.password}@127.0.0.1:${hostPort}/${app?.dbname}`;
  if (forward.scheme === "redis") return `redis://:${forward.password ?? ""}@127.0.0.1:${hostPort}`;
  return `http://127.0.0.1:${hostPort}`;
}

/** The migrations-and-seed Job: the db-init image, the operator's application Secret for its URL. */
export function dbInitJob(
  prepared: PreparedEnvironment,
  envFile: EnvFile,
  image: string,
  namespace: string,
): K8sObject {
  const cluster = prepared.plan.run.find((o) => o.kind === "Cluster");
  if (!cluster)
    throw new UserError(`kind/overlays/${envFile.overlay}: no CloudNativePG Cluster to migrate and seed`);
  return {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: { name: "db-init", namespace, labels: { "app.kubernetes.io/name": "db-init" } },
    spec: {
      backoffLimit: 3,
      template: {
        // The label the NetworkPolicies allow to reach the database.
        metadata: { labels: { "app.kubernetes.io/name": "db-init" } },
        spec: {
          restartPolicy: "Never",
          containers: [
            {
              name: "db-init",
              image,
              imagePullPolicy: "IfNotPresent",
              // Stated, so a namespace's quota counts what it takes (the large seed's generator included).
              resources: { requests: { cpu: "100m", memory: "128Mi" }, limits: { cpu: "1", memory: "1Gi" } },
              env: [
                {
                  name: "DATABASE_URL",
                  valueFrom: { secretKeyRef: { name: cnpgAppSecret(cluster.metadata.name), key: "uri" } },
                },
                { name: "SEED_SIZE", value: envFile.seed.size },
                { name: "SEED", value: String(envFile.seed.seed) },
              ],
            },
          ],
        },
      },
    },
  };
}
