// pnpm dev:up [--env dev] [--name NAME] [--runtime docker] [--dry-run]
// Brings an environment up from envs/ENV.yaml (the kind/ manifests of its overlay) on a runtime,
// and prints how to reach it; --dry-run prints every action it would take and starts nothing.
import { parseFlags } from "../src/cli/flags.ts";
import { runMain } from "../src/cli/main.ts";
import { loadEnvFile } from "../src/config/env-file.ts";
import { LOAD_BALANCER_PREFIX } from "../src/env/endpoints.ts";
import { checkEnvName } from "../src/env/names.ts";
import { stateFile } from "../src/env/state.ts";
import { chooseRuntime, RUNTIME_FLAG } from "../src/runtimes/index.ts";

await runMain(async () => {
  const { values } = parseFlags("dev:up", process.argv.slice(2), {
    env: { type: "string", default: "dev" },
    name: { type: "string" },
    ...RUNTIME_FLAG,
    "dry-run": { type: "boolean", default: false },
  });
  const envFile = loadEnvFile(values.env ?? "dev");
  const name = checkEnvName(values.name ?? envFile.name);
  const runtime = chooseRuntime(values.runtime, { envFile });

  if (values["dry-run"]) {
    const began = performance.now();
    const plan = await runtime.dryRun({ name, envFile });
    console.log(
      `dev:up --dry-run: environment '${name}' (env ${envFile.name}) on ${runtime.name}; nothing is started`,
    );
    plan.forEach(({ action, does }, i) => {
      console.log(`${String(i + 1).padStart(2)}. ${action}`);
      for (const line of does) console.log(`      ${line}`);
    });
    console.log(`planned in ${((performance.now() - began) / 1000).toFixed(2)}s`);
    return;
  }

  // Ctrl-C stops cleanly: what this run created is removed (data volumes stay), then exit 130.
  // `on`, not `once`: tsx relays the terminal's SIGINT, so it can arrive twice, and a second one
  // must not kill the cleanup half-way.
  let interrupted = false;
  process.on("SIGINT", () => {
    if (interrupted) return;
    interrupted = true;
    console.error(`\ninterrupted: removing the partly started environment '${name}' (its data volume stays)`);
    void runtime.abandon(name).finally(() => process.exit(130));
  });

  const began = performance.now();
  console.log(`environment '${name}' (env ${envFile.name}) on ${runtime.name}:`);
  const { state, reused } = await runtime
    .up({ name, envFile, progress: (line) => console.log(`  ${line}`) })
    .catch(async (error: unknown) => {
      // Starts in flight fail once their containers are removed; the SIGINT handler reports and exits.
      if (interrupted) await new Promise(() => {});
      throw error;
    });
  const seconds = ((performance.now() - began) / 1000).toFixed(1);
  console.log(
    reused
      ? `environment '${name}' is already up and healthy (checked in ${seconds}s)`
      : `environment '${name}' (env ${envFile.name}) is up in ${seconds}s`,
  );
  const { postgres, redis, ...rest } = state.endpoints;
  const entries = Object.entries(rest);
  const gateways = entries.filter(([key]) => key.startsWith(LOAD_BALANCER_PREFIX));
  for (const [key, url] of gateways)
    console.log(`  gateway   ${url} (LoadBalancer ${key.slice(LOAD_BALANCER_PREFIX.length)})`);
  if (gateways.length === 0) console.log("  gateway   none: no LoadBalancer Service in the manifests");
  console.log(`  postgres  ${postgres}`);
  console.log(`  redis     ${redis}`);
  // Each workload directly too (for debugging past the gateway); the gateway's pod is the gateway.
  const gatewayUrls = new Set(gateways.map(([, url]) => url));
  for (const [service, url] of entries.filter(
    ([key, url]) => !key.startsWith(LOAD_BALANCER_PREFIX) && !gatewayUrls.has(url),
  ))
    console.log(`  ${service.padEnd(20)} ${url}`);
  console.log(`  secrets   ${stateFile(name)} (mode 0600)`);
  console.log(`  expires   ${state.expiresAt} (collected by pnpm env:gc after that)`);
  console.log(`  stop with pnpm dev:down${name === "dev" ? "" : ` --name ${name}`}`);
});
