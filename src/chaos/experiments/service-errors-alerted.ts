import { activeAlerts } from "../../monitoring/prometheus-api.ts";
import type { Toxic } from "../../runtimes/runtime.ts";
import type { Experiment, ExperimentContext } from "../experiment.ts";
import { proxyPod } from "../kubernetes.ts";
import { upstreamOf } from "./postgres-toxics.ts";

const ALERT = "ServiceErrorRatioHigh";
const SERVICE = "user-service";
const TOXICS: Toxic[] = [{ type: "reset_peer", afterMs: 0 }];
/** The rule's `for: 5m`, the seconds its 5-minute rate needs to pass 5%, and evaluation (5 s). */
const FIRES_WITHIN_MS = 7 * 60_000;
/** Once healed, the 5-minute rate falls below 5% after about 285 s of good answers. */
const RESOLVES_WITHIN_MS = 7 * 60_000;
const POLL_MS = 5_000;

interface Run {
  injectedAt: number;
  firedAt?: number;
  removedAt?: number;
}
const runs = new Map<ExperimentContext, Run>();

const prometheusOf = (ctx: ExperimentContext) => {
  const url = ctx.env.endpoints.prometheus;
  if (!url) throw new Error("the environment has no Prometheus endpoint");
  return url;
};
/** The alert's state for the service: firing, pending, or undefined when not active. */
const alertState = async (ctx: ExperimentContext) =>
  (await activeAlerts(prometheusOf(ctx))).find(
    (a) => a.labels.alertname === ALERT && a.labels.job === SERVICE,
  )?.state;

/**
 * The platform's alert rules evaluated live: user-service's connections to PostgreSQL are reset
 * (Toxiproxy) so it answers 503, and held until Prometheus fires ServiceErrorRatioHigh for it (the
 * rule's `for: 5m` has to pass first); then healed, and the alert must resolve once the 5-minute
 * error ratio is back under 5%. About 11 minutes, so it runs only where monitoring is switched on.
 */
export const serviceErrorsAlerted: Experiment = {
  name: "service-errors-alerted",
  description: `${SERVICE}'s connections to PostgreSQL reset until ${ALERT} fires (its for: 5m), then healed until it resolves; about 11 minutes`,
  kubernetes: (pod) => proxyPod(pod, "azora-db-rw:5432", TOXICS),
  requires: (pods) =>
    !pods.some((p) => p.workload === "prometheus")
      ? "needs the monitoring component (dev:up --with monitoring)"
      : !pods.some((p) => p.workload === SERVICE)
        ? `needs a ${SERVICE} pod`
        : undefined,
  targets: (pods) => pods.filter((p) => p.workload === SERVICE).map((p) => p.pod),
  inject: async (ctx, targets) => {
    if ((await alertState(ctx)) !== undefined) throw new Error(`${ALERT} is already active for ${SERVICE}`);
    const upstream = upstreamOf(ctx.pods);
    await Promise.all(targets.map((pod) => ctx.faults.degrade(pod, upstream, TOXICS)));
    runs.set(ctx, { injectedAt: Date.now() });
  },
  holdMs: 0,
  // Held until the alert fires (or long past when it should have).
  holdUntil: async (ctx) => {
    const run = runs.get(ctx);
    if (!run) return;
    while (Date.now() - run.injectedAt < FIRES_WITHIN_MS) {
      await new Promise((r) => setTimeout(r, POLL_MS));
      if ((await alertState(ctx)) === "firing") {
        run.firedAt = Date.now();
        ctx.log(
          `    ${ALERT} firing for ${SERVICE} ${((run.firedAt - run.injectedAt) / 1000).toFixed(0)} s after the fault`,
        );
        return;
      }
    }
  },
  remove: async (ctx, targets) => {
    const run = runs.get(ctx);
    if (run) run.removedAt = Date.now();
    await Promise.all(targets.map((pod) => ctx.faults.restore(pod)));
  },
  check: async (ctx) => {
    const run = runs.get(ctx);
    if (!run) return ["the fault was never in place"];
    if (run.firedAt === undefined)
      return [`${ALERT} did not fire for ${SERVICE} within ${FIRES_WITHIN_MS / 60_000} min of the fault`];
    const removedAt = run.removedAt ?? Date.now();
    for (;;) {
      const state = await alertState(ctx);
      if (state === undefined) {
        ctx.log(
          `    ${ALERT} resolved ${((Date.now() - removedAt) / 1000).toFixed(0)} s after the fault was removed`,
        );
        return [];
      }
      if (Date.now() - removedAt > RESOLVES_WITHIN_MS)
        return [
          `${ALERT} for ${SERVICE} still ${state} ${RESOLVES_WITHIN_MS / 60_000} min after the fault was removed`,
        ];
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
  },
};
