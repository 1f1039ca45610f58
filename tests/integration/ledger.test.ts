import { randomUUID } from "node:crypto";
import { connect, createServer, type Server } from "node:net";
import type { StartedPostgreSqlContainer } from "@testcontainers/postgresql";
import type pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Ledger, type Write } from "../../src/chaos/ledger.ts";
import { freeLoopbackPorts } from "../../src/free-port.ts";
import { startDatabase } from "../support/database.ts";

/**
 * The chaos ledger's read-back against real PostgreSQL: what it calls lost is what the database
 * does not have, and a database endpoint still coming back after a fault (refused connections) is
 * waited for rather than taken for lost writes.
 */
describe("the chaos ledger's read-back", () => {
  let db: { container: StartedPostgreSqlContainer; url: string; pool: pg.Pool };
  let stored: string;
  const relays: Server[] = [];

  beforeAll(async () => {
    db = await startDatabase();
    const user = await db.pool.query<{ id: string }>(
      "INSERT INTO users (email, password_hash, display_name) VALUES ('ledger@example.org', 'x', 'Ledger') RETURNING id",
    );
    stored = user.rows[0]?.id ?? "";
  }, 120_000);

  afterAll(async () => {
    for (const relay of relays) relay.close();
    await db?.pool.end();
    await db?.container.stop();
  });

  const signup = (key: string): Write => ({
    kind: "signup",
    key,
    at: 0,
    ms: 1,
    status: 201,
    acknowledged: true,
  });
  const ledgerWith = (...writes: Write[]) => {
    const ledger = new Ledger({ gateway: "http://127.0.0.1:1", rate: 1, courseId: randomUUID() });
    ledger.writes.push(...writes);
    return ledger;
  };

  it("waits for a database endpoint that refuses connections at first, then names the write it lacks", async () => {
    const missing = randomUUID();
    const [port] = await freeLoopbackPorts(1);
    // The endpoint comes back 3 s after the read-back starts, as a port-forward made again does.
    setTimeout(() => {
      const relay = createServer((client) => {
        const upstream = connect(db.container.getPort(), db.container.getHost());
        client.pipe(upstream).pipe(client);
        const close = () => {
          client.destroy();
          upstream.destroy();
        };
        client.on("error", close);
        upstream.on("error", close);
      }).listen(port, "127.0.0.1");
      relays.push(relay);
    }, 3_000);
    const url = new URL(db.url);
    url.hostname = "127.0.0.1";
    url.port = String(port);
    const began = Date.now();
    const verdict = await ledgerWith(signup(stored), signup(missing)).verify(url.toString(), 30_000);
    expect(Date.now() - began).toBeGreaterThanOrEqual(3_000);
    expect(verdict).toMatchObject({ acknowledged: 2, lost: [missing], duplicates: [] });
  }, 60_000);

  it("gives up on an endpoint that never takes a connection, saying how long it waited", async () => {
    const [port] = await freeLoopbackPorts(1);
    await expect(
      ledgerWith(signup(stored)).verify(`postgresql://x:y@127.0.0.1:${port}/azora`, 2_000),
    ).rejects.toThrow(
      /the writes could not be read back: no answer from the database for 2 s: .*ECONNREFUSED/,
    );
  }, 30_000);

  it("does not wait out an error the database answers", async () => {
    const url = new URL(db.url);
    url.pathname = "/postgres"; // no users table there
    const began = Date.now();
    await expect(ledgerWith(signup(stored)).verify(url.toString(), 30_000)).rejects.toThrow(
      /relation "users" does not exist/,
    );
    expect(Date.now() - began).toBeLessThan(10_000);
  }, 30_000);
});
