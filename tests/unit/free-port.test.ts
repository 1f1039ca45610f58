import { createServer } from "node:net";
import { describe, expect, it } from "vitest";
import { freeLoopbackPorts } from "../../src/free-port.ts";

describe("free loopback ports", () => {
  it("are all different, however many are asked for at once", async () => {
    // Picked and released one at a time, 500 picks repeated a port in 20 trials of 20 here (100
    // picks: 11 of 20); the Kind runtime once forwarded two services on one port that way.
    const ports = await freeLoopbackPorts(500);
    expect(ports).toHaveLength(500);
    expect(new Set(ports).size).toBe(500);
  });

  it("are free once handed out: a listener can bind each", async () => {
    const [port] = await freeLoopbackPorts(1);
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, "127.0.0.1", resolve);
    });
    await new Promise((resolve) => server.close(resolve));
  });
});
