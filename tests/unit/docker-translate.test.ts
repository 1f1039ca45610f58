import { describe, expect, it } from "vitest";
import { UserError } from "../../src/errors.ts";
import { imageForReference, loadImageMap } from "../../src/images/image-map.ts";
import { planObjects } from "../../src/manifests/plan.ts";
import { nanoCpus, scaledQuantity } from "../../src/manifests/quantities.ts";
import { renderOverlay } from "../../src/manifests/render.ts";
import { generateSecrets } from "../../src/manifests/secrets.ts";
import { operatorPodMonitors } from "../../src/runtimes/docker/cluster.ts";
import { describeDockerPlan } from "../../src/runtimes/docker/plan-view.ts";
import { DOCKER_SUPPORT } from "../../src/runtimes/docker/support.ts";
import { expand, translate } from "../../src/runtimes/docker/translate.ts";
import { userErrorFrom } from "../support/thrown.ts";

const map = loadImageMap();
const imageFor = (reference: string, owner: string) => {
  const name = imageForReference(map, reference);
  if (!name) throw new UserError(`${owner}: image ${reference} is not in images/images.yaml`);
  return name;
};
const translated = async (overlay: string, components: string[] = []) => {
  const plan = planObjects(await renderOverlay(overlay, components), overlay, DOCKER_SUPPORT);
  const secrets = generateSecrets(plan);
  return { plan, secrets, containers: translate(plan, secrets, imageFor) };
};

