import pg from "pg";

/**
 * What a bulk load should not maintain row by row, dropped before it and rebuilt after it in the
 * same transaction. One bulk build is much faster than row-by-row upkeep: 20,000 HNSW insertions
 * (each a graph search), 500,000 b-tree insertions and 1,000,000 foreign-key trigger calls (the
 * large enrollments COPY took 10.6 s with its foreign keys, 3.6 s without, re-validation 0.3 s).
 * Definitions are read back from the catalogue, so they come back exactly as the migrations made
 * them; if an index went missing, the migration's own definition is used.
 */
const INDEXES: Record<string, string> = {
  courses_embedding_hnsw:
    "CREATE INDEX courses_embedding_hnsw ON courses USING hnsw (embedding vector_cosine_ops)",
  enrollments_course_id: "CREATE INDEX enrollments_course_id ON enrollments (course_id, user_id)",
};

export interface Restorable {
  name: string;
  sql: string;
}

/** Drops the indexes above and enrollments' foreign keys; returns what rebuilds them, in order. */
export async function dropForLoad(client: pg.ClientBase): Promise<Restorable[]> {
  const indexes = await client.query<{ name: string; sql: string }>(
    "SELECT indexname AS name, indexdef AS sql FROM pg_indexes WHERE schemaname = current_schema() AND indexname = ANY($1)",
    [Object.keys(INDEXES)],
  );
  const found = new Map(indexes.rows.map((r) => [r.name, r.sql]));
  // Foreign keys are validated again as a whole when re-added (one join, not a trigger per row).
  const keys = await client.query<{ name: string; sql: string }>(
    `SELECT conname AS name, format('ALTER TABLE enrollments ADD CONSTRAINT %I %s', conname, pg_get_constraintdef(oid)) AS sql
       FROM pg_constraint WHERE conrelid = 'enrollments'::regclass AND contype = 'f' ORDER BY conname`,
  );
  for (const name of found.keys()) await client.query(`DROP INDEX ${pg.escapeIdentifier(name)}`);
  for (const { name } of keys.rows)
    await client.query(`ALTER TABLE enrollments DROP CONSTRAINT ${pg.escapeIdentifier(name)}`);
  return [
    ...Object.entries(INDEXES).map(([name, migration]) => ({ name, sql: found.get(name) ?? migration })),
    ...keys.rows,
  ];
}
