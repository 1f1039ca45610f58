import { fileURLToPath, pathToFileURL } from "node:url";
import { computeReachability } from "./engine.ts";
import { type PodInput, type Protocol, podId } from "./model.ts";
import type { PolicyModel } from "./policy-model.ts";
import type { Outcome } from "./prober.ts";

/**
 * The live probe, whatever runs it: from inside each source pod's network namespace, fresh
 * connections to every other pod on every declared port (TCP and UDP), compared with what a model
 * of the same pods allows. How a prober gets into a pod is the runtime's (a ProbeRunner). A pod's
 * traffic to its own address never crosses the bridge (CNIs differ there too, and the upstream e2e
 * suite skips it), so those pairs are not probed.
 */

/** The standalone program each runner starts inside a pod (see its header). */
export const PROBER = fileURLToPath(new URL("./prober.ts", import.meta.url));
/** What runs the prober's module as a program, after the module (a pod) or its import (here). */
export const PROBER_MAIN = "await main();";
/** `node` arguments that run this checkout's prober on `targets` (types stripped by Node). */
export const proberArguments = (targets: readonly ProbeTarget[], timeoutMs: number): string[] => [
  "--input-type=module",
  "-e",
  `import { main } from ${JSON.stringify(pathToFileURL(PROBER).href)};\n${PROBER_MAIN}`,
  JSON.stringify(targets),
  String(timeoutMs),
];
export const PROBED_PROTOCOLS: readonly Protocol[] = ["TCP", "UDP"];

export interface LivePod extends PodInput {
  podIP: string;
}

export interface ProbeTarget {
  ip: string;
  protocol: Protocol;
  port: number;
}

export type { Outcome } from "./prober.ts";

/** Runs the prober in each source's network namespace; resolves to the outcomes, target by target. */
export type ProbeRunner<P extends LivePod> = (
  batches: readonly { source: P; targets: readonly ProbeTarget[] }[],
  timeoutMs: number,
) => Promise<Outcome[][]>;

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

export interface ProbeOptions<P> {
  timeoutMs?: number;
  /** Only this port (by default every declared one). */
  only?: { protocol: Protocol; port: number };
  /** The pods probes leave from (by default all of them); every pod is a target. */
  sources?: readonly P[];
}

/**
 * Probes from each source to every other pod on the destination's declared TCP/UDP ports (or only
 * `only`), all at once, and says for each what `expected(from, to, protocol, port)` predicted.
 */
export async function probePairs<P extends LivePod>(
  pods: readonly P[],
  expected: (from: string, to: string, protocol: Protocol, port: number) => boolean,
  run: ProbeRunner<P>,
  { timeoutMs = 1_000, only, sources = pods }: ProbeOptions<P> = {},
): Promise<Observation[]> {
  const batches = sources
    .map((source) => ({
      source,
      targets: pods
        .filter((d) => podId(d) !== podId(source))
        .flatMap((d) =>
          (d.ports ?? [])
            .map((p) => ({ protocol: (p.protocol ?? "TCP") as Protocol, port: p.containerPort }))
            .filter((p) => PROBED_PROTOCOLS.includes(p.protocol))
            .filter((p) => !only || (only.protocol === p.protocol && only.port === p.port))
            .filter((p, i, all) => all.findIndex((q) => q.protocol === p.protocol && q.port === p.port) === i)
            .map((p) => ({ to: podId(d), ip: d.podIP, ...p })),
        ),
    }))
    .filter((b) => b.targets.length > 0);
  const outcomes = await run(
    batches.map(({ source, targets }) =>
      // Only what the prober needs: the address, not the pod's name.
      ({ source, targets: targets.map(({ ip, protocol, port }) => ({ ip, protocol, port })) }),
    ),
    timeoutMs,
  );
  return batches.flatMap(({ source, targets }, b) =>
    targets.map((t, i): Observation => {
      const outcome = outcomes[b]?.[i] ?? "error";
      return {
        from: podId(source),
        to: t.to,
        protocol: t.protocol,
        port: t.port,
        expected: expected(podId(source), t.to, t.protocol, t.port),
        outcome,
        reached: outcome === "open" || outcome === "refused",
      };
    }),
  );
}

/** Probes the pods and compares with the engine's matrix for them under `model`. */
export async function probeAgainstEngine<P extends LivePod>(
  pods: readonly P[],
  model: PolicyModel,
  run: ProbeRunner<P>,
  options: ProbeOptions<P> = {},
): Promise<Observation[]> {
  const matrix = computeReachability(
    {
      namespaces: model.namespaces,
      policies: model.policies,
      pods: pods.map(({ namespace, name, labels, ports, podIP, podIPs }) => ({
        namespace,
        name,
        labels,
        ports,
        podIP,
        podIPs,
      })),
    },
    { protocols: PROBED_PROTOCOLS },
  );
  return probePairs(
    pods,
    (from, to, protocol, port) => matrix.allowed(from, to, { protocol, port }),
    run,
    options,
  );
}
