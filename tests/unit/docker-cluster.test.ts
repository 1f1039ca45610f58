import { describe, expect, it } from "vitest";
import type { K8sObject } from "../../src/manifests/render.ts";
import { clusterContainers } from "../../src/runtimes/docker/cluster.ts";

const cluster = (spec: object): K8sObject =>
  ({ apiVersion: "postgresql.cnpg.io/v1", kind: "Cluster", metadata: { name: "db" }, spec }) as K8sObject;
const patroniEnv = (spec: object) => {
  const containers = clusterContainers(cluster(spec), {}, "postgres", {}, (logical) => logical, []);
  return containers.find((c) => c.image === "patroni" && c.replica === 1)?.env ?? {};
};

describe("a CloudNativePG Cluster of several instances as Patroni runs it", () => {
  it("maps synchronous replication: any -> quorum, first -> on, required -> strict; none -> off", () => {
    const settings = (synchronous?: object) => {
      const env = patroniEnv({ instances: 3, ...(synchronous ? { postgresql: { synchronous } } : {}) });
      return [
        env.PATRONI_DCS_SYNCHRONOUS_MODE,
        env.PATRONI_DCS_SYNCHRONOUS_NODE_COUNT,
        env.PATRONI_DCS_SYNCHRONOUS_MODE_STRICT,
      ];
    };
    expect(settings({ method: "any", number: 1, dataDurability: "required" })).toEqual([
      "quorum",
      "1",
      "true",
    ]);
    expect(settings({ method: "first", number: 2, dataDurability: "preferred" })).toEqual([
      "on",
      "2",
      "false",
    ]);
    expect(settings()).toEqual(["off", "1", "false"]);
  });

  it("takes its timings from failoverDelay and switchoverDelay, else the shortest lease Patroni allows", () => {
    const timings = (spec: object) => {
      const env = patroniEnv({ instances: 3, ...spec });
      return [
        env.PATRONI_DCS_TTL,
        env.PATRONI_DCS_LOOP_WAIT,
        env.PATRONI_DCS_RETRY_TIMEOUT,
        env.PATRONI_DCS_PRIMARY_STOP_TIMEOUT,
      ];
    };
    expect(timings({})).toEqual(["7", "1", "3", undefined]);
    expect(timings({ failoverDelay: 30, switchoverDelay: 60 })).toEqual(["30", "1", "3", "60"]);
    expect(timings({ failoverDelay: 2 })).toEqual(["7", "1", "3", undefined]);
  });

  it("runs 3 etcd members, N instances and one HAProxy per Service; one instance stays one container", () => {
    const names = clusterContainers(cluster({ instances: 3 }), {}, "postgres", {}, (l) => l, []).map(
      (c) => `${c.image} ${c.pod}`,
    );
    expect(names.sort()).toEqual([
      "etcd db-etcd-0",
      "etcd db-etcd-1",
      "etcd db-etcd-2",
      "haproxy db-r-1",
      "haproxy db-ro-1",
      "haproxy db-rw-1",
      "patroni db-1",
      "patroni db-2",
      "patroni db-3",
    ]);
    expect(
      clusterContainers(cluster({ instances: 1 }), {}, "postgres", {}, (l) => l, []).map((c) => c.image),
    ).toEqual(["postgres"]);
  });
});

