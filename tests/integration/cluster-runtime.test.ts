import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readEnvState } from "../../src/env/state.ts";
import { devstackLabels, LABEL } from "../../src/labels.ts";
import { ownershipMetadata } from "../../src/runtimes/cluster/namespace.ts";
import { requireTool } from "../../src/runtimes/kind/tools.ts";
import type { PolicyProbeReport } from "../../src/runtimes/runtime.ts";
import { runScript } from "../support/cli.ts";
import { image, testLabels } from "../support/labels.ts";
import { OPENS } from "../support/outside-target.ts";
import { type StandInCluster, startStandInCluster } from "../support/stand-in-cluster.ts";

// `dev:up --runtime cluster` against an existing cluster: a Kind environment of this machine stands
// for the team's cluster (tests/support/stand-in-cluster.ts: a registry its nodes pull from, the
// access file applied, DevStack running as its least-privileged ServiceAccount). The PR environment
// is a namespace beside the Kind environment's own `azora`, its images pushed to that registry and
// pulled from it.

const stateDir = mkdtempSync(join(tmpdir(), "devstack-state-"));
const id = process.pid % 100_000;
const name = `pr-${id}`;
const ns = `azora-${name}`;
const otherName = `${name}-b`;
const otherNs = `azora-${otherName}`;
process.env.DEVSTACK_STATE_DIR = stateDir;
let cluster: StandInCluster | undefined;
/** DevStack's environment: its kubeconfig is the ServiceAccount's. */
const env = () => ({ DEVSTACK_STATE_DIR: stateDir, KUBECONFIG: cluster?.kubeconfig ?? "" });
const registryAddress = () => cluster?.registry.address ?? "";
const endpoint = (out: string, what: string) => new RegExp(`${what}\\s+(\\S+://\\S+)`).exec(out)?.[1];
/** kubectl as the cluster's admin. */
const kubectl = async (...args: string[]) =>
  (
    await execa(requireTool("kubectl"), ["--kubeconfig", cluster?.adminKubeconfig ?? "", ...args], {
      reject: false,
    })
  ).stdout.trim();
/** Creates an object as the cluster's admin. */
const adminCreates = (object: unknown) =>
  execa(requireTool("kubectl"), ["--kubeconfig", cluster?.adminKubeconfig ?? "", "create", "-f", "-"], {
    input: JSON.stringify(object),
  });
/** kubectl as DevStack's ServiceAccount: what it printed, error or not. */
const asDevstack = async (...args: string[]) =>
  (
    await execa(requireTool("kubectl"), ["--kubeconfig", cluster?.kubeconfig ?? "", ...args], {
      reject: false,
      all: true,
    })
  ).all.trim();
const up = (...more: string[]) =>
  runScript(
    "dev-up",
    [
      "--runtime",
      "cluster",
      "--name",
      name,
      "--context",
      "devstack",
      "--registry",
      registryAddress(),
      ...more,
    ],
    { env: env() },
  );

beforeAll(async () => {
  cluster = await startStandInCluster({
    host: `clhost-${id}`,
    stateDir,
    env: { DEVSTACK_STATE_DIR: stateDir },
    registryImage: image("registry"),
    // Room for the second PR environment test:policy probes across.
    workers: 2,
    labels: testLabels(),
  });
}, 900_000);

afterAll(async () => {
  for (const env_ of [name, otherName]) await runScript("dev-down", ["--name", env_], { env: env() });
  await cluster?.remove();
  rmSync(stateDir, { recursive: true, force: true });
}, 600_000);

