import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { K8sObject } from "../../manifests/render.ts";
import type { SecretValues } from "../../manifests/secrets.ts";
import { repoRoot } from "../../paths.ts";
import { clusterBackup } from "./cluster-backup.ts";
import type { ContainerPlan, Probe } from "./translate.ts";

/**
 * A CloudNativePG `Cluster` on Docker. One instance is one PostgreSQL container answering to all
 * three of the operator's Services (`-rw`, `-ro`, `-r`). More instances are run for real: Patroni
 * manages N PostgreSQL instances over an etcd of 3 members (what the operator and the Kubernetes
 * API do on a cluster), and three HAProxy pods stand for the three Services, routing by Patroni's
 * health checks: `-rw` to the primary only, `-ro` to the replicas only, `-r` to any. Those
 * stand-ins carry STAND_IN_LABEL; their traffic among themselves is allowed by a policy the
 * runtime adds (standInPolicy), since production has no such pods.
 */

export const STAND_IN_LABEL = "devstack.azora.dev/stand-in-for";

/** Whether a container is one of a Cluster of several instances' stand-ins (Patroni, etcd, HAProxy). */
export const isStandIn = (c: { labels: Record<string, string> }) => c.labels[STAND_IN_LABEL] !== undefined;
export const ETCD_MEMBERS = 3;

/**
 * Patroni's timings: a killed primary's leader key expires within ttl, checked every loop_wait.
 * Patroni's own floor for ttl is 20 s (a killed primary replaced in about 22 s); 7 s, the least
 * its other rules allow (loop_wait + 2 x retry_timeout <= ttl), replaced one in 9.5 s (median of
 * 5 kills, images/patroni/README.md). The price: a primary that cannot reach etcd for 3 s steps down.
 */
const PATRONI_TIMINGS = { ttl: 7, loopWait: 1, retryTimeout: 3 };

type Limits = ContainerPlan["limits"];
type Base = Pick<ContainerPlan, "namespace" | "kind" | "container" | "loadBalancers" | "files" | "init">;

