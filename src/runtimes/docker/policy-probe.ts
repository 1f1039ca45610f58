import { fileURLToPath } from "node:url";
import { execa } from "execa";
import { computeReachability } from "../../netpol/engine.ts";
import type { PodInput, Protocol } from "../../netpol/model.ts";
import type { PolicyModel } from "../../netpol/policy-model.ts";
import { POD_LABEL, type RunningContainer } from "./firewall.ts";

/**
 * The live probe: from inside each pod's network namespace, fresh connections to every other pod
 * on every declared port (TCP and UDP), compared with what a model of the same pods allows.
 * A pod's traffic to its own address never crosses the bridge (CNIs differ there too, and the
 * upstream e2e suite skips it), so those pairs are not probed.
 */

const PROBER = fileURLToPath(new URL("./prober.ts", import.meta.url));
export const PROBED_PROTOCOLS: readonly Protocol[] = ["TCP", "UDP"];

export interface ProbePod extends PodInput {
  podIP: string;
  /** The host pid of a process in the pod's network namespace. */
  pid: number;
}

type Outcome = "open" | "refused" | "timeout" | "error";

export interface Observation {
  from: string;
  to: string;
  protocol: Protocol;
  port: number;
  expected: boolean;
  outcome: Outcome;
  /** The connection got through the network (a reset from a closed port got through too). */
  reached: boolean;
}

const id = (p: { namespace: string; name: string }) => `${p.namespace}/${p.name}`;

/** The pods among running containers (those labelled with the pod they stand for). */
export function probePods(containers: readonly RunningContainer[]): ProbePod[] {
  return containers.flatMap((c) => {
    const pod = c.labels[POD_LABEL];
    return pod && c.ip && c.pid ? [{ ...(JSON.parse(pod) as PodInput), podIP: c.ip, pid: c.pid }] : [];
  });
}

/**
 * Probes every ordered pair of distinct pods on the destination's declared TCP/UDP ports (or only
 * `only`), each source's probes at once, and says for each what `expected(from, to, protocol, port)`
 * predicted.
 */
export async function probePairs(
  pods: readonly ProbePod[],
  expected: (from: string, to: string, protocol: Protocol, port: number) => boolean,
  { timeoutMs = 1_000, only }: { timeoutMs?: number; only?: { protocol: Protocol; port: number } } = {},
): Promise<Observation[]> {
  const perSource = await Promise.all(
    pods.map(async (source) => {
      const targets = pods
        .filter((d) => d !== source)
        .flatMap((d) =>
          (d.ports ?? [])
            .map((p) => ({ protocol: (p.protocol ?? "TCP") as Protocol, port: p.containerPort }))
            .filter((p) => PROBED_PROTOCOLS.includes(p.protocol))
            .filter((p) => !only || (only.protocol === p.protocol && only.port === p.port))
            .filter((p, i, all) => all.findIndex((q) => q.protocol === p.protocol && q.port === p.port) === i)
            .map((p) => ({ to: id(d), ip: d.podIP, ...p })),
        );
      if (targets.length === 0) return [];
      const { stdout } = await execa("nsenter", [
        `--target=${source.pid}`,
        "--net",
        "--",
        process.execPath,
        PROBER,
        JSON.stringify(targets.map(({ ip, protocol, port }) => ({ ip, protocol, port }))),
        String(timeoutMs),
      ]);
      const outcomes = JSON.parse(stdout) as Outcome[];
      return targets.map((t, i): Observation => {
        const outcome = outcomes[i] ?? "error";
        return {
          from: id(source),
          to: t.to,
          protocol: t.protocol,
          port: t.port,
          expected: expected(id(source), t.to, t.protocol, t.port),
          outcome,
          reached: outcome === "open" || outcome === "refused",
        };
      });
    }),
  );
  return perSource.flat();
}

/** Probes the pods and compares with the engine's matrix for them under `model`. */
export async function probeAgainstEngine(
  pods: readonly ProbePod[],
  model: PolicyModel,
  options: { timeoutMs?: number } = {},
): Promise<Observation[]> {
  const matrix = computeReachability(
    { namespaces: model.namespaces, policies: model.policies, pods: pods.map(({ pid: _, ...pod }) => pod) },
    { protocols: PROBED_PROTOCOLS },
  );
  return probePairs(
    pods,
    (from, to, protocol, port) => matrix.allowed(from, to, { protocol, port }),
    options,
  );
}

export const mismatches = (observations: readonly Observation[]) =>
  observations.filter((o) => o.expected !== o.reached);
