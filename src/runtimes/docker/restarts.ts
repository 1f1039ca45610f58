/**
 * The kubelet's restart policy (`restartPolicy: Always`) as pure functions, for the supervisor:
 * a container that exits is started again, the first time at once, then after a back-off of 10 s
 * doubling up to 5 minutes (CrashLoopBackOff meanwhile); a run of 10 minutes resets the back-off.
 */
export const BACKOFF_INITIAL_MS = 10_000;
export const BACKOFF_MAX_MS = 300_000;
export const BACKOFF_RESET_MS = 600_000;

/** What the supervisor knows of one pod (container) beyond what Docker keeps. */
export interface PodRecord {
  restarts: number;
  /** Why its last run ended: `OOMKilled`, `Error (exit 1)`, `Completed`, `Liveness probe failed`. */
  lastState?: string;
  lastFinishedAt?: string;
  /** The back-off before the next restart after an exit. */
  backoffMs: number;
  /** While waiting out a back-off: when it starts again. */
  restartAt?: number;
}

export const newRecord = (): PodRecord => ({ restarts: 0, backoffMs: 0 });

export interface Exit {
  oomKilled: boolean;
  exitCode: number;
  startedAt: string;
  finishedAt: string;
  /** The supervisor stopped it for failing its liveness probe. */
  liveness?: boolean;
}

/** The reason Kubernetes would show in a pod's last state. */
export function exitReason(exit: Exit): string {
  if (exit.oomKilled) return "OOMKilled";
  if (exit.liveness) return `Liveness probe failed (exit ${exit.exitCode})`;
  return exit.exitCode === 0 ? "Completed" : `Error (exit ${exit.exitCode})`;
}

/** The record after an exit seen at `now`: when to start again, and the back-off after that. */
export function afterExit(record: PodRecord, exit: Exit, now: number): PodRecord {
  const ran = Date.parse(exit.finishedAt) - Date.parse(exit.startedAt);
  const backoff = ran >= BACKOFF_RESET_MS ? 0 : record.backoffMs;
  return {
    restarts: record.restarts,
    lastState: exitReason(exit),
    lastFinishedAt: exit.finishedAt,
    restartAt: now + backoff,
    backoffMs: backoff === 0 ? BACKOFF_INITIAL_MS : Math.min(backoff * 2, BACKOFF_MAX_MS),
  };
}

/** The record once the container was started again. */
export const restarted = (record: PodRecord): PodRecord => ({
  ...record,
  restarts: record.restarts + 1,
  restartAt: undefined,
});

/** What `dev:status` shows for a replica that is not running: waiting out a back-off, or its last state. */
export const waitingReason = (record: PodRecord | undefined, now: number) =>
  record?.restartAt !== undefined && record.restartAt > now ? "CrashLoopBackOff" : record?.lastState;
