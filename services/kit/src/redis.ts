import { type Command, Redis, type RedisOptions } from "ioredis";
import { z } from "zod";
import { url } from "./config.ts";
import type { Logger } from "./logger.ts";

/** Where Redis is: one server by URL, or the master that Sentinel names. */
export type RedisTarget =
  | string
  | {
      /** Sentinels to ask first; ioredis adds the others they know of. */
      sentinels: { host: string; port: number }[];
      /** The master's name in Sentinel (`sentinel monitor NAME ...`). */
      name: string;
      /** Redis' own password (`requirepass` on the master and replicas). */
      password?: string;
      /** The Sentinels' password (`requirepass` in sentinel.conf), if they ask for one. */
      sentinelPassword?: string;
    };

const sentinelList = z
  .string()
  .transform((text, ctx) => {
    const sentinels: { host: string; port: number }[] = [];
    for (const item of text.split(",").map((s) => s.trim())) {
      const match = /^([^\s:,]+):(\d{1,5})$/.exec(item);
      const port = Number(match?.[2]);
      if (!match?.[1] || port < 1 || port > 65535) {
        ctx.addIssue({ code: "custom", message: `expected host:port[,host:port...], got '${item}'` });
        return z.NEVER;
      }
      sentinels.push({ host: match[1], port });
    }
    return sentinels;
  })
  .optional();

/**
 * The configuration variables of a Redis client, for `readConfig`: either `REDIS_URL` (one server,
 * `redis://:password@host:port`) or, when `REDIS_SENTINELS` (comma-separated host:port) is set,
 * `REDIS_MASTER_NAME` with `REDIS_PASSWORD` and `REDIS_SENTINEL_PASSWORD` (both optional). What is
 * required depends on which one is set; `redisTargetOf` turns the result into a `RedisTarget`.
 */
export function redisConfig(env: NodeJS.ProcessEnv = process.env) {
  const viaSentinel = env.REDIS_SENTINELS !== undefined;
  const onlyIf = <T extends z.ZodType>(needed: boolean, schema: T) =>
    (needed ? schema : schema.optional()) as z.ZodOptional<T>;
  return {
    REDIS_URL: onlyIf(
      !viaSentinel,
      z
        .string({ error: "required, unless REDIS_SENTINELS and REDIS_MASTER_NAME are set" })
        .pipe(url(["redis:", "rediss:"])),
    ),
    REDIS_SENTINELS: sentinelList,
    REDIS_MASTER_NAME: onlyIf(viaSentinel, z.string().min(1)),
    REDIS_PASSWORD: z.string().min(1).optional(),
    REDIS_SENTINEL_PASSWORD: z.string().min(1).optional(),
  };
}

type RedisConfig = z.infer<z.ZodObject<ReturnType<typeof redisConfig>>>;

/** The target a configuration read with `redisConfig` names: Sentinel when REDIS_SENTINELS is set. */
export function redisTargetOf(config: RedisConfig): RedisTarget {
  if (config.REDIS_SENTINELS)
    return {
      sentinels: config.REDIS_SENTINELS,
      name: config.REDIS_MASTER_NAME ?? "",
      password: config.REDIS_PASSWORD,
      sentinelPassword: config.REDIS_SENTINEL_PASSWORD,
    };
  return config.REDIS_URL ?? "";
}

/** A command refused because the server it reached is (now) a replica: the master moved. */
export const isReadOnlyError = (error: Error) => error.message.startsWith("READONLY");

/**
 * 100 ms, 200 ms, ... capped at 1 s: after a failover the client is at most about a second behind
 * Sentinel's switch (each attempt is one question to a Sentinel and one connect).
 */
const backoff = (attempt: number) => Math.min(50 * 2 ** attempt, 1_000);

/** ioredis' options for replies as ioredis 5 gave them (the default). */
type Options = RedisOptions & { replyMapping?: "legacy" };

