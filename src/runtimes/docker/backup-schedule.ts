import { Cron } from "croner";
import type { K8sObject } from "../../manifests/render.ts";

/**
 * CloudNativePG's ScheduledBackup on Docker: the environment's supervisor takes the base backups
 * (pgBackRest, in the Cluster's primary) when the schedule says, as the operator would. The
 * schedules travel to the supervisor as a label of each instance's container.
 */

export interface BackupSchedule {
  /** The ScheduledBackup's name. */
  name: string;
  /** CloudNativePG's six-field cron (seconds first), in UTC. */
  schedule: string;
  /** A backup as soon as the Cluster runs (here: when its repository has none yet). */
  immediate: boolean;
}

/** When `schedule` next fires after `after` (UTC); undefined if never. */
export function nextBackup(schedule: string, after: Date): Date | undefined {
  return new Cron(schedule, { paused: true, utcOffset: 0 }).nextRun(after) ?? undefined;
}

/** The plan's ScheduledBackups, by the Cluster they back up; what cannot run is named in `problems`. */
export function backupSchedules(
  objects: readonly K8sObject[],
  problems: string[],
): Map<string, BackupSchedule[]> {
  const byCluster = new Map<string, BackupSchedule[]>();
  for (const o of objects.filter((x) => x.kind === "ScheduledBackup")) {
    const owner = `ScheduledBackup/${o.metadata.name}`;
    if (o.spec?.suspend === true) continue;
    const cluster = objects.find((x) => x.kind === "Cluster" && x.metadata.name === o.spec?.cluster?.name);
    if (!cluster) {
      problems.push(
        `${owner} spec.cluster.name: no Cluster named '${o.spec?.cluster?.name ?? ""}' in the manifests`,
      );
      continue;
    }
    if (!cluster.spec?.backup) {
      problems.push(`${owner}: Cluster/${cluster.metadata.name} has no spec.backup to take backups with`);
      continue;
    }
    const method = o.spec?.method ?? "barmanObjectStore";
    if (method !== "barmanObjectStore") {
      problems.push(
        `${owner} spec.method: '${method}' does not run on Docker (barmanObjectStore does, as pgBackRest)`,
      );
      continue;
    }
    const schedule = String(o.spec?.schedule ?? "");
    // CloudNativePG's cron has six fields, seconds first; five would be read with minutes first.
    const fields = schedule.trim().split(/\s+/).length;
    let valid = fields === 6;
    try {
      if (valid) nextBackup(schedule, new Date());
    } catch {
      valid = false;
    }
    if (!valid) {
      problems.push(
        `${owner} spec.schedule: '${schedule}' is not valid; expected six cron fields, seconds first (e.g. "0 0 3 * * *")`,
      );
      continue;
    }
    const list = byCluster.get(cluster.metadata.name) ?? [];
    list.push({ name: o.metadata.name, schedule, immediate: o.spec?.immediate === true });
    byCluster.set(cluster.metadata.name, list);
  }
  return byCluster;
}

/** Runs a command as postgres in a container; its exit code and output. */
export type ExecIn = (
  containerId: string,
  command: string[],
) => Promise<{ exitCode: number; output: string }>;
type Log = (level: number, msg: string, extra?: object) => void;

/**
 * The scripts run as postgres in an instance. Only the primary is backed up (CloudNativePG prefers
 * a standby; pgBackRest backs up from one only beside a connection to the primary), so each
 * instance asks its own PostgreSQL first: a standby exits NOT_PRIMARY. An instance that does not
 * answer fails like any error (exit 1).
 */
export const NOT_PRIMARY = 75;
/** The immediate backup found one in the repository (taken by another instance, or before a restart). */
export const ALREADY_BACKED_UP = 76;
const PRIMARY = `r=$(psql -XAt -h "$PGBACKREST_PG1_SOCKET_PATH" -U "$PGBACKREST_PG1_USER" -d postgres -c 'SELECT pg_is_in_recovery()') || exit 1; [ "$r" = f ] || exit ${NOT_PRIMARY};`;
/**
 * `locked CMD...`: runs a pgBackRest command, waiting (up to 10 min) while another backup holds
 * the stanza's lock (error 50: a scheduled backup and `db:backup` at once); any other failure
 * ends the script with its code.
 */
