import pg from "pg";
import { migrate } from "../db/migrate.ts";
import { UserError } from "../errors.ts";
import { SEED_EMAIL_DOMAIN } from "./accounts.ts";
import { dropForLoad } from "./bulk-load.ts";
import { COPY_SQL, copyRows, encodeCourse, encodeEnrollment, encodeUser } from "./copy.ts";
import {
  GENERATOR_VERSION,
  generateCourses,
  generateEnrollments,
  generateUsers,
  SEED_SIZES,
  type SeedCounts,
  type SeedSize,
  SIZES,
} from "./generate.ts";
import { seedPasswordHash } from "./password.ts";
import { removeSeedRows } from "./remove.ts";
import { ensureSeedRuns, latestSeedRun, recordSeedRun } from "./runs.ts";

export interface SeedOptions {
  size: SeedSize;
  seed?: number;
  /** Called with one line per finished phase (name and wall time). */
  progress?: (line: string) => void;
}

export interface SeedResult {
  size: SeedSize;
  seed: number;
  /** False when this size and seed were already applied (at `alreadyAppliedAt`): nothing was written. */
  applied: boolean;
  alreadyAppliedAt?: Date;
  /** Rows loaded by this run (zero when nothing was applied). */
  loaded: SeedCounts;
  /** Rows of an earlier seed that this run replaced. */
  removed: SeedCounts;
  /** Wall time of each phase, in order, and in total (milliseconds). */
  phases: { phase: string; ms: number }[];
  totalMs: number;
}

// One seeder at a time per database: a second one waits, then finds the seed applied.
const LOCK_KEY = "azora-devstack-seed";
const n = (count: number) => count.toLocaleString("en-US");
const zero = (): SeedCounts => ({ users: 0, courses: 0, enrollments: 0 });

/** A seed is stored as a Postgres integer: a whole number from 0 to 2^31 - 1 (flag text or number). */
export function checkSeed(value: number | string): number {
  const parsed = typeof value === "string" ? (/^\d{1,10}$/.test(value) ? Number(value) : Number.NaN) : value;
  if (!Number.isInteger(parsed) || parsed < 0 || parsed > 2 ** 31 - 1)
    throw new UserError(`--seed: '${value}' is not valid; expected a whole number from 0 to 2147483647`);
  return parsed;
}

/**
 * Loads the `size` seed into the database at `databaseUrl` (migrating it first), idempotently and
 * all-or-nothing: one transaction drops what a bulk load should not maintain (bulk-load.ts),
 * removes an earlier seed's rows (remove.ts), COPYs users, courses and enrollments (copy.ts),
 * rebuilds the indexes and foreign keys and records the run (runs.ts). Any failure rolls all of it
 * back, and so does an interrupted run (the server aborts a transaction whose connection is gone).
 * Rows created through the services are never touched. The same size and seed a second time
 * changes nothing and returns `applied: false`.
 */
export async function seed(databaseUrl: string, options: SeedOptions): Promise<SeedResult> {
  const { size, progress = () => {} } = options;
  const seedValue = checkSeed(options.seed ?? 42);
  if (!SEED_SIZES.includes(size))
    throw new UserError(`--size: '${size}' is not valid; expected one of: ${SEED_SIZES.join(", ")}`);
  const counts: SeedCounts = { ...SIZES[size] };
  const began = performance.now();
  const phases: SeedResult["phases"] = [];
  const timed = async <T>(phase: string, body: () => Promise<T>): Promise<T> => {
    const start = performance.now();
    const value = await body();
    const ms = performance.now() - start;
    phases.push({ phase, ms });
    progress(`${phase.padEnd(40)} ${(ms / 1000).toFixed(2)} s`);
    return value;
  };
  const result = (applied: boolean, loaded: SeedCounts, removed: SeedCounts): SeedResult => ({
    size,
    seed: seedValue,
    applied,
    loaded,
    removed,
    phases,
    totalMs: performance.now() - began,
  });

  await timed("migrate", () => migrate(databaseUrl));
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query("BEGIN");
    await client.query("SELECT pg_advisory_xact_lock(hashtext($1))", [LOCK_KEY]);
    await ensureSeedRuns(client);
    const latest = await latestSeedRun(client);
    if (latest?.size === size && latest.seed === seedValue && latest.version === GENERATOR_VERSION) {
      await client.query("COMMIT");
      return { ...result(false, zero(), zero()), alreadyAppliedAt: latest.appliedAt };
    }

    const passwordHash = await timed("hash password", seedPasswordHash);
    // Enough memory for HNSW to build its whole graph in memory (pgvector slows down badly once it
    // does not fit). Serial build: a parallel one puts that graph in shared memory, and Docker's
    // default 64 MB /dev/shm makes it fail ("could not resize shared memory segment"); on two
    // cores parallel would gain little anyway. LOCAL, so both end with the transaction.
    await client.query("SET LOCAL maintenance_work_mem = '1GB'");
    await client.query("SET LOCAL max_parallel_maintenance_workers = 0");
    const restore = await timed("drop indexes and foreign keys", () => dropForLoad(client));
    const removed = await timed("remove earlier seed rows", () => removeSeedRows(client));
    const loaded = zero();
    loaded.users = await timed(`copy ${n(counts.users)} users`, () =>
      copyRows(client, COPY_SQL.users, generateUsers(seedValue, counts.users, passwordHash), encodeUser),
    );
    loaded.courses = await timed(`copy ${n(counts.courses)} courses (with embeddings)`, () =>
      copyRows(client, COPY_SQL.courses, generateCourses(seedValue, counts.courses), encodeCourse),
    );
    loaded.enrollments = await timed(`copy ${n(counts.enrollments)} enrollments`, () =>
      copyRows(client, COPY_SQL.enrollments, generateEnrollments(seedValue, counts), encodeEnrollment),
    );
    for (const { name, sql } of restore) await timed(`rebuild ${name}`, () => client.query(sql));
    // Fresh statistics, so the planner sees the loaded sizes at once (and uses the HNSW index).
    await timed("analyze", () => client.query("ANALYZE users, courses, enrollments"));
    await recordSeedRun(client, { size, seed: seedValue, version: GENERATOR_VERSION, rows: loaded });
    await timed("commit", () => client.query("COMMIT"));
    return result(true, loaded, removed);
  } catch (error) {
    await client.query("ROLLBACK").catch(() => {});
    throw asUserError(error);
  } finally {
    await client.end().catch(() => {});
  }
}

/** A database refusal (constraint, permission) is the user's to act on: one line, no stack. */
function asUserError(error: unknown): unknown {
  if (!(error instanceof pg.DatabaseError)) return error;
  const conflict = error.code === "23505" && error.table === "users";
  return new UserError(
    `seeding failed and was rolled back, the database is unchanged: ${error.message}${error.detail ? ` (${error.detail})` : ""}`,
    conflict
      ? `a user that the seeder did not create holds a seed email (@${SEED_EMAIL_DOMAIN}); rename or delete it, then seed again`
      : undefined,
  );
}
