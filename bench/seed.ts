// pnpm bench:seed [--url POSTGRES_URL] [--size large] [--seed N] [--queries N]
// Prints the seeder's figures: wall time per phase and in total, rows/s, then HNSW recall@10
// against exact search over N deterministic queries, at ef_search 40 (pgvector's default) and 100,
// with p50/p95 query latency for both. Without --url it runs on its own PostgreSqlContainer,
// labelled like the tests' and removed at the end, whatever happens.
import { availableParallelism } from "node:os";
import { FeatureHashingEmbedder, toPgVector } from "@azora/service-kit";
import { PostgreSqlContainer } from "@testcontainers/postgresql";
import pg from "pg";
import { oneOf, parseFlags } from "../src/cli/flags.ts";
import { runMain } from "../src/cli/main.ts";
import { ensureEngine } from "../src/docker/cli.ts";
import { listResources, removeResources } from "../src/docker/resources.ts";
import "../src/docker/testcontainers.ts";
import { UserError } from "../src/errors.ts";
import { resolveImages } from "../src/images/resolve.ts";
import { devstackLabels, LABEL } from "../src/labels.ts";
import { SEED_SIZES } from "../src/seed/generate.ts";
import { prngFor } from "../src/seed/prng.ts";
import { checkSeed, seed } from "../src/seed/seed.ts";
import { LEVELS, TOPICS } from "../src/seed/vocabulary.ts";

const K = 10;
const percentile = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  if (p === 50) {
    const mid = Math.floor(s.length / 2);
    return s.length % 2 ? (s[mid] ?? 0) : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2;
  }
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] ?? 0;
};
const ms = (xs: number[]) =>
  `p50 ${percentile(xs, 50).toFixed(2)} ms, p95 ${percentile(xs, 95).toFixed(2)} ms`;
const count = (n: number) => Math.round(n).toLocaleString("en-US");

/** Query texts a learner might type, from the same topic words the courses are made of. */
function queries(seedValue: number, n: number): string[] {
  const rng = prngFor(seedValue, "bench-queries");
  return Array.from({ length: n }, () => {
    const topic = rng.pick(TOPICS);
    const words = [rng.pick(topic.subjects), ...rng.sample(topic.concepts, 2)];
    if (rng.next() < 0.3) words.push(rng.pick(LEVELS));
    return words.join(" ").toLowerCase();
  });
}

interface Answer {
  ids: string[];
  distances: number[];
  ms: number;
}
const SEARCH = "SELECT id, embedding <=> $1 AS distance FROM courses ORDER BY embedding <=> $1 LIMIT $2";
async function search(client: pg.Client, vector: string): Promise<Answer> {
  const began = performance.now();
  const { rows } = await client.query<{ id: string; distance: number }>(SEARCH, [vector, K]);
  return {
    ids: rows.map((r) => r.id),
    distances: rows.map((r) => r.distance),
    ms: performance.now() - began,
  };
}
async function plan(client: pg.Client, vector: string): Promise<string> {
  const { rows } = await client.query(`EXPLAIN ${SEARCH.replaceAll("$1", "$1::vector")}`, [vector, K]);
  const text = rows.map((r) => r["QUERY PLAN"] as string).join(" ");
  return text.match(/Index Scan using \w+/)?.[0] ?? text.match(/Seq Scan on \w+/)?.[0] ?? text;
}