export const LOCKED =
  'locked() { n=0; until "$@"; do rc=$?; n=$((n + 1)); if [ "$rc" -ne 50 ] || [ "$n" -ge 600 ]; then exit "$rc"; fi; sleep 1; done; };';
export const BACKUP = `${PRIMARY} ${LOCKED} locked pgbackrest stanza-create; locked pgbackrest backup --type=full`;
/** The immediate backup: only when the repository has none (a restarted supervisor takes no second). */
export const FIRST_BACKUP = `if pgbackrest info --output=json | grep -q '"label"'; then exit ${ALREADY_BACKED_UP}; fi; ${BACKUP}`;
/** A failed immediate backup (the instance still starting) is tried again after this long. */
export const IMMEDIATE_RETRY_MS = 10_000;

/**
 * The supervisor's side: each tick, the running containers with schedules are looked at; a
 * schedule that fired since the last tick, or an immediate backup not yet done, starts a backup
 * (one at a time per container; a tick never waits for it).
 */
export class BackupScheduler {
  private lastLook = new Map<string, number>();
  private immediateDone = new Set<string>();
  private immediateTriedAt = new Map<string, number>();
  private running = new Set<string>();

  private readonly exec: ExecIn;
  private readonly log: Log;

  constructor(exec: ExecIn, log: Log) {
    this.exec = exec;
    this.log = log;
  }

  /** Backups started now, as `container/schedule` (for tests); they finish in the background. */
  tick(
    containers: { Id: string; name: string; schedules: BackupSchedule[]; running: boolean }[],
    now = Date.now(),
  ): string[] {
    const started: string[] = [];
    for (const c of containers) {
      if (!c.running) continue;
      for (const s of c.schedules) {
        const key = `${c.name}/${s.name}`;
        const since = this.lastLook.get(key) ?? now;
        this.lastLook.set(key, now);
        const next = nextBackup(s.schedule, new Date(since));
        const due = next !== undefined && next.getTime() <= now;
        const immediate =
          s.immediate &&
          !this.immediateDone.has(key) &&
          now - (this.immediateTriedAt.get(key) ?? Number.NEGATIVE_INFINITY) >= IMMEDIATE_RETRY_MS;
        if ((!due && !immediate) || this.running.has(c.Id)) continue;
        if (immediate) this.immediateTriedAt.set(key, now);
        started.push(key);
        this.running.add(c.Id);
        const began = Date.now();
        void this.exec(c.Id, ["sh", "-c", due ? BACKUP : FIRST_BACKUP])
          .then(({ exitCode, output }) => {
            const fields = {
              container: c.name,
              schedule: s.name,
              reason: due ? "schedule" : "immediate",
              seconds: (Date.now() - began) / 1000,
            };
            // A standby's immediate try is repeated: it may be promoted before the primary took one.
            if (exitCode === NOT_PRIMARY) return this.log(20, "backup skipped: a standby", fields);
            if (exitCode === ALREADY_BACKED_UP) {
              this.immediateDone.add(key);
              return this.log(20, "immediate backup not needed: the repository has one", fields);
            }
            if (exitCode === 0 && immediate) this.immediateDone.add(key);
            this.log(exitCode === 0 ? 30 : 50, exitCode === 0 ? "backup taken" : "backup failed", {
              ...fields,
              ...(exitCode === 0 ? {} : { exitCode, output: output.slice(-300) }),
            });
          })
          .catch((error: Error) => this.log(50, "backup failed", { container: c.name, err: error.message }))
          .finally(() => this.running.delete(c.Id));
      }
    }
    return started;
  }
}
