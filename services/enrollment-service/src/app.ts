import {
  ApiError,
  type App,
  createService,
  errors,
  ListOf,
  type Logger,
  notFound,
  Page,
  pingPostgres,
  type Static,
  Timestamp,
  Type,
  Uuid,
} from "@azora/service-kit";
import type pg from "pg";

export const Enrollment = Type.Object(
  { userId: Uuid, courseId: Uuid, createdAt: Timestamp },
  { $id: "Enrollment", additionalProperties: false },
);
const Enroll = Type.Object({ userId: Uuid, courseId: Uuid }, { additionalProperties: false });
const Pair = Type.Object({ userId: Uuid, courseId: Uuid }, { additionalProperties: false });
const ListQuery = Type.Object(
  {
    userId: Type.Optional(Uuid),
    courseId: Type.Optional(Uuid),
    ...Page,
  },
  { additionalProperties: false, description: "exactly one of userId or courseId" },
);

interface Row {
  user_id: string;
  course_id: string;
  created_at: Date;
}
const toEnrollment = (row: Row): Static<typeof Enrollment> => ({
  userId: row.user_id,
  courseId: row.course_id,
  createdAt: row.created_at.toISOString(),
});

export async function buildEnrollmentService(deps: {
  pool: pg.Pool;
  logger?: Logger;
  bodyLimit?: number;
}): Promise<App> {
  const { pool } = deps;
  return createService({
    name: "enrollment-service",
    version: "1.0.0",
    description: "Azora enrollments: who takes which course. Enrolling is idempotent.",
    logger: deps.logger,
    bodyLimit: deps.bodyLimit,
    checks: { postgres: () => pingPostgres(pool) },
    routes: (app) => {
      app.addSchema(Enrollment);

      app.post(
        "/enrollments",
        {
          schema: {
            summary: "Enroll a user in a course (idempotent: 201 when created, 200 when it already existed)",
            tags: ["enrollments"],
            body: Enroll,
            response: { 200: Enrollment, 201: Enrollment, ...errors(400, 413, 415, 422, 503) },
          },
        },
        async (request, reply) => {
          const { userId, courseId } = request.body;
          try {
            // Insert-or-read; a concurrent unenroll between the two statements sends us round once more.
            for (let attempt = 0; ; attempt++) {
              const inserted = await pool.query<Row>(
                "INSERT INTO enrollments (user_id, course_id) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING user_id, course_id, created_at",
                [userId, courseId],
              );
              if (inserted.rows[0]) return reply.status(201).send(toEnrollment(inserted.rows[0]));
              const existing = await pool.query<Row>(
                "SELECT user_id, course_id, created_at FROM enrollments WHERE user_id = $1 AND course_id = $2",
                [userId, courseId],
              );
              if (existing.rows[0] || attempt > 2)
                return reply.status(200).send(toEnrollment(existing.rows[0] as Row));
            }
          } catch (error) {
            const { code, constraint } = error as { code?: string; constraint?: string };
            if (code === "23503" && constraint === "enrollments_user_id_fkey")
              throw new ApiError(422, "unknown_user", `user ${userId} does not exist`);
            if (code === "23503" && constraint === "enrollments_course_id_fkey")
              throw new ApiError(422, "unknown_course", `course ${courseId} does not exist`);
            throw error;
          }
        },
      );

      app.delete(
        "/enrollments/:userId/:courseId",
        {
          schema: {
            summary: "Unenroll a user from a course",
            tags: ["enrollments"],
            params: Pair,
            response: { 204: Type.Null(), ...errors(400, 404, 503) },
          },
        },
        async (request, reply) => {
          const { rowCount } = await pool.query(
            "DELETE FROM enrollments WHERE user_id = $1 AND course_id = $2",
            [request.params.userId, request.params.courseId],
          );
          if (!rowCount) throw notFound("enrollment");
          return reply.status(204).send(null);
        },
      );

      app.get(
        "/enrollments",
        {
          schema: {
            summary: "List the enrollments of a user (userId) or of a course (courseId)",
            tags: ["enrollments"],
            querystring: ListQuery,
            response: { 200: ListOf(Type.Ref("Enrollment")), ...errors(400, 503) },
          },
        },
        async (request) => {
          const { userId, courseId, limit, offset } = request.query;
          if ((userId === undefined) === (courseId === undefined)) {
            throw new ApiError(400, "validation_failed", "give exactly one of userId or courseId", [
              { field: "querystring", problem: "exactly one of userId or courseId is required" },
            ]);
          }
          const [column, value] = userId !== undefined ? ["user_id", userId] : ["course_id", courseId];
          const [{ rows }, count] = await Promise.all([
            pool.query<Row>(
              `SELECT user_id, course_id, created_at FROM enrollments WHERE ${column} = $1 ORDER BY created_at, user_id, course_id LIMIT $2 OFFSET $3`,
              [value, limit, offset],
            ),
            pool.query<{ n: string }>(`SELECT count(*) AS n FROM enrollments WHERE ${column} = $1`, [value]),
          ]);
          return { items: rows.map(toEnrollment), total: Number(count.rows[0]?.n ?? 0), limit, offset };
        },
      );
    },
  });
}