async function bench(url: string, size: (typeof SEED_SIZES)[number], seedValue: number, n: number) {
  console.log(`seed ${size} (seed ${seedValue}):`);
  const result = await seed(url, { size, seed: seedValue });
  for (const { phase, ms } of result.phases) console.log(`  ${phase.padEnd(40)} ${(ms / 1000).toFixed(2)} s`);
  const rows = result.loaded.users + result.loaded.courses + result.loaded.enrollments;
  const total = result.totalMs / 1000;
  if (result.applied)
    console.log(
      `  total: ${total.toFixed(1)} s for ${count(rows)} rows = ${count(rows / total)} rows/s (target <= 60 s)`,
    );
  else
    console.log(
      `  already applied: nothing loaded (${total.toFixed(1)} s); pass another --seed to measure a load`,
    );

  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const info = await client.query(
      "SELECT current_setting('server_version') AS pg, (SELECT extversion FROM pg_extension WHERE extname = 'vector') AS vector",
    );
    console.log(
      `\nPostgreSQL ${info.rows[0]?.pg}, pgvector ${info.rows[0]?.vector ?? "?"}, ${availableParallelism()} cores`,
    );
  } finally {
    await client.end();
  }

  // Two sessions: the exact one cannot use an index for ORDER BY, so it scans every course.
  const approximate = new pg.Client({ connectionString: url });
  const exact = new pg.Client({ connectionString: url });
  await Promise.all([approximate.connect(), exact.connect()]);
  try {
    await exact.query("SET enable_indexscan = off");
    const embedder = new FeatureHashingEmbedder();
    const vectors = queries(seedValue, n).map((q) => toPgVector(embedder.embed(q)));
    const first = vectors[0] ?? "";
    console.log(`\nsearch, ${n} queries, top ${K}:`);
    console.log(
      `  plans: default session: ${await plan(approximate, first)}; exact session: ${await plan(exact, first)}`,
    );

    const truth: Answer[] = [];
    for (const v of vectors) await search(exact, v); // warm-up: caches, not figures
    for (const v of vectors) truth.push(await search(exact, v));
    console.log(`  exact (index scans off):  ${ms(truth.map((a) => a.ms))}`);

    for (const ef of [40, 100]) {
      await approximate.query(`SET hnsw.ef_search = ${ef}`);
      for (const v of vectors) await search(approximate, v);
      const answers: Answer[] = [];
      for (const v of vectors) answers.push(await search(approximate, v));
      let found = 0;
      let withinTies = 0;
      answers.forEach((answer, i) => {
        const expected = truth[i] as Answer;
        const ids = new Set(expected.ids);
        found += answer.ids.filter((id) => ids.has(id)).length;
        // A result at the exact k-th distance is as good as the one exact search happened to pick.
        const kth = expected.distances[expected.distances.length - 1] ?? 0;
        withinTies += answer.distances.filter((d) => d <= kth + 1e-6).length;
      });
      const short = answers.filter((a) => a.ids.length < K).length;
      console.log(
        `  hnsw ef_search=${String(ef).padEnd(3)}${ef === 40 ? " (default)" : "          "} recall@${K} ${(found / (n * K)).toFixed(3)}` +
          ` (counting distance ties: ${(withinTies / (n * K)).toFixed(3)}), ${ms(answers.map((a) => a.ms))}` +
          `${short > 0 ? `, ${short} queries returned fewer than ${K}` : ""}${ef === 40 ? " (target recall >= 0.95)" : ""}`,
      );
    }
  } finally {
    await Promise.all([approximate.end(), exact.end()]);
  }
}

await runMain(async () => {
  const { values } = parseFlags("bench:seed", process.argv.slice(2), {
    url: { type: "string" },
    size: { type: "string", default: "large" },
    seed: { type: "string", default: "42" },
    queries: { type: "string", default: "100" },
  });
  const size = oneOf("size", values.size ?? "large", SEED_SIZES);
  const seedValue = checkSeed(values.seed ?? "42");
  const n = Number(values.queries);
  if (!Number.isInteger(n) || n < 1)
    throw new UserError(`--queries: '${values.queries}' is not valid; expected a whole number >= 1`);
  if (values.url) return bench(values.url, size, seedValue, n);

  await ensureEngine();
  const labels = devstackLabels({ purpose: "test", ttlMs: 3600_000 });
  try {
    const ref = (await resolveImages({ names: ["postgres"], silent: true })).get("postgres")?.ref ?? "";
    const container = await new PostgreSqlContainer(ref).withLabels(labels).start();
    await bench(container.getConnectionUri(), size, seedValue, n);
  } finally {
    await removeResources(await listResources(`${LABEL.run}=${labels[LABEL.run]}`));
  }
});
