import type pg from "pg";
import type { SeedCounts, SeedSize } from "./generate.ts";

/**
 * The record of applied seeds, in the database it describes, so that "already applied" survives
 * across machines and `dev:down --keep-data`. The seeder creates the table itself: it is dev
 * tooling, not part of the platform schema the migrations own. The latest row is what the database
 * holds now; older rows are history.
 */
export interface SeedRun {
  size: SeedSize;
  seed: number;
  version: number;
  rows: SeedCounts;
  appliedAt: Date;
}

export async function ensureSeedRuns(client: pg.ClientBase): Promise<void> {
  await client.query(`CREATE TABLE IF NOT EXISTS seed_runs (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    size text NOT NULL,
    seed integer NOT NULL,
    version integer NOT NULL,
    rows jsonb NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
  )`);
}

export async function latestSeedRun(client: pg.ClientBase): Promise<SeedRun | undefined> {
  const { rows } = await client.query<{
    size: SeedSize;
    seed: number;
    version: number;
    rows: SeedCounts;
    applied_at: Date;
  }>("SELECT size, seed, version, rows, applied_at FROM seed_runs ORDER BY id DESC LIMIT 1");
  const row = rows[0];
  return (
    row && { size: row.size, seed: row.seed, version: row.version, rows: row.rows, appliedAt: row.applied_at }
  );
}

export async function recordSeedRun(
  client: pg.ClientBase,
  run: { size: SeedSize; seed: number; version: number; rows: SeedCounts },
): Promise<void> {
  await client.query("INSERT INTO seed_runs (size, seed, version, rows) VALUES ($1, $2, $3, $4)", [
    run.size,
    run.seed,
    run.version,
    JSON.stringify(run.rows),
  ]);
}
