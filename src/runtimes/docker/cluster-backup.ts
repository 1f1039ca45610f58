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

export interface ClusterBackup {
  env: Record<string, string>;
  /** PostgreSQL's settings for continuous archiving, as `-c` arguments. */
  args: string[];
  volume: PodVolume;
}

// Barman Cloud's compressions and pgBackRest's names for them; snappy has no counterpart.
const COMPRESSION: Record<string, string> = { gzip: "gz", bzip2: "bz2", lz4: "lz4", zstd: "zst" };
const RETENTION = /^([1-9][0-9]*)([dwm])$/;
const DAYS: Record<string, number> = { d: 1, w: 7, m: 30 };

/** The backup settings of a one-instance Cluster, undefined without `spec.backup`; problems named. */
export function clusterBackup(
  cluster: K8sObject,
  superuser: string,
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
  if ((cluster.spec?.instances ?? 1) > 1) {
    problems.push(
      `${owner}: backups of a Cluster of several instances (Patroni on Docker) are not built yet; bring it up with one instance or without the backups component`,
    );
    return undefined;
  }
  const env: Record<string, string> = {
    PGBACKREST_STANZA: cluster.metadata.name,
    PGBACKREST_REPO1_PATH: REPOSITORY_PATH,
    PGBACKREST_PG1_PATH: "/var/lib/postgresql/data",
    PGBACKREST_PG1_USER: superuser,
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
  // CloudNativePG's archive_timeout (5min) unless the Cluster sets its own.
  const timeout = cluster.spec?.postgresql?.parameters?.archive_timeout ?? "5min";
  return {
    env,
    args: [
      "-c",
      "archive_mode=on",
      "-c",
      "archive_command=pgbackrest archive-push %p",
      "-c",
      `archive_timeout=${timeout}`,
    ],
    volume: { name: "backups", path: REPOSITORY_PATH, readOnly: false, persistent: true, repository: true },
  };
}
