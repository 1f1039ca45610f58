// pnpm bench:failover [--name NAME | --start [--runtime R]] [--kills 10] [--redis-kills 5]
//                     [--only postgres|redis] [--spaced] [--url URL] [--email E --password P] [--keep]
// Failover of production's data tier on one machine: the PostgreSQL primary killed N times under a
// ledger of acknowledged writes (failover/postgres.ts; targets: median <= 10 s, 0 lost), then the
// Redis master of the session store under a stream of logins (failover/redis.ts; target <= 10 s).
// --start brings up a nightly environment first (its dev:up time to all-ready is a figure too)
// and removes it afterwards unless --keep.

import { execa } from "execa";
import { entryPointCommand } from "../src/cli/entry-point.ts";
import { oneOf, parseFlags } from "../src/cli/flags.ts";
import { runMain } from "../src/cli/main.ts";
import { UserError } from "../src/errors.ts";
import { chooseRuntime, RUNTIME_FLAG } from "../src/runtimes/index.ts";
import { SEED_EMAIL_DOMAIN, SEED_PASSWORD } from "../src/seed/accounts.ts";
import { median } from "../src/stats.ts";
import { measurePostgresFailover } from "./failover/postgres.ts";
import { measureRedisFailover } from "./failover/redis.ts";

const count = (flag: string, value: string | undefined) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0)
    throw new UserError(`--${flag}: expected a whole number >= 0, got '${value}'`);
  return n;
};
const seconds = (xs: number[]) =>
  xs.length === 0 ? "no kills" : `median ${median(xs).toFixed(1)} s, max ${Math.max(...xs).toFixed(1)} s`;

await runMain(async () => {
  const { values } = parseFlags("bench:failover", process.argv.slice(2), {
    name: { type: "string" },
    start: { type: "boolean", default: false },
    keep: { type: "boolean", default: false },
    kills: { type: "string", default: "10" },
    "redis-kills": { type: "string", default: "5" },
    only: { type: "string" },
    spaced: { type: "boolean", default: false },
    url: { type: "string" },
    email: { type: "string", default: `user1@${SEED_EMAIL_DOMAIN}` },
    password: { type: "string", default: SEED_PASSWORD },
    ...RUNTIME_FLAG,
  });
  const only = values.only ? oneOf("only", values.only, ["postgres", "redis"] as const) : undefined;
  const kills = only === "redis" ? 0 : count("kills", values.kills);
  const redisKills = only === "postgres" ? 0 : count("redis-kills", values["redis-kills"]);
  if (!values.name === !values.start)
    throw new UserError("pass --name NAME (a running environment) or --start");
  const name = values.name ?? `failover-${process.pid}`;
  const script = (s: string, args: string[]) =>
    execa(...entryPointCommand(s, args), {
      all: true,
      reject: false,
    });

  try {
    if (values.start) {
      const began = performance.now();
      const runtime = values.runtime ? ["--runtime", values.runtime] : [];
      const up = await script("dev-up", ["--env", "nightly", "--name", name, ...runtime]);
      if (up.exitCode !== 0) throw new UserError(`dev:up --env nightly failed:\n${up.all}`);
      console.log(`dev:up --env nightly to all-ready: ${((performance.now() - began) / 1000).toFixed(1)} s`);
    }
    const handle = await chooseRuntime(values.runtime, { name }).open(name);
    const db = kills > 0 ? await measurePostgresFailover(handle, kills) : undefined;
    const redis =
      redisKills > 0
        ? await measureRedisFailover(handle, {
            kills: redisKills,
            spaced: values.spaced ?? false,
            url: values.url,
            email: values.email ?? "",
            password: values.password ?? "",
          })
        : undefined;

    if (db)
      console.log(
        `postgres: writes failed for ${seconds(db.outages)} over ${kills} kill(s) of the primary (target: median <= 10 s); ` +
          `${db.acknowledged} writes acknowledged, ${db.missing.length} missing afterwards${db.missing.length ? ` (ids ${db.missing.slice(0, 10).join(", ")})` : ""} (target 0), ` +
          `${db.unacknowledgedPresent.length} committed whose answer was lost`,
      );
    if (redis)
      console.log(
        `redis: logins failed for ${seconds(redis.outages)} over ${redisKills} kill(s) of the master (target <= 10 s)` +
          (redis.directOutages.length
            ? `; straight to session-service-1: ${seconds(redis.directOutages)}`
            : ""),
      );
    if (db && db.missing.length > 0) process.exitCode = 1;
  } finally {
    if (values.start && !values.keep) await script("dev-down", ["--name", name]);
  }
});
