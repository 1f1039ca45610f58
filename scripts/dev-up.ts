// pnpm dev:up [--name NAME] [--ttl HOURS]
// Brings an environment up and prints how to reach it. Until the Docker runtime runs the full
// manifests, this is the data tier: PostgreSQL 17 + pgvector and Redis.
import { parseFlags } from "../src/cli/flags.ts";
import { runMain } from "../src/cli/main.ts";
import { checkEnvName, endpoints, removeInterrupted, stateFile, upDataTier } from "../src/env/data-tier.ts";
import { UserError } from "../src/errors.ts";

await runMain(async () => {
  const { values } = parseFlags("dev:up", process.argv.slice(2), {
    name: { type: "string", default: "dev" },
    ttl: { type: "string", default: "24" },
  });
  const name = checkEnvName(values.name ?? "dev");
  const ttlHours = Number(values.ttl);
  if (!(ttlHours > 0))
    throw new UserError(`--ttl: '${values.ttl}' is not valid; expected a positive number of hours`);

  // Ctrl-C stops cleanly: what this run created is removed (data volumes stay), then exit 130.
  let interrupted = false;
  // `on`, not `once`: tsx relays the terminal's SIGINT, so it can arrive twice, and a second one
  // must not kill the cleanup half-way.
  process.on("SIGINT", () => {
    if (interrupted) return;
    interrupted = true;
    console.error(`\ninterrupted: removing the partly started environment '${name}' (its data volume stays)`);
    void removeInterrupted(name).finally(() => process.exit(130));
  });

  const began = performance.now();
  const { state, reused } = await upDataTier(name, {
    ttlMs: ttlHours * 3600_000,
    step: (line) => console.log(`  ${line}`),
  }).catch(async (error: unknown) => {
    // Starts in flight fail once their containers are removed; the SIGINT handler reports and exits.
    if (interrupted) await new Promise(() => {});
    throw error;
  });
  const seconds = ((performance.now() - began) / 1000).toFixed(1);
  const { postgresUrl, redisUrl } = endpoints(state);
  console.log(
    reused ? `environment '${name}' is already up and healthy` : `environment '${name}' is up in ${seconds}s`,
  );
  console.log(`  postgres  ${postgresUrl}`);
  console.log(`  redis     ${redisUrl}`);
  console.log(`  secrets   ${stateFile(name)} (mode 0600)`);
  console.log(`  expires   ${state.expiresAt} (collected by pnpm env:gc after that)`);
  console.log(`  stop with pnpm dev:down${name === "dev" ? "" : ` --name ${name}`}`);
});
