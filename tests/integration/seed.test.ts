import { createHash } from "node:crypto";
import { buildCourseService } from "@azora/course-service";
import { createLogger, createPool } from "@azora/service-kit";
import { buildUserService } from "@azora/user-service";
import type { StartedPostgreSqlContainer } from "@testcontainers/postgresql";
import type pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SEED_PASSWORD } from "../../src/seed/accounts.ts";
import { generateUsers, SIZES } from "../../src/seed/generate.ts";
import { seed } from "../../src/seed/seed.ts";
import { startDatabase } from "../support/database.ts";
import { serviceClient } from "../support/service-client.ts";

describe("dev:seed against real PostgreSQL + pgvector", () => {
  let db: { container: StartedPostgreSqlContainer; url: string; pool: pg.Pool };
  let hand: { user: string; course: string };

  beforeAll(async () => {
    db = await startDatabase();
    // Rows created "by hand" (as the services would: default gen_random_uuid() ids), before any seed.
    const user = await db.pool.query<{ id: string }>(
      "INSERT INTO users (email, password_hash, display_name) VALUES ('hand@example.org', 'x', 'Hand') RETURNING id",
    );
    const course = await db.pool.query<{ id: string }>(
      "INSERT INTO courses (title, description, embedding) VALUES ('Hand', 'made', array_fill(0.1, ARRAY[384])::vector) RETURNING id",
    );
    hand = { user: user.rows[0]?.id ?? "", course: course.rows[0]?.id ?? "" };
    await db.pool.query("INSERT INTO enrollments (user_id, course_id) VALUES ($1, $2)", [
      hand.user,
      hand.course,
    ]);
  });

  afterAll(async () => {
    await db?.pool.end();
    await db?.container.stop();
  });

  /** Row counts and a checksum of every key, of every row (seeded or not). */
  const snapshot = async () => {
    const { rows } = await db.pool.query(`SELECT
      (SELECT count(*)::int FROM users) AS users,
      (SELECT count(*)::int FROM courses) AS courses,
      (SELECT count(*)::int FROM enrollments) AS enrollments,
      (SELECT md5(string_agg(id::text, ',' ORDER BY id)) FROM users) AS users_md5,
      (SELECT md5(string_agg(id::text, ',' ORDER BY id)) FROM courses) AS courses_md5,
      (SELECT md5(string_agg(user_id || ':' || course_id, ',' ORDER BY user_id, course_id)) FROM enrollments) AS enrollments_md5,
      (SELECT count(*)::int FROM seed_runs) AS runs`);
    return rows[0];
  };
  const handRowsSurvive = async () => {
    const { rows } = await db.pool.query(
      `SELECT (SELECT count(*)::int FROM users WHERE id = $1) + (SELECT count(*)::int FROM courses WHERE id = $2)
         + (SELECT count(*)::int FROM enrollments WHERE user_id = $1 AND course_id = $2) AS n`,
      [hand.user, hand.course],
    );
    expect(rows[0].n).toBe(3);
  };
  const bulkLoadObjects = async () => {
    const { rows } = await db.pool.query(`SELECT
      (SELECT count(*)::int FROM pg_indexes WHERE indexname IN ('courses_embedding_hnsw', 'enrollments_course_id')) AS indexes,
      (SELECT count(*)::int FROM pg_constraint WHERE conrelid = 'enrollments'::regclass AND contype = 'f') AS foreign_keys`);
    return rows[0];
  };

  it("loads the small seed: exact counts, next to the rows made by hand", async () => {
    const result = await seed(db.url, { size: "small" });
    expect(result.applied).toBe(true);
    expect(result.loaded).toEqual(SIZES.small);
    const counts = await snapshot();
    expect(counts).toMatchObject({ users: 1_001, courses: 201, enrollments: 5_001, runs: 1 });
    await handRowsSurvive();
    expect(await bulkLoadObjects()).toEqual({ indexes: 2, foreign_keys: 2 });
    // The ids in the database are the generated ones.
    const ids = [...generateUsers(42, SIZES.small.users, "x")].map((u) => u.id).sort();
    const { rows } = await db.pool.query(
      "SELECT md5(string_agg(id::text, ',' ORDER BY id)) AS md5 FROM users WHERE email LIKE '%@seed.azora.dev'",
    );
    expect(rows[0].md5).toBe(createHash("md5").update(ids.join(",")).digest("hex"));
  });

  it("is what the services see: seed users log in with SEED_PASSWORD, search finds seeded courses", async () => {
    const logger = createLogger("seed-test", "silent");
    const pool = createPool(db.url, logger);
    const users = await buildUserService({ pool, logger });
    const courses = await buildCourseService({ pool, logger });
    const userCall = serviceClient("user-service", () => users);
    const courseCall = serviceClient("course-service", () => courses);
    try {
      const login = (password: string) =>
        userCall("POST", "/internal/credentials/verify", { email: "user7@seed.azora.dev", password });
      const ok = await login(SEED_PASSWORD);
      expect(ok.status).toBe(200);
      const { rows } = await db.pool.query("SELECT id FROM users WHERE email = 'user7@seed.azora.dev'");
      expect(ok.body.userId).toBe(rows[0].id);
      expect((await login("wrong-password")).status).toBe(401);

      // Seeded embeddings are in the service's space: a topic's words find that topic's courses.
      const found = await courseCall(
        "GET",
        "/courses/search?q=neural%20networks%20gradients%20regression&limit=5",
      );
      expect(found.status).toBe(200);
      expect(found.body.items).toHaveLength(5);
      for (const item of found.body.items) expect(item.course.tags).toContain("machine-learning");
    } finally {
      await users.close();
      await courses.close();
      await pool.end();
    }
  });

  it("adds nothing when the same size and seed run again", async () => {
    const before = await snapshot();
    const result = await seed(db.url, { size: "small", seed: 42 });
    expect(result.applied).toBe(false);
    expect(result.loaded).toEqual({ users: 0, courses: 0, enrollments: 0 });
    expect(await snapshot()).toEqual(before);
  });

  it("uses the HNSW index for semantic search", async () => {
    const client = await db.pool.connect();
    try {
      await client.query("SET enable_seqscan = off");
      const { rows } = await client.query(
        "EXPLAIN SELECT id FROM courses ORDER BY embedding <=> (SELECT embedding FROM courses WHERE title = 'Hand') LIMIT 10",
      );
      expect(rows.map((r) => r["QUERY PLAN"]).join("\n")).toMatch(/Index Scan using courses_embedding_hnsw/);
    } finally {
      await client.query("RESET enable_seqscan");
      client.release();
    }
  });

  it("rolls everything back when the load fails midway", async () => {
    // A user not made by the seeder holds an email of the medium seed (not of the small one): the
    // medium load removes the small seed, drops the indexes, then fails copying users.
    await db.pool.query(
      "INSERT INTO users (email, password_hash, display_name) VALUES ('user5000@seed.azora.dev', 'x', 'Squatter')",
    );
    const before = await snapshot();
    await expect(seed(db.url, { size: "medium" })).rejects.toThrow(/rolled back.*users_email_key/);
    expect(await snapshot()).toEqual(before);
    expect(await bulkLoadObjects()).toEqual({ indexes: 2, foreign_keys: 2 });
    await db.pool.query("DELETE FROM users WHERE email = 'user5000@seed.azora.dev'");
  });

  it("replaces the previous seed when the size changes, keeping rows made by hand", async () => {
    const result = await seed(db.url, { size: "medium" });
    expect(result.applied).toBe(true);
    expect(result.removed).toEqual(SIZES.small);
    expect(await snapshot()).toMatchObject({ users: 10_001, courses: 2_001, enrollments: 50_001, runs: 2 });
    await handRowsSurvive();
    expect(await bulkLoadObjects()).toEqual({ indexes: 2, foreign_keys: 2 });

    const back = await seed(db.url, { size: "small", seed: 7 });
    expect(back.removed).toEqual(SIZES.medium);
    expect(await snapshot()).toMatchObject({ users: 1_001, courses: 201, enrollments: 5_001, runs: 3 });
    await handRowsSurvive();
    const { rows } = await db.pool.query("SELECT size, seed FROM seed_runs ORDER BY id DESC LIMIT 1");
    expect(rows[0]).toEqual({ size: "small", seed: 7 });
  });
});
