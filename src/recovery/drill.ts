import pg from "pg";
import type { BackupInfo, Backups, Progress } from "../runtimes/runtime.ts";

/**
 * The recovery drill: proves that a restore restores. A ledger of numbered writes goes to the
 * environment's database at a steady rate while a base backup is taken and after it; a target time
 * is chosen in the middle of the writes; the backup is restored to that time into a new
 * environment. Every write acknowledged before the target must be there (a missing one is data
 * lost: the RPO, target 0), and none sent after it may be (the restore went past the target).
 * Writes in flight at the target may go either way. The time from asking for the restore to the
 * new environment being ready is the RTO.
 */

export const LEDGER_TABLE = "devstack_recovery_ledger";

export interface DrillOptions {
  /** The environment drilled (its Cluster has spec.backup), and its database URL. */
  env: string;
  postgresUrl: string;
  backups: Backups;
  /** The environment the backup is restored into (must not exist). */
  into: string;
  /** Ledger writes per second. */
  rate: number;
  /** Milliseconds of writes after the backup and before the target, and after the target. */
  beforeTargetMs: number;
  afterTargetMs: number;
  progress: Progress;
}

export interface DrillResult {
  backup: BackupInfo;
  backupSeconds: number;
  target: string;
  written: number;
  /** Writes acknowledged before the target: each must be in the restored database. */
  acknowledgedBefore: number;
  /** ...of which missing after the restore (data lost; the RPO in writes). */
  lost: number[];
  /** Writes sent after the target: none may be in the restored database. */
  sentAfter: number;
  /** ...of which present after the restore (the restore went past its target). */
  leaked: number[];
  /** Writes in flight at the target, and how many of them the restored database has. */
  inFlight: number;
  inFlightRestored: number;
  failedWrites: number;
  recoverySeconds: number;
  upSeconds: number;
  /** From asking for the restore to the new environment ready. */
  rtoSeconds: number;
  passed: boolean;
}

interface LedgerWrite {
  id: number;
  sentAt: number;
  ackAt?: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Writes numbered rows at `rate` per second until stopped; each write's send and acknowledgement times. */
function startLedger(pool: pg.Pool, rate: number) {
  const writes: LedgerWrite[] = [];
  const pending = new Set<Promise<void>>();
  let failed = 0;
  const timer = setInterval(() => {
    const write: LedgerWrite = { id: writes.length + 1, sentAt: Date.now() };
    writes.push(write);
    const done = pool
      .query(`INSERT INTO ${LEDGER_TABLE} (id) VALUES ($1)`, [write.id])
      .then(() => {
        write.ackAt = Date.now();
      })
      .catch(() => {
        failed += 1;
      })
      .finally(() => pending.delete(done));
    pending.add(done);
  }, 1000 / rate);
  return {
    writes,
    failed: () => failed,
    async stop() {
      clearInterval(timer);
      await Promise.all(pending);
    },
  };
}

async function ledgerIds(url: string): Promise<Set<number>> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ id: number }>(`SELECT id FROM ${LEDGER_TABLE}`);
    return new Set(rows.map((r) => r.id));
  } finally {
    await client.end();
  }
}

export async function recoveryDrill(options: DrillOptions): Promise<DrillResult> {
  const { backups, progress } = options;
  const pool = new pg.Pool({ connectionString: options.postgresUrl, max: 4 });
  pool.on("error", () => {});
  try {
    await pool.query(`DROP TABLE IF EXISTS ${LEDGER_TABLE}`);
    await pool.query(
      `CREATE TABLE ${LEDGER_TABLE} (id integer PRIMARY KEY, at timestamptz NOT NULL DEFAULT clock_timestamp())`,
    );
    const ledger = startLedger(pool, options.rate);
    await sleep(500);
    progress(`ledger: ${options.rate} writes/s; taking a base backup while it writes`);
    const backupBegan = performance.now();
    const backup = await backups.take(options.env);
    const backupSeconds = (performance.now() - backupBegan) / 1000;
    progress(`backup ${backup.label} in ${backupSeconds.toFixed(1)} s`);
    await sleep(options.beforeTargetMs);
    const target = new Date();
    await sleep(options.afterTargetMs);
    await ledger.stop();
    const t = target.getTime();
    // Acknowledged in a millisecond before the target's: committed before it. Sent in a
    // millisecond after it: committed after it.
    const before = ledger.writes.filter((w) => w.ackAt !== undefined && w.ackAt < t);
    const after = ledger.writes.filter((w) => w.sentAt > t);
    const inFlight = ledger.writes.filter((w) => w.sentAt <= t && (w.ackAt === undefined || w.ackAt >= t));
    progress(
      `${ledger.writes.length} writes; target ${target.toISOString()}, ${before.length} acknowledged before it`,
    );

    const restoreBegan = performance.now();
    const restored = await backups.restore({
      from: options.env,
      into: options.into,
      to: target,
      force: false,
      progress: (line) => progress(`  ${line}`),
    });
    const rtoSeconds = (performance.now() - restoreBegan) / 1000;
    const ids = await ledgerIds(restored.state.endpoints.postgres ?? "");
    const lost = before.filter((w) => !ids.has(w.id)).map((w) => w.id);
    const leaked = after.filter((w) => ids.has(w.id)).map((w) => w.id);
    return {
      backup,
      backupSeconds,
      target: target.toISOString(),
      written: ledger.writes.length,
      acknowledgedBefore: before.length,
      lost,
      sentAfter: after.length,
      leaked,
      inFlight: inFlight.length,
      inFlightRestored: inFlight.filter((w) => ids.has(w.id)).length,
      failedWrites: ledger.failed(),
      recoverySeconds: restored.recoverySeconds,
      upSeconds: restored.upSeconds,
      rtoSeconds,
      passed: lost.length === 0 && leaked.length === 0 && before.length > 0 && after.length > 0,
    };
  } finally {
    await pool.end();
  }
}

/** What `test:recovery` writes to summary.json. */
export type RecoverySummary = DrillResult & { kind: "recovery"; startedAt: string };
