import { randomUUID } from "node:crypto";
import {
  ApiError,
  type App,
  createService,
  errors,
  type Logger,
  pingRedis,
  type Static,
  Timestamp,
  Type,
  Uuid,
} from "@azora/service-kit";
import type { Redis } from "ioredis";
import { errors as joseErrors, jwtVerify, SignJWT } from "jose";

export const ISSUER = "azora-session-service";

const Login = Type.Object(
  {
    email: Type.String({ format: "email", maxLength: 254 }),
    password: Type.String({ minLength: 1, maxLength: 128 }),
  },
  { additionalProperties: false },
);
export const Session = Type.Object(
  {
    token: Type.String({ description: "a JWT (HS256); send it as `Authorization: Bearer <token>`" }),
    tokenType: Type.Literal("Bearer"),
    sessionId: Uuid,
    userId: Uuid,
    expiresAt: Timestamp,
  },
  { $id: "Session", additionalProperties: false },
);
const CurrentSession = Type.Object(
  { sessionId: Uuid, userId: Uuid, expiresAt: Timestamp },
  { additionalProperties: false },
);
const Bearer = Type.Object({ authorization: Type.Optional(Type.String({ maxLength: 4096 })) });

export interface SessionDeps {
  redis: Redis;
  /** Base URL of user-service, which checks credentials. */
  userServiceUrl: string;
  /** HMAC secret for the JWTs; the gateway verifies tokens with the same secret. */
  jwtSecret: string;
  ttlSeconds: number;
  logger?: Logger;
  bodyLimit?: number;
}

const key = (sessionId: string) => `session:${sessionId}`;
const invalidToken = (why: string) => new ApiError(401, "invalid_token", why);

export async function buildSessionService(deps: SessionDeps): Promise<App> {
  const { redis } = deps;
  const secret = new TextEncoder().encode(deps.jwtSecret);

  async function checkCredentials(email: string, password: string): Promise<string> {
    let response: Response;
    try {
      response = await fetch(new URL("/internal/credentials/verify", deps.userServiceUrl), {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ email, password }),
        signal: AbortSignal.timeout(3_000),
      });
    } catch {
      throw new ApiError(503, "dependency_unavailable", "user-service is unreachable; retry shortly");
    }
    if (response.status === 200) return ((await response.json()) as { userId: string }).userId;
    if (response.status === 401 || response.status === 400)
      throw new ApiError(401, "invalid_credentials", "email or password is wrong");
    throw new ApiError(
      503,
      "dependency_unavailable",
      `user-service answered ${response.status}; retry shortly`,
    );
  }

  async function issue(userId: string): Promise<Static<typeof Session>> {
    const sessionId = randomUUID();
    const expires = Math.floor(Date.now() / 1000) + deps.ttlSeconds;
    const token = await new SignJWT({})
      .setProtectedHeader({ alg: "HS256", typ: "JWT" })
      .setSubject(userId)
      .setJti(sessionId)
      .setIssuer(ISSUER)
      .setIssuedAt()
      .setExpirationTime(expires)
      .sign(secret);
    await redis.set(key(sessionId), userId, "EX", deps.ttlSeconds);
    return {
      token,
      tokenType: "Bearer",
      sessionId,
      userId,
      expiresAt: new Date(expires * 1000).toISOString(),
    };
  }

  /** A session is valid when its JWT verifies (signature, issuer, expiry) and Redis still holds it. */
  async function current(authorization: string | undefined): Promise<Static<typeof CurrentSession>> {
    const token = /^Bearer (\S+)$/i.exec(authorization ?? "")?.[1];
    if (!token) throw invalidToken("an `Authorization: Bearer <token>` header is required");
    let payload: { sub?: string; jti?: string; exp?: number };
    try {
      ({ payload } = await jwtVerify(token, secret, { issuer: ISSUER, algorithms: ["HS256"] }));
    } catch (error) {
      throw invalidToken(
        error instanceof joseErrors.JWTExpired ? "the token has expired" : "the token is not valid",
      );
    }
    if (!payload.sub || !payload.jti || !payload.exp) throw invalidToken("the token lacks sub, jti or exp");
    const owner = await redis.get(key(payload.jti));
    if (owner !== payload.sub) throw invalidToken("the session has ended");
    return {
      sessionId: payload.jti,
      userId: payload.sub,
      expiresAt: new Date(payload.exp * 1000).toISOString(),
    };
  }

  return createService({
    name: "session-service",
    version: "1.0.0",
    description:
      "Azora sessions: log in with email and password, get a JWT whose session lives in Redis with a TTL.",
    logger: deps.logger,
    bodyLimit: deps.bodyLimit,
    checks: { redis: () => pingRedis(redis) },
    routes: (app) => {
      app.addSchema(Session);

      app.post(
        "/sessions",
        {
          schema: {
            summary: "Log in",
            tags: ["sessions"],
            body: Login,
            response: { 201: Session, ...errors(400, 401, 413, 415, 503) },
          },
        },
        async (request, reply) => {
          const userId = await checkCredentials(request.body.email, request.body.password);
          return reply.status(201).send(await issue(userId));
        },
      );

      app.get(
        "/sessions/current",
        {
          schema: {
            summary: "Validate a token",
            tags: ["sessions"],
            headers: Bearer,
            security: [{ bearer: [] }],
            response: { 200: CurrentSession, ...errors(401, 503) },
          },
        },
        async (request) => current(request.headers.authorization),
      );

      app.post(
        "/sessions/refresh",
        {
          schema: {
            summary: "Exchange a valid token for a new one; the old one stops working",
            tags: ["sessions"],
            headers: Bearer,
            security: [{ bearer: [] }],
            response: { 200: Session, ...errors(401, 503) },
          },
        },
        async (request) => {
          const session = await current(request.headers.authorization);
          // Only the caller that deletes the old session may mint its successor.
          if ((await redis.del(key(session.sessionId))) !== 1) throw invalidToken("the session has ended");
          return issue(session.userId);
        },
      );

      app.delete(
        "/sessions/current",
        {
          schema: {
            summary: "Log out",
            tags: ["sessions"],
            headers: Bearer,
            security: [{ bearer: [] }],
            response: { 204: Type.Null(), ...errors(401, 503) },
          },
        },
        async (request, reply) => {
          const session = await current(request.headers.authorization);
          await redis.del(key(session.sessionId));
          return reply.status(204).send(null);
        },
      );
    },
  });
}
