import { RedisContainer, type StartedRedisContainer } from "@testcontainers/redis";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import "../../src/docker/testcontainers.ts";
import { image, testLabels } from "../support/labels.ts";

describe("redis image under RedisContainer", () => {
  let container: StartedRedisContainer;
  let client: Redis;

  beforeAll(async () => {
    container = await new RedisContainer(image("redis"))
      .withPassword("pw-for-tests")
      .withLabels(testLabels())
      .start();
    client = new Redis(container.getConnectionUrl(), { lazyConnect: true, maxRetriesPerRequest: 1 });
    await client.connect();
  });

  afterAll(async () => {
    client?.disconnect();
    await container?.stop();
  });

  it("round-trips a key with a TTL, and the key expires", async () => {
    await client.set("session:abc", "user-1", "PX", 400);
    expect(await client.get("session:abc")).toBe("user-1");
    const ttl = await client.pttl("session:abc");
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(400);
    await new Promise((r) => setTimeout(r, 600));
    expect(await client.get("session:abc")).toBeNull();
    expect(await client.exists("session:abc")).toBe(0);
  });

  it("requires the password", async () => {
    const anonymous = new Redis({
      host: container.getHost(),
      port: container.getPort(),
      lazyConnect: true,
      maxRetriesPerRequest: 0,
    });
    anonymous.on("error", () => {}); // the refusal is asserted below, not logged
    await anonymous.connect().catch(() => {});
    await expect(anonymous.get("x")).rejects.toThrow(/NOAUTH|Authentication required/);
    anonymous.disconnect();
  });

  it("ships redis-sentinel", async () => {
    const result = await container.exec(["redis-sentinel", "--version"]);
    expect(result.exitCode).toBe(0);
    expect(result.output).toMatch(/Redis server v=8\./);
  });
});
