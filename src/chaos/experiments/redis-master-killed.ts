import type { PodRef } from "../../runtimes/runtime.ts";
import type { Experiment, ExperimentContext } from "../experiment.ts";
import { deletePod } from "../kubernetes.ts";

/** The session store's name in Sentinel (`master-name` in kind/base/redis-sentinel.yaml). */
const MASTER_NAME = "azora-sessions";

/** The master as a Sentinel names it (`redis-1.redis`), as the pod that runs it (`azora/redis-1`). */
async function masterPod(ctx: ExperimentContext): Promise<string> {
  const sentinel = ctx.pods.find((p) => p.workload === "redis-sentinel");
  if (!sentinel) throw new Error("no Sentinel pod");
  const answer = await ctx.env.exec(sentinel.pod, [
    "sh",
    "-c",
    `redis-cli --no-auth-warning -a "$REDIS_PASSWORD" -p 26379 --raw sentinel get-master-addr-by-name ${MASTER_NAME}`,
  ]);
  const host = answer.split("\n")[0]?.trim() ?? "";
  if (!/^[a-z0-9-]+\./.test(host))
    throw new Error(`Sentinel ${sentinel.pod} names no master: '${answer.trim()}'`);
  return `${sentinel.pod.split("/")[0]}/${host.split(".")[0]}`;
}

/** Enough Redis pods for a replica to take over, and Sentinels to decide it. */
const needsReplicas = (pods: readonly PodRef[]) =>
  pods.filter((p) => p.workload === "redis").length > 1 && pods.some((p) => p.workload === "redis-sentinel")
    ? undefined
    : "needs several Redis pods watched by Sentinel (the nightly env has 3 and 3)";

let killed: { pod: string; at: number } | undefined;
/**
 * The session store's master SIGKILLed: Sentinel promotes a replica, logins work again, and
 * sessions written more than 1 s before the kill (replicated by then) still validate.
 */
export const redisMasterKilled: Experiment = {
  name: "redis-master-killed",
  description:
    "the session store's Redis master killed (SIGKILL); Sentinel promotes a replica, older sessions live on",
  kubernetes: deletePod,
  requires: needsReplicas,
  targets: () => ["the current Redis master"],
  inject: async (ctx) => {
    // The invariant needs a session older than 1 s at the kill: the workload logs in now and then.
    const deadline = Date.now() + 15_000;
    while (ctx.ledger.sessionsIssuedBefore(ctx.ledger.now() - 1_100).length === 0) {
      if (Date.now() > deadline) throw new Error("the workload got no session in 15 s");
      await new Promise((r) => setTimeout(r, 100));
    }
    const pod = await masterPod(ctx);
    ctx.log(`    master ${pod}`);
    killed = { pod, at: ctx.ledger.now() };
    await ctx.faults.kill(pod);
  },
  holdMs: 0,
  remove: async () => {},
  check: async (ctx) => {
    if (!killed) return ["the master was not found"];
    const problems: string[] = [];
    const now = await masterPod(ctx).catch((error: Error) => error.message);
    if (now === killed.pod) problems.push(`${killed.pod} is still the master: Sentinel promoted no replica`);
    const older = ctx.ledger.sessionsIssuedBefore(killed.at - 1_000);
    if (older.length === 0) problems.push("no session was issued more than 1 s before the kill to check");
    const statuses = await Promise.all(older.slice(-20).map((t) => ctx.ledger.sessionStatus(t)));
    const gone = statuses.filter((s) => s !== 200);
    if (gone.length > 0)
      problems.push(
        `${gone.length} of ${statuses.length} sessions issued more than 1 s before the kill no longer validate (statuses ${[...new Set(gone)].join(", ")})`,
      );
    return problems;
  },
};
