import { describe, expect, it } from "vitest";
import { loadEnvFile, withComponents, withKindWorkers } from "../../src/config/env-file.ts";
import type { UserError } from "../../src/errors.ts";
import { loadImageMap } from "../../src/images/image-map.ts";
import { prepareEnvironment } from "../../src/manifests/prepare.ts";
import { repoRoot } from "../../src/paths.ts";
import { clusterConfigFor } from "../../src/runtimes/kind/cluster-config.ts";
import { exportForCluster } from "../../src/runtimes/kind/export.ts";
import {
  forwardsOf,
  imagesToLoad,
  KIND_SUPPORT,
  objectsToApply,
  withImages,
} from "../../src/runtimes/kind/objects.ts";
import { kindRuntime } from "../../src/runtimes/kind/runtime.ts";

// `dev:up --runtime kind --dry-run`: every kind, kubectl and docker command in order, exactly as
// `up` runs them (both come from the same command lists). No cluster can start in this test, so
// the plan is the Kind runtime's verification here. Written out by hand from the design: the guard
// before the first node, the NetworkPolicy engine before the overlay, the operator before the
// Cluster, the seed once the database is Ready.

const STATE = "/state";
process.env.DEVSTACK_STATE_DIR = STATE;
const K = "kubectl --kubeconfig /state/kind/plan.kubeconfig";
/** A member's steps as the plan of the action that runs it beside others names them. */
const member = (name: string, steps: string[]) => steps.map((step) => `${name}: ${step}`);

const planOf = async (env: string) =>
  (await kindRuntime.dryRun({ name: "plan", envFile: loadEnvFile(env) })).map(({ action, does }) => ({
    action,
    does: does.map((line) => line.replaceAll(repoRoot, "$REPO")),
  }));