export function clusterContainers(
  cluster: K8sObject,
  secrets: SecretValues,
  image: string,
  limits: Limits,
  standIn: (logical: "patroni" | "etcd" | "haproxy") => string,
  problems: string[],
): ContainerPlan[] {
  const name = cluster.metadata.name;
  const app = secrets[`${name}-app`] ?? {};
  const initdb = cluster.spec?.bootstrap?.initdb ?? {};
  const sql: string[] = (initdb.postInitApplicationSQL ?? []).map((s: string) => s.replace(/;?\s*$/, ";"));
  const instances: number = cluster.spec?.instances ?? 1;
  const base: Base = {
    namespace: cluster.metadata.namespace ?? "default",
    kind: "Cluster",
    // The container of a CloudNativePG instance pod.
    container: "postgres",
    loadBalancers: [],
    files: [],
    init: [],
  };
  const data = (path: string) => [{ name: "data", path, readOnly: false, persistent: true }];
  const labels = (instance: string, role: string) => ({
    "cnpg.io/cluster": name,
    "cnpg.io/instanceName": instance,
    "cnpg.io/instanceRole": role,
  });

  const dataVolume = "/var/lib/postgresql/data";
  if (instances <= 1) {
    // One instance's superuser is the application's owner (the official image's contract).
    const backup = clusterBackup(
      cluster,
      { dataDirectory: dataVolume, superuser: app.username ?? "app" },
      problems,
    );
    return [
      {
        ...base,
        workload: name,
        replica: 1,
        pod: `${name}-1`,
        image,
        env: {
          POSTGRES_USER: app.username ?? "app",
          POSTGRES_PASSWORD: app.password ?? "",
          POSTGRES_DB: app.dbname ?? "app",
          ...backup?.env,
        },
        ...(backup
          ? {
              args: [
                "postgres",
                ...Object.entries(backup.parameters).flatMap(([k, v]) => ["-c", `${k}=${v}`]),
              ],
            }
          : {}),
        aliases: [`${name}-rw`, `${name}-ro`, `${name}-r`],
        ports: [
          { name: "postgresql", containerPort: 5432, protocol: "TCP" },
          // The instance's metrics, as CloudNativePG's instance manager serves them (the image's exporter).
          { name: "metrics", containerPort: 9187, protocol: "TCP" },
        ],
        labels: labels(`${name}-1`, "primary"),
        readiness: pgIsReady(app),
        limits,
        files:
          sql.length > 0
            ? [
                {
                  path: "/docker-entrypoint-initdb.d/10-post-init-application.sql",
                  content: `${sql.join("\n")}\n`,
                  mode: 0o644,
                },
              ]
            : [],
        volumes: [...data(dataVolume), ...(backup ? [backup.volume] : [])],
        endpoint: "postgres",
      },
    ];
  }

  const standInLabels = { [STAND_IN_LABEL]: name };
  const etcdPods = Array.from({ length: ETCD_MEMBERS }, (_, i) => `${name}-etcd-${i}`);
  const instancePods = Array.from({ length: instances }, (_, i) => `${name}-${i + 1}`);
  const superuser = secrets[`${name}-superuser`] ?? {};
  const replication = secrets[`${name}-replication`] ?? {};
  const sync = cluster.spec?.postgresql?.synchronous;
  // CloudNativePG's failoverDelay (seconds to wait before failing over an unhealthy primary, 0 by
  // default) lengthens the lease; its switchoverDelay (how long the old primary may take to stop
  // in a switchover) is Patroni's primary_stop_timeout.
  const failoverDelay = Number(cluster.spec?.failoverDelay ?? 0);
  const switchoverDelay = cluster.spec?.switchoverDelay;
  // Every instance archives when it is the primary, into the one repository (the entrypoint's data folder).
  const backup = clusterBackup(
    cluster,
    { dataDirectory: `${dataVolume}/pgdata`, superuser: superuser.username ?? "postgres" },
    problems,
  );

  const etcd: ContainerPlan[] = etcdPods.map((pod, i) => ({
    ...base,
    container: "etcd",
    workload: `${name}-etcd`,
    replica: i + 1,
    pod,
    image: standIn("etcd"),
    env: {
      ETCD_NAME: pod,
      ETCD_INITIAL_CLUSTER: etcdPods.map((p) => `${p}=http://${p}:2380`).join(","),
      ETCD_INITIAL_CLUSTER_TOKEN: `${name}-etcd`,
    },
    aliases: [pod],
    ports: [
      { name: "client", containerPort: 2379, protocol: "TCP" },
      { name: "peer", containerPort: 2380, protocol: "TCP" },
    ],
    labels: { ...standInLabels, "app.kubernetes.io/name": `${name}-etcd` },
    readiness: {
      kind: "exec",
      command: ["etcdctl", "endpoint", "health"],
      periodSeconds: 1,
      failureThreshold: 3,
    },
    liveness: { kind: "tcp", port: 2379, periodSeconds: 10, failureThreshold: 3 },
    limits: {},
    volumes: data("/var/lib/etcd"),
  }));

  const patroni: ContainerPlan[] = instancePods.map((pod, i) => ({
    ...base,
    workload: name,
    replica: i + 1,
    pod,
    image: standIn("patroni"),
    env: {
      PATRONI_NAME: pod,
      PATRONI_SCOPE: name,
      PATRONI_ETCD3_HOSTS: etcdPods.map((p) => `${p}:2379`).join(","),
      PATRONI_SUPERUSER_USERNAME: superuser.username ?? "postgres",
      PATRONI_SUPERUSER_PASSWORD: superuser.password ?? "",
      PATRONI_REPLICATION_USERNAME: replication.username ?? "streaming_replica",
      PATRONI_REPLICATION_PASSWORD: replication.password ?? "",
      PATRONI_DCS_TTL: String(Math.max(PATRONI_TIMINGS.ttl, failoverDelay)),
      ...(switchoverDelay !== undefined ? { PATRONI_DCS_PRIMARY_STOP_TIMEOUT: String(switchoverDelay) } : {}),
      PATRONI_DCS_LOOP_WAIT: String(PATRONI_TIMINGS.loopWait),
      PATRONI_DCS_RETRY_TIMEOUT: String(PATRONI_TIMINGS.retryTimeout),
      PATRONI_DCS_ALLOW_SHORT_TTL: "true",
      // CloudNativePG's synchronous replication: `method: any` is a quorum of `number` standbys,
      // `first` the first `number` in order (Patroni's quorum and on modes); `required`
      // durability refuses writes without them (strict), `preferred` goes on without.
      PATRONI_DCS_SYNCHRONOUS_MODE: sync ? (sync.method === "first" ? "on" : "quorum") : "off",
      PATRONI_DCS_SYNCHRONOUS_NODE_COUNT: String(sync?.number ?? 1),
      PATRONI_DCS_SYNCHRONOUS_MODE_STRICT: String(sync?.dataDurability === "required"),
      APP_USERNAME: app.username ?? "app",
      APP_PASSWORD: app.password ?? "",
      APP_DBNAME: app.dbname ?? "app",
      POST_INIT_APPLICATION_SQL: sql.join("\n"),
      // CloudNativePG bootstraps instance 1; the others clone it (which a restore relies on).
      ...(i > 0 ? { PATRONI_MAY_BOOTSTRAP: "false" } : {}),
      ...backup?.env,
      ...(backup
        ? {
            PATRONI_POSTGRESQL_PARAMETERS: Object.entries(backup.parameters)
              .map(([k, v]) => `${k}=${v}`)
              .join("\n"),
          }
        : {}),
    },
    aliases: [pod],
    ports: [
      { name: "postgresql", containerPort: 5432, protocol: "TCP" },
      { name: "patroni", containerPort: 8008, protocol: "TCP" },
      // The instance's metrics, as on the one instance (the image's exporter, started with Patroni).
      { name: "metrics", containerPort: 9187, protocol: "TCP" },
    ],
    files: exporterFiles(),
    labels: { ...labels(pod, "instance"), ...standInLabels },
    readiness: patroniCheck("/readiness"),
    liveness: { ...patroniCheck("/liveness"), periodSeconds: 10, failureThreshold: 3 },
    limits,
    volumes: [...data(dataVolume), ...(backup ? [backup.volume] : [])],
  }));

  // The operator's three Services, each a pod answering on 5432 under the Service's name.
  const roles = [
    ["rw", "postgres"],
    ["ro", "postgres-ro"],
    ["r", "postgres-r"],
  ] as const;
  const proxies: ContainerPlan[] = roles.map(([role, endpoint]) => ({
    ...base,
    container: "haproxy",
    workload: `${name}-${role}`,
    replica: 1,
    pod: `${name}-${role}-1`,
    image: standIn("haproxy"),
    env: { HAPROXY_ROLE: role, HAPROXY_BACKENDS: instancePods.join(",") },
    aliases: [`${name}-${role}`],
    ports: [
      { name: "postgresql", containerPort: 5432, protocol: "TCP" },
      { name: "monitor", containerPort: 8404, protocol: "TCP" },
    ],
    labels: { ...standInLabels, "cnpg.io/cluster": name, "app.kubernetes.io/name": `${name}-${role}` },
    readiness: { kind: "http", path: "/healthz", port: 8404, periodSeconds: 1, failureThreshold: 2 },
    limits: {},
    volumes: [],
    endpoint,
  }));
  return [...etcd, ...patroni, ...proxies];
}

