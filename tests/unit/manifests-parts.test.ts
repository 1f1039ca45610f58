import { cpSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { loadEnvFile } from "../../src/config/env-file.ts";
import { clusterConfigSchema } from "../../src/manifests/cluster-file.ts";
import { prepareEnvironment } from "../../src/manifests/prepare.ts";
import { nanoCpus, scaledQuantity } from "../../src/manifests/quantities.ts";
import { type K8sObject, renderedName, renderOverlay } from "../../src/manifests/render.ts";
import { generateSecrets } from "../../src/manifests/secrets.ts";
import { kindDir } from "../../src/paths.ts";
import { DOCKER_SUPPORT } from "../../src/runtimes/docker/support.ts";
import { rejectionOf, userErrorFrom } from "../support/thrown.ts";

describe("Kubernetes quantities", () => {
  it.each([
    ["1", 1e9],
    ["0.5", 5e8],
    ["1.25", 1.25e9],
    ["500m", 5e8],
    [0.25, 2.5e8],
  ] as const)("CPU %s is %d nano-CPUs", (quantity, nano) => {
    expect(nanoCpus(quantity, "f.yaml: cpu")).toBe(nano);
  });

  it.each(["x1", "1x", "1.", "1.x", "m", "-1", ""])("CPU '%s' is refused, naming where", (text) => {
    expect(userErrorFrom(() => nanoCpus(text, "f.yaml: cpu")).message).toBe(
      `f.yaml: cpu: '${text}' is not a CPU quantity (e.g. 1, 0.5, 500m)`,
    );
  });

  it.each([
    ["256Mi", 256 * 2 ** 20],
    ["1.5Gi", 1.5 * 2 ** 30],
    ["1.25Ki", 1280],
    ["2Ti", 2 * 2 ** 40],
    ["1k", 1e3],
    ["3M", 3e6],
    ["1G", 1e9],
    ["2T", 2e12],
    ["1073741824", 1073741824],
    [29, 29],
  ] as const)("%s is %d", (quantity, value) => {
    expect(scaledQuantity(quantity, "f.yaml: memory")).toBe(value);
  });

  it.each(["x1Gi", "1Gix", "1.Gi", "1.xGi", "1Gb", "Gi"])(
    "'%s' is refused, as memory or as a count",
    (text) => {
      expect(userErrorFrom(() => scaledQuantity(text, "f.yaml: memory")).message).toBe(
        `f.yaml: memory: '${text}' is not a memory quantity (e.g. 256Mi, 1Gi)`,
      );
      expect(userErrorFrom(() => scaledQuantity(text, "f.yaml: max", "count")).message).toBe(
        `f.yaml: max: '${text}' is not a count quantity (e.g. 10)`,
      );
    },
  );
});

describe("kind/cluster.yaml's schema", () => {
  const valid = {
    kind: "Cluster",
    apiVersion: "kind.x-k8s.io/v1alpha4",
    networking: { disableDefaultCNI: true, podSubnet: "192.168.0.0/16" },
    nodes: [{ role: "control-plane" }],
  };
  const messages = (config: unknown) =>
    clusterConfigSchema.safeParse(config).error?.issues.map((i) => `${i.path.join(".")}: ${i.message}`);

  it("takes the committed shape and says what each wrong field should be", () => {
    expect(messages(valid)).toBeUndefined();
    expect(
      messages({
        kind: "Clusters",
        apiVersion: "v1",
        networking: { disableDefaultCNI: false },
        nodes: [{ role: "master" }],
      }),
    ).toEqual([
      "kind: expected Cluster",
      "apiVersion: expected kind.x-k8s.io/v1alpha4",
      "networking.disableDefaultCNI: must be true: kindnet does not enforce NetworkPolicy",
      "networking.podSubnet: required: Calico's pool CIDR",
      "nodes.0.role: control-plane or worker",
    ]);
    expect(messages({ ...valid, nodes: [] })).toEqual(["nodes: at least the control-plane node"]);
  });
});

describe("the secrets an environment's Clusters need", () => {
  const cluster = (name: string, spec?: Record<string, unknown>): K8sObject =>
    ({ apiVersion: "postgresql.cnpg.io/v1", kind: "Cluster", metadata: { name }, spec }) as K8sObject;

  it("the app secret from initdb (app/app without one); superuser and replication with several instances", () => {
    const values = generateSecrets({
      run: [
        cluster("one"),
        cluster("bare", { instances: 1, bootstrap: {} }),
        cluster("ha", { instances: 3, bootstrap: { initdb: { database: "azora", owner: "azora_app" } } }),
      ],
      ignored: [],
    });
    expect(Object.keys(values).sort()).toEqual([
      "bare-app",
      "ha-app",
      "ha-replication",
      "ha-superuser",
      "one-app",
    ]);
    const one = values["one-app"];
    expect(one).toEqual({
      username: "app",
      password: expect.stringMatching(/^[\w-]{32}$/),
      host: "one-rw",
      port: "5432",
      dbname: "app",
      uri: `postgresql://app:${one?.password}@one-rw:5432/app`,
    });
    expect(values["ha-app"]).toMatchObject({ username: "azora_app", dbname: "azora", host: "ha-rw" });
    expect(values["ha-superuser"]).toEqual({
      username: "postgres",
      password: expect.stringMatching(/^[\w-]{32}$/),
    });
    expect(values["ha-replication"]).toEqual({
      username: "streaming_replica",
      password: expect.stringMatching(/^[\w-]{32}$/),
    });
    expect(new Set(Object.values(values).map((v) => v.password)).size).toBe(5);
  });

  it("keeps the passwords an environment already has", () => {
    const plan = { run: [cluster("ha", { instances: 2 })], ignored: [] };
    const previous = generateSecrets(plan);
    expect(generateSecrets(plan, previous)).toEqual(previous);
    expect(generateSecrets(plan)["ha-superuser"]?.password).not.toBe(previous["ha-superuser"]?.password);
  });
});

describe("rendering an overlay", () => {
  it("names the overlay and its components", () => {
    expect(renderedName("dev")).toBe("kind/overlays/dev");
    expect(renderedName("dev", ["monitoring", "backups"])).toBe("kind/overlays/dev with monitoring, backups");
  });

  it("says which overlay kustomize could not render, with kustomize's words as the hint", async () => {
    const error = (await rejectionOf(renderOverlay("no-such-overlay", ["monitoring"]))) as Error & {
      hint?: string;
    };
    expect(error.message).toBe("kind/overlays/no-such-overlay with monitoring: kustomize failed");
    expect(error.hint).toMatch(/no-such-overlay/);
    expect(error.hint).toBe(error.hint?.trim());
  });

  it("moves every namespaced object into the namespace asked for, with or without components", async () => {
    const plain = await renderOverlay("dev");
    const moved = await renderOverlay("dev", [], { namespace: "it-moved" });
    // The same objects; the Namespace itself takes the new name.
    const ids = (objects: K8sObject[]) =>
      objects.map((o) => (o.kind === "Namespace" ? o.kind : `${o.kind}/${o.metadata.name}`));
    expect(ids(moved)).toEqual(ids(plain));
    expect(moved.filter((o) => o.kind === "Namespace").map((o) => o.metadata.name)).toEqual(["it-moved"]);
    const namespaces = new Set(moved.filter((o) => o.metadata.namespace).map((o) => o.metadata.namespace));
    expect([...namespaces]).toEqual(["it-moved"]);
    const monitored = await renderOverlay("dev", ["monitoring"]);
    expect(monitored.length).toBeGreaterThan(plain.length);
    expect(monitored.some((o) => o.kind === "PrometheusRule")).toBe(true);
  });

  it("probes the dev database every second or two, the nightly one at CloudNativePG's defaults", async () => {
    const probes = async (overlay: string) =>
      (await renderOverlay(overlay)).find((o) => o.kind === "Cluster")?.spec?.probes ?? "defaults";
    expect(await probes("dev")).toEqual({ startup: { periodSeconds: 1 }, readiness: { periodSeconds: 2 } });
    expect(await probes("nightly")).toBe("defaults");
  });

  it("leaves no kustomization of its own behind, rendered or failed", async () => {
    const saved = process.env.TMPDIR;
    const own = mkdtempSync(join(tmpdir(), "devstack-tmp-"));
    process.env.TMPDIR = own;
    try {
      await renderOverlay("dev", ["monitoring"]);
      await rejectionOf(renderOverlay("no-such-overlay", [], { namespace: "x" }));
      expect(readdirSync(own)).toEqual([]);
    } finally {
      if (saved === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = saved;
      rmSync(own, { recursive: true, force: true });
    }
  });
});

describe("preparing an environment", () => {
  const saved = process.env.DEVSTACK_KIND_DIR;
  afterEach(() => {
    if (saved === undefined) delete process.env.DEVSTACK_KIND_DIR;
    else process.env.DEVSTACK_KIND_DIR = saved;
  });

  it("checks the gateway's files before anything is planned", async () => {
    const copy = mkdtempSync(join(tmpdir(), "devstack-kind-"));
    try {
      cpSync(kindDir(), copy, { recursive: true });
      writeFileSync(join(copy, "base/gateway/policies.json"), "{ not json");
      process.env.DEVSTACK_KIND_DIR = copy;
      const error = (await rejectionOf(prepareEnvironment(loadEnvFile("dev"), DOCKER_SUPPORT))) as Error;
      expect(error.message).toMatch(/^invalid gateway configuration in .*base\/gateway\n.*policies\.json/);
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
  });

  it("moves the environment into the namespace asked for", async () => {
    const { plan } = await prepareEnvironment(loadEnvFile("dev"), DOCKER_SUPPORT, undefined, {
      namespace: "it-prepared",
    });
    const namespaces = new Set(plan.run.flatMap((o) => (o.metadata.namespace ? [o.metadata.namespace] : [])));
    expect([...namespaces]).toEqual(["it-prepared"]);
  });
});
