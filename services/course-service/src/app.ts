import {
  type App,
  createService,
  type Embedder,
  errors,
  FeatureHashingEmbedder,
  ListOf,
  type Logger,
  notFound,
  Page,
  pingPostgres,
  type Static,
  Timestamp,
  Type,
  toPgVector,
  Uuid,
} from "@azora/service-kit";
import type pg from "pg";
import { courseText } from "./course-text.ts";

const Title = Type.String({ minLength: 1, maxLength: 200 });
const Description = Type.String({ minLength: 1, maxLength: 5000 });
const Tags = Type.Array(Type.String({ minLength: 1, maxLength: 40 }), { maxItems: 20 });
const Id = Type.Object({ id: Uuid }, { additionalProperties: false });

export const Course = Type.Object(
  {
    id: Uuid,
    title: Type.String(),
    description: Type.String(),
    tags: Type.Array(Type.String()),
    createdAt: Timestamp,
    updatedAt: Timestamp,
  },
  { $id: "Course", additionalProperties: false },
);
const CreateCourse = Type.Object(
  { title: Title, description: Description, tags: Type.Optional(Tags) },
  { additionalProperties: false },
);
const UpdateCourse = Type.Object(
  { title: Type.Optional(Title), description: Type.Optional(Description), tags: Type.Optional(Tags) },
  { additionalProperties: false, minProperties: 1 },
);
const SearchQuery = Type.Object(
  {
    q: Type.String({
      minLength: 1,
      maxLength: 500,
      description: "free text; ranked by cosine distance of embeddings",
    }),
    limit: Type.Integer({ minimum: 1, maximum: 50, default: 10 }),
  },
  { additionalProperties: false },
);
const SearchResults = Type.Object(
  {
    items: Type.Array(
      Type.Object(
        {
          course: Type.Ref("Course"),
          distance: Type.Number({
            minimum: 0,
            maximum: 2,
            description: "cosine distance, smaller is closer",
          }),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);

interface Row {
  id: string;
  title: string;
  description: string;
  tags: string[];
  created_at: Date;
  updated_at: Date;
  distance?: number;
}
const toCourse = (row: Row): Static<typeof Course> => ({
  id: row.id,
  title: row.title,
  description: row.description,
  tags: row.tags,
  createdAt: row.created_at.toISOString(),
  updatedAt: row.updated_at.toISOString(),
});
const COLUMNS = "id, title, description, tags, created_at, updated_at";

export async function buildCourseService(deps: {
  pool: pg.Pool;
  logger?: Logger;
  bodyLimit?: number;
  embedder?: Embedder;
}): Promise<App> {
  const { pool } = deps;
  const embedder = deps.embedder ?? new FeatureHashingEmbedder();
  const embed = (c: { title: string; description: string; tags?: string[] }) =>
    toPgVector(embedder.embed(courseText(c)));

  return createService({
    name: "course-service",
    version: "1.0.0",
    description: "Azora courses: catalogue and semantic search over descriptions (pgvector, HNSW).",
    logger: deps.logger,
    bodyLimit: deps.bodyLimit,
    checks: { postgres: () => pingPostgres(pool) },
    routes: (app) => {
      app.addSchema(Course);

      app.post(
        "/courses",
        {
          schema: {
            summary: "Create a course",
            tags: ["courses"],
            body: CreateCourse,
            response: { 201: Course, ...errors(400, 413, 415, 503) },
          },
        },
        async (request, reply) => {
          const { title, description, tags = [] } = request.body;
          const { rows } = await pool.query<Row>(
            `INSERT INTO courses (title, description, tags, embedding) VALUES ($1, $2, $3, $4) RETURNING ${COLUMNS}`,
            [title, description, tags, embed({ title, description, tags })],
          );
          return reply.status(201).send(toCourse(rows[0] as Row));
        },
      );

      app.get(
        "/courses",
        {
          schema: {
            summary: "List courses",
            tags: ["courses"],
            querystring: Type.Object(Page, { additionalProperties: false }),
            response: { 200: ListOf(Type.Ref("Course")), ...errors(400, 503) },
          },
        },
        async (request) => {
          const { limit, offset } = request.query;
          const [{ rows }, count] = await Promise.all([
            pool.query<Row>(`SELECT ${COLUMNS} FROM courses ORDER BY created_at, id LIMIT $1 OFFSET $2`, [
              limit,
              offset,
            ]),
            pool.query<{ n: string }>("SELECT count(*) AS n FROM courses"),
          ]);
          return { items: rows.map(toCourse), total: Number(count.rows[0]?.n ?? 0), limit, offset };
        },
      );

      app.get(
        "/courses/search",
        {
          schema: {
            summary: "Semantic search over courses",
            tags: ["courses"],
            querystring: SearchQuery,
            response: { 200: SearchResults, ...errors(400, 503) },
          },
        },
        async (request) => {
          const { q, limit } = request.query;
          const vector = toPgVector(embedder.embed(q));
          const { rows } = await pool.query<Row>(
            `SELECT ${COLUMNS}, embedding <=> $1 AS distance FROM courses ORDER BY embedding <=> $1 LIMIT $2`,
            [vector, limit],
          );
          return {
            items: rows.map((row) => ({
              course: toCourse(row),
              distance: Math.max(0, Number(row.distance)),
            })),
          };
        },
      );

      app.get(
        "/courses/:id",
        {
          schema: {
            summary: "Get a course",
            tags: ["courses"],
            params: Id,
            response: { 200: Course, ...errors(400, 404, 503) },
          },
        },
        async (request) => {
          const { rows } = await pool.query<Row>(`SELECT ${COLUMNS} FROM courses WHERE id = $1`, [
            request.params.id,
          ]);
          if (!rows[0]) throw notFound("course");
          return toCourse(rows[0]);
        },
      );

      app.patch(
        "/courses/:id",
        {
          schema: {
            summary: "Update a course",
            tags: ["courses"],
            params: Id,
            body: UpdateCourse,
            response: { 200: Course, ...errors(400, 404, 413, 415, 503) },
          },
        },
        async (request) => {
          // Read, merge and re-embed in one transaction, so the embedding always matches the text.
          const client = await pool.connect();
          try {
            await client.query("BEGIN");
            const current = await client.query<Row>(
              `SELECT ${COLUMNS} FROM courses WHERE id = $1 FOR UPDATE`,
              [request.params.id],
            );
            const row = current.rows[0];
            if (!row) throw notFound("course");
            const next = { title: row.title, description: row.description, tags: row.tags, ...request.body };
            const { rows } = await client.query<Row>(
              `UPDATE courses SET title = $2, description = $3, tags = $4, embedding = $5, updated_at = now() WHERE id = $1 RETURNING ${COLUMNS}`,
              [row.id, next.title, next.description, next.tags, embed(next)],
            );
            await client.query("COMMIT");
            return toCourse(rows[0] as Row);
          } catch (error) {
            await client.query("ROLLBACK").catch(() => {});
            throw error;
          } finally {
            client.release();
          }
        },
      );

      app.delete(
        "/courses/:id",
        {
          schema: {
            summary: "Delete a course and its enrollments",
            tags: ["courses"],
            params: Id,
            response: { 204: Type.Null(), ...errors(400, 404, 503) },
          },
        },
        async (request, reply) => {
          const { rowCount } = await pool.query("DELETE FROM courses WHERE id = $1", [request.params.id]);
          if (!rowCount) throw notFound("course");
          return reply.status(204).send(null);
        },
      );
    },
  });
}
