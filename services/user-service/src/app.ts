import {
  ApiError,
  type App,
  boundedWork,
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
import { hashPassword, verifyPassword } from "./passwords.ts";

const Email = Type.String({ format: "email", maxLength: 254 });
const Password = Type.String({ minLength: 8, maxLength: 128 });
const DisplayName = Type.String({ minLength: 1, maxLength: 100 });
const Id = Type.Object({ id: Uuid }, { additionalProperties: false });

export const User = Type.Object(
  {
    id: Uuid,
    email: Type.String({ format: "email" }),
    displayName: Type.String(),
    createdAt: Timestamp,
    updatedAt: Timestamp,
  },
  { $id: "User", additionalProperties: false },
);
const UserList = ListOf(Type.Ref("User"));
const CreateUser = Type.Object(
  { email: Email, password: Password, displayName: DisplayName },
  { additionalProperties: false },
);
const UpdateUser = Type.Object(
  { email: Type.Optional(Email), password: Type.Optional(Password), displayName: Type.Optional(DisplayName) },
  { additionalProperties: false, minProperties: 1 },
);
const PageQuery = Type.Object(Page, { additionalProperties: false });
const Credentials = Type.Object(
  { email: Email, password: Type.String({ minLength: 1, maxLength: 128 }) },
  { additionalProperties: false },
);
const Verified = Type.Object({ userId: Uuid }, { additionalProperties: false });

interface Row {
  id: string;
  email: string;
  display_name: string;
  password_hash: string;
  created_at: Date;
  updated_at: Date;
}
const toUser = (row: Row): Static<typeof User> => ({
  id: row.id,
  email: row.email,
  displayName: row.display_name,
  createdAt: row.created_at.toISOString(),
  updatedAt: row.updated_at.toISOString(),
});
const COLUMNS = "id, email, display_name, created_at, updated_at";

const emailTaken = () => new ApiError(409, "email_taken", "a user with this email already exists");
const isUniqueViolation = (e: unknown) => (e as { code?: string }).code === "23505";

/**
 * Password hashing's bounds (README "Sizing"). One scrypt (N=2^14, r=8) takes 16 MiB and a core
 * for tens of ms: two at a time keep the heap flat and the event loop (and the database pool's
 * queries) served on one CPU; 32 may wait, and a burst beyond that, or a wait over 2 s, is shed
 * with 503 and Retry-After.
 */
export const HASHING = { concurrency: 2, queue: 32, maxWaitMs: 2_000 };

export async function buildUserService(deps: {
  pool: pg.Pool;
  logger?: Logger;
  bodyLimit?: number;
}): Promise<App> {
  const { pool } = deps;
  const hashing = boundedWork({ name: "password hashing", ...HASHING });
  return createService({
    name: "user-service",
    version: "1.0.0",
    description: "Azora users: sign-up, profile, and credential checks for session-service.",
    logger: deps.logger,
    bodyLimit: deps.bodyLimit,
    checks: { postgres: () => pingPostgres(pool) },
    routes: (app) => {
      app.addSchema(User);

      app.post(
        "/users",
        {
          schema: {
            summary: "Create a user (sign-up)",
            tags: ["users"],
            body: CreateUser,
            response: { 201: User, ...errors(400, 409, 413, 415, 503) },
          },
        },
        async (request, reply) => {
          const { email, password, displayName } = request.body;
          const hash = await hashing.run(() => hashPassword(password));
          try {
            const { rows } = await pool.query<Row>(
              `INSERT INTO users (email, password_hash, display_name) VALUES ($1, $2, $3) RETURNING ${COLUMNS}`,
              [email, hash, displayName],
            );
            return reply.status(201).send(toUser(rows[0] as Row));
          } catch (error) {
            if (isUniqueViolation(error)) throw emailTaken();
            throw error;
          }
        },
      );

      app.get(
        "/users",
        {
          schema: {
            summary: "List users",
            tags: ["users"],
            querystring: PageQuery,
            response: { 200: UserList, ...errors(400, 503) },
          },
        },
        async (request) => {
          const { limit, offset } = request.query;
          const [{ rows }, count] = await Promise.all([
            pool.query<Row>(`SELECT ${COLUMNS} FROM users ORDER BY created_at, id LIMIT $1 OFFSET $2`, [
              limit,
              offset,
            ]),
            pool.query<{ n: string }>("SELECT count(*) AS n FROM users"),
          ]);
          return { items: rows.map(toUser), total: Number(count.rows[0]?.n ?? 0), limit, offset };
        },
      );

      app.get(
        "/users/:id",
        {
          schema: {
            summary: "Get a user",
            tags: ["users"],
            params: Id,
            response: { 200: User, ...errors(400, 404, 503) },
          },
        },
        async (request) => {
          const { rows } = await pool.query<Row>(`SELECT ${COLUMNS} FROM users WHERE id = $1`, [
            request.params.id,
          ]);
          if (!rows[0]) throw notFound("user");
          return toUser(rows[0]);
        },
      );

      app.patch(
        "/users/:id",
        {
          schema: {
            summary: "Update a user",
            tags: ["users"],
            params: Id,
            body: UpdateUser,
            response: { 200: User, ...errors(400, 404, 409, 413, 415, 503) },
          },
        },
        async (request) => {
          const { email, password, displayName } = request.body;
          const hash = password === undefined ? null : await hashing.run(() => hashPassword(password));
          try {
            const { rows } = await pool.query<Row>(
              `UPDATE users SET email = coalesce($2, email), password_hash = coalesce($3, password_hash),
                 display_name = coalesce($4, display_name), updated_at = now()
               WHERE id = $1 RETURNING ${COLUMNS}`,
              [request.params.id, email ?? null, hash, displayName ?? null],
            );
            if (!rows[0]) throw notFound("user");
            return toUser(rows[0]);
          } catch (error) {
            if (isUniqueViolation(error)) throw emailTaken();
            throw error;
          }
        },
      );

      app.delete(
        "/users/:id",
        {
          schema: {
            summary: "Delete a user and their enrollments",
            tags: ["users"],
            params: Id,
            response: { 204: Type.Null(), ...errors(400, 404, 503) },
          },
        },
        async (request, reply) => {
          const { rowCount } = await pool.query("DELETE FROM users WHERE id = $1", [request.params.id]);
          if (!rowCount) throw notFound("user");
          return reply.status(204).send(null);
        },
      );

      app.post(
        "/internal/credentials/verify",
        {
          schema: {
            summary: "Check an email and password (for session-service; not routed by the gateway)",
            tags: ["internal"],
            body: Credentials,
            response: { 200: Verified, ...errors(400, 401, 413, 415, 503) },
          },
        },
        async (request) => {
          const { rows } = await pool.query<Row>("SELECT id, password_hash FROM users WHERE email = $1", [
            request.body.email,
          ]);
          const row = rows[0];
          // Hash even for an unknown email, so response time does not reveal which emails exist.
          const ok = await hashing.run(() =>
            verifyPassword(request.body.password, row?.password_hash ?? DUMMY_HASH),
          );
          if (!row || !ok) throw new ApiError(401, "invalid_credentials", "email or password is wrong");
          return { userId: row.id };
        },
      );
    },
  });
}

const DUMMY_HASH = "scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";

export { hashPassword } from "./passwords.ts";
