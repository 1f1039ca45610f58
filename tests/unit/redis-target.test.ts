import { isReadOnlyError, readConfig, redisConfig, redisTargetOf } from "@azora/service-kit";
import { describe, expect, it, vi } from "vitest";

/** What a service reading only the Redis variables gets: the target, or the problems it exits with. */
function targetOf(env: NodeJS.ProcessEnv) {
  const exit = vi.spyOn(process, "exit").mockImplementation((code) => {
    throw new Error(`exit ${code}`);
  });
  const error = vi.spyOn(console, "error").mockImplementation(() => undefined);
  try {
    return { target: redisTargetOf(readConfig(redisConfig(env), env)) };
  } catch (e) {
    const line = JSON.parse(String(error.mock.calls[0]?.[0])) as { problems: string[] };
    return { exit: (e as Error).message, problems: line.problems };
  } finally {
    exit.mockRestore();
    error.mockRestore();
  }
}

describe("where session-service finds Redis (REDIS_URL, or Sentinel)", () => {
  it("takes one server by URL, as the tests' plain Redis is given", () => {
    expect(targetOf({ REDIS_URL: "redis://:pw@127.0.0.1:6379" })).toEqual({
      target: "redis://:pw@127.0.0.1:6379",
    });
  });

  it("asks Sentinel when REDIS_SENTINELS is set, with the master's name and both passwords", () => {
    expect(
      targetOf({
        REDIS_SENTINELS: "redis-sentinel:26379, redis-sentinel-1.redis-sentinel-headless:26380",
        REDIS_MASTER_NAME: "azora-sessions",
        REDIS_PASSWORD: "pw",
        REDIS_SENTINEL_PASSWORD: "spw",
      }),
    ).toEqual({
      target: {
        sentinels: [
          { host: "redis-sentinel", port: 26379 },
          { host: "redis-sentinel-1.redis-sentinel-headless", port: 26380 },
        ],
        name: "azora-sessions",
        password: "pw",
        sentinelPassword: "spw",
      },
    });
    // Without passwords: Redis and Sentinel that ask for none.
    expect(targetOf({ REDIS_SENTINELS: "s:26379", REDIS_MASTER_NAME: "m" }).target).toEqual({
      sentinels: [{ host: "s", port: 26379 }],
      name: "m",
      password: undefined,
      sentinelPassword: undefined,
    });
  });

  it("names what is missing or malformed, and exits 78", () => {
    expect(targetOf({})).toEqual({
      exit: "exit 78",
      problems: ["REDIS_URL: required, unless REDIS_SENTINELS and REDIS_MASTER_NAME are set"],
    });
    expect(targetOf({ REDIS_URL: "http://x" }).problems).toEqual([
      "REDIS_URL: expected a redis: or rediss:// URL",
    ]);
    expect(targetOf({ REDIS_SENTINELS: "s:26379" }).problems).toEqual([
      "REDIS_MASTER_NAME: Invalid input: expected string, received undefined",
    ]);
    for (const bad of ["s", "s:0", "s:65536", "s:26379,", "a b:1", ""])
      expect(targetOf({ REDIS_SENTINELS: bad, REDIS_MASTER_NAME: "m" }).problems?.[0]).toMatch(
        /^REDIS_SENTINELS: expected host:port\[,host:port\.\.\.\], got '/,
      );
  });

  it("reconnects on READONLY (a demoted master), and only on that", () => {
    expect(isReadOnlyError(new Error("READONLY You can't write against a read only replica."))).toBe(true);
    expect(isReadOnlyError(new Error("ERR unknown command"))).toBe(false);
    expect(isReadOnlyError(new Error("Connection is closed."))).toBe(false);
  });
});
