import { existsSync, mkdtempSync, rmSync } from "node:fs";
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
// environment's own `azora`, its images pushed to that registry and pulled from it.

const stateDir = mkdtempSync(join(tmpdir(), "devstack-state-"));
const id = process.pid % 100_000;
const host = `clhost-${id}`;
const name = `pr-${id}`;
const ns = `azora-${name}`;
const kubeconfig = join(stateDir, "kind", `${host}.kubeconfig`);
const context = `kind-azora-${host}`;
const env = { DEVSTACK_STATE_DIR: stateDir, KUBECONFIG: kubeconfig };
process.env.DEVSTACK_STATE_DIR = stateDir;
let registry: LocalRegistry | undefined;
const endpoint = (out: string, what: string) => new RegExp(`${what}\\s+(\\S+://\\S+)`).exec(out)?.[1];
const kubectl = async (...args: string[]) =>
  (
    await execa(requireTool("kubectl"), ["--kubeconfig", kubeconfig, ...args], { reject: false })
  ).stdout.trim();
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
      `kubeconfig: --context: no context 'staging' in the kubeconfig (${kubeconfig})`,
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
    expect(out).toMatch(
      "prerequisites: CloudNativePG API served; NetworkPolicy engine: DevStack's NetworkPolicy agent (kube-system/devstack-policy-agent ready on 2/2 nodes)",
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
