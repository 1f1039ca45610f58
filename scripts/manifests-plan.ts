// pnpm manifests:plan [--env dev] [--with monitoring]
// Renders the env's overlay with kustomize, checks it, and prints what the Docker runtime would
// run (read from the containers it would start) and what it ignores (with why). Nothing is started.
import { parseFlags } from "../src/cli/flags.ts";
import { runMain } from "../src/cli/main.ts";
import { printTable } from "../src/cli/table.ts";
import { envLabel, loadEnvFile, withComponents } from "../src/config/env-file.ts";
import { describeDockerPlan } from "../src/runtimes/docker/plan-view.ts";
import { dockerPlanOf } from "../src/runtimes/docker/support.ts";

await runMain(async () => {
  const { values } = parseFlags("manifests:plan", process.argv.slice(2), {
    env: { type: "string", default: "dev" },
    with: { type: "string" },
  });
  const env = withComponents(loadEnvFile(values.env ?? "dev"), values.with);
  const { prepared, containers } = await dockerPlanOf(env);
  const { plan } = prepared;
  console.log(
    `${envLabel(env)}: overlay ${env.overlay}, ttl ${env.ttl / 3_600_000}h, seed ${env.seed.size}; ${containers.length} containers`,
  );
  printTable(
    ["", "OBJECT", "ON DOCKER"],
    describeDockerPlan(plan, containers).map((l) => [l.verb, l.object, l.detail]),
  );
});
