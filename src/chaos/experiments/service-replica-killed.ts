import type { Experiment } from "../experiment.ts";
import { deletePod } from "../kubernetes.ts";

const SERVICES = ["user-service", "session-service", "course-service", "enrollment-service"];

/**
 * One replica of every service SIGKILLed at once while the other replicas carry the traffic. As
 * `kubectl delete pod` does, the pod is replaced at once (no crash back-off builds up over runs):
 * on Docker it is held down through the kill and started again right after.
 */
export const serviceReplicaKilled: Experiment = {
  name: "service-replica-killed",
  description: "one replica of each service killed (SIGKILL) while the others carry traffic",
  kubernetes: deletePod,
  requires: (pods) => {
    const single = SERVICES.filter((s) => pods.filter((p) => p.workload === s).length < 2);
    return single.length > 0
      ? `needs 2 or more replicas of ${single.join(", ")} (the nightly env has them)`
      : undefined;
  },
  targets: (pods) =>
    SERVICES.flatMap((s) => pods.filter((p) => p.workload === s && p.replica === 1).map((p) => p.pod)),
  inject: async (ctx, targets) => {
    await Promise.all(targets.map((pod) => ctx.faults.down(pod)));
  },
  holdMs: 0,
  remove: async (ctx, targets) => {
    await Promise.all(targets.map((pod) => ctx.faults.up(pod)));
  },
};