/** `redis://[user:password@]host[:port][/db]` (or `rediss:`) as ioredis' connection options. */
function urlOptions(text: string): Options {
  const u = new URL(text);
  return {
    host: u.hostname.replace(/^\[(.*)\]$/, "$1"),
    port: Number(u.port || 6379),
    username: decodeURIComponent(u.username) || undefined,
    password: decodeURIComponent(u.password) || undefined,
    db: u.pathname.length > 1 ? Number(u.pathname.slice(1)) : undefined,
    ...(u.protocol === "rediss:" ? { tls: {} } : {}),
  };
}

/**
 * A client that ends only when it is told to (disconnect(), quit()). ioredis otherwise ends a client
 * for good, status "end", when a disconnect lands while it is still connecting: the connector gives
 * up with "Connection is closed." and nothing reconnects (redis/ioredis#1683). A failover gives
 * exactly that, +switch-master arriving while the client is still asking a Sentinel for the master
 * (seen in CI: session-service answered 503 for good after one). Any other end connects again,
 * with the same backoff.
 */
class ResilientRedis extends Redis {
  private told = false;
  private attempts = 0;

  constructor(options: Options, log: Pick<Logger, "warn">) {
    super(options);
    this.on("ready", () => {
      this.attempts = 0;
    });
    this.on("end", () => {
      if (this.told) return;
      const delay = backoff(++this.attempts);
      log.warn({ retryInMs: delay }, "redis client ended without being closed; connecting again");
      setTimeout(() => {
        if (!this.told && this.status === "end") this.connect().catch(() => {});
      }, delay).unref();
    });
  }

  override disconnect(reconnect = false): void {
    if (!reconnect) this.told = true;
    super.disconnect(reconnect);
  }

  override sendCommand(command: Command, stream?: Parameters<Redis["sendCommand"]>[1]): unknown {
    if (command.name === "quit") this.told = true;
    return super.sendCommand(command, stream);
  }
}

/**
 * A Redis client that reconnects with capped exponential backoff and fails commands fast while
 * disconnected (no offline queue), so requests answer 503 instead of hanging during an outage.
 *
 * Through Sentinel, each (re)connection asks a Sentinel for the master (trying the others, which
 * it learns from the first, when one does not answer), checks the server it reached is a master,
 * and drops the connection on `+switch-master` from any Sentinel, so a failover moves it to the
 * new master. A READONLY answer (it still holds a link to a demoted master) does the same; the
 * command that met it fails, the next goes to the master. Each connection is logged with the server
 * it reached, so a service's log tells which master it followed and when.
 */
export function createRedis(target: RedisTarget, log: Pick<Logger, "warn" | "info">): Redis {
  const common: Options = {
    lazyConnect: false,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 2_000,
    // A server that stops answering (paused, partitioned) keeps the socket open: time commands out,
    // and drop a connection that has answered nothing for 3 s while commands wait, so the client
    // reconnects (asking Sentinel again) even when no +switch-master reaches it; a vanished peer
    // sends no reset, and the socket would otherwise hang until TCP gives up, minutes later.
    commandTimeout: 2_000,
    socketTimeout: 3_000,
    retryStrategy: backoff,
    reconnectOnError: isReadOnlyError,
  };
  const redis =
    typeof target === "string"
      ? new ResilientRedis({ ...urlOptions(target), ...common }, log)
      : new ResilientRedis(
          {
            ...common,
            sentinels: target.sentinels,
            name: target.name,
            password: target.password,
            sentinelPassword: target.sentinelPassword,
            // When no Sentinel answers: ask them again, with the same capped backoff.
            sentinelRetryStrategy: backoff,
            sentinelCommandTimeout: 2_000,
            // Subscribe to +switch-master on the Sentinels: reconnect as soon as a failover ends.
            failoverDetector: true,
            sentinelReconnectStrategy: () => 2_000,
          },
          log,
        );
  let warned = false;
  redis.on("error", (error: Error) => {
    if (!warned) log.warn({ err: error.message }, "redis unavailable; reconnecting with backoff");
    warned = true;
  });
  redis.on("ready", () => {
    warned = false;
    log.info({ server: `${redis.stream.remoteAddress}:${redis.stream.remotePort}` }, "redis connected");
  });
  return redis;
}

export async function pingRedis(redis: Redis): Promise<void> {
  if (redis.status !== "ready") throw new Error(`redis is ${redis.status}`);
  await redis.ping();
}
