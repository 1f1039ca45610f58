import { execa } from "execa";
import { inspectContainer } from "../../docker/api.ts";
import { docker } from "../../docker/cli.ts";
import { UserError } from "../../errors.ts";
import { LABEL } from "../../labels.ts";
import type { PodInput } from "../../netpol/model.ts";
import type { Faults, PodRef } from "../runtime.ts";
import { POD_LABEL, runningContainers } from "./firewall.ts";
import { prefix, supervisorName } from "./names.ts";
import { HELD_DIR } from "./supervisor-state.ts";

/** Runs a command in a container if it runs (the supervisor may not); says nothing otherwise. */
const execIn = (container: string, command: string[]) =>
  docker(["exec", container, ...command], { reject: false });

/** The environment's running pods, as suites address them. */
export async function podsOf(env: string): Promise<PodRef[]> {
  return (await runningContainers(prefix(env))).flatMap((c) => {
    const label = c.labels[POD_LABEL];
    if (!label) return [];
    const pod = JSON.parse(label) as PodInput;
    const replica = Number(/-(\d+)$/.exec(pod.name)?.[1] ?? 1);
    return [
      {
        pod: `${pod.namespace}/${pod.name}`,
        workload: c.labels[LABEL.workload] ?? pod.name,
        replica,
        labels: pod.labels ?? {},
      },
    ];
  });
}

/** A pod's container: pod `ns/user-service-1` of env `dev` is `azora-dev-user-service-1`. */
export const containerOf = (env: string, pod: string) => `${prefix(env)}-${pod.slice(pod.indexOf("/") + 1)}`;

async function pidOf(container: string): Promise<number> {
  const pid = Number(await docker(["inspect", "--format", "{{.State.Pid}}", container]));
  if (!pid) throw new UserError(`${container} is not running`);
  return pid;
}

/** Runs `ip` inside the container's network namespace (needs root, as the firewall does). */
const ipIn = (pid: number, args: string[]) =>
  execa("nsenter", [`--target=${pid}`, "--net", "--", "ip", ...args]);

/**
 * Faults on the Docker runtime, each undone by its counterpart: SIGKILL of the main process,
 * the freezer (`docker pause`), and the pod's link taken down in its network namespace (its
 * default route is restored when it comes back up).
 */
export function dockerFaults(env: string): Faults {
  const active = new Map<string, () => Promise<void>>();
  const routes = new Map<string, string>();
  const faults: Faults = {
    async kill(pod) {
      await docker(["kill", "--signal", "KILL", containerOf(env, pod)]);
      // `kill` returns once the signal is sent; the fault is in place when the container has stopped.
      await docker(["wait", containerOf(env, pod)]);
    },
    async down(pod) {
      // The supervisor is told first, or it would start the pod again at once.
      await execIn(supervisorName(env), [
        "sh",
        "-c",
        `mkdir -p ${HELD_DIR} && touch ${HELD_DIR}/${containerOf(env, pod)}`,
      ]);
      await faults.kill(pod);
      active.set(`down ${pod}`, () => faults.up(pod));
    },
    async up(pod) {
      await execIn(supervisorName(env), ["rm", "-f", `${HELD_DIR}/${containerOf(env, pod)}`]);
      await docker(["start", containerOf(env, pod)]);
      active.delete(`down ${pod}`);
    },
    async pause(pod) {
      await docker(["pause", containerOf(env, pod)]);
      active.set(`pause ${pod}`, () => faults.resume(pod));
    },
    async resume(pod) {
      await docker(["unpause", containerOf(env, pod)]);
      active.delete(`pause ${pod}`);
    },
    async isolate(pod) {
      const pid = await pidOf(containerOf(env, pod));
      routes.set(pod, (await ipIn(pid, ["route", "show", "default"])).stdout.trim());
      await ipIn(pid, ["link", "set", "eth0", "down"]);
      active.set(`isolate ${pod}`, () => faults.reconnect(pod));
    },
    async reconnect(pod) {
      const pid = await pidOf(containerOf(env, pod));
      await ipIn(pid, ["link", "set", "eth0", "up"]);
      // The route seen when it was cut; or, after a crashed run lost it, the network's gateway.
      const gateway = await docker([
        "network",
        "inspect",
        "--format",
        "{{(index .IPAM.Config 0).Gateway}}",
        prefix(env),
      ]);
      const route = routes.get(pod) || `default via ${gateway} dev eth0`;
      await ipIn(pid, ["route", "replace", ...route.split(/\s+/)]);
      active.delete(`isolate ${pod}`);
    },
    async killNodeAgent() {
      await docker(["kill", "--signal", "KILL", supervisorName(env)]);
    },
    async nodeAgentRunning() {
      return (await inspectContainer(supervisorName(env)))?.State.Running === true;
    },
    async heal() {
      for (const undo of [...active.values()].reverse()) await undo();
    },
  };
  return faults;
}
