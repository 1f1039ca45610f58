import { PostgreSqlContainer, type StartedPostgreSqlContainer } from "@testcontainers/postgresql";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import "../../src/docker/testcontainers.ts";
import { image, testLabels } from "../support/labels.ts";

// A small deterministic generator, so the expected neighbour is known without trusting the index.
function vectors(count: number, dim: number, seed: number): number[][] {
  let state = seed;
  const next = () => {
    state = (state * 1664525 + 1013904223) % 2 ** 32;
    return state / 2 ** 32 - 0.5;
  };
  return Array.from({ length: count }, () => Array.from({ length: dim }, next));
}
const l2 = (a: number[], b: number[]) => Math.sqrt(a.reduce((sum, x, i) => sum + (x - (b[i] ?? 0)) ** 2, 0));
const literal = (v: number[]) => `[${v.join(",")}]`;

describe("postgres image (PostgreSQL 17 + pgvector) under PostgreSqlContainer", () => {
  let container: StartedPostgreSqlContainer;
  let client: pg.Client;

  beforeAll(async () => {
    container = await new PostgreSqlContainer(image("postgres"))
      .withDatabase("azora_test")
      .withUsername("azora")
      .withPassword("s3cret-for-tests")
      .withLabels(testLabels())
      .withCopyContentToContainer([
        {
          content: "CREATE TABLE from_initdb (id int);\n",
          target: "/docker-entrypoint-initdb.d/10-table.sql",
        },
      ])
      .start();
    client = new pg.Client({ connectionString: container.getConnectionUri() });
    await client.connect();
  });

  afterAll(async () => {
    await client?.end();
    await container?.stop();
  });

  it("is reached through loopback only", () => {
    expect(container.getHost()).toBe("127.0.0.1");
  });

  it("honours POSTGRES_USER, POSTGRES_DB and /docker-entrypoint-initdb.d", async () => {
    const { rows } = await client.query("SELECT current_user, current_database(), version()");
    expect(rows[0].current_user).toBe("azora");
    expect(rows[0].current_database).toBe("azora_test");
    expect(rows[0].version).toMatch(/^PostgreSQL 17\./);
    const table = await client.query("SELECT to_regclass('public.from_initdb') AS t");
    expect(table.rows[0].t).toBe("from_initdb");
  });

  it("rejects a wrong password over TCP", async () => {
    const uri = new URL(container.getConnectionUri());
    uri.password = "wrong";
    const wrong = new pg.Client({ connectionString: uri.toString() });
    await expect(wrong.connect()).rejects.toThrow(/password authentication failed/);
  });

  it("runs a k-NN query through an HNSW index and finds the known nearest neighbour", async () => {
    await client.query("CREATE EXTENSION IF NOT EXISTS vector");
    await client.query("CREATE TABLE items (id int PRIMARY KEY, embedding vector(16))");
    const data = vectors(2000, 16, 42);
    const values = data.map((_, i) => `($${2 * i + 1}, $${2 * i + 2})`).join(",");
    await client.query(
      `INSERT INTO items (id, embedding) VALUES ${values}`,
      data.flatMap((v, i) => [i, literal(v)]),
    );
    await client.query("CREATE INDEX items_hnsw ON items USING hnsw (embedding vector_l2_ops)");

    const [query] = vectors(1, 16, 7);
    if (!query) throw new Error("no query vector");
    const expected = data.map((v, id) => ({ id, d: l2(v, query) })).sort((a, b) => a.d - b.d)[0];

    await client.query("SET enable_seqscan = off");
    const sql = "SELECT id, embedding <-> $1 AS distance FROM items ORDER BY embedding <-> $1 LIMIT 5";
    const plan = await client.query(`EXPLAIN ${sql}`, [literal(query)]);
    expect(plan.rows.map((r) => r["QUERY PLAN"]).join("\n")).toMatch(/Index Scan using items_hnsw/);

    const { rows } = await client.query(sql, [literal(query)]);
    expect(rows[0].id).toBe(expected?.id);
    expect(rows[0].distance).toBeCloseTo(expected?.d ?? -1, 4);
  });
});
