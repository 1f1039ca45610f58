import { PostgreSqlContainer, type StartedPostgreSqlContainer } from "@testcontainers/postgresql";
import pg from "pg";
import "../../src/docker/testcontainers.ts";
import { migrate } from "../../src/db/migrate.ts";
import { image, testLabels } from "./labels.ts";

/** A migrated PostgreSQL 17 + pgvector container for one test file, and a pool on it. */
export async function startDatabase(): Promise<{
  container: StartedPostgreSqlContainer;
  url: string;
  pool: pg.Pool;
}> {
  const container = await new PostgreSqlContainer(image("postgres")).withLabels(testLabels()).start();
  const url = container.getConnectionUri();
  await migrate(url);
  const pool = new pg.Pool({ connectionString: url, max: 5 });
  // Tests that pause, kill or restart Postgres take this pool's idle connections with it; the pool
  // replaces them on demand, so losing one is not an error (unhandled, it would crash the run).
  pool.on("error", () => {});
  return { container, url, pool };
}