describe("a Cluster's spec.backup as pgBackRest runs it on Docker", () => {
  const store = {
    destinationPath: "s3://azora-backups/azora-db",
    wal: { compression: "gzip" },
    data: { compression: "bzip2", immediateCheckpoint: true, jobs: 2 },
  };
  const instance = (spec: object, secrets = { "db-app": { username: "azora", password: "pw" } }) => {
    const problems: string[] = [];
    const [c] = clusterContainers(cluster(spec), secrets, "postgres", {}, (l) => l, problems);
    return { c, problems };
  };

  it("archives WAL continuously into the environment's repository, with the Cluster's settings", () => {
    const { c, problems } = instance({ backup: { retentionPolicy: "2w", barmanObjectStore: store } });
    expect(problems).toEqual([]);
    expect(c?.args).toEqual([
      "postgres",
      "-c",
      "archive_mode=on",
      "-c",
      "archive_command=pgbackrest archive-push %p",
      "-c",
      "archive_timeout=5min",
    ]);
    const pgbackrest = Object.fromEntries(
      Object.entries(c?.env ?? {}).filter(([k]) => k.startsWith("PGBACKREST_")),
    );
    expect(pgbackrest).toEqual({
      PGBACKREST_STANZA: "db",
      PGBACKREST_REPO1_PATH: "/var/lib/pgbackrest",
      PGBACKREST_PG1_PATH: "/var/lib/postgresql/data",
      PGBACKREST_PG1_USER: "azora",
      PGBACKREST_PG1_SOCKET_PATH: "/var/run/postgresql",
      PGBACKREST_LOG_LEVEL_CONSOLE: "warn",
      PGBACKREST_LOG_LEVEL_FILE: "off",
      // The data's compression wins over the WAL's: pgBackRest has one for both.
      PGBACKREST_COMPRESS_TYPE: "bz2",
      PGBACKREST_START_FAST: "y",
      PGBACKREST_PROCESS_MAX: "2",
      PGBACKREST_REPO1_RETENTION_FULL_TYPE: "time",
      PGBACKREST_REPO1_RETENTION_FULL: "14",
    });
    expect(c?.volumes).toEqual([
      { name: "data", path: "/var/lib/postgresql/data", readOnly: false, persistent: true },
      { name: "backups", path: "/var/lib/pgbackrest", readOnly: false, persistent: true, repository: true },
    ]);
  });

  it("keeps every backup without a retention policy, and takes the Cluster's archive_timeout", () => {
    const { c } = instance({
      backup: { barmanObjectStore: { destinationPath: "s3://b" } },
      postgresql: { parameters: { archive_timeout: "60s" } },
    });
    expect(c?.env.PGBACKREST_REPO1_RETENTION_FULL).toBe("9999999");
    expect(c?.env.PGBACKREST_REPO1_RETENTION_FULL_TYPE).toBeUndefined();
    expect(c?.env.PGBACKREST_COMPRESS_TYPE).toBeUndefined();
    expect(c?.args?.at(-1)).toBe("archive_timeout=60s");
  });

  it("without spec.backup nothing is archived and no repository is mounted", () => {
    const { c } = instance({});
    expect(c?.args).toBeUndefined();
    expect(c?.volumes.map((v) => v.name)).toEqual(["data"]);
    expect(Object.keys(c?.env ?? {}).some((k) => k.startsWith("PGBACKREST_"))).toBe(false);
  });

  it("names what it cannot run: another method, an unknown compression or retention", () => {
    expect(instance({ backup: { volumeSnapshot: {} } }).problems).toEqual([
      "Cluster/db spec.backup: only barmanObjectStore backups run on Docker (as pgBackRest archiving)",
    ]);
    expect(
      instance({
        backup: { retentionPolicy: "7 days", barmanObjectStore: { wal: { compression: "snappy" } } },
      }).problems,
    ).toEqual([
      "Cluster/db spec.backup: compression 'snappy' has no pgBackRest counterpart (expected one of gzip, bzip2, lz4, zstd)",
      "Cluster/db spec.backup.retentionPolicy: '7 days' is not valid; expected a number and d, w or m, e.g. 7d",
    ]);
  });

  it("under Patroni: every instance archives when primary, into one repository; only instance 1 may bootstrap", () => {
    const problems: string[] = [];
    const instances = clusterContainers(
      cluster({ instances: 3, backup: { barmanObjectStore: store } }),
      { "db-superuser": { username: "postgres", password: "su" } },
      "postgres",
      {},
      (l) => l,
      problems,
    ).filter((c) => c.image === "patroni");
    expect(problems).toEqual([]);
    expect(instances.map((c) => c.env.PATRONI_MAY_BOOTSTRAP)).toEqual([undefined, "false", "false"]);
    for (const c of instances) {
      expect(c.env.PATRONI_POSTGRESQL_PARAMETERS).toBe(
        "archive_mode=on\narchive_command=pgbackrest archive-push %p\narchive_timeout=5min",
      );
      expect(c.env.PGBACKREST_PG1_PATH).toBe("/var/lib/postgresql/data/pgdata");
      expect(c.env.PGBACKREST_PG1_USER).toBe("postgres");
      expect(c.env.PGBACKREST_STANZA).toBe("db");
      expect(c.volumes.map((v) => `${v.name} ${v.path}${v.repository ? " repository" : ""}`)).toEqual([
        "data /var/lib/postgresql/data",
        "backups /var/lib/pgbackrest repository",
      ]);
    }
    const plain = clusterContainers(cluster({ instances: 3 }), {}, "postgres", {}, (l) => l, []);
    const first = plain.find((c) => c.image === "patroni" && c.replica === 1);
    expect(first?.env.PATRONI_POSTGRESQL_PARAMETERS).toBeUndefined();
    expect(first?.volumes.map((v) => v.name)).toEqual(["data"]);
  });
});
