export { type Static, Type } from "typebox";
export { boundedWork } from "./bounded.ts";
export { commonConfig, readConfig, url } from "./config.ts";
export {
  EMBEDDING_DIMENSIONS,
  type Embedder,
  FeatureHashingEmbedder,
  tokenize,
  toPgVector,
} from "./embedding.ts";
export { ApiError, ErrorResponse, isDependencyDown, notFound } from "./errors.ts";
export { createLogger, type Logger } from "./logger.ts";
export { createPool, pingPostgres } from "./postgres.ts";
export {
  createRedis,
  isReadOnlyError,
  pingRedis,
  type RedisTarget,
  redisConfig,
  redisTargetOf,
} from "./redis.ts";
export { errors, ListOf, Page, Timestamp, Uuid } from "./schemas.ts";
export { type App, createService, runService, type ServiceOptions } from "./service.ts";
