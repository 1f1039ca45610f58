import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { docker } from "../../src/docker/cli.ts";
import { bridgeOf, createNetworkAvoiding } from "../../src/docker/network.ts";
import { applyEgressGuard, guardDrops, removeEgressGuard } from "../../src/firewall/egress-guard.ts";
import { firewallRunner } from "../../src/firewall/runner.ts";
import { labelArgs } from "../../src/labels.ts";
import { policyAgentObjects, policyAgentReference } from "../../src/runtimes/kind/policy-agent/manifest.ts";
import { kindDockerEnv } from "../../src/runtimes/kind/privileged.ts";
import { requireTool } from "../../src/runtimes/kind/tools.ts";
import { image, testLabels } from "../support/labels.ts";
import { CONNECT, createOutsideTarget, OPENS, type OutsideTarget } from "../support/outside-target.ts";

// A Kind cluster from the offline node image (images/kind-node), as the Kind runtime starts one: its
// own network with the egress guard on it before any node, then kind with that image (through the
// unprivileged docker where this host cannot run privileged containers). One control-plane node
// and one worker: the pod network must route between nodes, kube-proxy must translate a Service,
// CoreDNS must answer, and all of it from images carried in the node.

const id = `${process.pid % 100_000}`;
const env = `kindnode-${id}`;
const cluster = `devstack-${env}`;
const network = `devstack-${env}`;
const dir = mkdtempSync(join(tmpdir(), "devstack-kind-node-"));
const kubeconfig = join(dir, "kubeconfig");

const kubectl = async (args: string[], input?: string) =>
  (await execa(requireTool("kubectl"), ["--kubeconfig", kubeconfig, ...args], { input })).stdout;

// A Node.js HTTP server answering with its pod's name, and a pod that asks it by Service name.
const SERVER = `require("node:http").createServer((q, s) => s.end(process.env.POD)).listen(8080)`;
// kube-proxy programs a Service's rules asynchronously after its endpoint is Ready: ask until it
// answers (at most 30 s), as any client of a new Service would.
const ASK = `
const until = Date.now() + 30000;
const ask = () => fetch("http://server.default.svc.cluster.local").then((r) => r.text()).then(console.log,
  (e) => (Date.now() < until ? setTimeout(ask, 200) : (console.log(String(e.cause ?? e)), process.exit(1))));
ask();`;
const pod = (name: string, node: string, command: string[], readyOn?: number) => ({
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name, labels: { app: name } },
  spec: {
    nodeName: node,
    tolerations: [{ operator: "Exists" }],
    containers: [
      {
        name: "main",
        image: image("node"),
        imagePullPolicy: "Never",
        command,
        env: [{ name: "POD", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } }],
        ...(readyOn ? { readinessProbe: { tcpSocket: { port: readyOn }, periodSeconds: 1 } } : {}),
      },
    ],
  },
});

