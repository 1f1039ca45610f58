// pnpm dev:status [--name NAME]
// A table of the environment's workloads: replicas ready (probed now), health, ports, age.
import { parseFlags } from "../src/cli/flags.ts";
import { runMain } from "../src/cli/main.ts";
import { printTable } from "../src/cli/table.ts";
import { ensureEngine } from "../src/docker/cli.ts";
import { checkEnvName } from "../src/env/environment.ts";
import { readEnvState } from "../src/env/state.ts";
import { UserError } from "../src/errors.ts";
import { environmentStatus } from "../src/runtimes/docker/status.ts";

await runMain(async () => {
  const { values } = parseFlags("dev:status", process.argv.slice(2), {
    name: { type: "string", default: "dev" },
  });
  const name = checkEnvName(values.name ?? "dev");
  await ensureEngine();
  const state = readEnvState(name);
  if (!state)
    throw new UserError(
      `environment '${name}' is not known here`,
      "See `pnpm env:list`, or start it with `pnpm dev:up`.",
    );
  const rows = (await environmentStatus(state)).map((w) => [
    w.workload,
    `${w.ready}/${w.desired}`,
    w.health,
    w.ports,
    w.age,
  ]);
  console.log(`environment '${name}' (env ${state.env}, ${state.status}, expires ${state.expiresAt})`);
  printTable(["WORKLOAD", "READY", "HEALTH", "PORTS", "AGE"], rows);
  if (rows.some((r) => r[2] !== "ready")) process.exitCode = 1;
});
