import { buildEnrollmentService } from "@azora/enrollment-service";
import { type App, createLogger, createPool } from "@azora/service-kit";
import type { StartedPostgreSqlContainer } from "@testcontainers/postgresql";
import type pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startDatabase } from "../../support/database.ts";
import { serviceClient } from "../../support/service-client.ts";

describe("enrollment-service against real PostgreSQL", () => {
  let db: { container: StartedPostgreSqlContainer; pool: pg.Pool };
  let pool: pg.Pool;
  let app: App;
  const call = serviceClient("enrollment-service", () => app);
  let users: string[];
  let courses: string[];

  beforeAll(async () => {
    db = await startDatabase();
    const logger = createLogger("enrollment-service", "silent");
    pool = createPool(db.container.getConnectionUri(), logger);
    app = await buildEnrollmentService({ pool, logger });
    await app.ready();
    users = (
      await db.pool.query<{ id: string }>(
        "INSERT INTO users (email, password_hash, display_name) SELECT 'u' || i || '@example.org', 'x', 'U' || i FROM generate_series(1, 3) i RETURNING id",
      )
    ).rows.map((r) => r.id);
    courses = (
      await db.pool.query<{ id: string }>(
        "INSERT INTO courses (title, description, embedding) SELECT 'C' || i, 'd', array_fill(0.1, ARRAY[384])::vector FROM generate_series(1, 2) i RETURNING id",
      )
    ).rows.map((r) => r.id);
  });

  afterAll(async () => {
    await app?.close();
    await pool?.end();
    await db?.pool.end();
    await db?.container.stop();
  });

  it("enrolls idempotently: 201 then 200, one row", async () => {
    const body = { userId: users[0], courseId: courses[0] };
    const first = await call("POST", "/enrollments", body);
    expect(first.status).toBe(201);
    const second = await call("POST", "/enrollments", body);
    expect(second.status).toBe(200);
    expect(second.body).toEqual(first.body);
    const { rows } = await db.pool.query(
      "SELECT count(*)::int AS n FROM enrollments WHERE user_id = $1 AND course_id = $2",
      [users[0], courses[0]],
    );
    expect(rows[0].n).toBe(1);
  });

  it("concurrent enrollments of the same pair create exactly one row", async () => {
    const body = { userId: users[1], courseId: courses[1] };
    const answers = await Promise.all(Array.from({ length: 8 }, () => call("POST", "/enrollments", body)));
    expect(answers.filter((a) => a.status === 201)).toHaveLength(1);
    expect(answers.filter((a) => a.status === 200)).toHaveLength(7);
  });

  it("refuses unknown users and courses with 422, writing nothing", async () => {
    const ghost = "00000000-0000-4000-8000-000000000000";
    const noUser = await call("POST", "/enrollments", { userId: ghost, courseId: courses[0] });
    expect(noUser.status).toBe(422);
    expect(noUser.body.error.code).toBe("unknown_user");
    const noCourse = await call("POST", "/enrollments", { userId: users[0], courseId: ghost });
    expect(noCourse.body.error.code).toBe("unknown_course");
    const { rows } = await db.pool.query(
      "SELECT count(*)::int AS n FROM enrollments WHERE user_id = $1 OR course_id = $1",
      [ghost],
    );
    expect(rows[0].n).toBe(0);
  });

  it("lists by user and by course, and unenrolls", async () => {
    await call("POST", "/enrollments", { userId: users[2], courseId: courses[0] });
    await call("POST", "/enrollments", { userId: users[2], courseId: courses[1] });
    const byUser = await call("GET", `/enrollments?userId=${users[2]}`);
    expect(byUser.body.total).toBe(2);
    expect(byUser.body.items.map((e: { courseId: string }) => e.courseId).sort()).toEqual(
      [...(courses ?? [])].sort(),
    );
    const byCourse = await call("GET", `/enrollments?courseId=${courses[0]}&limit=1`);
    expect(byCourse.body.total).toBe(2);
    expect(byCourse.body.items).toHaveLength(1);

    expect((await call("DELETE", `/enrollments/${users[2]}/${courses[1]}`)).status).toBe(204);
    expect((await call("DELETE", `/enrollments/${users[2]}/${courses[1]}`)).status).toBe(404);
    expect((await call("GET", `/enrollments?userId=${users[2]}`)).body.total).toBe(1);
  });

  it("needs exactly one of userId or courseId, and valid ids", async () => {
    expect((await call("GET", "/enrollments")).status).toBe(400);
    expect((await call("GET", `/enrollments?userId=${users[0]}&courseId=${courses[0]}`)).status).toBe(400);
    expect((await call("GET", "/enrollments?userId=1; DROP TABLE enrollments")).status).toBe(400);
    expect((await call("POST", "/enrollments", { userId: users[0] })).status).toBe(400);
    expect(
      (await call("POST", "/enrollments", { userId: users[0], courseId: courses[0], note: "x" })).status,
    ).toBe(400);
  });
});