describe("a PR environment as a namespace of an existing cluster", () => {
  it("refuses a context the kubeconfig does not have, naming the ones it has, and leaves nothing", async () => {
    const refused = await runScript(
      "dev-up",
      ["--runtime", "cluster", "--name", name, "--context", "staging", "--registry", registryAddress()],
      { env: env() },
    );
    expect(refused.exitCode).toBe(1);
    expect(refused.all).toMatch(
      `kubeconfig: --context: no context 'staging' in the kubeconfig (${cluster?.kubeconfig})`,
    );
    expect(refused.all).toMatch("known contexts: devstack");
    expect(readEnvState(name)).toBeUndefined();
  });

  it("refuses a namespace of its name that is not its own, and leaves that namespace be", async () => {
    await kubectl("create", "namespace", ns);
    try {
      const refused = await up();
      expect(refused.exitCode).toBe(1);
      expect(refused.all).toMatch(
        `namespace: namespace ${ns} already exists and is not this environment's (not made by DevStack)`,
      );
      expect(await kubectl("get", "namespace", ns, "-o", "name")).toBe(`namespace/${ns}`);
      expect(readEnvState(name)).toBeUndefined();
    } finally {
      await kubectl("delete", "namespace", ns, "--wait");
    }
  }, 180_000);

  let out = "";
  it("comes up in its namespace from images pulled from the registry, migrated, seeded and answering", async () => {
    const result = await up();
    out = result.stdout;
    expect(result.exitCode, result.all).toBe(0);
    // Least privilege: it may not list DaemonSets, so it says it could not look.
    expect(out).toMatch(
      "prerequisites: CloudNativePG API served; NetworkPolicy engine: not looked for (listing DaemonSets is not allowed",
    );
    expect(out).toMatch(
      `access: system:serviceaccount:devstack-system:devstack bound to devstack-environment in ${ns}`,
    );
    expect(out).toMatch(/quota: \d+ pods, requests \d+m CPU \d+Mi, limits \d+m CPU \d+Mi, 2 claims 6144Mi/);
    expect(out).toMatch(`images: 9 image(s) in ${registryAddress()}, 9 pushed`);
    expect(out).toMatch(/migrations and seed: applied \d+_platform-schema; seed small loaded/);
    expect(readEnvState(name)).toMatchObject({
      runtime: "cluster",
      namespace: ns,
      context: "devstack",
      status: "ready",
    });

    // Every container of the namespace runs an image from the registry.
    const images = (
      await kubectl("-n", ns, "get", "pods", "-o", "jsonpath={.items[*].spec.containers[*].image}")
    )
      .split(" ")
      .filter(Boolean);
    expect(images.length).toBeGreaterThan(8);
    for (const ref of images) expect(ref.startsWith(`${registryAddress()}/azora-devstack/`), ref).toBe(true);
    // Labelled as DevStack's, with what a label cannot hold as annotations.
    const namespace = JSON.parse(await kubectl("get", "namespace", ns, "-o", "json")) as {
      metadata: { labels: Record<string, string>; annotations: Record<string, string> };
    };
    expect(namespace.metadata.labels).toMatchObject({
      "dev.azora.devstack": "true",
      "dev.azora.devstack.env": name,
    });
    expect(
      new Date(namespace.metadata.annotations["dev.azora.devstack.expires"] ?? "").getTime(),
    ).toBeGreaterThan(Date.now());

    const client = new pg.Client({ connectionString: endpoint(out, "postgres") });
    await client.connect();
    const { rows } = await client.query("SELECT count(*)::int AS n FROM users");
    expect(rows[0].n).toBeGreaterThan(0);
    await client.end();
    const login = await fetch(`${endpoint(out, "gateway")}/api/sessions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email: "user1@seed.azora.dev", password: "azora-seed-password" }),
    });
    expect(login.status).toBe(201);
  }, 900_000);

  it("passes the contract suite through its gateway, a backend paused from inside its pod included", async () => {
    const contract = await runScript(
      "test-contract",
      ["--name", name, "--report", join(stateDir, "contract")],
      {
        env: env(),
      },
    );
    expect(contract.exitCode, contract.all).toBe(0);
    // The pause is SIGSTOP from an ephemeral container sharing the service's processes: the gateway
    // times out on it, and it answers again once resumed, not restarted.
    expect(contract.stdout).toMatch(/✔ a backend that does not answer\s+GET\s+\S+ -> 50[234]/);
    expect(contract.stdout).toMatch(/✔ the backend answering again\s+GET\s+\S+ -> 200/);
    const [containers, restarts] = (
      await kubectl(
        ...["-n", ns, "get", "pod", "-l", "app.kubernetes.io/name=enrollment-service", "-o"],
        "jsonpath={.items[0].spec.ephemeralContainers[*].name}|{.items[0].status.containerStatuses[0].restartCount}",
      )
    ).split("|");
    expect(
      containers
        ?.split(" ")
        .map((c) => c.replace(/-[a-z0-9]+$/, ""))
        .sort(),
    ).toEqual(["devstack-pause", "devstack-resume"]);
    expect(restarts).toBe("0");
  }, 300_000);

  it("runs as an identity that can do nothing outside DevStack's namespaces", async () => {
    expect(await asDevstack("auth", "can-i", "create", "deployments.apps", "-n", ns)).toBe("yes");
    expect(await asDevstack("auth", "can-i", "get", "secrets", "-n", "azora")).toBe("no");
    expect(await asDevstack("auth", "can-i", "list", "daemonsets", "--all-namespaces")).toBe("no");
    // The verbs RBAC grants cluster-wide, held to DevStack's namespaces by the admission policy.
    expect(await asDevstack("delete", "namespace", "azora", "--dry-run=server")).toMatch(
      "DevStack deletes only namespaces labelled dev.azora.devstack=true",
    );
    expect(await asDevstack("create", "namespace", "loose", "--dry-run=server")).toMatch(
      "a namespace DevStack creates carries the label dev.azora.devstack=true",
    );
    expect(
      await asDevstack(
        ...["create", "rolebinding", "grab", "--clusterrole=devstack-environment"],
        ...["--user=system:serviceaccount:devstack-system:devstack", "-n", "azora", "--dry-run=server"],
      ),
    ).toMatch(
      "DevStack binds only devstack-environment, and only in a namespace labelled dev.azora.devstack=true",
    );
  });

  it("cannot take more than its quota, nor raise it", async () => {
    const hard = JSON.parse(await kubectl("-n", ns, "get", "resourcequota", "devstack", "-o", "json")) as {
      status: { hard: Record<string, string>; used: Record<string, string> };
    };
    expect(Number(hard.status.used.pods)).toBeGreaterThan(8);
    // A pod of a dozen containers, each within the LimitRange, together past what is left of the
    // quota's memory: refused at admission (no pod starts, so nothing else on the machine slows).
    const pod = (name: string, containers: number, limits: Record<string, string>) =>
      asDevstack(
        ...["-n", ns, "run", name, "--image", image("registry"), "--restart=Never"],
        ...[
          "--overrides",
          JSON.stringify({
            spec: {
              containers: Array.from({ length: containers }, (_, i) => ({
                name: `c${i}`,
                image: image("registry"),
                resources: { limits },
              })),
            },
          }),
        ],
      );
    try {
      expect(await pod("hungry", 12, { cpu: "100m", memory: "1Gi" })).toMatch(
        /is forbidden: exceeded quota: devstack, requested: .*limits.memory=12Gi/,
      );
      // One container may not ask for more than the environment's largest.
      expect(await pod("greedy", 1, { cpu: "16", memory: "64Mi" })).toMatch(
        "maximum cpu usage per Container is 1",
      );
    } finally {
      await kubectl("-n", ns, "delete", "pod", "hungry", "greedy", "--ignore-not-found");
    }
    // The identity that made the quota may not change or remove it.
    expect(await asDevstack("auth", "can-i", "patch", "resourcequotas", "-n", ns)).toBe("no");
    expect(await asDevstack("auth", "can-i", "delete", "limitranges", "-n", ns)).toBe("no");
    expect(await asDevstack("auth", "can-i", "create", "resourcequotas", "-n", "azora")).toBe("yes");
    expect(
      await asDevstack(...["-n", "azora", "create", "quota", "squeeze", "--hard=pods=0", "--dry-run=server"]),
    ).toMatch("DevStack sets quotas and limits only in a namespace labelled dev.azora.devstack=true");
  }, 120_000);

  it("keeps its pods from the other environment's database and lets them reach their own", async () => {
    const from = async (target: string) =>
      kubectl(
        ...["-n", ns, "exec", "deploy/course-service", "--"],
        ...["node", "-e", OPENS, `azora-db-rw.${target}.svc.cluster.local`, "5432"],
      );
    expect(await from(ns)).toBe("OPEN");
    expect(await from("azora")).toBe("ETIMEDOUT");
  });

  it("test:policy probes from inside its pods: as its policies say, and nothing reaches another PR environment", async () => {
    // A second PR environment on the cluster, made by the same ServiceAccount.
    const other = await runScript(
      "dev-up",
      ["--runtime", "cluster", "--name", otherName, "--context", "devstack", "--registry", registryAddress()],
      { env: env() },
    );
    expect(other.exitCode, other.all).toBe(0);
    const probe = async () => {
      const report = mkdtempSync(join(tmpdir(), "devstack-policy-"));
      const run = await runScript("test-policy", ["--name", name, "--report", report], { env: env() });
      if (!existsSync(join(report, "summary.json")))
        throw new Error(`test:policy wrote no report:\n${run.all}`);
      const summary = JSON.parse(readFileSync(join(report, "summary.json"), "utf8")) as PolicyProbeReport;
      rmSync(report, { recursive: true, force: true });
      return { run, summary };
    };
    const { run, summary } = await probe();
    expect(run.exitCode, run.all).toBe(0);
    expect(run.stdout).toMatch("all as the policies say");
    const into = (target: string) => summary.observations.filter((o) => o.to.startsWith(`${target}/`));
    // From each of its pods to the other's database, on its port: denied, and seen to be.
    const sources = new Set(summary.observations.map((o) => o.from));
    expect([...sources].every((s) => s.startsWith(`${ns}/`))).toBe(true);
    expect(sources.size).toBeGreaterThanOrEqual(9);
    const toOtherDb = into(otherNs).filter((o) => o.port === 5432);
    expect(toOtherDb.length).toBe(sources.size);
    expect(toOtherDb.filter((o) => o.reached || o.expected)).toEqual([]);
    // Within its own namespace the services reach their database (so the prober is in their network).
    expect(
      into(ns).filter((o) => o.from.startsWith(`${ns}/course-service-`) && o.port === 5432 && o.reached)
        .length,
    ).toBeGreaterThan(0);

    // Planted: the other environment lets every namespace into its Redis, and this one's course
    // service lets itself out anywhere. test:policy must see the crossing, and the drift from its manifests.
    const planted = [
      {
        ns: otherNs,
        spec: {
          podSelector: { matchLabels: { "app.kubernetes.io/name": "redis" } },
          policyTypes: ["Ingress"],
          ingress: [{ from: [{ namespaceSelector: {} }] }],
        },
      },
      {
        ns,
        spec: {
          podSelector: { matchLabels: { "app.kubernetes.io/name": "course-service" } },
          policyTypes: ["Egress"],
          egress: [{}],
        },
      },
    ];
    for (const p of planted)
      await adminCreates({
        apiVersion: "networking.k8s.io/v1",
        kind: "NetworkPolicy",
        metadata: { name: "planted-open", namespace: p.ns },
        spec: p.spec,
      });
    try {
      const opened = await probe();
      expect(opened.run.exitCode).toBe(1);
      expect(opened.run.stdout).toMatch(
        new RegExp(
          `${ns}/course-service-\\S+ reached ${otherNs}/redis-0 on 6379/TCP: another environment's pod`,
        ),
      );
      expect(opened.run.stdout).toMatch("MISMATCH");
    } finally {
      for (const p of planted) await kubectl("-n", p.ns, "delete", "networkpolicy", "planted-open");
      const down = await runScript("dev-down", ["--name", otherName], { env: env() });
      expect(down.exitCode, down.all).toBe(0);
    }
  }, 600_000);

  it("is listed with its namespace and reused as it is, with nothing pushed again", async () => {
    const list = await runScript("env-list", [], { env: env() });
    expect(list.exitCode, list.all).toBe(0);
    expect(list.stdout).toMatch(new RegExp(`${name}\\s+cluster\\s.*namespace ${ns} on devstack`));
    const again = await up();
    expect(again.exitCode, again.all).toBe(0);
    expect(again.stdout).toMatch(`images: 9 image(s) in ${registryAddress()}, 0 pushed`);
    expect(again.stdout).toMatch(`environment '${name}' is already up and healthy`);
    // Reused with an overlay that needs more than its quota: refused before anything is applied.
    const bigger = await up("--env", "nightly");
    expect(bigger.exitCode).toBe(1);
    expect(bigger.all).toMatch(
      `quota: kind/overlays/nightly now needs more than namespace ${ns}'s quota: pods`,
    );
    expect(await kubectl("-n", ns, "get", "deploy", "tyk-gateway", "-o", "jsonpath={.spec.replicas}")).toBe(
      "1",
    );
  }, 300_000);

  it("shows its workloads, the address the cluster gave its gateway, and its logs, and says it could not see what enforces its policies", async () => {
    // What a cloud's load-balancer controller does: an address in the gateway Service's status
    // (a documentation address; nothing is sent to it). Kind has no such controller.
    await kubectl(
      ...["-n", ns, "patch", "service", "tyk-gateway", "--subresource=status", "--type=merge"],
      ...["-p", JSON.stringify({ status: { loadBalancer: { ingress: [{ ip: "192.0.2.10" }] } } })],
    );
    const status = await runScript("dev-status", ["--name", name], { env: env() });
    // Exit 1: the ServiceAccount may not list DaemonSets, so enforcement is not proven.
    expect(status.exitCode, status.all).toBe(1);
    expect(status.stdout).toMatch(/azora-db\s+1\/1\s+ready/);
    expect(status.stdout).toMatch(/course-service\s+1\/1\s+ready/);
    expect(status.stdout).toMatch(
      /gateway http:\/\/127\.0\.0\.1:\d+ \(LoadBalancer tyk-gateway; the cluster's address for it: 192\.0\.2\.10:8080\)/,
    );
    expect(status.stdout).toMatch(
      "network policies: NetworkPolicy engine of context devstack: not looked for (listing DaemonSets is not allowed",
    );
    const logs = await runScript("dev-logs", ["course-service", "--name", name, "--tail", "3"], {
      env: env(),
    });
    expect(logs.exitCode, logs.all).toBe(0);
    expect(logs.stdout).toMatch(/course-service-\S+/);
  }, 120_000);

  it("env:gc collects another machine's expired namespace, and leaves a live one and its own", async () => {
    // As another machine's `up` leaves them: its state folder's id, an expiry in the past or not.
    const elsewhere = async (env: string, expires: Date) => {
      const owned = ownershipMetadata({
        ...devstackLabels({ purpose: "env", env, ttlMs: 3600_000 }),
        [LABEL.records]: "another-machine",
        [LABEL.expires]: expires.toISOString(),
      });
      await adminCreates({
        apiVersion: "v1",
        kind: "Namespace",
        metadata: { name: `azora-${env}`, ...owned },
      });
    };
    const expired = `gone-${id}`;
    const live = `kept-${id}`;
    await elsewhere(expired, new Date(Date.now() - 60_000));
    await elsewhere(live, new Date(Date.now() + 3600_000));
    try {
      const gc = await runScript("env-gc", [], { env: env() });
      expect(gc.exitCode, gc.all).toBe(0);
      expect(gc.stdout).toMatch(new RegExp(`env ${expired}.*TTL expired at`));
      expect(gc.stdout).not.toMatch(live);
      expect(gc.stdout).not.toMatch(`env ${name}`);
      expect(await kubectl("get", "namespace", `azora-${expired}`, "--ignore-not-found", "-o", "name")).toBe(
        "",
      );
      expect(await kubectl("get", "namespace", `azora-${live}`, "-o", "name")).toBe(
        `namespace/azora-${live}`,
      );
      expect(await kubectl("get", "namespace", ns, "-o", "name")).toBe(`namespace/${ns}`);
    } finally {
      await kubectl("delete", "namespace", `azora-${expired}`, `azora-${live}`, "--ignore-not-found");
    }
  }, 180_000);

  it("dev:down deletes the namespace and waits for it to go, leaving no record or kubeconfig", async () => {
    const down = await runScript("dev-down", ["--name", name], { env: env() });
    expect(down.exitCode, down.all).toBe(0);
    expect(await kubectl("get", "namespace", ns, "--ignore-not-found", "-o", "name")).toBe("");
    expect(readEnvState(name)).toBeUndefined();
    expect(existsSync(join(stateDir, "kind", `${name}.kubeconfig`))).toBe(false);
    // The Kind environment beside it is untouched.
    expect(await kubectl("-n", "azora", "get", "deploy", "course-service", "-o", "name")).toBe(
      "deployment.apps/course-service",
    );
  }, 300_000);
});
