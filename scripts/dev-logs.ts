// pnpm dev:logs [WORKLOAD] [--name NAME] [-f] [--tail N]
// Logs of a workload's containers (every replica, lines prefixed), or of all workloads.
import { execa } from "execa";
import { parseFlags } from "../src/cli/flags.ts";
import { runMain } from "../src/cli/main.ts";
import { ensureEngine } from "../src/docker/cli.ts";
import { listResources } from "../src/docker/resources.ts";
import { checkEnvName } from "../src/env/environment.ts";
import { UserError } from "../src/errors.ts";
import { LABEL } from "../src/labels.ts";

await runMain(async () => {
  const { values, positionals } = parseFlags(
    "dev:logs",
    process.argv.slice(2),
    {
      name: { type: "string", default: "dev" },
      follow: { type: "boolean", short: "f", default: false },
      tail: { type: "string", default: "100" },
    },
    { positionals: true },
  );
  const name = checkEnvName(values.name ?? "dev");
  await ensureEngine();
  const containers = (await listResources(`${LABEL.env}=${name}`)).filter((r) => r.kind === "container");
  const workloads = [
    ...new Set(containers.map((c) => c.labels["dev.azora.devstack.workload"] ?? c.name)),
  ].sort();
  if (containers.length === 0)
    throw new UserError(`environment '${name}' has no containers`, "Start it with `pnpm dev:up`.");
  const wanted = positionals[0];
  if (wanted && !workloads.includes(wanted))
    throw new UserError(
      `unknown workload '${wanted}' in environment '${name}'`,
      `workloads: ${workloads.join(", ")}`,
    );
  const chosen = containers
    .filter((c) => !wanted || c.labels["dev.azora.devstack.workload"] === wanted)
    .sort((a, b) => a.name.localeCompare(b.name));
  const width = Math.max(...chosen.map((c) => c.name.length));
  await Promise.all(
    chosen.map(async (c) => {
      const args = ["logs", "--tail", values.tail ?? "100", ...(values.follow ? ["--follow"] : []), c.name];
      const run = execa("docker", args, { all: true, reject: false });
      for await (const line of run.iterable({ from: "all" }))
        console.log(`${c.name.padEnd(width)} | ${line}`);
    }),
  );
});
