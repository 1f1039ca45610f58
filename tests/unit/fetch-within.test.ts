import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fetchWithin } from "../../src/http/fetch-within.ts";

describe("fetchWithin: a request and its whole answer within a deadline", () => {
  let server: Server;
  let base: string;

  beforeAll(async () => {
    server = createServer((req, res) => {
      if (req.url === "/answer") {
        res.writeHead(201, { "content-type": "application/json" });
        res.end('{"id":"u1"}');
      } else if (req.url === "/stalled-body") {
        // Headers at once, then half a body and nothing more.
        res.writeHead(200, { "content-type": "application/json" });
        res.write('{"items":[');
      }
      // "/silent": the request is read and never answered.
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(() => {
    server.closeAllConnections();
    server.close();
  });

  it("returns the status and the body's text", async () => {
    expect(await fetchWithin(`${base}/answer`, { method: "POST", body: "{}" }, 2_000)).toEqual({
      status: 201,
      text: '{"id":"u1"}',
    });
  });

  it.each(["/silent", "/stalled-body"])("gives up on %s at the deadline, naming the URL", async (path) => {
    const began = Date.now();
    await expect(fetchWithin(`${base}${path}`, {}, 300)).rejects.toThrow(
      `no answer from ${base}${path} within 300 ms`,
    );
    expect(Date.now() - began).toBeLessThan(2_000);
  });
});
