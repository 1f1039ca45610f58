import { existsSync } from "node:fs";
import { join } from "node:path";
import { buildCourseService } from "@azora/course-service";
import { buildEnrollmentService } from "@azora/enrollment-service";
import { type App, createLogger, createPool, createRedis } from "@azora/service-kit";
import { buildSessionService } from "@azora/session-service";
import { buildUserService } from "@azora/user-service";
import type { StartedPostgreSqlContainer } from "@testcontainers/postgresql";
import { RedisContainer, type StartedRedisContainer } from "@testcontainers/redis";
import { execa } from "execa";
import type { Redis } from "ioredis";
import type pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { repoRoot } from "../../../src/paths.ts";
import { startDatabase } from "../../support/database.ts";
import { image, testLabels } from "../../support/labels.ts";

// Schemathesis (installed by ./devstack into .tools/venv) generates requests from each committed
// OpenAPI document — valid, invalid and odd — and checks that no answer is a 5xx, every status is
// documented, every body matches its schema, and undeclared methods get 405.
const schemathesis = join(repoRoot, ".tools", "venv", "bin", "schemathesis");
const CHECKS =
  "not_a_server_error,status_code_conformance,response_schema_conformance,content_type_conformance,unsupported_method";

describe.skipIf(!existsSync(schemathesis) && !process.env.CI)(
  "property-based fuzzing of every service's OpenAPI contract",
  () => {
    let db: { container: StartedPostgreSqlContainer; pool: pg.Pool };
    let redisContainer: StartedRedisContainer;
    let pool: pg.Pool;
    let redis: Redis;
    const apps = new Map<string, App>();
    const urlOf = (app: App) => {
      const address = app.server.address();
      return `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
    };

    beforeAll(async () => {
      [db, redisContainer] = await Promise.all([
        startDatabase(),
        new RedisContainer(image("redis")).withLabels(testLabels()).start(),
      ]);
      const logger = createLogger("fuzz", "silent");
      pool = createPool(db.container.getConnectionUri(), logger);
      redis = createRedis(redisContainer.getConnectionUrl(), logger);
      const users = await buildUserService({ pool, logger });
      await users.listen({ host: "127.0.0.1", port: 0 });
      apps.set("user-service", users);
      const others: [string, App][] = [
        ["course-service", await buildCourseService({ pool, logger })],
        ["enrollment-service", await buildEnrollmentService({ pool, logger })],
        [
          "session-service",
          await buildSessionService({
            redis,
            userServiceUrl: urlOf(users),
            jwtSecret: "f".repeat(40),
            ttlSeconds: 60,
            logger,
          }),
        ],
      ];
      for (const [name, app] of others) {
        await app.listen({ host: "127.0.0.1", port: 0 });
        apps.set(name, app);
      }
    });

    afterAll(async () => {
      for (const app of apps.values()) await app.close();
      redis?.disconnect();
      await pool?.end();
      await db?.pool.end();
      await Promise.all([db?.container.stop(), redisContainer?.stop()]);
    });

    for (const service of ["user-service", "session-service", "course-service", "enrollment-service"]) {
      it(`${service}: no 5xx, only documented statuses and bodies`, async () => {
        const app = apps.get(service);
        if (!app) throw new Error(`${service} not started`);
        const result = await execa(
          schemathesis,
          [
            "run",
            join(repoRoot, "services", service, "openapi.json"),
            "--url",
            urlOf(app),
            "--checks",
            CHECKS,
            "--max-examples",
            "25",
            "--seed",
            "20261126",
            "--no-color",
          ],
          { reject: false, all: true, env: { SCHEMATHESIS_HOOKS: "" } },
        );
        expect(result.exitCode, String(result.all)).toBe(0);
        expect(String(result.all)).toMatch(/\d+ generated, \d+ passed/);
      });
    }
  },
);