describe("a Kind cluster from the offline node image", () => {
  let created = false;
  let target: OutsideTarget | undefined;
  beforeAll(async () => {
    target = await createOutsideTarget(78);
    // Clear of the pod and Service ranges, as the Kind runtime places it.
    await createNetworkAvoiding(network, labelArgs(testLabels()), ["192.168.0.0/16", "10.96.0.0/16"]);
    await applyEgressGuard(env, await bridgeOf(network), await firewallRunner());
    const config = {
      kind: "Cluster",
      apiVersion: "kind.x-k8s.io/v1alpha4",
      networking: { disableDefaultCNI: true, podSubnet: "192.168.0.0/16", apiServerAddress: "127.0.0.1" },
      nodes: [{ role: "control-plane" }, { role: "worker" }],
    };
    writeFileSync(join(dir, "cluster.yaml"), stringify(config));
    const node = image("kind-node");
    created = true;
    await execa(
      requireTool("kind"),
      ["create", "cluster", "--name", cluster, "--image", node, "--config", join(dir, "cluster.yaml")].concat(
        ["--kubeconfig", kubeconfig, "--retain"],
      ),
      { env: { KIND_EXPERIMENTAL_DOCKER_NETWORK: network, ...(await kindDockerEnv(node)) }, all: true },
    ).catch((error: { all?: string }) => {
      throw new Error(`kind create cluster failed:\n${error.all ?? error}`);
    });
  }, 600_000);

  afterAll(async () => {
    if (created)
      await execa(requireTool("kind"), ["delete", "cluster", "--name", cluster], { reject: false });
    await docker(["network", "rm", network]).catch(() => undefined);
    await removeEgressGuard(env, await firewallRunner());
    await target?.remove();
    rmSync(dir, { recursive: true, force: true });
  }, 120_000);

  it("runs Kubernetes v1.34.4 with every node Ready and the control plane's pods running", async () => {
    await kubectl(["wait", "--for=condition=Ready", "nodes", "--all", "--timeout=180s"]);
    const version = JSON.parse(await kubectl(["version", "-o", "json"]));
    expect(version.serverVersion.gitVersion).toBe("v1.34.4");
    await kubectl(["-n", "kube-system", "rollout", "status", "deployment/coredns", "--timeout=180s"]);
    await kubectl(["-n", "kube-system", "rollout", "status", "daemonset/kube-proxy", "--timeout=180s"]);
  });

  it("routes a pod's request by Service name to a pod on the other node", async () => {
    const nodes = (await kubectl(["get", "nodes", "-o", "jsonpath={.items[*].metadata.name}"])).split(" ");
    const [controlPlane, worker] = [
      nodes.find((n) => n.endsWith("control-plane")),
      nodes.find((n) => n.endsWith("worker")),
    ];
    expect(controlPlane && worker).toBeTruthy();
    const kindLoad = ["load", "docker-image", image("node"), "--name", cluster];
    await execa(requireTool("kind"), kindLoad, { env: await kindDockerEnv(image("kind-node")) });
    const objects = [
      pod("server", String(worker), ["node", "-e", SERVER], 8080),
      {
        apiVersion: "v1",
        kind: "Service",
        metadata: { name: "server" },
        spec: { selector: { app: "server" }, ports: [{ port: 80, targetPort: 8080 }] },
      },
      pod("client", String(controlPlane), ["sleep", "infinity"]),
    ];
    await kubectl(["apply", "-f", "-"], objects.map((o) => stringify(o)).join("---\n"));
    await kubectl(["wait", "--for=condition=Ready", "pod/server", "pod/client", "--timeout=120s"]);
    const answer = await kubectl(["exec", "client", "--", "node", "-e", ASK]);
    expect(answer.trim()).toBe("server");
    const [serverIp, clientIp] = await Promise.all(
      ["server", "client"].map((p) => kubectl(["get", "pod", p, "-o", "jsonpath={.status.podIP}"])),
    );
    expect(serverIp).toMatch(/^192\.168\./);
    expect(clientIp).toMatch(/^192\.168\./);
  });

  it("binds a claim of the default StorageClass to a folder on the node its Pod runs on", async () => {
    const worker = `${cluster}-worker`;
    const claim = {
      apiVersion: "v1",
      kind: "PersistentVolumeClaim",
      metadata: { name: "data" },
      spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "16Mi" } } },
    };
    // Scheduled, not placed by nodeName: a WaitForFirstConsumer claim is bound to the scheduler's choice.
    const writer = {
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: "writer" },
      spec: {
        nodeSelector: { "kubernetes.io/hostname": worker },
        containers: [
          {
            name: "main",
            image: image("node"),
            imagePullPolicy: "Never",
            command: ["sh", "-c", "echo kept > /data/file && sleep infinity"],
            volumeMounts: [{ name: "data", mountPath: "/data" }],
          },
        ],
        volumes: [{ name: "data", persistentVolumeClaim: { claimName: "data" } }],
      },
    };
    await kubectl(["apply", "-f", "-"], [claim, writer].map((o) => stringify(o)).join("---\n"));
    await kubectl(["wait", "--for=condition=Ready", "pod/writer", "--timeout=120s"]);
    expect(await kubectl(["get", "pvc", "data", "-o", "jsonpath={.status.phase}"])).toBe("Bound");
    expect(await kubectl(["get", "pvc", "data", "-o", "jsonpath={.spec.storageClassName}"])).toBe("standard");
    const folder = await docker(["exec", worker, "sh", "-c", "cat /var/local-path-provisioner/pvc-*/file"]);
    expect(folder.trim()).toBe("kept");
  });

  it("drops a pod's traffic to an outside address in its node, and on the bridge once the node's guard is gone", async () => {
    const node = `${cluster}-control-plane`; // where the client pod runs
    const nodeDrops = async () => {
      const table = await docker(["exec", node, "nft", "list", "table", "inet", "azora_pod_network"]);
      return Number(/ip daddr != @pod_ranges counter packets (\d+)/.exec(table)?.[1]);
    };
    const hostDrops = async () => Number(await guardDrops(env, await firewallRunner()));
    const connect = async () =>
      (
        await kubectl(["exec", "client", "--", "node", "-e", CONNECT, String(target?.address), "8080"])
      ).trim();

    const forwarded = async () => Number(await target?.forwarded());

    const [nodeBefore, forwardedBefore] = [await nodeDrops(), await forwarded()];
    expect(await connect()).toBe("ETIMEDOUT");
    expect(await nodeDrops()).toBeGreaterThan(nodeBefore);
    expect(await forwarded()).toBe(forwardedBefore); // it never left the node

    const hostBefore = await hostDrops();
    await docker(["exec", node, "nft", "delete", "table", "inet", "azora_pod_network"]);
    try {
      expect(await connect()).toBe("ETIMEDOUT");
      expect(await forwarded()).toBeGreaterThan(forwardedBefore); // it reached this machine ...
      expect(await hostDrops()).toBeGreaterThan(hostBefore); // ... whose guard dropped it
    } finally {
      await docker(["exec", node, "systemctl", "restart", "azora-pod-network"]);
    }
    expect(await nodeDrops()).toBe(0); // made anew by the restart
  });

  it("has the egress guard in each node and on the cluster's bridge", async () => {
    const nodes = (
      await docker(["ps", "--filter", `label=io.x-k8s.kind.cluster=${cluster}`, "--format", "{{.Names}}"])
    )
      .split("\n")
      .filter(Boolean);
    expect(nodes).toHaveLength(2);
    for (const node of nodes) {
      const table = await docker(["exec", node, "nft", "list", "table", "inet", "azora_pod_network"]);
      expect(table).toMatch(
        /oifname "eth0" ip daddr != [\d./]+ ip daddr != @pod_ranges counter packets \d+ bytes \d+ drop/,
      );
    }
    expect(await guardDrops(env, await firewallRunner())).toBeTypeOf("number");
  });

  it("enforces NetworkPolicies with DevStack's agent, between nodes and on one node", async () => {
    const [controlPlane, worker] = [`${cluster}-control-plane`, `${cluster}-worker`];
    await docker(["tag", image("policy-agent"), policyAgentReference()]);
    const kindLoad = ["load", "docker-image", policyAgentReference(), "--name", cluster];
    await execa(requireTool("kind"), kindLoad, { env: await kindDockerEnv(image("kind-node")) });
    const agent = policyAgentObjects(["192.168.0.0/16"]);
    await kubectl(["apply", "-f", "-"], agent.map((o) => stringify(o)).join("---\n"));
    const agentsReady = () =>
      kubectl([
        "-n",
        "kube-system",
        "rollout",
        "status",
        "daemonset/devstack-policy-agent",
        "--timeout=120s",
      ]);
    await agentsReady();

    // The server (on the worker) admits only app=client on 8080: the client is on the control
    // plane, the stranger on the server's own node.
    await kubectl(["apply", "-f", "-"], stringify(pod("stranger", worker, ["sleep", "infinity"])));
    await kubectl(["wait", "--for=condition=Ready", "pod/stranger", "--timeout=120s"]);
    const serverIp = await kubectl(["get", "pod", "server", "-o", "jsonpath={.status.podIP}"]);
    const from = async (who: string) =>
      (await kubectl(["exec", who, "--", "node", "-e", OPENS, serverIp, "8080"])).trim();
    // The agent applies what it reads within a second or so: ask until the answer is the expected one.
    const settles = async (who: string, expected: string, withinMs = 20_000) => {
      let answer = "";
      for (const until = Date.now() + withinMs; Date.now() < until; ) {
        answer = await from(who);
        if (answer === expected) break;
      }
      return answer;
    };
    expect(await from("stranger")).toBe("OPEN"); // no policy yet: everything open
    const policies = [
      {
        apiVersion: "networking.k8s.io/v1",
        kind: "NetworkPolicy",
        metadata: { name: "server-deny" },
        spec: { podSelector: { matchLabels: { app: "server" } }, policyTypes: ["Ingress"] },
      },
      {
        apiVersion: "networking.k8s.io/v1",
        kind: "NetworkPolicy",
        metadata: { name: "server-from-client" },
        spec: {
          podSelector: { matchLabels: { app: "server" } },
          ingress: [{ from: [{ podSelector: { matchLabels: { app: "client" } } }], ports: [{ port: 8080 }] }],
        },
      },
    ];
    await kubectl(["apply", "-f", "-"], policies.map((o) => stringify(o)).join("---\n"));
    expect(await settles("stranger", "ETIMEDOUT")).toBe("ETIMEDOUT");
    expect(await from("client")).toBe("OPEN");
    await kubectl(["delete", "networkpolicy", "server-from-client"]);
    expect(await settles("client", "ETIMEDOUT")).toBe("ETIMEDOUT");
    // The rules are in every node's table (the worker judges what reaches its pods).
    for (const node of [controlPlane, worker])
      expect(await docker(["exec", node, "nft", "list", "table", "inet", "devstack_netpol"])).toContain(
        "pod ranges 192.168.0.0/16",
      );

    // Agents that start with the policies already there (a node rebooted, an agent upgraded) build
    // the table from their first list, not from watch events: no agent and no table, then agents.
    const agentsOn = (selector: Record<string, string> | null) =>
      kubectl([
        "-n",
        "kube-system",
        "patch",
        "daemonset/devstack-policy-agent",
        "--type=merge",
        "-p",
        JSON.stringify({ spec: { template: { spec: { nodeSelector: selector } } } }),
      ]);
    await kubectl(["apply", "-f", "-"], stringify(policies[1]));
    expect(await settles("client", "OPEN")).toBe("OPEN");
    await agentsOn({ "devstack.test/no-node": "true" });
    const agentPods = () =>
      kubectl([
        "-n",
        "kube-system",
        "get",
        "pods",
        "-l",
        "app.kubernetes.io/name=devstack-policy-agent",
        "-o",
        "name",
      ]);
    for (const until = Date.now() + 60_000; (await agentPods()).trim() !== "" && Date.now() < until; )
      await new Promise((resolve) => setTimeout(resolve, 500));
    expect((await agentPods()).trim()).toBe("");
    for (const node of [controlPlane, worker])
      await docker(["exec", node, "nft", "delete", "table", "inet", "devstack_netpol"]);
    expect(await from("stranger")).toBe("OPEN");
    await agentsOn(null);
    await agentsReady();
    expect(await settles("stranger", "ETIMEDOUT")).toBe("ETIMEDOUT");
    expect(await from("client")).toBe("OPEN");

    // A table removed by hand comes back at the next re-apply (every 10 s), unchanged as it is.
    await docker(["exec", worker, "nft", "delete", "table", "inet", "devstack_netpol"]);
    expect(await settles("stranger", "ETIMEDOUT", 15_000)).toBe("ETIMEDOUT");

    // A new pod's first packets: its address reaches the agent through the node's CNI before the
    // pod starts. Unknown to the table, they dropped, and the first DNS query of every new pod
    // waited out the resolver's timeout; with one try of 20 s, that lookup would fail.
    const lookup = pod("first-lookup", worker, [
      "node",
      "-e",
      `const t = Date.now(); require("node:dns").lookup("kubernetes.default.svc.cluster.local.", (e, a) => { console.log(e ? e.code : a, Date.now() - t); setInterval(() => {}, 1e6); });`,
    ]);
    Object.assign(lookup.spec, {
      dnsConfig: {
        options: [
          { name: "attempts", value: "1" },
          { name: "timeout", value: "20" },
        ],
      },
    });
    await kubectl(["apply", "-f", "-"], stringify(lookup));
    let answer = "";
    for (const until = Date.now() + 90_000; answer === "" && Date.now() < until; ) {
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      answer = (await kubectl(["logs", "first-lookup"]).catch(() => "")).trim();
    }
    const apiService = await kubectl(["get", "service", "kubernetes", "-o", "jsonpath={.spec.clusterIP}"]);
    expect(answer.split(" ")[0]).toBe(apiService);
  });

  it("comes back when its nodes start again at other addresses, as after the engine restarts", async () => {
    // Docker hands the network's addresses out again as the nodes start, not always the old ones:
    // here the control plane's old address is taken while they start, so it gets another.
    const nodes = [`${cluster}-control-plane`, `${cluster}-worker`];
    const addresses = () =>
      Promise.all(
        nodes.map(async (n) =>
          (
            await docker(["inspect", "-f", "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}", n])
          ).trim(),
        ),
      );
    const before = await addresses();
    await docker(["stop", ...nodes]);
    const squatter = `${cluster}-squatter`;
    await docker(
      ["run", "-d", "--rm", "--name", squatter, ...labelArgs(testLabels())].concat([
        "--network",
        network,
        "--ip",
        String(before[0]),
        image("node"),
        "sleep",
        "infinity",
      ]),
    );
    for (const node of [...nodes].reverse()) await docker(["start", node]);
    await docker(["rm", "-f", squatter]);
    const after = await addresses();
    expect(after[0]).not.toBe(before[0]);
    // Each kubelet reaches the API server again and reports its node's new address.
    const reported = async () =>
      (
        await kubectl([
          "get",
          "nodes",
          "-o",
          "jsonpath={range .items[*]}{.status.addresses[0].address} {end}",
        ])
      )
        .trim()
        .split(" ")
        .sort();
    for (const until = Date.now() + 180_000; Date.now() < until; ) {
      if (JSON.stringify(await reported().catch(() => [])) === JSON.stringify([...after].sort())) break;
      await new Promise((resolve) => setTimeout(resolve, 2_000));
    }
    expect(await reported()).toEqual([...after].sort());
    // And a Service follows its pod's new address: the controller manager reaches the API server too.
    let answer = "";
    for (const until = Date.now() + 120_000; answer !== "server" && Date.now() < until; )
      answer = (await kubectl(["exec", "client", "--", "node", "-e", ASK]).catch(() => "")).trim();
    expect(answer).toBe("server");
  }, 420_000);
});
