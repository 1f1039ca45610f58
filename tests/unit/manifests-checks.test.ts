import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { EnvFile } from "../../src/config/env-file.ts";
import {
  CNPG_APP_SECRET_KEYS,
  cnpgAppSecret,
  planObjects,
  type RuntimeSupport,
} from "../../src/manifests/plan.ts";
import { prepareEnvironment } from "../../src/manifests/prepare.ts";
import { type K8sObject, renderOverlay } from "../../src/manifests/render.ts";
import { GENERATE_ANNOTATION, generateSecrets } from "../../src/manifests/secrets.ts";
import { NetpolInputError } from "../../src/netpol/problems.ts";
import { userErrorFrom } from "../support/thrown.ts";

// The runtime-neutral checks of src/manifests on small hand-made manifests (manifests.test.ts
// covers the real kind/ overlays): what runs, what is refused and why, and the secrets made.

afterEach(() => {
  vi.unstubAllEnvs();
});

const SUPPORT: RuntimeSupport = {
  runtime: "test",
  run: ["Deployment", "StatefulSet", "Service", "ConfigMap", "Secret", "Cluster"],
  ignored: { HorizontalPodAutoscaler: "nothing scales here", Namespace: "one network per env" },
};

const object = (kind: string, name: string, extra: Partial<K8sObject> = {}): K8sObject => ({
  apiVersion: kind === "Deployment" || kind === "StatefulSet" ? "apps/v1" : "v1",
  kind,
  metadata: { name },
  ...extra,
});
type Container = { name: string; env?: unknown[]; envFrom?: unknown[] };
const workload = (kind: string, name: string, containers: Container[]) =>
  object(kind, name, { spec: { template: { spec: { containers } } } });
const fromMap = (name: string, map: string, key: string) => ({
  name,
  valueFrom: { configMapKeyRef: { name: map, key } },
});
const fromSecret = (name: string, secret: string, key: string) => ({
  name,
  valueFrom: { secretKeyRef: { name: secret, key } },
});

/** The problems planObjects reports, one per line, without the heading. */
const problems = (objects: K8sObject[]) => {
  const { message } = userErrorFrom(() => planObjects(objects, "kind/overlays/test", SUPPORT));
  const [heading, ...lines] = message.split("\n  ");
  expect(heading).toBe("kind/overlays/test: the manifests cannot run");
  return lines;
};

