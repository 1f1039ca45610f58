import { inspectContainer } from "../../docker/api.ts";
import { docker } from "../../docker/cli.ts";
import { restartEngine } from "../../docker/engine-restart.ts";
import { UserError } from "../../errors.ts";
import { tableText } from "../../firewall/nft.ts";
import { firewallRunner } from "../../firewall/runner.ts";
import { LABEL } from "../../labels.ts";
import type { PodInput } from "../../netpol/model.ts";
import { tableName } from "../../netpol/nftables.ts";
import type { Faults, PodRef } from "../runtime.ts";
import { POD_LABEL, runningContainers } from "./firewall.ts";
import { prefix, supervisorName } from "./names.ts";
import { podAddress } from "./netns.ts";
import { HELD_DIR, ISOLATED_DIR } from "./supervisor-state.ts";
import { degradePod, restorePod } from "./toxiproxy.ts";

/**
 * Sets or clears a pod's marker in one of the supervisor's folders (held down, isolated), if the
 * supervisor runs; says nothing otherwise.
 */
const mark = (env: string, dir: string, pod: string, set: boolean) =>
  docker(
    [
      "exec",
      supervisorName(env),
      "sh",
      "-c",
      set
        ? `mkdir -p ${dir} && touch ${dir}/${containerOf(env, pod)}`
        : `rm -f ${dir}/${containerOf(env, pod)}`,
    ],
    { reject: false },
  );

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

/**
 * Faults on the Docker runtime, each undone by its counterpart: SIGKILL of the main process,
 * the freezer (`docker pause`), the pod's address dropped by the environment's NetworkPolicy table
 * (the supervisor applies it, as it applies the policies), and a Toxiproxy in the pod's network
 * namespace.
 */
export function dockerFaults(env: string): Faults {
  const active = new Map<string, () => Promise<void>>();
  const faults: Faults = {
    async kill(pod) {
      const name = containerOf(env, pod);
      const before = (await inspectContainer(name))?.State.StartedAt;
      await docker(["kill", "--signal", "KILL", name]);
      // `kill` returns once the signal is sent; the fault is in place when the run it hit has
      // ended. The supervisor starts a killed pod again at once, maybe before a `docker wait`
      // would begin, which would then wait for the next run's end: a new start time counts too.
      const deadline = Date.now() + 30_000;
      for (;;) {
        const state = (await inspectContainer(name))?.State;
        if (!state?.Running || state.StartedAt !== before) return;
        if (Date.now() > deadline) throw new UserError(`${pod} was still running 30 s after SIGKILL`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    async down(pod) {
      // The supervisor is told first, or it would start the pod again at once.
      await mark(env, HELD_DIR, pod, true);
      await faults.kill(pod);
      active.set(`down ${pod}`, () => faults.up(pod));
    },
    async up(pod) {
      await mark(env, HELD_DIR, pod, false);
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
      // The supervisor adds drop rules for the pod's address to the environment's table (and keeps
      // them through every re-apply) until the marker goes.
      await mark(env, ISOLATED_DIR, pod, true);
      active.set(`isolate ${pod}`, () => faults.reconnect(pod));
      await untilIsolated(env, pod, true);
    },
    async reconnect(pod) {
      await mark(env, ISOLATED_DIR, pod, false);
      await untilIsolated(env, pod, false);
      active.delete(`isolate ${pod}`);
    },
    async degrade(pod, upstream, toxics) {
      await degradePod(containerOf(env, pod), upstream, toxics);
      active.set(`degrade ${pod}`, () => faults.restore(pod));
    },
    async restore(pod) {
      await restorePod(containerOf(env, pod));
      active.delete(`degrade ${pod}`);
    },
    restartEngine,
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

/**
 * Waits until the environment's table drops (or no longer drops) the pod's address: the
 * supervisor applies it within a tick.
 */
async function untilIsolated(env: string, pod: string, wanted: boolean): Promise<void> {
  const ip = await podAddress(containerOf(env, pod));
  const runner = await firewallRunner();
  const deadline = Date.now() + 10_000;
  for (;;) {
    const text = (await tableText(tableName(env), runner)) ?? "";
    if (text.includes(`ip saddr ${ip} drop`) === wanted) return;
    if (Date.now() > deadline)
      throw new UserError(
        `the supervisor of '${env}' did not ${wanted ? "cut off" : "reconnect"} ${pod} (${ip}) within 10 s`,
        "is it running? `pnpm dev:up` starts it again",
      );
    await new Promise((r) => setTimeout(r, 250));
  }
}
