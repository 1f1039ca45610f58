import { join } from "node:path";
import { runner } from "node-pg-migrate";
import { repoRoot } from "../paths.ts";

/** The repository's migrations, or MIGRATIONS_DIR where they were copied (the db-init image). */
export const MIGRATIONS_DIR = process.env.MIGRATIONS_DIR ?? join(repoRoot, "services", "db", "migrations");

/**
 * Applies every pending migration (node-pg-migrate, SQL files in services/db/migrations) under its
 * advisory lock, each in its own transaction. Idempotent: applied migrations are recorded in
 * `pgmigrations` and skipped. Returns the names it applied.
 */
export async function migrate(databaseUrl: string, { quiet = true } = {}): Promise<string[]> {
  const applied = await runner({
    databaseUrl,
    dir: MIGRATIONS_DIR,
    direction: "up",
    migrationsTable: "pgmigrations",
    count: Number.POSITIVE_INFINITY,
    checkOrder: true,
    log: quiet ? () => {} : console.log,
  });
  return applied.map((m) => m.name);
}
