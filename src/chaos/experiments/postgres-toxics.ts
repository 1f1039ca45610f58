import { POSTGRES_TIMEOUTS } from "../../../services/kit/src/postgres.ts";
import type { PodRef, Toxic } from "../../runtimes/runtime.ts";
import type { Experiment, ExperimentContext } from "../experiment.ts";
import { proxyPod } from "../kubernetes.ts";

/** The services that keep their data in Postgres (session-service keeps its in Redis). */
const POSTGRES_USERS = ["user-service", "course-service", "enrollment-service"];
/** Answers reach the ledger through the gateway and the network: this much on top of a service's timeout. */
const SLACK_MS = 1_000;

/** The Service the services connect to: the CloudNativePG cluster's `-rw`. */
export const upstreamOf = (pods: readonly PodRef[]) => ({
  host: `${pods.find((p) => p.labels["cnpg.io/cluster"])?.labels["cnpg.io/cluster"] ?? "azora-db"}-rw`,
  port: 5432,
});

/**
 * Toxiproxy between every pod of the Postgres-backed services and Postgres, with `toxics` for the
 * hold. While it holds, a request must fail fast (by the service's own timeouts, `answerWithinMs`)
 * and as a 503 (the service's, or the gateway's once its breaker opens), never a 504, a 500 or no
 * answer; after its removal the workload recovers.
 */
function toxicExperiment(spec: {
  name: string;
  description: string;
  toxics: Toxic[];
  answerWithinMs: number;
}): Experiment {
  const window = new Map<ExperimentContext, { from: number; to: number }>();
  return {
    name: spec.name,
    description: spec.description,
    kubernetes: (pod) => proxyPod(pod, "azora-db-rw:5432", spec.toxics),
    requires: (pods) =>
      pods.some((p) => POSTGRES_USERS.includes(p.workload))
        ? undefined
        : `needs a pod of ${POSTGRES_USERS.join(", ")}`,
    targets: (pods) => pods.filter((p) => POSTGRES_USERS.includes(p.workload)).map((p) => p.pod),
    inject: async (ctx, targets) => {
      const upstream = upstreamOf(ctx.pods);
      await Promise.all(targets.map((pod) => ctx.faults.degrade(pod, upstream, spec.toxics)));
      window.set(ctx, { from: ctx.ledger.now(), to: Number.POSITIVE_INFINITY });
    },
    holdMs: 15_000,
    remove: async (ctx, targets) => {
      const held = window.get(ctx);
      if (held) held.to = ctx.ledger.now();
      await Promise.all(targets.map((pod) => ctx.faults.restore(pod)));
    },
    check: async (ctx) => {
      const held = window.get(ctx);
      if (!held) return ["the fault was never in place"];
      const failed = ctx.ledger.writes.filter((w) => !w.acknowledged && w.at >= held.from && w.at < held.to);
      const slow = failed.filter((w) => w.ms > spec.answerWithinMs + SLACK_MS);
      const not503 = failed.filter((w) => w.status !== 503);
      const byStatus = (ws: typeof failed) =>
        [...new Set(ws.map((w) => `${w.status} ${w.source ?? "none"}`))].join(", ");
      return [
        ...(slow.length > 0
          ? [
              `${slow.length} failed request(s) took longer than the services' timeouts (${spec.answerWithinMs} ms): up to ${Math.max(...slow.map((w) => w.ms)).toFixed(0)} ms`,
            ]
          : []),
        ...(not503.length > 0
          ? [`${not503.length} failed request(s) were not a 503: ${byStatus(not503)}`]
          : []),
      ];
    },
  };
}

/** Answers from Postgres held back far longer than a service waits for one. */
const LATENCY_MS = 10 * POSTGRES_TIMEOUTS.queryMs;
export const postgresSlow = toxicExperiment({
  name: "postgres-slow",
  description: `every answer from Postgres to the services delayed ${LATENCY_MS / 1000} s for 15 s (Toxiproxy); requests fail fast with 503 and recover`,
  toxics: [{ type: "latency", latencyMs: LATENCY_MS }],
  answerWithinMs: POSTGRES_TIMEOUTS.connectMs + POSTGRES_TIMEOUTS.queryMs,
});

/** Every connection from the services to Postgres reset as soon as Postgres answers. */
export const postgresConnectionsReset = toxicExperiment({
  name: "postgres-connections-reset",
  description:
    "every connection from the services to Postgres reset for 15 s (Toxiproxy); requests fail fast with 503 and recover",
  toxics: [{ type: "reset_peer", afterMs: 0 }],
  answerWithinMs: POSTGRES_TIMEOUTS.connectMs,
});
