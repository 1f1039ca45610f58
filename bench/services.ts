// pnpm bench:services [--runs N] [--seconds S] [--connections C]
// Requests/s and p50/p95 latency of user-service's image on one CPU (docker --cpus 1): GET
// /users/{id} against real Postgres, with GET /healthz (no database) measured in the same run as
// the baseline. Later gateway overhead is reported as a ratio against these.
import { PostgreSqlContainer } from "@testcontainers/postgresql";
import { parseFlags } from "../src/cli/flags.ts";
import { runMain } from "../src/cli/main.ts";
import { migrate } from "../src/db/migrate.ts";
import { docker, ensureEngine } from "../src/docker/cli.ts";
import { LoopbackOnly } from "../src/docker/loopback.ts";
import { listResources, removeResources } from "../src/docker/resources.ts";
import { GenericContainer, Wait } from "../src/docker/testcontainers.ts";
import { UserError } from "../src/errors.ts";
import { resolveImages } from "../src/images/resolve.ts";
import { devstackLabels, LABEL, labelArgs } from "../src/labels.ts";
import { median } from "../src/stats.ts";
import { type LoadResult, load } from "./autocannon.ts";

await runMain(async () => {
  const { values } = parseFlags("bench:services", process.argv.slice(2), {
    runs: { type: "string", default: "3" },
    seconds: { type: "string", default: "10" },
    connections: { type: "string", default: "16" },
  });
  const [runs, seconds, connections] = [values.runs, values.seconds, values.connections].map(Number);
  for (const [flag, n] of [
    ["runs", runs],
    ["seconds", seconds],
    ["connections", connections],
  ] as const) {
    if (!Number.isInteger(n) || (n ?? 0) < 1) throw new UserError(`--${flag}: expected a whole number >= 1`);
  }
  await ensureEngine();
  const images = await resolveImages({ names: ["postgres", "user-service"], silent: true });
  const labels = devstackLabels({ purpose: "test", ttlMs: 3600_000 });
  const network = `devstack-bench-${process.pid}`;
  await docker(["network", "create", ...labelArgs(labels), network]);
  try {
    const postgres = await new (LoopbackOnly(PostgreSqlContainer))(images.get("postgres")?.ref ?? "")
      .withNetworkMode(network)
      .withNetworkAliases("postgres")
      .withDatabase("azora")
      .withUsername("azora")
      .withPassword("bench")
      .withLabels(labels)
      .start();
    await migrate(postgres.getConnectionUri());
    const pg = await import("pg");
    const client = new pg.default.Client({ connectionString: postgres.getConnectionUri() });
    await client.connect();
    const { rows } = await client.query<{ id: string }>(
      "INSERT INTO users (email, password_hash, display_name) SELECT 'bench' || i || '@example.org', 'x', 'Bench ' || i FROM generate_series(1, 10000) i RETURNING id",
    );
    await client.end();
    const ids = rows.map((r) => r.id);

    const service = await new (LoopbackOnly(GenericContainer))(images.get("user-service")?.ref ?? "")
      .withNetworkMode(network)
      .withEnvironment({ DATABASE_URL: "postgresql://azora:bench@postgres:5432/azora", LOG_LEVEL: "warn" })
      .withExposedPorts(8080)
      .withResourcesQuota({ cpu: 1 })
      .withLabels(labels)
      .withWaitStrategy(Wait.forHttp("/readyz", 8080).forStatusCode(200))
      .start();
    const url = `http://127.0.0.1:${service.getMappedPort(8080)}`;
    let next = 0;
    const scenarios: Record<string, () => string> = {
      "GET /healthz (baseline)": () => "/healthz",
      "GET /users/{id}": () => `/users/${ids[next++ % ids.length]}`,
    };
    console.log(
      `user-service on 1 CPU, ${connections} connections, ${seconds}s per run, ${runs} runs per scenario (medians)`,
    );
    const results: Record<string, LoadResult[]> = {};
    await load({
      url,
      path: scenarios["GET /users/{id}"] ?? (() => "/"),
      connections: connections ?? 16,
      seconds: 2,
    }); // warm-up
    for (let run = 0; run < (runs ?? 3); run++) {
      for (const [name, path] of Object.entries(scenarios)) {
        const result = await load({ url, path, connections: connections ?? 16, seconds: seconds ?? 10 });
        results[name] = [...(results[name] ?? []), result];
      }
    }
    const summary = Object.fromEntries(
      Object.entries(results).map(([name, rs]) => [
        name,
        {
          rps: median(rs.map((r) => r.requestsPerSecond)),
          p50: median(rs.map((r) => r.p50)),
          p95: median(rs.map((r) => r.p95)),
          non2xx: rs.reduce((n, r) => n + r.non2xx, 0),
        },
      ]),
    );
    for (const [name, s] of Object.entries(summary)) {
      console.log(
        `${name.padEnd(26)} ${s.rps.toFixed(0).padStart(6)} req/s   p50 ${s.p50.toFixed(1)} ms   p95 ${s.p95.toFixed(1)} ms   non-2xx ${s.non2xx}`,
      );
    }
    const base = summary["GET /healthz (baseline)"];
    const user = summary["GET /users/{id}"];
    if (base && user)
      console.log(
        `ratio GET /users/{id} vs baseline: throughput ${(user.rps / base.rps).toFixed(2)}x, p95 ${(user.p95 / base.p95).toFixed(2)}x`,
      );
  } finally {
    await removeResources(await listResources(`${LABEL.run}=${labels[LABEL.run]}`));
  }
});