describe("the Kind runtime's plan", () => {
  it("for dev: the whole plan, command by command", async () => {
    expect(await planOf("dev")).toEqual([
      {
        action: "leftovers",
        does: [
          "kind delete cluster --name azora-plan --kubeconfig /state/kind/plan.kubeconfig (if kind lists azora-plan)",
          "docker network rm azora-plan-kind (if it exists); the egress guard's table, if any",
        ],
      },
      {
        action: "state",
        does: ["write /state/envs/plan.json (mode 0600): runtime kind, status starting, generated secrets"],
      },
      {
        action: "network",
        does: [
          "check: no network or route of this machine overlaps 192.168.0.0/16, 10.96.0.0/16",
          "docker network create --label ... --subnet <free /16 outside 192.168.0.0/16, 10.96.0.0/16> azora-plan-kind",
        ],
      },
      {
        action: "egress guard",
        does: [
          "nft -f: table inet devstackguard_plan on the bridge of azora-plan-kind: what comes in on it goes out on it or to this machine, nothing else",
        ],
      },
      {
        action: "node image",
        does: [
          "resolve kind-node through the image map (kindest/node:v1.34.4, or images/kind-node built offline)",
          "try a --privileged container of it; where that fails, kind's docker is src/runtimes/kind/unprivileged-docker.sh",
        ],
      },
      {
        action: "cluster",
        does: [
          "KIND_EXPERIMENTAL_DOCKER_NETWORK=azora-plan-kind kind create cluster --name azora-plan --image <kind-node image> --config /state/kind/plan.cluster.yaml --kubeconfig /state/kind/plan.kubeconfig",
          "config: control-plane, worker; pod subnet 192.168.0.0/16, no default CNI; API server on 127.0.0.1, port picked by the engine",
        ],
      },
      {
        // The add-ons roll out while the images load: one action of two lanes.
        action: "add-ons and images",
        does: [
          // Calico's manifest is not vendored in this repository: DevStack's agent stands in.
          ...member("network policies", [
            "docker tag <policy-agent image> registry.azora.dev/devstack/policy-agent:1.0.0",
            "kind load docker-image --name azora-plan registry.azora.dev/devstack/policy-agent:1.0.0",
            `${K} apply --server-side --field-manager=devstack -f - < kind/policy-agent/policy-agent.yaml (POD_RANGES=192.168.0.0/16)`,
            `${K} -n kube-system rollout status daemonset/devstack-policy-agent --timeout=120s`,
            `${K} wait --for=condition=Ready nodes --all --timeout=120s`,
            "kind/calico/calico.yaml is not vendored: DevStack's NetworkPolicy agent enforces them instead",
          ]),
          ...member("operator", [
            // Nor is the operator's release manifest: it is made from the operator's Go module.
            "docker tag <cnpg-operator image> ghcr.io/cloudnative-pg/cloudnative-pg:1.27.1",
            "kind load docker-image --name azora-plan --nodes azora-plan-worker ghcr.io/cloudnative-pg/cloudnative-pg:1.27.1",
            `${K} apply --server-side --field-manager=devstack -f - < CloudNativePG 1.27.1's config/default from its Go module (kustomize), image ghcr.io/cloudnative-pg/cloudnative-pg:1.27.1`,
            `${K} -n cnpg-system rollout status deployment/cnpg-controller-manager --timeout=120s`,
            "kind/cnpg/cnpg.yaml is not vendored: the manifest is made from the operator's source",
          ]),
          ...member("images", [
            "docker tag <course-service image> registry.azora.dev/azora/course-service:1.0.0",
            "docker tag <enrollment-service image> registry.azora.dev/azora/enrollment-service:1.0.0",
            "docker tag <session-service image> registry.azora.dev/azora/session-service:1.0.0",
            "docker tag <node image> node:20-trixie-slim",
            "docker tag <tyk image> tykio/tyk-gateway:v5.8.1",
            "docker tag <redis image> redis:8.0",
            "docker tag <user-service image> registry.azora.dev/azora/user-service:1.0.0",
            "docker tag <cnpg-postgres image> ghcr.io/cloudnative-pg/postgresql:17.5-standard-bookworm",
            "kind load docker-image --name azora-plan --nodes azora-plan-worker registry.azora.dev/azora/course-service:1.0.0 registry.azora.dev/azora/enrollment-service:1.0.0 registry.azora.dev/azora/session-service:1.0.0 node:20-trixie-slim tykio/tyk-gateway:v5.8.1 redis:8.0 registry.azora.dev/azora/user-service:1.0.0 ghcr.io/cloudnative-pg/postgresql:17.5-standard-bookworm <db-init image>",
          ]),
        ],
      },
      {
        action: "manifests",
        does: [
          `${K} apply --server-side --field-manager=devstack -f - < 52 objects of kind/overlays/dev (4 Secrets with generated values)`,
        ],
      },
      {
        action: "database",
        does: [
          `${K} -n azora wait clusters.postgresql.cnpg.io/azora-db --for=condition=Ready --timeout=120s`,
        ],
      },
      {
        action: "migrations and seed",
        does: [
          `${K} -n azora delete job db-init --ignore-not-found`,
          `${K} apply --server-side --field-manager=devstack -f - < Job/db-init (image db-init, seed small)`,
          `${K} -n azora wait job/db-init --for=condition=complete --timeout=120s`,
          `${K} -n azora logs job/db-init`,
        ],
      },
      {
        action: "rollouts",
        does: [
          "deployment/course-service",
          "deployment/enrollment-service",
          "deployment/session-service",
          "deployment/tyk-gateway",
          "deployment/tyk-redis",
          "deployment/user-service",
          "statefulset/redis",
          "statefulset/redis-sentinel",
        ].map((w) => `${K} -n azora rollout status ${w} --timeout=120s`),
      },
      {
        action: "endpoints",
        does: [
          ...[
            ["postgres", "azora-db-rw", "postgres"],
            ["course-service", "course-service", "http"],
            ["enrollment-service", "enrollment-service", "http"],
            ["redis", "redis", "redis"],
            ["session-service", "session-service", "http"],
            ["loadbalancer/tyk-gateway", "tyk-gateway", "http"],
            ["tyk-redis", "tyk-redis", "redis"],
            ["user-service", "user-service", "http"],
          ].map(
            ([endpoint, service, port]) =>
              `${endpoint}: ${K} -n azora port-forward --address 127.0.0.1 pod/<a ready pod of ${service}> <free port>:<its port ${port}>`,
          ),
          `held by a detached keeper that follows each Service's ready pods (${K} -n azora get endpointslices --watch -o json), moving a forward when its pod stops backing the Service`,
          "each LoadBalancer Service's address, if the cluster's load-balancer controller gave it one (`status.loadBalancer`), reported beside",
        ],
      },
      { action: "ready", does: ["record the environment ready with its endpoints"] },
    ]);
  });

  it("takes dev:up --kind-workers over the env file's worker count", async () => {
    const plan = await kindRuntime.dryRun({
      name: "plan",
      envFile: withKindWorkers(loadEnvFile("nightly"), 4),
    });
    expect(plan.find((p) => p.action === "cluster")?.does[1]).toMatch(
      /^config: control-plane, worker, worker, worker, worker;/,
    );
  });

  it("for nightly: two workers, the database's three Services forwarded, the env's timeout and seed", async () => {
    const plan = await planOf("nightly");
    const does = (action: string) => plan.find((p) => p.action === action)?.does ?? [];
    expect(does("cluster")[1]).toBe(
      "config: control-plane, worker, worker; pod subnet 192.168.0.0/16, no default CNI; API server on 127.0.0.1, port picked by the engine",
    );
    expect(
      does("endpoints")
        .slice(0, 3)
        .map((l) => l.split(":")[0]),
    ).toEqual(["postgres", "postgres-ro", "postgres-r"]);
    expect(does("database")).toEqual([
      `${K} -n azora wait clusters.postgresql.cnpg.io/azora-db --for=condition=Ready --timeout=300s`,
    ]);
    expect(does("migrations and seed")[1]).toContain("(image db-init, seed large)");
    // Images go to the nodes that run workloads (kind names its workers -worker, -worker2, ...).
    expect(does("add-ons and images").at(-1)).toMatch(
      /^images: kind load docker-image --name azora-plan --nodes \$'azora-plan-worker,azora-plan-worker2' /,
    );
  });

  it("refuses components, which only the Docker runtime runs so far", async () => {
    const envFile = withComponents(loadEnvFile("dev"), "monitoring");
    const error = await kindRuntime.dryRun({ name: "plan", envFile }).then(
      () => undefined,
      (e: unknown) => e as UserError,
    );
    expect(error?.message).toBe(
      "env dev with monitoring: components (monitoring) run on the Docker runtime only, not yet on Kind",
    );
  });

  it("refuses them in an export too, before any image is resolved or pushed", async () => {
    const envFile = withComponents(loadEnvFile("dev"), "monitoring");
    // Port 1 answers nothing: had the export gone on to push, the error would name the registry.
    await expect(exportForCluster({ envFile, name: "plan", registry: "127.0.0.1:1" })).rejects.toThrow(
      "env dev with monitoring: components (monitoring) run on the Docker runtime only, not yet on an exported cluster",
    );
  });
});

