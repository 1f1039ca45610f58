import { describe, expect, it } from "vitest";
import { loadEnvFile, withCluster } from "../../src/config/env-file.ts";
import { namespaceFor, ownershipMetadata } from "../../src/runtimes/cluster/namespace.ts";
import { namespaceBudget, shortfall } from "../../src/runtimes/cluster/quota.ts";
import { clusterRuntime } from "../../src/runtimes/cluster/runtime.ts";

const refusal = (promise: Promise<unknown>) =>
  promise.then(
    () => "accepted",
    (e: Error) => e.message,
  );

describe("the cluster runtime's plan", () => {
  const envFile = (flags: { context?: string; registry?: string }) => withCluster(loadEnvFile("dev"), flags);

  it("needs a context and a registry, each named by its flag and env file field", async () => {
    expect(
      await refusal(
        clusterRuntime.dryRun({ name: "pr-1", envFile: envFile({ registry: "127.0.0.1:5001" }) }),
      ),
    ).toBe("--context: the cluster runtime needs the kubeconfig context of an existing cluster");
    expect(
      await refusal(clusterRuntime.dryRun({ name: "pr-1", envFile: envFile({ context: "staging" }) })),
    ).toBe(
      "--registry: the cluster runtime needs a registry the cluster's nodes pull from, to push the environment's images to",
    );
    expect(
      await refusal(
        clusterRuntime.dryRun({
          name: "pr-1",
          envFile: envFile({ context: "staging", registry: "http://x" }),
        }),
      ),
    ).toMatch("--registry: expected HOST[:PORT] of a registry");
  });

  it("claims the namespace azora-NAME first, then pushes, then does what Kind does inside a cluster", async () => {
    const plan = await clusterRuntime.dryRun({
      name: "pr-7",
      envFile: envFile({ context: "staging", registry: "registry.example.com:5000" }),
    });
    expect(plan.map((p) => p.action)).toEqual([
      "state",
      "kubeconfig",
      "prerequisites",
      "namespace",
      "quota",
      "access",
      "images",
      "manifests",
      "database",
      "migrations and seed",
      "rollouts",
      "endpoints",
      "ready",
    ]);
    const does = plan.flatMap((p) => p.does).join("\n");
    expect(does).toMatch("kubectl config view --minify --flatten --context staging");
    expect(does).toMatch("push db-init as registry.example.com:5000/azora-devstack/db-init:<image id>");
    // test:policy's prober runs on it in the environment's pods.
    expect(does).toMatch("push node as registry.example.com:5000/azora-devstack/node:<image id>");
    expect(does).toMatch("-n azora-pr-7 wait clusters.postgresql.cnpg.io/azora-db --for=condition=Ready");
    expect(does).not.toMatch(/-n azora /);
  });

  it("takes the context and registry from the env file unless the flags say otherwise", () => {
    const base = { ...loadEnvFile("dev"), cluster: { context: "ci", registry: "r.example.com" } };
    expect(withCluster(base, {}).cluster).toEqual({ context: "ci", registry: "r.example.com" });
    expect(withCluster(base, { context: "staging" }).cluster).toEqual({
      context: "staging",
      registry: "r.example.com",
    });
  });
});

describe("a namespace's ownership", () => {
  it("selects by labels and keeps every DevStack value as an annotation (runs and times are no label values)", () => {
    const labels = {
      "dev.azora.devstack": "true",
      "dev.azora.devstack.purpose": "env",
      "dev.azora.devstack.owner": "Ana María",
      "dev.azora.devstack.run": "ci-7:4242:998877",
      "dev.azora.devstack.expires": "2026-12-03T18:00:00.000Z",
      "dev.azora.devstack.env": "pr-7",
      "dev.azora.devstack.records": "0123456789abcdef",
    };
    expect(ownershipMetadata(labels)).toEqual({
      labels: {
        "dev.azora.devstack": "true",
        "dev.azora.devstack.env": "pr-7",
        "dev.azora.devstack.purpose": "env",
        "dev.azora.devstack.records": "0123456789abcdef",
      },
      annotations: labels,
    });
    expect(namespaceFor("pr-123")).toBe("azora-pr-123");
  });
});