describe("Docker runtime: manifests to containers", () => {
  it("gives each service its env from ConfigMaps and Secrets, its Service alias, probes and limits", async () => {
    const { secrets, containers } = await translated("dev");
    const user = containers.find((c) => c.workload === "user-service");
    expect(user).toMatchObject({
      image: "user-service",
      aliases: ["user-service"],
      readiness: { kind: "http", path: "/readyz", port: 8080 },
      liveness: { kind: "http", path: "/healthz", port: 8080 },
      limits: { nanoCpus: 1e9, memoryBytes: 256 * 2 ** 20 },
    });
    expect(user?.env.DATABASE_URL).toBe(secrets["azora-db-app"]?.uri);
    expect(user?.env.DATABASE_URL).toMatch(/^postgresql:\/\/azora:[\w-]{20,}@azora-db-rw:5432\/azora$/);
    expect(user?.env.LOG_LEVEL).toBe("info");

    // Sessions through Sentinel, which names the master; one password for Redis and Sentinel.
    const session = containers.find((c) => c.workload === "session-service");
    expect(session?.env).toMatchObject({
      REDIS_SENTINELS: "redis-sentinel:26379",
      REDIS_MASTER_NAME: "azora-sessions",
      REDIS_PASSWORD: secrets["redis-auth"]?.password,
      REDIS_SENTINEL_PASSWORD: secrets["redis-auth"]?.password,
    });
    expect(session?.env.REDIS_URL).toBeUndefined();
    expect(session?.env.JWT_SECRET).toBe(secrets["session-service-jwt"]?.JWT_SECRET);
    expect(session?.env.JWT_SECRET?.length).toBeGreaterThanOrEqual(32);

    // dev: one Redis pod and one Sentinel (quorum 1), both StatefulSets with per-pod names.
    const redis = containers.filter((c) => c.workload === "redis");
    expect(redis.map((c) => c.pod)).toEqual(["redis-0"]);
    expect(redis[0]).toMatchObject({
      kind: "StatefulSet",
      command: ["sh", "/scripts/start.sh"],
      aliases: ["redis", "redis-0.redis", "redis-0.redis.azora.svc.cluster.local"],
      readiness: { kind: "exec" },
      liveness: { kind: "tcp", port: 6379 },
      volumes: [{ name: "data", path: "/data", readOnly: false, persistent: true }],
    });
    expect(redis[0]?.env).toMatchObject({ POD_NAME: "redis-0", MASTER_NAME: "azora-sessions" });
    expect(redis[0]?.files.map((f) => f.path)).toEqual(["/scripts/start.sh"]);
    const sentinel = containers.filter((c) => c.workload === "redis-sentinel");
    expect(sentinel.map((c) => c.pod)).toEqual(["redis-sentinel-0"]);
    expect(sentinel[0]?.init[0]).toMatchObject({
      name: "render-config",
      command: ["sh", "/config/render.sh"],
      env: { POD_NAME: "redis-sentinel-0", QUORUM: "1", FIRST_MASTER: "redis-0.redis" },
    });
    expect(sentinel[0]?.aliases).toContain("redis-sentinel-0.redis-sentinel-headless");
  });

  it("runs the session store as production does in nightly: 3 Redis, 3 Sentinels, quorum 2", async () => {
    const { containers } = await translated("nightly");
    const pods = (workload: string) => containers.filter((c) => c.workload === workload);
    expect(pods("redis").map((c) => c.pod)).toEqual(["redis-0", "redis-1", "redis-2"]);
    expect(pods("redis").map((c) => c.env.POD_NAME)).toEqual(["redis-0", "redis-1", "redis-2"]);
    expect(pods("redis-sentinel").map((c) => c.init[0]?.env.QUORUM)).toEqual(["2", "2", "2"]);
    expect(pods("redis-sentinel").map((c) => c.init[0]?.env.POD_NAME)).toEqual([
      "redis-sentinel-0",
      "redis-sentinel-1",
      "redis-sentinel-2",
    ]);
  });

  it("publishes the ports of a LoadBalancer Service as the environment's entry points", async () => {
    const objects = await renderOverlay("dev");
    const service = objects.find((o) => o.kind === "Service" && o.metadata.name === "user-service");
    if (service) service.spec = { ...service.spec, type: "LoadBalancer" };
    const plan = planObjects(objects, "dev", DOCKER_SUPPORT);
    const containers = translate(plan, generateSecrets(plan), imageFor);
    expect(containers.find((c) => c.workload === "user-service")?.loadBalancers).toEqual([
      { service: "user-service", port: 8080 },
    ]);
    expect(containers.find((c) => c.workload === "course-service")?.loadBalancers).toEqual([]);
  });

  it("runs the CloudNativePG Cluster as PostgreSQL reachable by the operator's service names", async () => {
    const { secrets, containers } = await translated("dev");
    const db = containers.filter((c) => c.kind === "Cluster");
    expect(db).toHaveLength(1);
    expect(db[0]).toMatchObject({ image: "postgres", aliases: ["azora-db-rw", "azora-db-ro", "azora-db-r"] });
    expect(db[0]?.env).toEqual({
      POSTGRES_USER: "azora",
      POSTGRES_PASSWORD: secrets["azora-db-app"]?.password,
      POSTGRES_DB: "azora",
    });
    expect(db[0]?.files[0]?.content).toBe(
      "CREATE EXTENSION IF NOT EXISTS vector;\nCREATE EXTENSION IF NOT EXISTS citext;\n",
    );
  });

  it("runs one container per replica (nightly: two per service)", async () => {
    const { containers } = await translated("nightly");
    for (const service of ["user-service", "session-service", "course-service", "enrollment-service"]) {
      expect(containers.filter((c) => c.workload === service).map((c) => c.replica)).toEqual([1, 2]);
    }
  });

  it("generates secrets per environment and keeps earlier ones", async () => {
    const plan = planObjects(await renderOverlay("dev"), "dev", DOCKER_SUPPORT);
    const first = generateSecrets(plan);
    const second = generateSecrets(plan);
    expect(first["redis-auth"]?.password).not.toBe(second["redis-auth"]?.password);
    expect(generateSecrets(plan, first)).toEqual(first);
  });

  it("refuses a Service whose port differs from its target (no kube-proxy) and an unknown image", async () => {
    const objects = await renderOverlay("dev");
    const service = objects.find((o) => o.kind === "Service" && o.metadata.name === "user-service");
    if (service) service.spec.ports[0].port = 80;
    const plan = planObjects(objects, "dev", DOCKER_SUPPORT);
    expect(() => translate(plan, generateSecrets(plan), imageFor)).toThrow(
      /Service\/user-service: port 80 must equal its target port \(http = 8080\)/,
    );
    const other = planObjects(await renderOverlay("dev"), "dev", DOCKER_SUPPORT);
    const deployment = other.run.find((o) => o.kind === "Deployment" && o.metadata.name === "tyk-redis");
    if (deployment) deployment.spec.template.spec.containers[0].image = "memcached:1.6";
    expect(() => translate(other, generateSecrets(other), imageFor)).toThrow(
      /Deployment\/tyk-redis: image memcached:1\.6 is not in images\/images\.yaml/,
    );
  });

  it("expands $(VAR) like Kubernetes", () => {
    expect(expand("a $(X) b $$(X) $(MISSING)", { X: "1" })).toBe("a 1 b $(X) $(MISSING)");
  });

  it("converts resource quantities", () => {
    expect(nanoCpus("500m", "x")).toBe(5e8);
    expect(nanoCpus(2, "x")).toBe(2e9);
    expect(scaledQuantity("1Gi", "x")).toBe(2 ** 30);
    expect(scaledQuantity("64M", "x")).toBe(64e6);
    expect(() => scaledQuantity("lots", "Deployment/x resources.limits.memory")).toThrow(
      /Deployment\/x resources\.limits\.memory: 'lots' is not a memory quantity/,
    );
  });
});

