// pnpm dev:status [--name NAME]
// A table of the environment's workloads: replicas ready (probed now), health, ports, age; and
// whether its NetworkPolicies are enforced. Exits 1 unless everything is ready and enforced.
import { parseFlags } from "../src/cli/flags.ts";
import { runMain } from "../src/cli/main.ts";
import { printTable } from "../src/cli/table.ts";
import { ensureEngine } from "../src/docker/cli.ts";
import { checkEnvName, prefix } from "../src/env/environment.ts";
import { readEnvState } from "../src/env/state.ts";
import { UserError } from "../src/errors.ts";
import { listTables } from "../src/firewall/nft.ts";
import { firewallRunner } from "../src/firewall/runner.ts";
import { tableName } from "../src/netpol/nftables.ts";
import { offNetworkProblem, runningContainers } from "../src/runtimes/docker/firewall.ts";
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
  const table = tableName(name);
  const hasTable = (await listTables(await firewallRunner())).includes(table);
  const bypass = offNetworkProblem(await runningContainers(prefix(name)), prefix(name));
  console.log(
    !hasTable
      ? `network policies: NOT enforced (no table inet ${table}; the supervisor restores it within 10 s, \`pnpm dev:up\` re-applies it)`
      : bypass
        ? `network policies: ${bypass}`
        : `network policies: enforced by nftables table inet ${table}`,
  );
  if (rows.some((r) => r[2] !== "ready") || !hasTable || bypass) process.exitCode = 1;
});
