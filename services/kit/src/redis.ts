import { Redis } from "ioredis";
import type { Logger } from "./logger.ts";

/**
 * A Redis client that reconnects with capped exponential backoff and fails commands fast while
 * disconnected (no offline queue), so requests answer 503 instead of hanging during an outage.
 */
export function createRedis(url: string, log: Pick<Logger, "warn">): Redis {
  const redis = new Redis(url, {
    lazyConnect: false,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 2_000,
    // A server that stops answering (paused, partitioned) keeps the socket open: time commands out.
    commandTimeout: 2_000,
    retryStrategy: (attempt) => Math.min(50 * 2 ** attempt, 2_000),
  });
  let warned = false;
  redis.on("error", (error: Error) => {
    if (!warned) log.warn({ err: error.message }, "redis unavailable; reconnecting with backoff");
    warned = true;
  });
  redis.on("ready", () => {
    warned = false;
  });
  return redis;
}

export async function pingRedis(redis: Redis): Promise<void> {
  if (redis.status !== "ready") throw new Error(`redis is ${redis.status}`);
  await redis.ping();
}