/**
 * The postgres image's exporter configuration (its queries give CloudNativePG's metric names),
 * placed in each Patroni instance: the patroni image is built from a context of its own, and one
 * copy of the queries is kept.
 */
function exporterFiles(): ContainerPlan["files"] {
  return ["metrics.yaml", "postgres_exporter.yml"].map((file) => ({
    path: `/etc/postgres-exporter/${file}`,
    content: readFileSync(join(repoRoot, "images", "postgres", file), "utf8"),
    mode: 0o644,
  }));
}

const patroniCheck = (path: string): Probe => ({
  kind: "http",
  path,
  port: 8008,
  periodSeconds: 1,
  failureThreshold: 3,
});

const pgIsReady = (app: Record<string, string>): Probe => ({
  kind: "exec",
  command: [
    "pg_isready",
    "--host",
    "127.0.0.1",
    "--username",
    app.username ?? "app",
    "--dbname",
    app.dbname ?? "app",
  ],
  periodSeconds: 1,
  failureThreshold: 3,
});

/**
 * The NetworkPolicy the stand-ins need among themselves (etcd's client and peer ports, Patroni's
 * REST API, replication and HAProxy's checks): production has none of these pods, so none of its
 * policies allows their traffic.
 */
/**
 * The PodMonitor the CloudNativePG operator makes for a Cluster with `monitoring.enablePodMonitor`
 * (its instances' `metrics` port; on Docker the postgres_exporter of the postgres and patroni
 * images). It selects the instances by `cnpg.io/cluster`, which the HAProxy stand-ins also carry:
 * the PodMonitor's port, which they lack, leaves them out.
 */
export function operatorPodMonitors(objects: readonly K8sObject[]): K8sObject[] {
  return objects
    .filter((o) => o.kind === "Cluster" && o.spec?.monitoring?.enablePodMonitor === true)
    .map((cluster) => ({
      apiVersion: "monitoring.coreos.com/v1",
      kind: "PodMonitor",
      metadata: { name: cluster.metadata.name, namespace: cluster.metadata.namespace },
      spec: {
        selector: { matchLabels: { "cnpg.io/cluster": cluster.metadata.name } },
        podMetricsEndpoints: [{ port: "metrics" }],
      },
    }));
}

/** A Cluster of several instances: on Docker, Patroni, etcd and HAProxy stand in for the operator. */
export const isHa = (cluster: K8sObject) => (cluster.spec?.instances ?? 1) > 1;

export function standInPolicy(cluster: string, namespace: string): K8sObject {
  const ports = [2379, 2380, 5432, 8008].map((port) => ({ protocol: "TCP", port }));
  const peers = [{ podSelector: { matchLabels: { [STAND_IN_LABEL]: cluster } } }];
  return {
    apiVersion: "networking.k8s.io/v1",
    kind: "NetworkPolicy",
    metadata: { name: `devstack-${cluster}-stand-ins`, namespace },
    spec: {
      podSelector: { matchLabels: { [STAND_IN_LABEL]: cluster } },
      policyTypes: ["Ingress", "Egress"],
      ingress: [{ from: peers, ports }],
      egress: [{ to: peers, ports }],
    },
  };
}
