// pnpm bench:recovery [--runs N] [--overhead-runs N] [--seconds S]
// What recovery costs, on an env pr of its own with backups and monitoring:
//   env:snapshot and env:restore of the medium seed (median and max of N runs; target <= 5 s each),
//   a base backup of the large seed (time, size in the repository), the recovery drill on it
//   (point-in-time restore to ready: RTO; acknowledged writes lost: RPO, target 0), and Prometheus'
//   scrape overhead on a service (p95 scraped / not scraped, in the same run).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { parseFlags, wholeNumber } from "../src/cli/flags.ts";
import { runMain } from "../src/cli/main.ts";
import { humanBytes } from "../src/cli/table.ts";
import { loadEnvFile, withComponents } from "../src/config/env-file.ts";
import { primaryPsql } from "../src/db/psql.ts";
import { dbSnapshots, snapshotTargetOf } from "../src/db/snapshots.ts";
import { recoveryDrill } from "../src/recovery/drill.ts";
import { chooseRuntime } from "../src/runtimes/index.ts";
import { seed } from "../src/seed/seed.ts";
import { median } from "../src/stats.ts";
import { scrapeOverhead } from "./scrape-overhead.ts";

const seconds = async (body: () => Promise<unknown>) => {
  const began = performance.now();
  await body();
  return (performance.now() - began) / 1000;
};
const figures = (xs: number[]) => `median ${median(xs).toFixed(2)} s, max ${Math.max(...xs).toFixed(2)} s`;

async function databaseBytes(url: string): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ bytes: string }>(
      "SELECT pg_database_size(current_database()) AS bytes",
    );
    return Number(rows[0]?.bytes ?? 0);
  } finally {
    await client.end();
  }
}

await runMain(async () => {
  const { values } = parseFlags("bench:recovery", process.argv.slice(2), {
    runs: { type: "string", default: "5" },
    "overhead-runs": { type: "string", default: "2" },
    seconds: { type: "string", default: "10" },
  });
  const runs = wholeNumber("runs", values.runs, 1);
  const overheadRuns = wholeNumber("overhead-runs", values["overhead-runs"], 1);
  const loadSeconds = wholeNumber("seconds", values.seconds, 1);
  // A state folder of its own: the user's environments are neither seen nor touched.
  const stateDir = mkdtempSync(join(tmpdir(), "devstack-bench-"));
  process.env.DEVSTACK_STATE_DIR = stateDir;
  const name = `bench-rec-${process.pid}`;
  const into = `${name}-drill`;
  const runtime = chooseRuntime("docker", { name });
  const log = (line: string) => console.log(line);
  try {
    const envFile = withComponents(loadEnvFile("pr"), "backups,monitoring");
    await runtime.up({ name, envFile, progress: () => {} });
    const handle = await runtime.open(name);
    const url = handle.endpoints.postgres ?? "";

    await seed(url, { size: "medium", seed: 42 });
    const snapshots = dbSnapshots(primaryPsql(handle), snapshotTargetOf(url));
    const taken: number[] = [];
    const restored: number[] = [];
    for (let i = 0; i < runs; i++) {
      taken.push(await seconds(() => snapshots.take("bench", { replace: true })));
      restored.push(await seconds(() => snapshots.restore("bench")));
    }
    log(`medium seed (${humanBytes(await databaseBytes(url))}), ${runs} runs:`);
    log(`  env:snapshot ${figures(taken)} (target <= 5 s)`);
    log(`  env:restore  ${figures(restored)} (target <= 5 s)`);
    await snapshots.remove("bench");

    await seed(url, { size: "large", seed: 42 });
    const size = await databaseBytes(url);
    let backupBytes = 0;
    const backupSeconds = await seconds(async () => {
      backupBytes = (await runtime.backups.take(name)).bytes;
    });
    log(`large seed (${humanBytes(size)}):`);
    log(`  db:backup ${backupSeconds.toFixed(1)} s, ${humanBytes(backupBytes)} in the repository`);

    const drill = await recoveryDrill({
      env: name,
      postgresUrl: url,
      backups: runtime.backups,
      into,
      rate: 50,
      beforeTargetMs: 2000,
      afterTargetMs: 2000,
      progress: () => {},
    });
    log(
      `  point-in-time restore (drill, 50 writes/s): RTO ${drill.rtoSeconds.toFixed(1)} s (restore and WAL replay ${drill.recoverySeconds.toFixed(1)} s, up ${drill.upSeconds.toFixed(1)} s)`,
    );
    log(
      `  RPO: ${drill.lost.length} of ${drill.acknowledgedBefore} writes acknowledged before the target lost (target 0); ${drill.leaked.length} of ${drill.sentAfter} sent after it restored`,
    );
    await runtime.down(into);

    const overhead = await scrapeOverhead({
      courses: handle.endpoints["course-service"] ?? "",
      prometheusContainer: `azora-${name}-prometheus-1`,
      runs: overheadRuns,
      seconds: loadSeconds,
      rate: 50,
      connections: 8,
    });
    log("Prometheus' scrapes:");
    for (const line of overhead.lines) log(`  ${line}`);
  } finally {
    await runtime.down(into);
    await runtime.down(name);
    for (const env of [into, name]) await runtime.backups.remove(env).catch(() => {});
    rmSync(stateDir, { recursive: true, force: true });
  }
});