describe("what the Kind runtime hands to the cluster", () => {
  it("a cluster config per environment: its name, API on loopback, the env's workers", () => {
    const config = clusterConfigFor("pr-42", { ...loadEnvFile("pr"), kindWorkers: 3 });
    expect(config).toMatchObject({
      kind: "Cluster",
      name: "azora-pr-42",
      networking: {
        disableDefaultCNI: true,
        podSubnet: "192.168.0.0/16",
        apiServerAddress: "127.0.0.1",
        apiServerPort: 0,
      },
    });
    expect(config.nodes.map((n) => n.role)).toEqual(["control-plane", "worker", "worker", "worker"]);
  });

  it("Secrets filled with the generated values (never the empty placeholders), the Namespace first", async () => {
    const prepared = await prepareEnvironment(loadEnvFile("dev"), KIND_SUPPORT);
    const objects = objectsToApply(prepared);
    expect(objects[0]?.kind).toBe("Namespace");
    const jwt = objects.find((o) => o.kind === "Secret" && o.metadata.name === "session-service-jwt");
    expect(jwt?.stringData?.JWT_SECRET).toMatch(/^[\w-]{32}$/);
    expect(jwt?.stringData?.JWT_SECRET).toBe(prepared.secrets["session-service-jwt"]?.JWT_SECRET);
    // The operator makes the database's application Secret itself.
    expect(objects.some((o) => o.metadata.name === "azora-db-app")).toBe(false);
  });

  it("every image a manifest names must be in the image map, or nothing starts", async () => {
    const prepared = await prepareEnvironment(loadEnvFile("dev"), KIND_SUPPORT);
    const gateway = prepared.plan.run.find(
      (o) => o.kind === "Deployment" && o.metadata.name === "tyk-gateway",
    );
    if (!gateway) throw new Error("no tyk-gateway Deployment in dev");
    gateway.spec.template.spec.containers[0].image = "example.org/unknown:1";
    expect(() => imagesToLoad(prepared, loadImageMap())).toThrow(
      "Deployment/tyk-gateway: image example.org/unknown:1 is not in images/images.yaml (as upstream or alias)",
    );
  });

  it("names images anew for a registry, or refuses: no image is left as it was, the objects themselves untouched", async () => {
    const objects = objectsToApply(await prepareEnvironment(loadEnvFile("dev"), KIND_SUPPORT));
    const imagesOf = (list: typeof objects) =>
      list.flatMap((o) =>
        o.kind === "Cluster"
          ? [o.spec.imageName as string]
          : [
              ...(o.spec?.template?.spec?.initContainers ?? []),
              ...(o.spec?.template?.spec?.containers ?? []),
            ].map((c: { image: string }) => c.image),
      );
    const before = imagesOf(objects);
    expect(imagesOf(withImages(objects, (r) => `reg.example:5000/${r}`))).toEqual(
      before.map((r) => `reg.example:5000/${r}`),
    );
    expect(imagesOf(objects)).toEqual(before);
    expect(() => withImages(objects, (r) => (r.startsWith("redis") ? undefined : r))).toThrow(
      "Deployment/tyk-redis: no replacement for image redis:8.0",
    );
  });

  it("the Redis endpoint carries the password its workload reads from its Secret", async () => {
    const prepared = await prepareEnvironment(loadEnvFile("dev"), KIND_SUPPORT);
    const redis = forwardsOf(prepared).find((f) => f.endpoint === "redis");
    expect(redis).toEqual({
      endpoint: "redis",
      service: "redis",
      port: 6379,
      portName: "redis",
      scheme: "redis",
      password: prepared.secrets["redis-auth"]?.password,
    });
    expect(redis?.password).toMatch(/^[\w-]{32}$/);
  });
});