describe("a namespace's quota", () => {
  const deployment = (
    spec: Record<string, unknown>,
    containers: unknown[],
    initContainers: unknown[] = [],
  ) => ({
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: "web" },
    spec: { ...spec, template: { spec: { containers, initContainers } } },
  });
  const web = {
    name: "web",
    resources: { requests: { cpu: "100m", memory: "128Mi" }, limits: { cpu: "1", memory: "256Mi" } },
  };

  it("is what the pr overlay runs at its peak: autoscalers at their maximum, rollout surge, the database's bootstrap Job, the migrations Job", async () => {
    const plan = await clusterRuntime.dryRun({
      name: "pr-8",
      envFile: withCluster(loadEnvFile("pr"), { context: "staging", registry: "r.example.com" }),
    });
    // Worked by hand from kind/overlays/pr: the 4 services at 4 replicas (their autoscalers'
    // maximum) + 1 surge, 50m/96Mi requested and 1 CPU/256Mi limited each; the gateway and
    // tyk-redis 1 + 1 surge; Redis and Sentinel 1 each (Sentinel's request the larger of its
    // container's and its init container's default, 32Mi); the database's instance + its
    // bootstrap Job; db-init; Redis' 1Gi claim and the database's 5Gi.
    expect(plan.find((p) => p.action === "quota")?.does[0]).toMatch(
      "29 pods, requests 1970m CPU 3488Mi, limits 26700m CPU 9472Mi, 2 claims 6144Mi, 1 load balancer(s)",
    );
  });

  it("takes a limit without a request as the request, the LimitRange's defaults for what is unsaid, and an init container only where it is larger", () => {
    const budget = namespaceBudget([
      deployment(
        { replicas: 2, strategy: { type: "Recreate" } },
        [{ name: "a", resources: { limits: { cpu: "300m", memory: "64Mi" } } }, { name: "b" }],
        [
          {
            name: "init",
            resources: { requests: { cpu: "2", memory: "1Mi" }, limits: { cpu: "2", memory: "1Mi" } },
          },
        ],
      ),
    ]);
    expect(budget.pods).toBe(2);
    // cpu: the init container's 2 CPUs beat a's 300m + b's default 10m; memory: 64Mi + 32Mi.
    expect(budget.requests).toEqual({ cpu: 4000, memory: 2 * 96 * 2 ** 20 });
    expect(budget.limits).toEqual({ cpu: 4000, memory: 2 * 128 * 2 ** 20 });
    expect(budget.largestContainer).toEqual({ cpu: 2000, memory: 64 * 2 ** 20 });
  });

  it("counts a rolling update's surge, a count or a percentage rounded up", () => {
    expect(namespaceBudget([deployment({ replicas: 3 }, [web])]).pods).toBe(4);
    expect(
      namespaceBudget([deployment({ replicas: 3, strategy: { rollingUpdate: { maxSurge: 2 } } }, [web])])
        .pods,
    ).toBe(5);
    expect(
      namespaceBudget([deployment({ replicas: 5, strategy: { rollingUpdate: { maxSurge: "50%" } } }, [web])])
        .pods,
    ).toBe(8);
    expect(() =>
      namespaceBudget([deployment({ strategy: { rollingUpdate: { maxSurge: "lots" } } }, [web])]),
    ).toThrow("Deployment web: spec.strategy.rollingUpdate.maxSurge 'lots' is not a count or a percentage");
  });

  it("names the object and field of a quantity it cannot read", () => {
    expect(() =>
      namespaceBudget([deployment({}, [{ name: "web", resources: { limits: { memory: "lots" } } }])]),
    ).toThrow("Deployment web container web resources.limits.memory: 'lots' is not a memory quantity");
  });

  it("says which resources a quota lacks for what is wanted", () => {
    expect(
      shortfall(
        { pods: "10", "requests.cpu": "1", "limits.memory": "2Gi" },
        { pods: "12", "requests.cpu": "900m", "limits.memory": "2048Mi" },
      ),
    ).toEqual(["pods 12 (the quota allows 10)"]);
    expect(shortfall({}, { "requests.storage": "1Gi" })).toEqual([
      "requests.storage 1Gi (the quota allows none)",
    ]);
  });
});
