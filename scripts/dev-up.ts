// pnpm dev:up [--env dev] [--name NAME]
// Brings an environment up from envs/ENV.yaml (the kind/ manifests of its overlay, run on Docker)
// and prints how to reach it.
import { parseFlags } from "../src/cli/flags.ts";
import { runMain } from "../src/cli/main.ts";
import { loadEnvFile } from "../src/config/env-file.ts";
import { checkEnvName, removeInterrupted, stateFile } from "../src/env/environment.ts";
import { LOAD_BALANCER_PREFIX, upEnvironment } from "../src/runtimes/docker/up.ts";

await runMain(async () => {
  const { values } = parseFlags("dev:up", process.argv.slice(2), {
    env: { type: "string", default: "dev" },
    name: { type: "string" },
  });
  const envFile = loadEnvFile(values.env ?? "dev");
  const name = checkEnvName(values.name ?? envFile.name);

  // Ctrl-C stops cleanly: what this run created is removed (data volumes stay), then exit 130.
  // `on`, not `once`: tsx relays the terminal's SIGINT, so it can arrive twice, and a second one
  // must not kill the cleanup half-way.
  let interrupted = false;
  process.on("SIGINT", () => {
    if (interrupted) return;
    interrupted = true;
    console.error(`\ninterrupted: removing the partly started environment '${name}' (its data volume stays)`);
    void removeInterrupted(name).finally(() => process.exit(130));
  });

  const began = performance.now();
  const { state, reused } = await upEnvironment(name, envFile, (line) => console.log(`  ${line}`)).catch(
    async (error: unknown) => {
      // Starts in flight fail once their containers are removed; the SIGINT handler reports and exits.
      if (interrupted) await new Promise(() => {});
      throw error;
    },
  );
  const seconds = ((performance.now() - began) / 1000).toFixed(1);
  console.log(
    reused
      ? `environment '${name}' is already up and healthy`
      : `environment '${name}' (env ${envFile.name}) is up in ${seconds}s`,
  );
  const { postgres, redis, ...rest } = state.endpoints;
  const entries = Object.entries(rest);
  const gateways = entries.filter(([key]) => key.startsWith(LOAD_BALANCER_PREFIX));
  for (const [key, url] of gateways)
    console.log(`  gateway   ${url} (LoadBalancer ${key.slice(LOAD_BALANCER_PREFIX.length)})`);
  if (gateways.length === 0)
    console.log(
      "  gateway   none: no LoadBalancer Service in the manifests (the Tyk gateway is not built yet, images/tyk/README.md)",
    );
  console.log(`  postgres  ${postgres}`);
  console.log(`  redis     ${redis}`);
  for (const [service, url] of entries.filter(([key]) => !key.startsWith(LOAD_BALANCER_PREFIX)))
    console.log(`  ${service.padEnd(20)} ${url}`);
  console.log(`  secrets   ${stateFile(name)} (mode 0600)`);
  console.log(`  expires   ${state.expiresAt} (collected by pnpm env:gc after that)`);
  console.log(`  stop with pnpm dev:down${name === "dev" ? "" : ` --name ${name}`}`);
});