describe("the CloudNativePG operator's PodMonitor on Docker", () => {
  it("is made for a one-instance Cluster with enablePodMonitor, over its instances' metrics port", async () => {
    const { plan, containers } = await translated("dev");
    expect(operatorPodMonitors(plan.run)).toEqual([
      {
        apiVersion: "monitoring.coreos.com/v1",
        kind: "PodMonitor",
        metadata: { name: "azora-db", namespace: "azora" },
        spec: {
          selector: { matchLabels: { "cnpg.io/cluster": "azora-db" } },
          podMetricsEndpoints: [{ port: "metrics" }],
        },
      },
    ]);
    expect(
      containers.find((c) => c.kind === "Cluster")?.ports.map((p) => `${p.name}:${p.containerPort}`),
    ).toEqual(["postgresql:5432", "metrics:9187"]);
  });

  it("is not made without enablePodMonitor", async () => {
    const { plan } = await translated("dev");
    const withoutMonitoring = plan.run.map((o) =>
      o.kind === "Cluster" ? { ...o, spec: { ...o.spec, monitoring: undefined } } : o,
    );
    expect(operatorPodMonitors(withoutMonitoring)).toEqual([]);
  });

  it("is made for the HA stand-ins too: each Patroni instance has the exporter's port and queries, HAProxy neither", async () => {
    const { plan, containers } = await translated("nightly");
    expect(operatorPodMonitors(plan.run).map((m) => m.metadata.name)).toEqual(["azora-db"]);
    const clusterPods = containers.filter((c) => c.labels["cnpg.io/cluster"] === "azora-db");
    expect(
      clusterPods.map(
        (c) => `${c.pod} ${c.ports.some((p) => p.name === "metrics" && p.containerPort === 9187)}`,
      ),
    ).toEqual([
      "azora-db-1 true",
      "azora-db-2 true",
      "azora-db-3 true",
      "azora-db-rw-1 false",
      "azora-db-ro-1 false",
      "azora-db-r-1 false",
    ]);
    // The postgres image's queries (CloudNativePG's names), the one copy kept.
    const files = clusterPods[0]?.files.map((f) => f.path);
    expect(files).toEqual([
      "/etc/postgres-exporter/metrics.yaml",
      "/etc/postgres-exporter/postgres_exporter.yml",
    ]);
    expect(clusterPods[0]?.files[0]?.content).toContain("cnpg_pg_replication");
  });
});

describe("manifests:plan's view of what runs on Docker", () => {
  it("tells the truth about each object: containers started, pods a policy selects, what is ignored", async () => {
    const { plan, containers } = await translated("nightly");
    const line = (object: string) =>
      describeDockerPlan(plan, containers).find((l) => l.object === object)?.detail;
    expect(line("Deployment/user-service")).toBe("replicas 2 -> 2 containers of image user-service");
    expect(line("Cluster/azora-db")).toBe(
      "instances 3 -> 3 PostgreSQL containers under Patroni, 3 etcd members, HAProxy for -rw/-ro/-r (3 containers); metrics on :9187 and the operator's PodMonitor",
    );
    const withBackups = await translated("nightly", ["backups"]);
    expect(
      describeDockerPlan(withBackups.plan, withBackups.containers).find(
        (l) => l.object === "Cluster/azora-db",
      )?.detail,
    ).toBe(
      "instances 3 -> 3 PostgreSQL containers under Patroni, 3 etcd members, HAProxy for -rw/-ro/-r (3 containers); metrics on :9187 and the operator's PodMonitor; WAL archived and base backups by pgBackRest (from the primary) into volume azora-backups-ENV (kept after dev:down)",
    );
    // Headless, the StatefulSet's governing Service: every Redis pod carries the alias.
    expect(line("Service/redis")).toBe("ClusterIP 6379 -> DNS alias on 3 pods");
    expect(line("StatefulSet/redis-sentinel")).toBe("replicas 3 -> 3 containers of image redis");
    // 10 service and gateway replicas, Tyk's Redis, 3 Redis + 3 Sentinels, and the database's
    // 3 Patroni + 3 etcd + 3 HAProxy stand-ins: 26.
    expect(line("NetworkPolicy/default-deny-all")).toBe(
      "selects 26 pods; ingress 0 rules, egress 0 rules -> nftables rules on the env's bridge",
    );
    expect(line("NetworkPolicy/redis-sentinel")).toBe(
      "selects 3 pods; ingress 1 rule, egress 2 rules -> nftables rules on the env's bridge",
    );
    expect(line("NetworkPolicy/session-service-egress")).toBe(
      "selects 2 pods; egress 3 rules -> nftables rules on the env's bridge",
    );
    expect(line("Secret/redis-auth")).toBe("1 key, values generated per environment");
    expect(line("HorizontalPodAutoscaler/user-service")).toMatch(/^no autoscaling/);
    const dev = await translated("dev");
    expect(
      describeDockerPlan(dev.plan, dev.containers).find((l) => l.object === "Cluster/azora-db")?.detail,
    ).toBe(
      "instances 1 -> 1 PostgreSQL container of image postgres; metrics on :9187 and the operator's PodMonitor",
    );
  });
});

