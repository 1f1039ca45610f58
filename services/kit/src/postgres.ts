import pg from "pg";
import type { Logger } from "./logger.ts";

const MAX_CONNECTIONS = 10;

/**
 * How long a request waits for a connection, and then for a statement's answer, before it is a
 * 503. Together below the gateway's upstream timeout (5 s, kind/base/gateway/tyk.conf), so a
 * stalled database is the service's 503, not the gateway's 504 with the service still waiting.
 */
export const POSTGRES_TIMEOUTS = { connectMs: 2_000, queryMs: 2_500 } as const;

/**
 * A Postgres pool that survives outages: connections are made on demand, so when the server (or a
 * failover) comes back, the next request simply connects again; requests fail fast meanwhile.
 */
export function createPool(connectionString: string, log: Pick<Logger, "warn">): pg.Pool {
  const pool = new pg.Pool({
    connectionString,
    max: MAX_CONNECTIONS,
    connectionTimeoutMillis: POSTGRES_TIMEOUTS.connectMs,
    idleTimeoutMillis: 30_000,
    // A statement that hangs (a partitioned or stalled primary) must not hold the request forever.
    query_timeout: POSTGRES_TIMEOUTS.queryMs,
    application_name: process.env.SERVICE_NAME ?? "azora",
  });
  // An idle client that loses its server emits here; without a listener the process would crash.
  pool.on("error", (error) =>
    log.warn({ err: error.message }, "postgres connection lost; will reconnect on demand"),
  );

  // Pooled connections whose backend was terminated (failover, restart, pg_terminate_backend)
  // fail their next statement with 57P01-57P03, or find their socket already closed; a connection
  // made during a failover may have reached an instance that is (or became) a replica, where a
  // write fails with 25006 before it runs. Either way the statement never ran, so it is safe to
  // run it again; pg-pool drops a connection whose statement failed, so each attempt gets another.
  const query = pool.query.bind(pool) as (...args: unknown[]) => Promise<unknown>;
  pool.query = (async (...args: unknown[]) => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await query(...args);
      } catch (error) {
        if (attempt >= MAX_CONNECTIONS || !isDeadConnection(error)) throw error;
        if (attempt === 1)
          log.warn({ err: (error as Error).message }, "postgres connection was terminated; retrying");
      }
    }
  }) as typeof pool.query;
  return pool;
}

function isDeadConnection(error: unknown): boolean {
  const { code, message } = error as { code?: string; message?: string };
  return (
    /^(57P0[1-3]|25006)$/.test(code ?? "") ||
    /Client has encountered a connection error and is not queryable/.test(message ?? "")
  );
}

export async function pingPostgres(pool: pg.Pool): Promise<void> {
  await pool.query("SELECT 1");
}
