import { UserError } from "../../errors.ts";
import { podParts } from "../kind/pods.ts";
import { kubectl, runCommand } from "../kind/tools.ts";
import type { Faults } from "../runtime.ts";
import { ephemeralName, runEphemeral, SIGNALLER } from "./ephemeral.ts";

/**
 * Faults on a cluster whose nodes DevStack cannot reach: only what can be done from inside a pod.
 * `pause` stops every process of the pod's main container with SIGSTOP from an ephemeral container
 * sharing its processes (it holds its connections and answers nothing, as the freezer does on
 * Docker and Kind), `resume` sends SIGCONT. The container's init (its PID 1) cannot be stopped from
 * inside its own PID namespace and is left running; it serves nothing in the images here (tini).
 * The rest need the nodes or their engine and fail saying so.
 */

// Standalone (run by the image's Node with `-e`): signals every process it sees but PID 1 and itself.
const SIGNAL_SCRIPT = `
import { readdirSync } from "node:fs";
const signal = process.argv.at(-1);
const signalled = [];
for (const entry of readdirSync("/proc")) {
  const pid = Number(entry);
  if (!Number.isInteger(pid) || pid <= 1 || pid === process.pid) continue;
  try { process.kill(pid, signal); signalled.push(pid); } catch {}
}
if (signalled.length === 0) { console.error("no process of the container to signal"); process.exit(1); }
console.log(JSON.stringify(signalled));
`;

const notOnCluster = async (): Promise<never> => {
  throw new UserError(
    "this fault needs the cluster's nodes, which the cluster runtime does not reach (pause and resume are injected from inside the pod)",
    "Run chaos experiments on the Docker or Kind runtime.",
  );
};

export function clusterFaults(kubeconfig: string, namespace: string, image: string | undefined): Faults {
  const paused = new Set<string>();
  const signal = async (pod: string, signal: "SIGSTOP" | "SIGCONT") => {
    if (!image)
      throw new UserError(
        "faults: the environment was brought up without the Node image in its registry",
        "Bring it up again (`pnpm dev:down`, then `dev:up` with the same flags).",
      );
    const { namespace: ns, name } = podParts(pod, namespace);
    const target = await runCommand(
      kubectl(kubeconfig, ["-n", ns, "get", "pod", name, "-o", "jsonpath={.spec.containers[0].name}"]),
    );
    await runEphemeral({
      kubeconfig,
      image,
      container: ephemeralName(signal === "SIGSTOP" ? "pause" : "resume"),
      script: SIGNAL_SCRIPT,
      runs: [{ pod: { namespace: ns, name }, args: [signal], target: target.trim() }],
      runMs: 10_000,
      what: signal === "SIGSTOP" ? "pause" : "resume",
      securityContext: SIGNALLER,
    });
  };
  const faults: Faults = {
    async pause(pod) {
      await signal(pod, "SIGSTOP");
      paused.add(pod);
    },
    async resume(pod) {
      await signal(pod, "SIGCONT");
      paused.delete(pod);
    },
    async heal() {
      for (const pod of [...paused]) await faults.resume(pod);
    },
    kill: notOnCluster,
    down: notOnCluster,
    up: notOnCluster,
    isolate: notOnCluster,
    reconnect: notOnCluster,
    degrade: notOnCluster,
    restore: notOnCluster,
    restartEngine: notOnCluster,
    killNodeAgent: notOnCluster,
    nodeAgentRunning: notOnCluster,
  };
  return faults;
}
