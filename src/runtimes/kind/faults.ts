import { docker, dockerMaybe } from "../../docker/cli.ts";
import { restartEngine } from "../../docker/engine-restart.ts";
import { UserError } from "../../errors.ts";
import type { Faults } from "../runtime.ts";
import { containerdId, ctr, ctrMaybe } from "./containerd.ts";
import { kubeconfigFile } from "./names.ts";
import { getPod, type KindPod, podParts } from "./pods.ts";
import { nodesOf } from "./remove.ts";
import { kubectl, runCommand } from "./tools.ts";
import { degradeKindPod, restoreKindPod } from "./toxiproxy.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The pod's node (a container named as the node) and the containerd ids of its containers. */
interface Placement {
  pod: KindPod;
  node: string;
  containers: string[];
}

/** An nftables table name for a pod's isolation (letters, digits and `_` only). */
const isolationTable = (name: string) => `devstack_isolate_${name.replace(/[^A-Za-z0-9]/g, "_")}`;

/**
 * Faults on the Kind runtime, done as on a real cluster's nodes: the pod's containers signalled
 * or frozen through containerd on its node (the kubelet restarts what dies), a pod deleted at once
 * as when its node is lost (its controller makes it again: the operator, for a database
 * instance), and a pod cut off by drop rules for its address on its node, in a table of their own
 * that neither Calico nor DevStack's agent touches (a NetworkPolicy can only allow).
 */
export function kindFaults(env: string, namespace: string): Faults {
  const active = new Map<string, () => Promise<void>>();
  /** Pods deleted by `down` whose controller makes them again under the same name (database instances). */
  const stableNames = new Set<string>();

  /** The pod as the API server has it now (one pod, not the namespace: polled while faults settle). */
  const current = (pod: string) => {
    const { namespace: ns, name } = podParts(pod, namespace);
    return getPod(env, ns, name);
  };

  async function place(pod: string): Promise<Placement> {
    const found = await current(pod);
    const node = found?.spec.nodeName;
    const containers = (found?.status?.containerStatuses ?? []).flatMap((c) =>
      c.containerID && c.state?.running !== undefined ? [containerdId(c.containerID)] : [],
    );
    if (!found || !node || containers.length === 0)
      throw new UserError(`pod ${pod} of '${env}' is not running (nothing to inject a fault into)`);
    return { pod: found, node, containers };
  }

  async function untilRestarted(pod: string, before: Placement, withinMs: number): Promise<void> {
    const restarts = (p: KindPod) => (p.status?.containerStatuses ?? [])[0]?.restartCount ?? 0;
    const deadline = Date.now() + withinMs;
    for (;;) {
      const now = await current(pod);
      const first = now?.status?.containerStatuses?.[0];
      if (!now || restarts(now) > restarts(before.pod) || first?.state?.running === undefined) return;
      if (Date.now() > deadline)
        throw new UserError(`${pod} was still running ${withinMs / 1000} s after SIGKILL`);
      await sleep(200);
    }
  }

  const faults: Faults = {
    async kill(pod) {
      const placed = await place(pod);
      await ctr(placed.node, ["task", "kill", "--signal", "SIGKILL", placed.containers[0] as string]);
      await untilRestarted(pod, placed, 30_000);
    },
    async down(pod) {
      const placed = await place(pod);
      const { name, namespace: ns } = podParts(pod, namespace);
      // The object first, so its controller replaces it at once; then its processes, which the
      // kubelet would only stop after a grace period.
      await runCommand(
        kubectl(kubeconfigFile(env), [
          "-n",
          ns,
          "delete",
          "pod",
          name,
          "--grace-period=0",
          "--force",
          "--wait=false",
        ]),
      );
      for (const id of placed.containers)
        await ctrMaybe(placed.node, ["task", "kill", "--signal", "SIGKILL", id]);
      if (placed.pod.metadata.labels?.["cnpg.io/instanceName"]) stableNames.add(pod);
      active.set(`down ${pod}`, () => faults.up(pod));
    },
    async up(pod) {
      // Nothing holds a deleted pod down: its controller has made it again. A pod with a stable
      // name (a database instance) is waited for until it is ready.
      const deadline = Date.now() + 180_000;
      while (stableNames.has(pod)) {
        const again = await current(pod);
        const ready = again?.status?.containerStatuses ?? [];
        if (ready.length > 0 && ready.every((c) => c.ready)) break;
        if (Date.now() > deadline)
          throw new UserError(`${pod} was not ready again within 180 s of being deleted`);
        await sleep(1_000);
      }
      stableNames.delete(pod);
      active.delete(`down ${pod}`);
    },
    async pause(pod) {
      const placed = await place(pod);
      for (const id of placed.containers) await ctr(placed.node, ["task", "pause", id]);
      active.set(`pause ${pod}`, () => faults.resume(pod));
    },
    async resume(pod) {
      const found = await current(pod);
      const node = found?.spec.nodeName;
      for (const c of found?.status?.containerStatuses ?? [])
        if (node && c.containerID) await ctrMaybe(node, ["task", "resume", containerdId(c.containerID)]);
      active.delete(`pause ${pod}`);
    },
    async isolate(pod) {
      const placed = await place(pod);
      const ip = placed.pod.status?.podIP;
      if (!ip) throw new UserError(`pod ${pod} has no address to cut off`);
      // Only traffic the node forwards: the kubelet on the pod's own node still reaches it (its
      // probes), as Calico leaves host-to-pod traffic alone.
      const table = isolationTable(placed.pod.metadata.name);
      const rules = [
        `table inet ${table} {`,
        "  chain forward {",
        "    type filter hook forward priority -200; policy accept;",
        `    ip saddr ${ip} drop`,
        `    ip daddr ${ip} drop`,
        "  }",
        "}",
      ].join("\n");
      await docker(["exec", "-i", placed.node, "nft", "-f", "-"], { input: rules });
      active.set(`isolate ${pod}`, () => faults.reconnect(pod));
    },
    async reconnect(pod) {
      const found = await current(pod);
      if (found?.spec.nodeName)
        await dockerMaybe([
          "exec",
          found.spec.nodeName,
          "nft",
          "delete",
          "table",
          "inet",
          isolationTable(found.metadata.name),
        ]);
      active.delete(`isolate ${pod}`);
    },
    async degrade(pod, upstream, toxics) {
      const placed = await place(pod);
      const proxy = await degradeKindPod(env, placed.pod, upstream, toxics);
      active.set(`degrade ${pod}`, async () => {
        await restoreKindPod(env, proxy);
        active.delete(`degrade ${pod}`);
      });
    },
    async restore(pod) {
      await active.get(`degrade ${pod}`)?.();
    },
    // The Docker runtime's own fault: the engine runs the nodes, so every node stops and starts again.
    restartEngine,
    async killNodeAgent() {
      // Every node's kubelet at once; systemd starts each again (the node image's unit: Restart=always).
      for (const node of await nodesOf(env))
        await docker(["exec", node, "systemctl", "kill", "--signal", "KILL", "kubelet"]);
    },
    async nodeAgentRunning() {
      const states = await Promise.all(
        (await nodesOf(env)).map((node) => dockerMaybe(["exec", node, "systemctl", "is-active", "kubelet"])),
      );
      return states.length > 0 && states.every((state) => state?.trim() === "active");
    },
    async heal() {
      for (const undo of [...active.values()].reverse()) await undo();
    },
  };
  return faults;
}