describe("pod volumes, init containers and the config-change hook on Docker", () => {
  const objects = (podSpec: object, annotations: Record<string, string> = {}) => [
    {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "gw", namespace: "azora" },
      data: { "tyk.conf": "{}", "users.json": '{"a":1}', "courses.json": '{"b":2}' },
    },
    {
      apiVersion: "v1",
      kind: "Secret",
      metadata: {
        name: "gw-secret",
        namespace: "azora",
        annotations: { "devstack.azora.dev/generate": "true" },
      },
      stringData: { secret: "" },
    },
    {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "gateway", namespace: "azora" },
      spec: {
        replicas: 1,
        template: { metadata: { labels: { app: "gateway" }, annotations }, spec: podSpec },
      },
    },
  ];
  const translatedPod = (podSpec: object, annotations?: Record<string, string>) => {
    const plan = planObjects(objects(podSpec, annotations) as never, "test", DOCKER_SUPPORT);
    const secrets = generateSecrets(plan);
    return { secrets, containers: translate(plan, secrets, () => "node") };
  };
  const podSpec = {
    volumes: [
      { name: "conf", configMap: { name: "gw" } },
      {
        name: "apis",
        configMap: { name: "gw", items: [{ key: "users.json", path: "templates/users.json" }] },
      },
      { name: "rendered", emptyDir: {} },
      { name: "secret", secret: { secretName: "gw-secret", defaultMode: 0o400 } },
    ],
    initContainers: [
      {
        name: "render",
        image: "node:20-trixie-slim",
        env: [{ name: "S", valueFrom: { secretKeyRef: { name: "gw-secret", key: "secret" } } }],
        command: ["sh", "-c", "render $(S)"],
        volumeMounts: [
          { name: "apis", mountPath: "/in" },
          { name: "rendered", mountPath: "/out" },
        ],
      },
    ],
    containers: [
      {
        name: "gateway",
        image: "node:20-trixie-slim",
        env: [{ name: "GW_SECRET", valueFrom: { secretKeyRef: { name: "gw-secret", key: "secret" } } }],
        volumeMounts: [
          { name: "conf", mountPath: "/opt/tyk/tyk.conf", subPath: "tyk.conf" },
          { name: "rendered", mountPath: "/opt/tyk/apps", readOnly: true },
          { name: "secret", mountPath: "/etc/gw/" },
        ],
      },
    ],
  };

  it("places ConfigMap and Secret files (whole, projected by items, or one by subPath) and shares emptyDirs with init containers", () => {
    const { secrets, containers } = translatedPod(podSpec);
    const [gateway] = containers;
    const secret = secrets["gw-secret"]?.secret ?? "";
    expect(secret.length).toBeGreaterThanOrEqual(20);
    expect(gateway?.files).toEqual([
      { path: "/opt/tyk/tyk.conf", content: "{}", mode: 0o644 },
      { path: "/etc/gw/secret", content: secret, mode: 0o400 },
    ]);
    expect(gateway?.volumes).toEqual([{ name: "rendered", path: "/opt/tyk/apps", readOnly: true }]);
    expect(gateway?.init).toEqual([
      {
        name: "render",
        image: "node",
        env: { S: secret },
        command: ["sh", "-c", `render ${secret}`],
        files: [{ path: "/in/templates/users.json", content: '{"a":1}', mode: 0o644 }],
        volumes: [{ name: "rendered", path: "/out", readOnly: false }],
      },
    ]);
    expect(gateway?.onConfigChange).toBeUndefined();
  });

  it("reads the config-change hook with $(VAR) from the container's environment", () => {
    const hook =
      '{"method":"POST","port":8080,"path":"/tyk/reload/group","headers":{"x-tyk-authorization":"$(GW_SECRET)"}}';
    const { secrets, containers } = translatedPod(podSpec, { "devstack.azora.dev/on-config-change": hook });
    expect(containers[0]?.onConfigChange).toEqual({
      method: "POST",
      port: 8080,
      path: "/tyk/reload/group",
      headers: { "x-tyk-authorization": secrets["gw-secret"]?.secret },
    });
  });

  it("rejects, all at once, a missing volume, a missing key, a wrong subPath, an unsupported kind and a bad hook", () => {
    const broken = {
      volumes: [
        { name: "conf", configMap: { name: "gw", items: [{ key: "nope.json", path: "x.json" }] } },
        { name: "host", hostPath: { path: "/etc" } },
      ],
      containers: [
        {
          name: "gateway",
          image: "node:20-trixie-slim",
          volumeMounts: [
            { name: "conf", mountPath: "/a" },
            { name: "conf", mountPath: "/b", subPath: "y.json" },
            { name: "host", mountPath: "/host" },
            { name: "ghost", mountPath: "/ghost" },
          ],
        },
      ],
    };
    const error = userErrorFrom(() =>
      translatedPod(broken, { "devstack.azora.dev/on-config-change": "{oops" }),
    );
    const owner = "Deployment/gateway container gateway";
    expect(
      error.message
        .split("\n")
        .slice(1)
        .map((l) => l.trim()),
    ).toEqual([
      `${owner} volumeMount conf (/a): ConfigMap 'gw' has no key 'nope.json'`,
      `${owner} volumeMount conf (/b): ConfigMap 'gw' has no key 'nope.json'`,
      `${owner} volumeMount conf (/b): subPath 'y.json' is not a file of ConfigMap 'gw'`,
      `${owner} volume host: only configMap, secret or emptyDir volumes run on Docker`,
      `${owner} volumeMount ghost (/ghost): the pod has no volume named 'ghost'`,
      expect.stringMatching(/^Deployment\/gateway annotation devstack.azora.dev\/on-config-change: not JSON/),
    ]);
  });
});

