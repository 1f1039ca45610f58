import type { Experiment } from "../experiment.ts";
import { deletePod } from "../kubernetes.ts";

const SERVICES = ["user-service", "session-service", "course-service", "enrollment-service"];

/** One replica of every service SIGKILLed at once while the other replicas carry the traffic. */
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
    await Promise.all(targets.map((pod) => ctx.faults.kill(pod)));
  },
  holdMs: 0,
  remove: async () => {},
};
