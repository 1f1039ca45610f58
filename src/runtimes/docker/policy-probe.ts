import { execa } from "execa";
import { type LivePod, type Outcome, type ProbeRunner, proberArguments } from "../../netpol/live-probe.ts";
import type { PodInput } from "../../netpol/model.ts";
import { POD_LABEL, type RunningContainer } from "./firewall.ts";

/** A pod on this machine's kernel (Docker, or a Kind node), entered through one of its processes. */
export interface ProbePod extends LivePod {
  /** The host pid of a process in the pod's network namespace. */
  pid: number;
}

/** The pods among running containers (those labelled with the pod they stand for). */
export function probePods(containers: readonly RunningContainer[]): ProbePod[] {
  return containers.flatMap((c) => {
    const pod = c.labels[POD_LABEL];
    return pod && c.ip && c.pid ? [{ ...(JSON.parse(pod) as PodInput), podIP: c.ip, pid: c.pid }] : [];
  });
}

/** The prober started by this machine's Node inside each source's network namespace (`nsenter --net`). */
export const nsenterProbe: ProbeRunner<ProbePod> = (batches, timeoutMs) =>
  Promise.all(
    batches.map(async ({ source, targets }) => {
      const { stdout } = await execa("nsenter", [
        `--target=${source.pid}`,
        "--net",
        "--",
        process.execPath,
        ...proberArguments(targets, timeoutMs),
      ]);
      return JSON.parse(stdout) as Outcome[];
    }),
  );
