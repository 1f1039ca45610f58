import { buildCourseService } from "@azora/course-service";
import { type App, createLogger, createPool } from "@azora/service-kit";
import type { StartedPostgreSqlContainer } from "@testcontainers/postgresql";
import type pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startDatabase } from "../../support/database.ts";
import { serviceClient } from "../../support/service-client.ts";

describe("course-service against real PostgreSQL + pgvector", () => {
  let db: { container: StartedPostgreSqlContainer; pool: pg.Pool };
  let pool: pg.Pool;
  let app: App;
  const call = serviceClient("course-service", () => app);

  beforeAll(async () => {
    db = await startDatabase();
    const logger = createLogger("course-service", "silent");
    pool = createPool(db.container.getConnectionUri(), logger);
    app = await buildCourseService({ pool, logger, bodyLimit: 16 * 1024 });
    await app.ready();
  });

  afterAll(async () => {
    await app?.close();
    await pool?.end();
    await db?.pool.end();
    await db?.container.stop();
  });

  const catalogue = [
    {
      title: "Postgres internals",
      description: "indexes, vacuum, the query planner and write-ahead logging",
      tags: ["databases"],
    },
    {
      title: "Vector search with pgvector",
      description: "embeddings, HNSW indexes and approximate nearest neighbour search",
      tags: ["databases", "ml"],
    },
    {
      title: "Kubernetes networking",
      description: "services, network policies, Calico and DNS inside the cluster",
      tags: ["k8s"],
    },
    {
      title: "Baking sourdough",
      description: "starter, hydration, folding and a hot oven",
      tags: ["cooking"],
    },
  ];

  it("creates, reads, updates, lists and deletes courses", async () => {
    const created = await call("POST", "/courses", catalogue[0]);
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject(catalogue[0] ?? {});
    const id = created.body.id;
    expect((await call("GET", `/courses/${id}`)).body).toEqual(created.body);
    const patched = await call("PATCH", `/courses/${id}`, { tags: ["databases", "internals"] });
    expect(patched.body.tags).toEqual(["databases", "internals"]);
    expect(patched.body.title).toBe("Postgres internals");
    expect((await call("GET", "/courses?limit=5")).body.items.map((c: { id: string }) => c.id)).toContain(id);
    expect((await call("DELETE", `/courses/${id}`)).status).toBe(204);
    expect((await call("GET", `/courses/${id}`)).status).toBe(404);
  });

  it("ranks search results by cosine distance through the HNSW index", async () => {
    const ids = new Map<string, string>();
    for (const course of catalogue) ids.set(course.title, (await call("POST", "/courses", course)).body.id);

    const result = await call(
      "GET",
      `/courses/search?q=${encodeURIComponent("approximate nearest neighbour search with HNSW")}&limit=3`,
    );
    expect(result.status).toBe(200);
    const items = result.body.items as { course: { id: string; title: string }; distance: number }[];
    expect(items).toHaveLength(3);
    expect(items[0]?.course.title).toBe("Vector search with pgvector");
    const distances = items.map((i) => i.distance);
    expect(distances).toEqual([...distances].sort((a, b) => a - b));
    expect(items[0]?.distance).toBeLessThan(items[1]?.distance ?? 0);

    const bread = await call("GET", "/courses/search?q=sourdough%20oven&limit=1");
    expect(bread.body.items[0].course.id).toBe(ids.get("Baking sourdough"));

    // The query plan uses the index (forced off the sequential scan, as on a large table).
    const client = await db.pool.connect();
    try {
      await client.query("SET enable_seqscan = off");
      const plan = await client.query(
        "EXPLAIN SELECT id FROM courses ORDER BY embedding <=> (SELECT embedding FROM courses LIMIT 1) LIMIT 3",
      );
      expect(plan.rows.map((r) => r["QUERY PLAN"]).join("\n")).toMatch(/courses_embedding_hnsw/);
    } finally {
      client.release();
    }
  });

  it("re-embeds a course when its text changes", async () => {
    const created = await call("POST", "/courses", { title: "Untitled", description: "nothing yet" });
    const before = await db.pool.query("SELECT embedding::text AS e FROM courses WHERE id = $1", [
      created.body.id,
    ]);
    await call("PATCH", `/courses/${created.body.id}`, {
      description: "distributed consensus with raft and etcd",
    });
    const after = await db.pool.query("SELECT embedding::text AS e FROM courses WHERE id = $1", [
      created.body.id,
    ]);
    expect(after.rows[0].e).not.toBe(before.rows[0].e);
    const found = await call("GET", "/courses/search?q=raft%20consensus&limit=1");
    expect(found.body.items[0].course.id).toBe(created.body.id);
  });

  it("answers bad input with a 4xx in the documented shape", async () => {
    for (const [url, status] of [
      ["/courses/search", 400],
      ["/courses/search?q=", 400],
      ["/courses/search?q=x&limit=1000", 400],
      ["/courses/search?q=x&limit=abc", 400],
      ["/courses/not-a-uuid", 400],
      ["/courses?offset=-5", 400],
    ] as const) {
      const response = await call("GET", url);
      expect(response.status, url).toBe(status);
      expect(response.body.error.code).toBe("validation_failed");
    }
    const bad = await call("POST", "/courses", { title: "", description: "x" });
    expect(bad.status).toBe(400);
    const tooManyTags = await call("POST", "/courses", {
      title: "t",
      description: "d",
      tags: Array.from({ length: 21 }, (_, i) => `t${i}`),
    });
    expect(tooManyTags.status).toBe(400);
    const huge = await call("POST", "/courses", { title: "t", description: "d".repeat(20_000) });
    expect(huge.status).toBe(413);
  });
});
