import { describe, expect, it } from "vitest";
import { loadEnvFile, withCluster } from "../../src/config/env-file.ts";
import { namespaceFor, ownershipMetadata } from "../../src/runtimes/cluster/namespace.ts";
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
