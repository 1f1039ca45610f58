import { type EnvFile, envLabel } from "../config/env-file.ts";
import { localRuntimes } from "../runtimes/index.ts";
import type { Runtime } from "../runtimes/runtime.ts";
import { LOAD_BALANCER_PREFIX } from "./endpoints.ts";
import { checkCapacity, maxEnvironments } from "./lifetime.ts";
import { type EnvState, readEnvState, stateFile } from "./state.ts";

/**
 * Brings an environment up with one status line per action, then prints how to reach it (the
 * gateway first). Ctrl-C removes what this run started (data volumes stay) and exits 130. Shared by
 * `dev:up`, `pr:up` and `nightly`.
 */
export async function bringUp(name: string, envFile: EnvFile, runtime: Runtime): Promise<EnvState> {
  // `on`, not `once`: a terminal's SIGINT can arrive twice, and a second one must not kill the
  // cleanup half-way.
  let interrupted = false;
  const onInterrupt = () => {
    if (interrupted) return;
    interrupted = true;
    console.error(`\ninterrupted: removing the partly started environment '${name}' (its data volume stays)`);
    void runtime.abandon(name).finally(() => process.exit(130));
  };
  // A new environment (not one being reused or repaired) must fit on the machine; one on a shared
  // cluster takes nothing of it.
  if (readEnvState(name)?.status !== "ready" && runtime.name !== "cluster")
    checkCapacity(name, (await Promise.all(localRuntimes().map((r) => r.list()))).flat(), maxEnvironments());
  process.on("SIGINT", onInterrupt);
  const began = performance.now();
  console.log(`environment '${name}' (${envLabel(envFile)}) on ${runtime.name}:`);
  const { state, reused, restarted } = await runtime
    .up({ name, envFile, progress: (line) => console.log(`  ${line}`) })
    .catch(async (error: unknown) => {
      // Starts in flight fail once their containers are removed; the SIGINT handler reports and exits.
      if (interrupted) await new Promise(() => {});
      throw error;
    });
  process.off("SIGINT", onInterrupt);
  const seconds = ((performance.now() - began) / 1000).toFixed(1);
  console.log(
    restarted
      ? `environment '${name}' is up again in ${seconds}s (${restarted})`
      : reused
        ? `environment '${name}' is already up and healthy (checked in ${seconds}s)`
        : `environment '${name}' (${envLabel(envFile)}) is up in ${seconds}s`,
  );
  printEndpoints(name, state);
  return state;
}

function printEndpoints(name: string, state: EnvState): void {
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
}
