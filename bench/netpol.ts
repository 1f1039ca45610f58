// pnpm bench:netpol [--runs N]
// NetworkPolicy on Docker, timed (medians of N runs):
//   1. the Azora policy set (kind/overlays/dev): compile, and compile + apply to the host's nftables
//      (on a bridge name no interface has, so no traffic is touched), against applying an empty
//      table (what spawning nft costs) as the baseline;
//   2. at scale, 200 workloads x 500 policies: compile (target < 2 s), apply, and the rules and set
//      elements generated per policy;
//   3. a live dev environment: the supervisor-style re-apply (inspect containers + compile + apply)
//      and the live probe of its full matrix (pnpm test:policy), against spawning one prober with
//      nothing to probe as the baseline.

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { entryPointCommand } from "../src/cli/entry-point.ts";
import { parseFlags } from "../src/cli/flags.ts";
import { runMain } from "../src/cli/main.ts";
import { loadEnvFile } from "../src/config/env-file.ts";
import { ensureEngine } from "../src/docker/cli.ts";
import { UserError } from "../src/errors.ts";
import { applyScript, removeTable } from "../src/firewall/nft.ts";
import { firewallRunner } from "../src/firewall/runner.ts";
import { PROBER, probeAgainstEngine } from "../src/netpol/live-probe.ts";
import type { PodInput } from "../src/netpol/model.ts";
import { compileFirewall } from "../src/netpol/nftables.ts";
import { mismatches } from "../src/netpol/probe-report.ts";
import { syntheticCluster } from "../src/netpol/synthetic.ts";
import {
  firewallConfig,
  hostEnforcer,
  POD_LABEL,
  podLabel,
  runningContainers,
} from "../src/runtimes/docker/firewall.ts";
import { prefix } from "../src/runtimes/docker/names.ts";
import { nsenterProbe, probePods } from "../src/runtimes/docker/policy-probe.ts";
import { dockerPlanOf } from "../src/runtimes/docker/support.ts";
import { median } from "../src/stats.ts";

const ms = (x: number) => `${x.toFixed(1)} ms`;

async function timeRuns(runs: number, body: () => unknown | Promise<unknown>): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const began = performance.now();
    await body();
    times.push(performance.now() - began);
  }
  return median(times);
}

await runMain(async () => {
  const { values } = parseFlags("bench:netpol", process.argv.slice(2), {
    runs: { type: "string", default: "5" },
  });
  const runs = Number(values.runs);
  if (!Number.isInteger(runs) || runs < 1) throw new UserError("--runs: expected a whole number >= 1");
  const bench = `bench-netpol-${process.pid}`;
  const bridge = "br-nonexistent"; // no interface has this name: nothing is filtered

  // 1. The Azora policy set over the dev environment's pods (addresses made up).
  const { prepared, containers } = await dockerPlanOf(loadEnvFile("dev"));
  const { policies } = prepared;
  const pods = containers.map((c, i) => ({
    ...(JSON.parse(podLabel(c)[POD_LABEL] as string) as PodInput),
    podIP: `10.250.0.${i + 2}`,
  }));
  const azora = { ...policies, pods };
  const empty = compileFirewall(bench, { bridge }, { pods: [] });
  const nft = await firewallRunner();
  try {
    const baseline = await timeRuns(runs, () => applyScript(empty.script, "bench", nft));
    const compile = await timeRuns(runs, () => compileFirewall(bench, { bridge }, azora));
    const both = await timeRuns(runs, () =>
      applyScript(compileFirewall(bench, { bridge }, azora).script, "bench", nft),
    );
    const stats = compileFirewall(bench, { bridge }, azora).stats;
    console.log(
      `Azora policy set: ${stats.policies} policies, ${stats.pods} pods -> ${stats.elements} set elements, ${stats.rules} rules`,
    );
    console.log(
      `  compile ${ms(compile)}; compile + apply ${ms(both)} (target < 1000 ms); apply of an empty table ${ms(baseline)} (ratio ${(both / baseline).toFixed(2)})`,
    );

    // 2. At scale.
    const scale = syntheticCluster(200, 500);
    const scaleCompile = await timeRuns(runs, () => compileFirewall(bench, { bridge }, scale));
    const big = compileFirewall(bench, { bridge }, scale);
    const scaleApply = await timeRuns(Math.min(runs, 3), () => applyScript(big.script, "bench", nft));
    console.log(
      `200 workloads x 500 policies -> ${big.stats.elements} set elements, ${big.stats.rules} rules (${(big.stats.elements / 500).toFixed(1)} elements and ${(big.stats.rules / 500).toFixed(1)} rules per policy), ${(big.script.length / 2 ** 20).toFixed(1)} MiB of nft script`,
    );
    console.log(`  compile ${ms(scaleCompile)} (target < 2000 ms); apply ${ms(scaleApply)}`);
  } finally {
    await removeTable(empty.table, nft);
  }

  // 3. A live dev environment.
  await ensureEngine();
  const stateDir = mkdtempSync(join(tmpdir(), "devstack-bench-"));
  const script = (s: string, args: string[]) =>
    execa(...entryPointCommand(s, args), {
      env: { DEVSTACK_STATE_DIR: stateDir },
    });
  try {
    await script("dev-up", ["--name", bench]);
    const enforcer = hostEnforcer(await firewallConfig(bench, policies));
    const reapply = await timeRuns(runs, () => enforcer.apply());
    const live = probePods(await runningContainers(prefix(bench)));
    const spawnBaseline = await timeRuns(runs, () =>
      execa("nsenter", [`--target=${live[0]?.pid}`, "--net", "--", process.execPath, PROBER, "[]", "1000"]),
    );
    let probes = 0;
    let wrong = 0;
    const probe = await timeRuns(runs, async () => {
      const observed = await probeAgainstEngine(live, policies, nsenterProbe);
      probes = observed.length;
      wrong += mismatches(observed).length;
    });
    console.log(`live dev environment (${live.length} pods):`);
    console.log(`  re-apply from the running containers (inspect + compile + apply) ${ms(reapply)}`);
    console.log(
      `  full-matrix probe, ${probes} probes with a 1000 ms timeout: ${ms(probe)}; one prober spawn with nothing to probe ${ms(spawnBaseline)}; mismatches over all runs: ${wrong}`,
    );
  } finally {
    await script("dev-down", ["--name", bench]).catch(() => undefined);
    rmSync(stateDir, { recursive: true, force: true });
  }
});
