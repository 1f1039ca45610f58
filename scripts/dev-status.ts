// pnpm dev:status [--name NAME] [--runtime docker] [--pods]
// A table of the environment's workloads: replicas ready (probed now), health, restarts, ports,
// age; with --pods, a row per replica too (ready, restarts, last state, as `kubectl get pods`); and
// whether its NetworkPolicies are enforced. Exits 1 unless everything is ready and enforced.
import { parseFlags } from "../src/cli/flags.ts";
import { runMain } from "../src/cli/main.ts";
import { printTable } from "../src/cli/table.ts";
import { LOAD_BALANCER_PREFIX } from "../src/env/endpoints.ts";
import { checkEnvName } from "../src/env/names.ts";
import { chooseRuntime, RUNTIME_FLAG } from "../src/runtimes/index.ts";

await runMain(async () => {
  const { values } = parseFlags("dev:status", process.argv.slice(2), {
    name: { type: "string", default: "dev" },
    pods: { type: "boolean", default: false },
    ...RUNTIME_FLAG,
  });
  const name = checkEnvName(values.name ?? "dev");
  const {
    state,
    workloads,
    policies,
    loadBalancers = {},
  } = await chooseRuntime(values.runtime, {
    name,
  }).status(name);
  console.log(
    `environment '${name}' (env ${state.env} on ${state.runtime}, ${state.status}, expires ${state.expiresAt})`,
  );
  for (const [key, url] of Object.entries(state.endpoints).filter(([k]) =>
    k.startsWith(LOAD_BALANCER_PREFIX),
  )) {
    const service = key.slice(LOAD_BALANCER_PREFIX.length);
    const given = loadBalancers[service];
    console.log(
      `gateway ${url} (LoadBalancer ${service}${given ? `; the cluster's address for it: ${given}` : ""})`,
    );
  }
  printTable(
    ["WORKLOAD", "READY", "HEALTH", "RESTARTS", "LAST STATE", "PORTS", "AGE"],
    workloads.map((w) => [
      w.workload,
      `${w.ready}/${w.desired}`,
      w.health,
      String(w.restarts),
      w.lastState,
      w.ports,
      w.age,
    ]),
  );
  if (values.pods)
    printTable(
      ["POD", "WORKLOAD", "READY", "RESTARTS", "LAST STATE"],
      workloads.flatMap((w) =>
        w.pods.map((p) => [p.pod, w.workload, p.ready ? "yes" : "no", String(p.restarts), p.lastState]),
      ),
    );
  console.log(`network policies: ${policies.detail}`);
  if (workloads.some((w) => w.health !== "ready") || !policies.enforced) process.exitCode = 1;
});
