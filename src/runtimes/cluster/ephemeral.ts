import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { UserError } from "../../errors.ts";
import { listObjects } from "../kind/pods.ts";
import { kubectl, runCommand } from "../kind/tools.ts";

/**
 * Short programs run inside pods of a cluster DevStack does not own the nodes of: each as an
 * ephemeral container of the pod (`kubectl debug` without the terminal), which shares the pod's
 * network and, given a target container, that container's processes. Kubernetes keeps an ephemeral
 * container, terminated, as long as its pod; each run is named anew.
 */

/** The image-map name of the image the programs run on (Node; pushed with the environment's images). */
export const EPHEMERAL_IMAGE = "node";

export interface EphemeralRun {
  pod: { namespace: string; name: string };
  /** The program's arguments after `node --input-type=module -e SCRIPT`. */
  args: string[];
  /** The container whose processes it sees (and may signal); none: only the pod's network. */
  target?: string;
}

/** As the Node image's own user, with nothing more: what a restricted namespace admits. */
const UNPRIVILEGED = {
  runAsUser: 1000,
  runAsNonRoot: true,
  allowPrivilegeEscalation: false,
  capabilities: { drop: ["ALL"] },
  seccompProfile: { type: "RuntimeDefault" },
};
/** Root with only CAP_KILL, to signal another container's processes whatever user they run as (baseline). */
export const SIGNALLER = {
  runAsUser: 0,
  allowPrivilegeEscalation: false,
  capabilities: { drop: ["ALL"], add: ["KILL"] },
  seccompProfile: { type: "RuntimeDefault" },
};

/** How long a program may take to be pulled and started, besides its own run. */
const START_TIMEOUT_MS = 120_000;
/** Waiting reasons that will not clear by themselves. */
const STUCK =
  /ErrImagePull|ImagePullBackOff|InvalidImageName|CreateContainerError|CreateContainerConfigError/;

interface EphemeralStatus {
  name: string;
  state?: {
    waiting?: { reason?: string; message?: string };
    terminated?: { exitCode?: number; reason?: string };
  };
}
interface PodStatuses {
  metadata: { name: string };
  status?: { ephemeralContainerStatuses?: EphemeralStatus[] };
}

/**
 * Runs `script` (JavaScript, ESM) as ephemeral container `container` in each run's pod, all at
 * once, waits until each has finished (at most `runMs` once started), and resolves to their
 * standard outputs, run by run. `what` names the program in errors.
 */
export async function runEphemeral(options: {
  kubeconfig: string;
  image: string;
  container: string;
  script: string;
  runs: readonly EphemeralRun[];
  runMs: number;
  what: string;
  securityContext?: object;
}): Promise<string[]> {
  const { kubeconfig, image, container, script, runs, runMs, what } = options;
  const run = (args: string[]) => runCommand(kubectl(kubeconfig, args));
  const key = (r: EphemeralRun) => `${r.pod.namespace}/${r.pod.name}`;
  const dir = mkdtempSync(join(tmpdir(), "devstack-ephemeral-"));
  await Promise.all(
    runs.map((r, i) => {
      const spec = {
        name: container,
        image,
        command: ["node", "--input-type=module", "-e", script, ...r.args],
        ...(r.target ? { targetContainerName: r.target } : {}),
        securityContext: options.securityContext ?? UNPRIVILEGED,
      };
      // From a file: the command line an error shows stays short.
      const patch = join(dir, `${i}.json`);
      writeFileSync(patch, JSON.stringify({ spec: { ephemeralContainers: [spec] } }));
      return run([
        ...["-n", r.pod.namespace, "patch", "pod", r.pod.name],
        ...["--subresource=ephemeralcontainers", "--type=strategic", "--patch-file", patch],
      ]);
    }),
  ).finally(() => rmSync(dir, { recursive: true, force: true }));
  const namespaces = [...new Set(runs.map((r) => r.pod.namespace))];
  const deadline = Date.now() + START_TIMEOUT_MS + runMs;
  const finished = new Map<string, EphemeralStatus>();
  while (finished.size < runs.length) {
    for (const ns of namespaces)
      for (const pod of await listObjects<PodStatuses>(kubeconfig, ns, "pods")) {
        const status = pod.status?.ephemeralContainerStatuses?.find((s) => s.name === container);
        const waiting = status?.state?.waiting;
        if (status?.state?.terminated) finished.set(`${ns}/${pod.metadata.name}`, status);
        else if (STUCK.test(waiting?.reason ?? ""))
          throw new UserError(
            `${what} in ${ns}/${pod.metadata.name} cannot start: ${waiting?.reason}: ${waiting?.message ?? ""}`,
            "Its image is the Node runtime's, pushed by `dev:up` to the environment's registry: check the nodes can pull from it.",
          );
      }
    if (finished.size >= runs.length) break;
    if (Date.now() > deadline)
      throw new UserError(
        `${what} did not finish within ${Math.round((START_TIMEOUT_MS + runMs) / 1000)} s in ${runs
          .map(key)
          .filter((k) => !finished.has(k))
          .join(", ")}`,
      );
    await new Promise((resolve) => setTimeout(resolve, 1_000));
  }
  return Promise.all(
    runs.map(async (r) => {
      const log = await run(["-n", r.pod.namespace, "logs", r.pod.name, "-c", container]);
      const terminated = finished.get(key(r))?.state?.terminated;
      if (terminated?.exitCode !== 0)
        throw new UserError(
          `${what} in ${key(r)} failed (exit ${terminated?.exitCode}, ${terminated?.reason ?? "?"}): ${log.trim().split("\n").slice(-3).join(" | ")}`,
        );
      return log;
    }),
  );
}

/** A name for this run's ephemeral containers, e.g. `devstack-probe-mx7vfme4`. */
export const ephemeralName = (purpose: string) => `devstack-${purpose}-${Date.now().toString(36)}`;
