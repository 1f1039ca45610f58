import pg from "pg";
import type { Logger } from "./logger.ts";

/**
 * A Postgres pool that survives outages: connections are made on demand, so when the server (or a
 * failover) comes back, the next request simply connects again; requests fail fast meanwhile.
 */
export function createPool(connectionString: string, log: Pick<Logger, "warn">): pg.Pool {
  const pool = new pg.Pool({
    connectionString,
    max: 10,
    connectionTimeoutMillis: 2_000,
    idleTimeoutMillis: 30_000,
    // A statement that hangs (e.g. a partitioned primary) must not hold the request forever.
    query_timeout: 10_000,
    application_name: process.env.SERVICE_NAME ?? "azora",
  });
  // An idle client that loses its server emits here; without a listener the process would crash.
  pool.on("error", (error) =>
    log.warn({ err: error.message }, "postgres connection lost; will reconnect on demand"),
  );
  return pool;
}

export async function pingPostgres(pool: pg.Pool): Promise<void> {
  await pool.query("SELECT 1");
}
