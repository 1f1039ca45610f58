import type pg from "pg";
import { SEED_EMAIL_DOMAIN } from "./accounts.ts";
import type { SeedCounts } from "./generate.ts";
import { isSeedIdSql } from "./ids.ts";

// Seed rows, of any seed or size: deterministic version-8 ids (see ids.ts), and for users also the
// reserved email domain. Rows the services create have version-4 ids and are never matched.
export const SEED_USER = `email LIKE '%@${SEED_EMAIL_DOMAIN}' AND ${isSeedIdSql("id")}`;
export const SEED_COURSE = isSeedIdSql("id");
const SEED_ENROLLMENT = `user_id IN (SELECT id FROM users WHERE ${SEED_USER})
  OR course_id IN (SELECT id FROM courses WHERE ${SEED_COURSE})`;

/**
 * Removes every seed row inside the caller's transaction (which has dropped enrollments' foreign
 * keys): enrollments of seed users or in seed courses, seed courses, seed users. Returns what it
 * removed.
 *
 * Courses and enrollments are rewritten (TRUNCATE, then the rows to keep put back) rather than
 * DELETEd: CREATE INDEX in the same transaction would index the rows this transaction deleted, and
 * an HNSW index full of dead entries returns too few rows (3 of 10 after large -> medium) until a
 * VACUUM repairs the graph, which costs more than the whole load. A rewritten table has no dead
 * rows. Users keep plain DELETE: their b-trees cope with dead entries. TRUNCATE refuses if another
 * table ever references these, and then the whole seed rolls back with that message.
 */
export async function removeSeedRows(client: pg.ClientBase): Promise<SeedCounts> {
  const { rows } = await client.query<SeedCounts>(`SELECT
    (SELECT count(*)::int FROM users WHERE ${SEED_USER}) AS users,
    (SELECT count(*)::int FROM courses WHERE ${SEED_COURSE}) AS courses,
    (SELECT count(*)::int FROM enrollments WHERE ${SEED_ENROLLMENT}) AS enrollments`);
  const removed = rows[0] ?? { users: 0, courses: 0, enrollments: 0 };
  if (removed.courses > 0 || removed.enrollments > 0) {
    await client.query(
      `CREATE TEMP TABLE seed_keep_enrollments ON COMMIT DROP AS SELECT * FROM enrollments WHERE NOT (${SEED_ENROLLMENT})`,
    );
    await client.query(
      `CREATE TEMP TABLE seed_keep_courses ON COMMIT DROP AS SELECT * FROM courses WHERE NOT (${SEED_COURSE})`,
    );
    await client.query("TRUNCATE enrollments, courses");
    await client.query("INSERT INTO courses SELECT * FROM seed_keep_courses");
    await client.query("INSERT INTO enrollments SELECT * FROM seed_keep_enrollments");
  }
  if (removed.users > 0) await client.query(`DELETE FROM users WHERE ${SEED_USER}`);
  return removed;
}
