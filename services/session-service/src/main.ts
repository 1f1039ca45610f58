import {
  commonConfig,
  createLogger,
  createRedis,
  readConfig,
  redisConfig,
  redisTargetOf,
  runService,
  url,
} from "@azora/service-kit";
import { z } from "zod";
import { buildSessionService } from "./app.ts";

const config = readConfig({
  ...commonConfig,
  // REDIS_URL (one server), or REDIS_SENTINELS + REDIS_MASTER_NAME (the master Sentinel names).
  ...redisConfig(),
  USER_SERVICE_URL: url(["http:", "https:"]),
  JWT_SECRET: z.string().min(32, "at least 32 characters"),
  SESSION_TTL_SECONDS: z.coerce.number().int().min(60).default(3600),
});
const logger = createLogger("session-service", config.LOG_LEVEL);
const redis = createRedis(redisTargetOf(config), logger);
const app = await buildSessionService({
  redis,
  userServiceUrl: config.USER_SERVICE_URL,
  jwtSecret: config.JWT_SECRET,
  ttlSeconds: config.SESSION_TTL_SECONDS,
  logger,
  bodyLimit: config.BODY_LIMIT_BYTES,
});
await runService(app, {
  port: config.PORT,
  graceMs: config.SHUTDOWN_GRACE_MS,
  onClose: async () => void redis.disconnect(),
});
