import { type App, createLogger, createPool, createRedis } from "@azora/service-kit";
import { buildSessionService } from "@azora/session-service";
import { buildUserService } from "@azora/user-service";
import type { StartedPostgreSqlContainer } from "@testcontainers/postgresql";
import { RedisContainer, type StartedRedisContainer } from "@testcontainers/redis";
import type { Redis } from "ioredis";
import { SignJWT } from "jose";
import type pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { docker } from "../../../src/docker/cli.ts";
import { startDatabase } from "../../support/database.ts";
import { image, testLabels } from "../../support/labels.ts";
import { serviceClient } from "../../support/service-client.ts";

const SECRET = "a-test-secret-that-is-long-enough-for-hs256";

describe("session-service against real Redis and a real user-service", () => {
  let db: { container: StartedPostgreSqlContainer; pool: pg.Pool };
  let redisContainer: StartedRedisContainer;
  let redis: Redis;
  let userPool: pg.Pool;
  let users: App;
  let app: App;
  const call = serviceClient("session-service", () => app);
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

  beforeAll(async () => {
    [db, redisContainer] = await Promise.all([
      startDatabase(),
      new RedisContainer(image("redis")).withLabels(testLabels()).start(),
    ]);
    const logger = createLogger("test", "silent");
    userPool = createPool(db.container.getConnectionUri(), logger);
    users = await buildUserService({ pool: userPool, logger });
    await users.listen({ host: "127.0.0.1", port: 0 });
    const address = users.server.address();
    const port = typeof address === "object" && address ? address.port : 0;
    redis = createRedis(redisContainer.getConnectionUrl(), logger);
    app = await buildSessionService({
      redis,
      userServiceUrl: `http://127.0.0.1:${port}`,
      jwtSecret: SECRET,
      ttlSeconds: 60,
      logger,
    });
    await app.ready();
    await users.inject({
      method: "POST",
      url: "/users",
      payload: { email: "lin@example.org", password: "s3cret-pass", displayName: "Lin" },
    });
  });

  afterAll(async () => {
    await app?.close();
    await users?.close();
    redis?.disconnect();
    await userPool?.end();
    await db?.pool.end();
    await Promise.all([db?.container.stop(), redisContainer?.stop()]);
  });

  const login = () => call("POST", "/sessions", { email: "lin@example.org", password: "s3cret-pass" });

  it("logs in, validates, refreshes and logs out", async () => {
    const session = await login();
    expect(session.status).toBe(201);
    expect(session.body.tokenType).toBe("Bearer");
    const ttl = await redis.ttl(`session:${session.body.sessionId}`);
    expect(ttl).toBeGreaterThan(50);
    expect(ttl).toBeLessThanOrEqual(60);

    const current = await call("GET", "/sessions/current", undefined, bearer(session.body.token));
    expect(current.body).toEqual({
      sessionId: session.body.sessionId,
      userId: session.body.userId,
      expiresAt: session.body.expiresAt,
    });

    const refreshed = await call("POST", "/sessions/refresh", undefined, bearer(session.body.token));
    expect(refreshed.status).toBe(200);
    expect(refreshed.body.sessionId).not.toBe(session.body.sessionId);
    expect((await call("GET", "/sessions/current", undefined, bearer(session.body.token))).status).toBe(401);
    expect((await call("POST", "/sessions/refresh", undefined, bearer(session.body.token))).status).toBe(401);

    expect((await call("DELETE", "/sessions/current", undefined, bearer(refreshed.body.token))).status).toBe(
      204,
    );
    const after = await call("GET", "/sessions/current", undefined, bearer(refreshed.body.token));
    expect(after.status).toBe(401);
    expect(after.body.error.message).toBe("the session has ended");
  });

  it("refuses wrong credentials", async () => {
    const wrong = await call("POST", "/sessions", { email: "lin@example.org", password: "guess" });
    expect(wrong.status).toBe(401);
    expect(wrong.body.error.code).toBe("invalid_credentials");
    expect((await call("POST", "/sessions", { email: "nobody@example.org", password: "guess" })).status).toBe(
      401,
    );
    expect((await call("POST", "/sessions", { email: "lin@example.org" })).status).toBe(400);
  });

  it("refuses missing, forged, expired and foreign tokens", async () => {
    const { body } = await login();
    const [header, payload] = body.token.split(".");
    const forgedSig = `${header}.${payload}.${"A".repeat(43)}`;
    const otherKey = await new SignJWT({})
      .setProtectedHeader({ alg: "HS256" })
      .setSubject(body.userId)
      .setJti(body.sessionId)
      .setIssuer("azora-session-service")
      .setExpirationTime("1h")
      .sign(new TextEncoder().encode("another-secret-another-secret-another"));
    const expired = await new SignJWT({})
      .setProtectedHeader({ alg: "HS256" })
      .setSubject(body.userId)
      .setJti(body.sessionId)
      .setIssuer("azora-session-service")
      .setIssuedAt(1_000_000)
      .setExpirationTime(1_000_060)
      .sign(new TextEncoder().encode(SECRET));
    const unsigned = `${Buffer.from('{"alg":"none"}').toString("base64url")}.${payload}.`;
    for (const [headers, why] of [
      [{}, "required"],
      [bearer("not-a-jwt"), "not valid"],
      [bearer(forgedSig), "not valid"],
      [bearer(otherKey), "not valid"],
      [bearer(unsigned), "not valid"],
      [bearer(expired), "expired"],
    ] as [Record<string, string>, string][]) {
      const response = await call("GET", "/sessions/current", undefined, headers);
      expect(response.status).toBe(401);
      expect(response.body.error.code).toBe("invalid_token");
      expect(response.body.error.message).toMatch(why);
    }
  });

  it("answers 503 while Redis is unreachable and recovers without a restart", async () => {
    const { body } = await login();
    await docker(["pause", redisContainer.getId()]);
    try {
      await expect.poll(async () => (await call("GET", "/readyz")).status, { timeout: 10_000 }).toBe(503);
      const during = await call("GET", "/sessions/current", undefined, bearer(body.token));
      expect(during.status).toBe(503);
      expect(during.body.error.code).toBe("dependency_unavailable");
    } finally {
      await docker(["unpause", redisContainer.getId()]);
    }
    await expect
      .poll(async () => (await call("GET", "/readyz")).status, { timeout: 15_000, interval: 250 })
      .toBe(200);
    expect((await call("GET", "/sessions/current", undefined, bearer(body.token))).status).toBe(200);
  });

  it("connects again when a disconnect lands while it is connecting (ioredis would end it for good), and stays closed when told", async () => {
    const client = createRedis(redisContainer.getConnectionUrl(), createLogger("test", "silent"));
    try {
      await expect.poll(() => client.status).toBe("ready");
      const statuses: string[] = [];
      for (const status of ["end", "ready"]) client.on(status, () => statuses.push(status));
      // What +switch-master does during a reconnect: the connector is disconnected mid-connect.
      const connector = (client as unknown as { connector: { disconnect(): void } }).connector;
      client.once("connecting", () => connector.disconnect());
      client.disconnect(true);
      await expect.poll(() => statuses, { timeout: 10_000, interval: 100 }).toEqual(["end", "ready"]);
      expect(await client.ping()).toBe("PONG");

      client.disconnect();
      await new Promise((r) => setTimeout(r, 1_500));
      expect(client.status).toBe("end");
    } finally {
      client.disconnect();
    }
  });

  it("drops a connection that stops answering and connects afresh, as a vanished master needs (no reset comes)", async () => {
    const client = createRedis(redisContainer.getConnectionUrl(), createLogger("test", "silent"));
    try {
      await expect.poll(() => client.status).toBe("ready");
      let closed = 0;
      client.on("close", () => closed++);
      await docker(["pause", redisContainer.getId()]);
      try {
        await expect(client.ping()).rejects.toThrow(/timed out/i);
        // The socket itself is given up (the command timeout alone would keep it forever).
        await expect.poll(() => closed, { timeout: 5_000, interval: 100 }).toBeGreaterThan(0);
      } finally {
        await docker(["unpause", redisContainer.getId()]);
      }
      await expect.poll(() => client.status, { timeout: 10_000, interval: 100 }).toBe("ready");
      expect(await client.ping()).toBe("PONG");
    } finally {
      client.disconnect();
    }
  });
});
