import pg from "pg";
import { UserError } from "../errors.ts";
import type { Psql } from "./psql.ts";

const { escapeIdentifier: ident, escapeLiteral: literal } = pg;

/**
 * Fast dev snapshots: a copy of the application database kept beside it in the same cluster, as a
 * template database (`CREATE DATABASE ... TEMPLATE`, file copy), and copied back on restore. Seconds
 * for a medium seed, on one instance or under Patroni (replicas copy the files themselves from the
 * WAL record). The price: while a copy is made, the database accepts no connections and the
 * services' open ones are closed (their pools reconnect within a second). Snapshots go with the
 * environment; `db:backup` is for data that must outlive it.
 */

const PREFIX = "devstack_snapshot_";
/** What a snapshot database's comment says about it. */
const MARK = "devstack-snapshot";

export interface Snapshot {
  name: string;
  /** The database it copies. */
  of: string;
  takenAt: string;
  bytes: number;
}

/** The application database snapshots are taken of, and the role that owns it. */
export interface SnapshotTarget {
  database: string;
  owner: string;
}

/** A snapshot name: lower-case letters, digits and dashes, at most 40 (a database name is at most 63 bytes). */
export function checkSnapshotName(name: string | undefined, what = "NAME"): string {
  if (name !== undefined && /^[a-z0-9]([a-z0-9-]{0,38}[a-z0-9])?$/.test(name)) return name;
  throw new UserError(
    `${what}: '${name ?? ""}' is not a valid snapshot name`,
    "expected 1 to 40 lower-case letters, digits and dashes, starting and ending with a letter or digit",
  );
}

/** The database the URL points at and the user it logs in as (the services' own). */
export function snapshotTargetOf(postgresUrl: string): SnapshotTarget {
  const url = new URL(postgresUrl);
  return { database: decodeURIComponent(url.pathname.slice(1)), owner: decodeURIComponent(url.username) };
}

export function dbSnapshots(psql: Psql, target: SnapshotTarget) {
  const db = ident(target.database);
  const restoring = ident(`${target.database}__restoring`);
  const replaced = ident(`${target.database}__replaced`);
  const databaseOf = (name: string) => ident(`${PREFIX}${name}`);

  /** Closes the database to new connections and ends the open ones (CREATE/RENAME wait up to 5 s for them to go). */
  const closeTarget = [
    `ALTER DATABASE ${db} ALLOW_CONNECTIONS false`,
    `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = ${literal(target.database)} AND pid <> pg_backend_pid()`,
  ];
  const reopenTarget = `ALTER DATABASE ${db} ALLOW_CONNECTIONS true`;

  async function list(): Promise<Snapshot[]> {
    const out = await psql([
      `SELECT coalesce(json_agg(json_build_object('database', datname, 'bytes', pg_database_size(oid), 'comment', shobj_description(oid, 'pg_database')) ORDER BY datname), '[]') FROM pg_database WHERE starts_with(datname, ${literal(PREFIX)})`,
    ]);
    const rows = JSON.parse(out.trim() || "[]") as {
      database: string;
      bytes: number;
      comment: string | null;
    }[];
    return rows.flatMap((row) => {
      try {
        const mark = JSON.parse(row.comment ?? "") as Record<string, string>;
        if (mark[MARK] !== row.database.slice(PREFIX.length) || !mark.of || !mark.takenAt) return [];
        return [{ name: mark[MARK], of: mark.of, takenAt: mark.takenAt, bytes: Number(row.bytes) }];
      } catch {
        return []; // a database named like a snapshot, not made by DevStack: not ours to list
      }
    });
  }

  async function find(name: string): Promise<Snapshot> {
    const snapshot = (await list()).find((s) => s.name === name);
    if (!snapshot) throw new UserError(`no snapshot named '${name}'`, "`pnpm env:snapshots` lists them.");
    if (snapshot.of !== target.database)
      throw new UserError(`snapshot '${name}' is of database '${snapshot.of}', not '${target.database}'`);
    return snapshot;
  }

  return {
    list,

    /** Copies the database into snapshot `name`; an existing one of that name only with `replace`. */
    async take(name: string, { replace = false } = {}): Promise<Snapshot> {
      const exists = (await list()).some((s) => s.name === name);
      if (exists && !replace)
        throw new UserError(
          `a snapshot named '${name}' exists`,
          "Pass --force to replace it, or choose another name.",
        );
      const snapshot = databaseOf(name);
      const mark = JSON.stringify({ [MARK]: name, of: target.database, takenAt: new Date().toISOString() });
      // Made under a temporary name and renamed over the old one only once complete, so a failed
      // copy leaves the earlier snapshot as it was.
      const making = ident(`${PREFIX}${name}__making`);
      try {
        await psql([
          `DROP DATABASE IF EXISTS ${making}`,
          ...closeTarget,
          `CREATE DATABASE ${making} TEMPLATE ${db} STRATEGY FILE_COPY`,
          reopenTarget,
          `ALTER DATABASE ${making} ALLOW_CONNECTIONS false`,
          `COMMENT ON DATABASE ${making} IS ${literal(mark)}`,
          `DROP DATABASE IF EXISTS ${snapshot}`,
          `ALTER DATABASE ${making} RENAME TO ${snapshot}`,
        ]);
      } finally {
        await psql([reopenTarget]).catch(() => {});
      }
      return find(name);
    },

    /**
     * Replaces the database's contents with snapshot `name`: a copy is made first under another
     * name (nothing is touched if that fails), then swapped in with two renames in one transaction.
     */
    async restore(name: string): Promise<void> {
      await find(name);
      await psql([
        `DROP DATABASE IF EXISTS ${restoring}`,
        `CREATE DATABASE ${restoring} TEMPLATE ${databaseOf(name)} OWNER ${ident(target.owner)} STRATEGY FILE_COPY`,
      ]);
      try {
        await psql([
          `DROP DATABASE IF EXISTS ${replaced}`,
          ...closeTarget,
          `BEGIN; ALTER DATABASE ${db} RENAME TO ${replaced}; ALTER DATABASE ${restoring} RENAME TO ${db}; COMMIT`,
          reopenTarget,
          `DROP DATABASE ${replaced}`,
        ]);
      } catch (error) {
        // The swap did not happen (it is one transaction): open the database again, drop the copy.
        await psql([reopenTarget, `DROP DATABASE IF EXISTS ${restoring}`]).catch(() => {});
        throw error;
      }
    },

    async remove(name: string): Promise<void> {
      await find(name);
      await psql([`DROP DATABASE ${databaseOf(name)}`]);
    },
  };
}