describe("StatefulSets on Docker", () => {
  const statefulSet = (env: object[]) => [
    {
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: "redis", namespace: "azora" },
      spec: { clusterIP: "None", selector: { app: "redis" }, ports: [{ port: 6379, targetPort: 6379 }] },
    },
    {
      apiVersion: "apps/v1",
      kind: "StatefulSet",
      metadata: { name: "redis", namespace: "azora" },
      spec: {
        serviceName: "redis",
        replicas: 3,
        template: {
          metadata: { labels: { app: "redis" } },
          spec: {
            containers: [
              {
                name: "redis",
                image: "redis:8.0",
                env,
                args: ["--replica-announce-ip", "$(POD_NAME).redis"],
                ports: [{ containerPort: 6379 }],
                volumeMounts: [{ name: "data", mountPath: "/data" }],
              },
            ],
          },
        },
        volumeClaimTemplates: [
          { metadata: { name: "data" }, spec: { resources: { requests: { storage: "1Gi" } } } },
        ],
      },
    },
  ];
  const run = (env: object[]) => {
    const plan = planObjects(statefulSet(env) as never, "test", DOCKER_SUPPORT);
    return translate(plan, generateSecrets(plan), () => "redis");
  };

  it("names pods NAME-0..N-1, each reachable as NAME-i.SERVICE, with its own claim and its name from the downward API", () => {
    const pods = run([{ name: "POD_NAME", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } }]);
    expect(pods.map((p) => [p.pod, p.replica])).toEqual([
      ["redis-0", 1],
      ["redis-1", 2],
      ["redis-2", 3],
    ]);
    expect(pods[1]?.aliases).toEqual(["redis", "redis-1.redis", "redis-1.redis.azora.svc.cluster.local"]);
    expect(pods[2]?.env).toEqual({ POD_NAME: "redis-2" });
    expect(pods[2]?.args).toEqual(["--replica-announce-ip", "redis-2.redis"]);
    expect(pods[0]?.volumes).toEqual([{ name: "data", path: "/data", readOnly: false, persistent: true }]);
  });

  it("refuses a downward API field that is not known before the pod starts", () => {
    const error = userErrorFrom(() =>
      run([{ name: "IP", valueFrom: { fieldRef: { fieldPath: "status.podIP" } } }]),
    );
    expect(error.message).toContain(
      "StatefulSet/redis container redis env IP: fieldRef status.podIP is not known before the pod starts on Docker (known: metadata.name, metadata.namespace)",
    );
    // Reported once, not once per replica.
    expect(error.message.split("\n")).toHaveLength(2);
  });
});
