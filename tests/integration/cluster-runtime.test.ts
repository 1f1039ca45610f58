import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { docker } from "../../src/docker/cli.ts";
import { readEnvState } from "../../src/env/state.ts";
import { type LocalRegistry, startLocalRegistry } from "../../src/images/local-registry.ts";
import { requireTool } from "../../src/runtimes/kind/tools.ts";
import { runScript } from "../support/cli.ts";
import { image, testLabels } from "../support/labels.ts";
import { OPENS } from "../support/outside-target.ts";

// `dev:up --runtime cluster` against an existing cluster: a Kind environment of this machine stands
// for the team's cluster (its context in a kubeconfig of its own, as a user's would be), with a
// registry on its network that its nodes pull from (containerd's hosts.toml, as a cluster's nodes
// are configured for a team's registry). The PR environment is a namespace beside the Kind
// environment's own `azora`, its images pushed to that registry and pulled from it. DevStack runs
// as the least-privileged ServiceAccount of kind/cluster-access, in a kubeconfig of its own.

const stateDir = mkdtempSync(join(tmpdir(), "devstack-state-"));
const id = process.pid % 100_000;
const host = `clhost-${id}`;
const name = `pr-${id}`;
const ns = `azora-${name}`;
/** The Kind environment's own kubeconfig: the cluster admin's. */
const kubeconfig = join(stateDir, "kind", `${host}.kubeconfig`);
/** The ServiceAccount's, the user's kubeconfig for DevStack here. */
const restricted = join(stateDir, "devstack.kubeconfig");
const context = "devstack";
const env = { DEVSTACK_STATE_DIR: stateDir, KUBECONFIG: restricted };
process.env.DEVSTACK_STATE_DIR = stateDir;
let registry: LocalRegistry | undefined;
const endpoint = (out: string, what: string) => new RegExp(`${what}\\s+(\\S+://\\S+)`).exec(out)?.[1];
const kubectl = async (...args: string[]) =>
  (
    await execa(requireTool("kubectl"), ["--kubeconfig", kubeconfig, ...args], { reject: false })
  ).stdout.trim();
/** kubectl as DevStack's ServiceAccount: what it printed, error or not. */
const asDevstack = async (...args: string[]) =>
  (
    await execa(requireTool("kubectl"), ["--kubeconfig", restricted, ...args], { reject: false, all: true })
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
      context,
      "--registry",
      registry?.address ?? "",
      ...more,
    ],
    { env },
  );

beforeAll(async () => {
  const kind = await runScript("dev-up", ["--runtime", "kind", "--name", host], { env });
  expect(kind.exitCode, kind.all).toBe(0);
  registry = await startLocalRegistry(image("registry"), testLabels(), { network: `azora-${host}-kind` });
  // Each node pulls the registry's 127.0.0.1 name from its address on the cluster's network.
  const hostsToml = `server = "http://${registry.address}"\n\n[host."http://${registry.inNetwork}"]\n  capabilities = ["pull", "resolve"]\n`;
  const nodes = (
    await docker(["ps", "--quiet", "--filter", `label=io.x-k8s.kind.cluster=azora-${host}`])
  ).split("\n");
  for (const node of nodes.filter(Boolean)) {
    const dir = `/etc/containerd/certs.d/${registry.address}`;
    await docker(["exec", node, "mkdir", "-p", dir]);
    await execa("docker", ["exec", "-i", node, "sh", "-c", `cat > ${dir}/hosts.toml`], { input: hostsToml });
  }
  // What a cluster admin applies once, then a kubeconfig with the ServiceAccount's token.
  await execa(requireTool("kubectl"), [
    "--kubeconfig",
    kubeconfig,
    "apply",
    "-f",
    "kind/cluster-access/devstack-access.yaml",
  ]);
  const server = await kubectl("config", "view", "--minify", "-o", "jsonpath={.clusters[0].cluster.server}");
  const ca = await kubectl(
    ...[
      "config",
      "view",
      "--minify",
      "--raw",
      "-o",
      "jsonpath={.clusters[0].cluster.certificate-authority-data}",
    ],
  );
  const token = await kubectl("-n", "devstack-system", "create", "token", "devstack", "--duration=2h");
  writeFileSync(
    restricted,
    JSON.stringify({
      apiVersion: "v1",
      kind: "Config",
      clusters: [{ name: "kind", cluster: { server, "certificate-authority-data": ca } }],
      users: [{ name: "devstack", user: { token } }],
      contexts: [{ name: context, context: { cluster: "kind", user: "devstack" } }],
      "current-context": context,
    }),
    { mode: 0o600 },
  );
}, 900_000);

afterAll(async () => {
  await runScript("dev-down", ["--name", name], { env });
  await registry?.remove();
  await runScript("dev-down", ["--name", host], { env });
  rmSync(stateDir, { recursive: true, force: true });
}, 600_000);

describe("a PR environment as a namespace of an existing cluster", () => {
  it("refuses a context the kubeconfig does not have, naming the ones it has, and leaves nothing", async () => {
    const refused = await runScript(
      "dev-up",
      ["--runtime", "cluster", "--name", name, "--context", "staging", "--registry", registry?.address ?? ""],
      { env },
    );
    expect(refused.exitCode).toBe(1);
    expect(refused.all).toMatch(
      `kubeconfig: --context: no context 'staging' in the kubeconfig (${restricted})`,
    );
    expect(refused.all).toMatch(`known contexts: ${context}`);
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
    expect(out).toMatch(`images: 9 image(s) in ${registry?.address}, 9 pushed`);
    expect(out).toMatch(/migrations and seed: applied \d+_platform-schema; seed small loaded/);
    expect(readEnvState(name)).toMatchObject({ runtime: "cluster", namespace: ns, context, status: "ready" });

    // Every container of the namespace runs an image from the registry.
    const images = (
      await kubectl("-n", ns, "get", "pods", "-o", "jsonpath={.items[*].spec.containers[*].image}")
    )
      .split(" ")
      .filter(Boolean);
    expect(images.length).toBeGreaterThan(8);
    for (const ref of images) expect(ref.startsWith(`${registry?.address}/azora-devstack/`), ref).toBe(true);
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

  it("keeps its pods from the other environment's database and lets them reach their own", async () => {
    const from = async (target: string) =>
      kubectl(
        ...["-n", ns, "exec", "deploy/course-service", "--"],
        ...["node", "-e", OPENS, `azora-db-rw.${target}.svc.cluster.local`, "5432"],
      );
    expect(await from(ns)).toBe("OPEN");
    expect(await from("azora")).toBe("ETIMEDOUT");
  });

  it("is listed with its namespace and reused as it is, with nothing pushed again", async () => {
    const list = await runScript("env-list", [], { env });
    expect(list.exitCode, list.all).toBe(0);
    expect(list.stdout).toMatch(new RegExp(`${name}\\s+cluster\\s.*namespace ${ns} on ${context}`));
    const again = await up();
    expect(again.exitCode, again.all).toBe(0);
    expect(again.stdout).toMatch(`images: 9 image(s) in ${registry?.address}, 0 pushed`);
    expect(again.stdout).toMatch(`environment '${name}' is already up and healthy`);
  }, 300_000);

  it("dev:down deletes the namespace and waits for it to go, leaving no record or kubeconfig", async () => {
    const down = await runScript("dev-down", ["--name", name], { env });
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
