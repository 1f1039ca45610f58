import { readFileSync } from "node:fs";
import { transform } from "esbuild";
import { UserError } from "../../errors.ts";
import type { K8sObject } from "../../manifests/render.ts";
import {
  type LivePod,
  type Observation,
  type Outcome,
  PROBER,
  PROBER_MAIN,
  type ProbeRunner,
  probeAgainstEngine,
} from "../../netpol/live-probe.ts";
import type { PolicyModel } from "../../netpol/policy-model.ts";
import { listObjects } from "../kind/pods.ts";
import { type ApiPod, livePods } from "../kind/policy-agent/model.ts";
import type { PolicyProbeReport } from "../runtime.ts";
import { ephemeralName, runEphemeral } from "./ephemeral.ts";
import { devstackNamespaces } from "./namespace.ts";

/**
 * test:policy on a cluster: DevStack cannot enter a pod's network namespace on someone else's
 * nodes, so the prober runs as an ephemeral container of each pod, which shares the pod's network
 * (ephemeral.ts). Its targets are the environment's other pods and every pod of the cluster's other
 * DevStack environments: reaching one of those is a failure whatever the policies say, as each
 * environment must be alone in its namespace.
 */

let script: Promise<string> | undefined;
/** The prober as the image's Node runs it: types stripped, then run as a program. */
const proberScript = () => {
  script ??= transform(readFileSync(PROBER, "utf8"), { loader: "ts", format: "esm", target: "node20" }).then(
    (r) => `${r.code}\n${PROBER_MAIN}\n`,
  );
  return script;
};

/** The prober in an ephemeral container of every source pod (in the pod's network); its outcomes from its log. */
export function ephemeralProbe(kubeconfig: string, image: string, container: string): ProbeRunner<LivePod> {
  return async (batches, timeoutMs) => {
    const logs = await runEphemeral({
      kubeconfig,
      image,
      container,
      script: await proberScript(),
      runs: batches.map(({ source, targets }) => ({
        pod: source,
        args: [JSON.stringify(targets), String(timeoutMs)],
      })),
      runMs: timeoutMs,
      what: "test:policy's prober",
    });
    return logs.map((log) => JSON.parse(log) as Outcome[]);
  };
}

/** A NetworkPolicy as the engine reads it, without what the API server adds. */
const policyOf = (p: K8sObject): K8sObject => ({
  apiVersion: p.apiVersion,
  kind: p.kind,
  metadata: { name: p.metadata.name, namespace: p.metadata.namespace },
  spec: p.spec,
});

/**
 * Probes from every running pod of `namespace` to every other pod there and to every pod of the
 * cluster's other DevStack namespaces, and compares with the engine's matrix: this environment's
 * policies as its manifests say, the others' as the cluster has them. Any probe that reached
 * another environment's pod is a problem, even where the policies allow it.
 */
export async function probeClusterPolicies(options: {
  kubeconfig: string;
  namespace: string;
  /** The environment's own policies, from its manifests. */
  model: PolicyModel;
  /** The prober's image, as the nodes pull it. */
  image: string;
  timeoutMs: number;
}): Promise<PolicyProbeReport> {
  const { kubeconfig, namespace, model, image, timeoutMs } = options;
  const problems: string[] = [];
  const all = await devstackNamespaces(kubeconfig);
  const own = all.find((n) => n.name === namespace);
  const others = all.filter((n) => n.name !== namespace && n.phase !== "Terminating");
  if (!own) throw new UserError(`namespace ${namespace} is not one of DevStack's on this cluster`);
  const running = async (ns: string) =>
    livePods(
      (await listObjects<ApiPod>(kubeconfig, ns, "pods")).filter((p) => p.status?.phase === "Running"),
    ).flatMap((pod): LivePod[] => {
      if (pod.podIP) return [{ ...pod, podIP: pod.podIP }];
      problems.push(`${ns}/${pod.name}: not probed (it has no address yet)`);
      return [];
    });
  const sources = await running(namespace);
  const targets: LivePod[] = [];
  const policies: unknown[] = [...model.policies];
  for (const other of others) {
    // Another machine's environment this identity may not read is named, not skipped silently.
    const read = await Promise.all([
      running(other.name),
      listObjects<K8sObject>(kubeconfig, other.name, "networkpolicies"),
    ]).catch((error: Error) => error);
    if (read instanceof Error) {
      problems.push(`${other.name}: not probed (${read.message.split("\n").at(-1)})`);
      continue;
    }
    targets.push(...read[0]);
    policies.push(...read[1].map(policyOf));
  }
  const container = ephemeralName("probe");
  const observations: Observation[] = await probeAgainstEngine(
    [...sources, ...targets],
    {
      namespaces: [own, ...others].map((n) => ({ name: n.name, labels: n.labels })),
      policies,
    },
    ephemeralProbe(kubeconfig, image, container),
    { timeoutMs, sources },
  );
  const crossed = observations.filter((o) => o.reached && o.to.split("/")[0] !== namespace);
  for (const o of crossed)
    problems.push(
      `${o.from} reached ${o.to} on ${o.port}/${o.protocol}: another environment's pod (environments must not reach each other)`,
    );
  return { pods: sources.length + targets.length, observations, problems };
}
