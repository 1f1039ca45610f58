import type { K8sObject } from "../../manifests/render.ts";
import type { PodVolume } from "./pod-volumes.ts";

/**
 * A Cluster's `spec.backup` on Docker. CloudNativePG archives WAL and takes base backups with
 * Barman Cloud into an object store; here pgBackRest (Debian's, in the postgres image) does the
 * same into the environment's backup repository, a volume that outlives the environment
 * (names.ts backupRepositoryName). The object store's address and credentials are not used: nothing
 * is sent anywhere. pgBackRest reads its settings from PGBACKREST_* variables.
 */

/** Where the repository is mounted in an instance, and pgBackRest's stanza (the Cluster's name). */
export const REPOSITORY_PATH = "/var/lib/pgbackrest";

/** Whether an instance archives and backs up: its Cluster has `spec.backup` (the settings below). */
export const backsUp = (c: { env: Record<string, string> }) => c.env.PGBACKREST_STANZA !== undefined;

export interface ClusterBackup {
  env: Record<string, string>;
  /** PostgreSQL's settings for continuous archiving. */
  parameters: Record<string, string>;
  volume: PodVolume;
}

/** Where an instance keeps its data and how pgBackRest reaches it (local socket, trusted). */
export interface InstanceLayout {
  dataDirectory: string;
  superuser: string;
}

// Barman Cloud's compressions and pgBackRest's names for them; snappy has no counterpart.
const COMPRESSION: Record<string, string> = { gzip: "gz", bzip2: "bz2", lz4: "lz4", zstd: "zst" };
const RETENTION = /^([1-9][0-9]*)([dwm])$/;
const DAYS: Record<string, number> = { d: 1, w: 7, m: 30 };

/** A Cluster's backup settings, undefined without `spec.backup`; problems named. */
export function clusterBackup(
  cluster: K8sObject,
  instance: InstanceLayout,
  problems: string[],
): ClusterBackup | undefined {
  const backup = cluster.spec?.backup;
  if (!backup) return undefined;
  const owner = `Cluster/${cluster.metadata.name} spec.backup`;
  const store = backup.barmanObjectStore;
  if (!store) {
    problems.push(`${owner}: only barmanObjectStore backups run on Docker (as pgBackRest archiving)`);
    return undefined;
  }
  const env: Record<string, string> = {
    PGBACKREST_STANZA: cluster.metadata.name,
    PGBACKREST_REPO1_PATH: REPOSITORY_PATH,
    PGBACKREST_PG1_PATH: instance.dataDirectory,
    PGBACKREST_PG1_USER: instance.superuser,
    PGBACKREST_PG1_SOCKET_PATH: "/var/run/postgresql",
    PGBACKREST_LOG_LEVEL_CONSOLE: "warn",
    PGBACKREST_LOG_LEVEL_FILE: "off",
  };
  const compression = store.data?.compression ?? store.wal?.compression;
  if (compression !== undefined) {
    const type = COMPRESSION[compression];
    if (type) env.PGBACKREST_COMPRESS_TYPE = type;
    else
      problems.push(
        `${owner}: compression '${compression}' has no pgBackRest counterpart (expected one of ${Object.keys(COMPRESSION).join(", ")})`,
      );
  }
  if (store.data?.immediateCheckpoint === true) env.PGBACKREST_START_FAST = "y";
  if (store.data?.jobs !== undefined) env.PGBACKREST_PROCESS_MAX = String(store.data.jobs);
  // Without a retention policy CloudNativePG keeps every backup; so does pgBackRest told the most.
  env.PGBACKREST_REPO1_RETENTION_FULL = "9999999";
  if (backup.retentionPolicy !== undefined) {
    const match = RETENTION.exec(String(backup.retentionPolicy));
    if (match) {
      // Base backups older than the window go, with the WAL only they needed.
      env.PGBACKREST_REPO1_RETENTION_FULL_TYPE = "time";
      env.PGBACKREST_REPO1_RETENTION_FULL = String(Number(match[1]) * (DAYS[match[2] ?? "d"] ?? 1));
    } else
      problems.push(
        `${owner}.retentionPolicy: '${backup.retentionPolicy}' is not valid; expected a number and d, w or m, e.g. 7d`,
      );
  }
  // CloudNativePG's archive_timeout (5min) unless the Cluster sets its own. As CloudNativePG does,
  // only the primary archives (archive_mode on, not always): a promoted replica goes on from its
  // new timeline.
  return {
    env,
    parameters: {
      archive_mode: "on",
      archive_command: "pgbackrest archive-push %p",
      archive_timeout: String(cluster.spec?.postgresql?.parameters?.archive_timeout ?? "5min"),
    },
    volume: { name: "backups", path: REPOSITORY_PATH, readOnly: false, persistent: true, repository: true },
  };
}
