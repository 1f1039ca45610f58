// The db-init job: applies the migrations and the environment's seed, then exits. It is the
// image that `dev:export compose` runs before the services (and the Kind runtime's Job); `dev:up`
// runs the same two functions from the host. Configuration from the environment:
//   DATABASE_URL (required), SEED_SIZE (none|small|medium|large, default none), SEED (default 42)
import { SEED_SIZES } from "../seed/generate.ts";
import { seed } from "../seed/seed.ts";
import { migrate } from "./migrate.ts";

const log = (level: number, msg: string, extra: object = {}) =>
  console.log(JSON.stringify({ level, time: new Date().toISOString(), service: "db-init", msg, ...extra }));

const url = process.env.DATABASE_URL;
const size = process.env.SEED_SIZE ?? "none";
if (!url || (size !== "none" && !(SEED_SIZES as readonly string[]).includes(size))) {
  log(60, "invalid configuration", {
    problems: [!url ? "DATABASE_URL: required" : `SEED_SIZE: expected none, ${SEED_SIZES.join(", ")}`],
  });
  process.exit(78);
}
try {
  const applied = await migrate(url);
  log(30, applied.length > 0 ? `applied ${applied.join(", ")}` : "schema up to date");
  if (size !== "none") {
    const result = await seed(url, {
      size: size as (typeof SEED_SIZES)[number],
      seed: Number(process.env.SEED ?? 42),
    });
    log(
      30,
      result.applied
        ? `seed ${size} loaded in ${(result.totalMs / 1000).toFixed(1)}s`
        : `seed ${size} already loaded`,
    );
  }
} catch (error) {
  log(50, "db-init failed", { err: (error as Error).message });
  process.exit(1);
}
