// pnpm test:policy [--name NAME] [--timeout MS] [--all]
// Probes every ordered pair of pods of a running environment on every declared port with fresh
// connections, and compares with the NetworkPolicy engine's matrix for the environment's manifests.
// Prints expected vs observed (only the mismatches and a summary, or every pair with --all);
// exits 1 on any mismatch, or when a pod is attached to another network too (unguarded there).
import { parseFlags } from "../src/cli/flags.ts";
import { runMain } from "../src/cli/main.ts";
import { printTable } from "../src/cli/table.ts";
import { loadEnvFile } from "../src/config/env-file.ts";
import { ensureEngine } from "../src/docker/cli.ts";
import { checkEnvName, prefix } from "../src/env/environment.ts";
import { readEnvState } from "../src/env/state.ts";
import { UserError } from "../src/errors.ts";
import { offNetworkProblem, runningContainers } from "../src/runtimes/docker/firewall.ts";
import { mismatches, probeAgainstEngine, probePods } from "../src/runtimes/docker/policy-probe.ts";
import { containersOf } from "../src/runtimes/docker/up.ts";

await runMain(async () => {
  const { values } = parseFlags("test:policy", process.argv.slice(2), {
    name: { type: "string", default: "dev" },
    timeout: { type: "string", default: "1000" },
    all: { type: "boolean", default: false },
  });
  const name = checkEnvName(values.name ?? "dev");
  const timeoutMs = Number(values.timeout);
  if (!Number.isInteger(timeoutMs) || timeoutMs < 100)
    throw new UserError(`--timeout: '${values.timeout}' is not a number of milliseconds >= 100`);
  await ensureEngine();
  const state = readEnvState(name);
  if (state?.status !== "ready")
    throw new UserError(
      `environment '${name}' is not up${state ? ` (it is ${state.status})` : ""}`,
      "Start it with `pnpm dev:up`.",
    );
  const { policies } = await containersOf(loadEnvFile(state.env), state.secrets);
  const running = await runningContainers(prefix(name));
  const pods = probePods(running);
  const began = performance.now();
  const observations = await probeAgainstEngine(pods, policies, { timeoutMs });
  const seconds = ((performance.now() - began) / 1000).toFixed(2);
  const wrong = mismatches(observations);
  const shown = values.all ? observations : wrong;
  const verdict = (allowed: boolean) => (allowed ? "allow" : "deny");
  if (shown.length > 0)
    printTable(
      ["FROM", "TO", "PORT", "EXPECTED", "OBSERVED", ""],
      shown.map((o) => [
        o.from,
        o.to,
        `${o.port}/${o.protocol}`,
        verdict(o.expected),
        `${verdict(o.reached)} (${o.outcome})`,
        o.expected === o.reached ? "" : "MISMATCH",
      ]),
    );
  const allowed = observations.filter((o) => o.expected).length;
  console.log(
    `${pods.length} pods, ${observations.length} probes (${allowed} expected allowed, ${observations.length - allowed} denied) in ${seconds}s: ${wrong.length === 0 ? "all as the policies say" : `${wrong.length} MISMATCH(ES)`}`,
  );
  // Probes go over the environment's network; a pod on another network too is open there.
  const bypass = offNetworkProblem(running, prefix(name));
  if (bypass) console.log(`network policies: ${bypass}`);
  if (wrong.length > 0 || bypass) process.exitCode = 1;
});