describe("planning rendered objects for a runtime", () => {
  it("runs the kinds the runtime supports and ignores the others it knows, with the reason, in order", () => {
    const objects = [
      object("Namespace", "azora"),
      object("ConfigMap", "cfg", { data: { A: "1" } }),
      object("HorizontalPodAutoscaler", "web"),
      workload("Deployment", "web", [{ name: "app", env: [fromMap("A", "cfg", "A")] }]),
      object("Service", "web"),
    ];
    const plan = planObjects(objects, "x", SUPPORT);
    expect(plan.run.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual([
      "ConfigMap/cfg",
      "Deployment/web",
      "Service/web",
    ]);
    expect(plan.ignored.map((i) => [`${i.object.kind}/${i.object.metadata.name}`, i.reason])).toEqual([
      ["Namespace/azora", "one network per env"],
      ["HorizontalPodAutoscaler/web", "nothing scales here"],
    ]);
  });

  it("refuses a kind the runtime neither runs nor ignores, listing both", () => {
    expect(
      problems([
        { apiVersion: "example.com/v1", kind: "Widget", metadata: { name: "w" } },
        { apiVersion: "v1", kind: "Job" } as unknown as K8sObject,
      ]),
    ).toEqual([
      "Widget/w: kind example.com/v1/Widget has no meaning on the test runtime (supported: Deployment, StatefulSet, Service, ConfigMap, Secret, Cluster; ignored: HorizontalPodAutoscaler, Namespace)",
      "Job/(unnamed): kind v1/Job has no meaning on the test runtime (supported: Deployment, StatefulSet, Service, ConfigMap, Secret, Cluster; ignored: HorizontalPodAutoscaler, Namespace)",
    ]);
  });

  it("checks every ConfigMap and Secret a workload reads, and the keys it reads, all at once", () => {
    const objects = [
      object("ConfigMap", "cfg", { data: { LOG_LEVEL: "info" }, stringData: { EXTRA: "x" } }),
      object("Secret", "creds", { data: { TOKEN: "" } }),
      object("Secret", "empty"),
      workload("Deployment", "web", [
        {
          name: "app",
          env: [
            { name: "PLAIN", value: "1" },
            fromMap("LOG_LEVEL", "cfg", "LOG_LEVEL"),
            fromMap("EXTRA", "cfg", "EXTRA"),
            fromMap("MISSING_KEY", "cfg", "NOPE"),
            fromMap("MISSING_MAP", "other", "X"),
            fromSecret("TOKEN", "creds", "TOKEN"),
            fromSecret("NOKEY", "empty", "K"),
          ],
          envFrom: [
            { configMapRef: { name: "cfg" } },
            { secretRef: { name: "gone" } },
            { configMapRef: { name: "nomap" } },
          ],
        },
        { name: "sidecar", envFrom: [{ secretRef: { name: "creds" } }] },
      ]),
      workload("StatefulSet", "cache", [
        { name: "redis", env: [fromSecret("PASSWORD", "creds", "PASSWORD")] },
      ]),
      // Only Deployments and StatefulSets are workloads here.
      object("Service", "svc", {
        spec: {
          template: { spec: { containers: [{ name: "x", envFrom: [{ secretRef: { name: "gone" } }] }] } },
        },
      }),
    ];
    expect(problems(objects)).toEqual([
      "Deployment/web container app env MISSING_KEY: references key 'NOPE' of ConfigMap 'cfg', which has only: LOG_LEVEL, EXTRA",
      "Deployment/web container app env MISSING_MAP: references ConfigMap 'other', which the manifests do not define",
      "Deployment/web container app env NOKEY: references key 'K' of Secret 'empty', which has only: (no keys)",
      "Deployment/web container app envFrom: references Secret 'gone', which the manifests do not define",
      "Deployment/web container app envFrom: references ConfigMap 'nomap', which the manifests do not define",
      "StatefulSet/cache container redis env PASSWORD: references key 'PASSWORD' of Secret 'creds', which has only: TOKEN",
    ]);
  });

  it("does not take keys from an object it ignores, and finds a ConfigMap and a Secret of one name apart", () => {
    const support = {
      ...SUPPORT,
      run: SUPPORT.run.filter((k) => k !== "ConfigMap"),
      ignored: { ...SUPPORT.ignored, ConfigMap: "not here" },
    };
    const objects = [
      object("ConfigMap", "same", { data: { A: "1" } }),
      object("Secret", "same", { data: { B: "" } }),
      workload("Deployment", "web", [
        { name: "app", env: [fromMap("A", "same", "A"), fromSecret("A", "same", "A")] },
      ]),
    ];
    expect(() => planObjects(objects, "x", support)).toThrow(
      "x: the manifests cannot run\n  Deployment/web container app env A: references ConfigMap 'same', which the manifests do not define\n  Deployment/web container app env A: references key 'A' of Secret 'same', which has only: B",
    );
  });

  it("knows the secret CloudNativePG makes for a Cluster, with its keys", () => {
    expect(cnpgAppSecret("azora-db")).toBe("azora-db-app");
    expect(CNPG_APP_SECRET_KEYS).toEqual(["username", "password", "host", "port", "dbname", "uri"]);
    const objects = [
      object("Cluster", "azora-db"),
      workload("Deployment", "web", [
        {
          name: "app",
          env: [fromSecret("DATABASE_URL", "azora-db-app", "uri"), fromSecret("X", "azora-db-app", "pass")],
        },
      ]),
    ];
    expect(problems(objects)).toEqual([
      "Deployment/web container app env X: references key 'pass' of Secret 'azora-db-app', which has only: username, password, host, port, dbname, uri",
    ]);
    expect(planObjects(objects.slice(0, 1), "x", SUPPORT).run).toHaveLength(1);
    // Only a Cluster brings that secret: a ConfigMap of the same name does not.
    const notACluster = [object("ConfigMap", "azora-db", { data: {} }), ...objects.slice(1)];
    expect(problems(notACluster)).toContain(
      "Deployment/web container app env DATABASE_URL: references Secret 'azora-db-app', which the manifests do not define",
    );
  });
});

describe("an environment's secrets", () => {
  const secret = (name: string, generate: boolean | undefined, extra: Partial<K8sObject>) =>
    object("Secret", name, {
      ...(generate === undefined
        ? {}
        : { metadata: { name, annotations: { [GENERATE_ANNOTATION]: String(generate) } } }),
      ...extra,
    });
  const plan = (...run: K8sObject[]) => ({ run, ignored: [] });
  const RANDOM = /^[A-Za-z0-9_-]{32}$/; // 24 random bytes, base64url

  it("fills the empty keys of templates annotated for generation with random values, once per key", () => {
    expect(GENERATE_ANNOTATION).toBe("devstack.azora.dev/generate");
    const values = generateSecrets(
      plan(
        secret("jwt", true, {
          data: { KEY: "", FIXED: Buffer.from("kept as given").toString("base64") },
          stringData: { OTHER: "" },
        }),
        secret("plain", undefined, { data: { EMPTY: "" }, stringData: { NAME: "x" } }),
        secret("off", false, { stringData: { EMPTY: "" } }),
        object("ConfigMap", "cfg", { data: { A: "" } }),
      ),
    );
    expect(Object.keys(values)).toEqual(["jwt", "plain", "off"]);
    expect(values.jwt?.KEY).toMatch(RANDOM);
    expect(values.jwt?.OTHER).toMatch(RANDOM);
    expect(values.jwt?.KEY).not.toBe(values.jwt?.OTHER);
    expect(values.jwt?.FIXED).toBe("kept as given");
    expect(values.plain).toEqual({ EMPTY: "", NAME: "x" });
    expect(values.off).toEqual({ EMPTY: "" });
  });

  it("keeps the values generated for the environment before", () => {
    const template = plan(secret("jwt", true, { stringData: { KEY: "", NEW: "" } }));
    const values = generateSecrets(template, { jwt: { KEY: "from-last-time" } });
    expect(values.jwt?.KEY).toBe("from-last-time");
    expect(values.jwt?.NEW).toMatch(RANDOM);
    expect(generateSecrets(template).jwt?.KEY).not.toBe(generateSecrets(template).jwt?.KEY);
  });

  it("makes the application secret of each CloudNativePG Cluster as its operator would", () => {
    const cluster = object("Cluster", "azora-db", {
      spec: { bootstrap: { initdb: { database: "azora", owner: "azora_app" } } },
    });
    const values = generateSecrets(plan(cluster));
    const password = values["azora-db-app"]?.password ?? "";
    expect(password).toMatch(RANDOM);
    expect(values).toEqual({
      "azora-db-app": {
        username: "azora_app",
        password,
        host: "azora-db-rw",
        port: "5432",
        dbname: "azora",
        uri: `postgresql://azora_app:${password}@azora-db-rw:5432/azora`,
      },
    });
    // The operator's defaults: database "app", owned by a user of the same name; a kept password.
    expect(generateSecrets(plan(object("Cluster", "db")), { "db-app": { password: "old" } })).toEqual({
      "db-app": {
        username: "app",
        password: "old",
        host: "db-rw",
        port: "5432",
        dbname: "app",
        uri: "postgresql://app:old@db-rw:5432/app",
      },
    });
    expect(
      generateSecrets(
        plan(object("Cluster", "db", { spec: { bootstrap: { initdb: { database: "shop" } } } })),
      )["db-app"],
    ).toMatchObject({ username: "shop", dbname: "shop" });
  });
});

/** A kind/ folder with one overlay made of `objects` (YAML), made the one the renderer reads. */
function kindFolder(objects: string) {
  const root = mkdtempSync(join(tmpdir(), "devstack-kind-"));
  mkdirSync(join(root, "overlays", "mini"), { recursive: true });
  writeFileSync(join(root, "overlays", "mini", "objects.yaml"), objects);
  writeFileSync(
    join(root, "overlays", "mini", "kustomization.yaml"),
    "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - objects.yaml\n",
  );
  vi.stubEnv("DEVSTACK_KIND_DIR", root);
  return root;
}

const MINI = `apiVersion: v1
kind: Namespace
metadata:
  name: azora
  labels: { team: platform }
---
apiVersion: v1
kind: Secret
metadata:
  name: jwt
  namespace: azora
  annotations: { devstack.azora.dev/generate: "true" }
stringData:
  KEY: ""
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: deny-all
  namespace: azora
spec:
  podSelector: {}
`;

describe("rendering an overlay with kustomize", () => {
  it("gives the overlay's objects", async () => {
    kindFolder(MINI);
    const objects = await renderOverlay("mini");
    expect(objects.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual([
      "Namespace/azora",
      "Secret/jwt",
      "NetworkPolicy/deny-all",
    ]);
    expect(objects[0]?.metadata.labels).toEqual({ team: "platform" });
  });

  it("names the overlay kustomize failed on, with kustomize's own words", async () => {
    kindFolder(MINI);
    const error = await renderOverlay("missing").then(
      () => undefined,
      (e: unknown) => e as { message: string; hint?: string },
    );
    expect(error?.message).toBe("kind/overlays/missing: kustomize failed");
    expect(error?.hint).toMatch(/missing/);
    expect(error?.hint).toBe(error?.hint?.trim());
  });

  it("says so when kubectl is not installed", async () => {
    kindFolder(MINI);
    vi.stubEnv("PATH", "/nonexistent");
    const error = await renderOverlay("mini").then(
      () => undefined,
      (e: unknown) => e as { message: string; hint?: string },
    );
    expect([error?.message, error?.hint]).toEqual([
      "kubectl is not installed; it renders the kind/ manifests (kubectl kustomize)",
      "Install kubectl (any version with kustomize v5).",
    ]);
  });
});

describe("preparing an environment", () => {
  const envFile = (overlay: string): EnvFile => ({
    name: "t",
    file: "envs/t.yaml",
    overlay,
    ttl: 3_600_000,
    seed: { size: "none", seed: 42 },
    startupTimeout: 60_000,
    cluster: {},
    with: [],
  });
  const support: RuntimeSupport = {
    runtime: "test",
    run: ["Secret"],
    ignored: { Namespace: "-", NetworkPolicy: "-" },
  };

  it("renders, plans, makes the secrets and the policy model before anything starts", async () => {
    kindFolder(MINI);
    const prepared = await prepareEnvironment(envFile("mini"), support, { jwt: { KEY: "kept" } });
    expect(prepared.envFile.overlay).toBe("mini");
    expect(prepared.plan.run.map((o) => o.metadata.name)).toEqual(["jwt"]);
    expect(prepared.plan.ignored.map((i) => i.object.kind)).toEqual(["Namespace", "NetworkPolicy"]);
    expect(prepared.secrets).toEqual({ jwt: { KEY: "kept" } });
    expect(prepared.policies.namespaces).toEqual([{ name: "azora", labels: { team: "platform" } }]);
    expect(prepared.policies.policies.map((p) => (p as K8sObject).metadata.name)).toEqual(["deny-all"]);
  });

  it("refuses a plan the runtime cannot run and an invalid policy, naming the overlay", async () => {
    kindFolder(MINI);
    await expect(prepareEnvironment(envFile("mini"), { ...support, ignored: {} })).rejects.toThrow(
      /^kind\/overlays\/mini: the manifests cannot run\n {2}Namespace\/azora: kind v1\/Namespace has no meaning/,
    );
    kindFolder(`${MINI}  policyTypes: [Sideways]\n`);
    await expect(prepareEnvironment(envFile("mini"), support)).rejects.toBeInstanceOf(NetpolInputError);
  });
});
