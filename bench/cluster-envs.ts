// pnpm bench:cluster-envs [--envs 3] [--runs 3] [--env pr] [--workers N (default: one per env, up to 5)]
// PR environments as namespaces of a stand-in cluster: a Kind environment of this machine with a
// registry its nodes pull from, DevStack running as the least-privileged ServiceAccount
// (tests/support/stand-in-cluster.ts). Every image is pushed first, so each `up` finds them in the
// registry. Prints, timed as a user meets them (the whole command):
//   - time to ready of one environment alone (median of --runs), against `dev:up --runtime docker`
//     of the same env file on the same machine, measured in the same run;
//   - --envs environments brought up at once, time to ready of each, then taken down at once;
//   - leftovers: DevStack namespaces of the bench's environments, records, kubeconfigs.
// Exits 1 when an up or down failed or anything is left.

import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { entryPointCommand } from "../src/cli/entry-point.ts";
import { parseFlags, wholeNumber } from "../src/cli/flags.ts";
import { runMain } from "../src/cli/main.ts";
import { loadEnvFile, MAX_WORKERS } from "../src/config/env-file.ts";
import { ensureEngine } from "../src/docker/cli.ts";
import { readEnvState } from "../src/env/state.ts";
import { loadImageMap } from "../src/images/image-map.ts";
import { resolveImages } from "../src/images/resolve.ts";
import { devstackLabels } from "../src/labels.ts";
import { prepareEnvironment } from "../src/manifests/prepare.ts";
import { kubeconfigFile } from "../src/runtimes/kind/names.ts";
import { imageNames, imagesToLoad, KIND_SUPPORT } from "../src/runtimes/kind/objects.ts";
import { requireTool } from "../src/runtimes/kind/tools.ts";
import { median } from "../src/stats.ts";
import { startStandInCluster } from "../tests/support/stand-in-cluster.ts";

const seconds = (since: number) => ((performance.now() - since) / 1000).toFixed(1);
const fmt = (xs: number[]) => `median ${median(xs).toFixed(1)} s (${xs.map((s) => s.toFixed(1)).join(", ")})`;

await runMain(async () => {
  const { values } = parseFlags("bench:cluster-envs", process.argv.slice(2), {
    envs: { type: "string", default: "3" },
    runs: { type: "string", default: "3" },
    env: { type: "string", default: "pr" },
    workers: { type: "string" },
  });
  const envs = wholeNumber("envs", values.envs, 1);
  const envFile = loadEnvFile(values.env);
  const runs = wholeNumber("runs", values.runs, 1);
  // Each Kind node offers this machine's CPUs to the scheduler: a worker per environment gives the
  // stand-in the room a team's cluster would have for their requests.
  const workers =
    values.workers === undefined
      ? Math.min(envs, MAX_WORKERS)
      : wholeNumber("workers", values.workers, 1, MAX_WORKERS);
  await ensureEngine();
  const stateDir = mkdtempSync(join(tmpdir(), "devstack-cluster-envs-"));
  process.env.DEVSTACK_STATE_DIR = stateDir;
  const registryImage = (await resolveImages({ names: ["registry"], silent: true })).get("registry");
  if (!registryImage) throw new Error("the registry image did not resolve");
  const tag = process.pid % 100_000;
  const began = performance.now();
  const cluster = await startStandInCluster({
    host: `benchhost-${tag}`,
    stateDir,
    env: { DEVSTACK_STATE_DIR: stateDir },
    registryImage: registryImage.ref,
    labels: devstackLabels({ purpose: "test", ttlMs: 2 * 3600_000 }),
    workers,
  }).catch((error: unknown) => {
    rmSync(stateDir, { recursive: true, force: true });
    throw error;
  });
  const env = { DEVSTACK_STATE_DIR: stateDir, KUBECONFIG: cluster.kubeconfig };
  /** Runs a DevStack script, timed; a failure is reported and counted, not thrown. */
  let failures = 0;
  const timed = async (script: string, args: string[]) => {
    const start = performance.now();
    const result = await execa(...entryPointCommand(script, args), { env, reject: false, all: true });
    const seconds = (performance.now() - start) / 1000;
    if (result.exitCode !== 0) {
      failures += 1;
      console.log(`${script} ${args.join(" ")} failed after ${seconds.toFixed(1)} s:\n${result.all}`);
    }
    return { seconds, ok: result.exitCode === 0 };
  };
  /** The seconds of the runs that succeeded (a failed `up` has no time to ready). */
  const succeeded = (runs: { seconds: number; ok: boolean }[]) =>
    runs.filter((r) => r.ok).map((r) => r.seconds);
  const shown = (run?: { seconds: number; ok: boolean }) =>
    run ? `${run.seconds.toFixed(1)} s${run.ok ? "" : " (failed)"}` : "-";
  const onCluster = [
    "--runtime",
    "cluster",
    "--context",
    cluster.context,
    "--registry",
    cluster.registry.address,
  ];
  const names: string[] = [];
  const upOnCluster = (name: string) => {
    names.push(name);
    return timed("dev-up", ["--env", values.env, "--name", name, ...onCluster]);
  };
  try {
    console.log(
      `stand-in cluster (${workers} worker node(s)) and registry ${cluster.registry.address} up in ${seconds(began)} s`,
    );
    const envImages = imageNames(
      imagesToLoad(await prepareEnvironment(envFile, KIND_SUPPORT), loadImageMap()),
    );
    const push = await timed("images-push", ["--registry", cluster.registry.address, ...envImages]);
    console.log(`every image of envs/${values.env}.yaml pushed first in ${shown(push)}`);

    const docker: { seconds: number; ok: boolean }[] = [];
    const alone: { seconds: number; ok: boolean }[] = [];
    for (let run = 1; run <= runs; run++) {
      const dockerName = `bench-docker-${tag}-${run}`;
      docker.push(await timed("dev-up", ["--env", values.env, "--name", dockerName]));
      await timed("dev-down", ["--name", dockerName]);
      const clusterName = `bench-alone-${tag}-${run}`;
      alone.push(await upOnCluster(clusterName));
      const down = await timed("dev-down", ["--name", clusterName]);
      console.log(
        `run ${run}: docker ${shown(docker.at(-1))}, cluster ${shown(alone.at(-1))} to ready (its down ${shown(down)})`,
      );
    }
    console.log(`time to ready, one environment: docker ${fmt(succeeded(docker))}`);
    console.log(`time to ready, one environment: cluster ${fmt(succeeded(alone))}`);
    console.log(`cluster / docker: ${(median(succeeded(alone)) / median(succeeded(docker))).toFixed(2)}`);

    const together = Array.from({ length: envs }, (_, i) => `bench-par-${tag}-${i + 1}`);
    const start = performance.now();
    const ready = await Promise.all(together.map(upOnCluster));
    const allDone = seconds(start);
    for (const [i, name] of together.entries()) console.log(`${name}: ready in ${shown(ready[i])}`);
    console.log(
      `${envs} environments at once: ${succeeded(ready).length} ready, all done in ${allDone} s, ${fmt(succeeded(ready))} each`,
    );
    const downStart = performance.now();
    await Promise.all(together.map((name) => timed("dev-down", ["--name", name])));
    console.log(`${envs} environments taken down at once in ${seconds(downStart)} s`);
  } finally {
    const left = await leftovers(cluster.adminKubeconfig, names);
    console.log(`leftovers: ${left.length === 0 ? "none" : left.join(", ")}`);
    if (left.length > 0) process.exitCode = 1;
    // What an interrupted bench left, taken down before the cluster.
    await Promise.all(
      names.filter((n) => readEnvState(n)).map((name) => timed("dev-down", ["--name", name])),
    );
    await cluster.remove();
    rmSync(stateDir, { recursive: true, force: true });
  }
  if (failures > 0) {
    console.log(`${failures} command(s) failed`);
    process.exitCode = 1;
  }
});

/** What the bench's environments left: namespaces on the cluster, records and kubeconfigs here. */
async function leftovers(adminKubeconfig: string, names: string[]): Promise<string[]> {
  const namespaces = (
    await execa(requireTool("kubectl"), [
      ...["--kubeconfig", adminKubeconfig, "get", "namespaces", "-l", "dev.azora.devstack=true"],
      ...["-o", "jsonpath={.items[*].metadata.name}"],
    ])
  ).stdout
    .split(" ")
    .filter((ns) => names.some((name) => ns === `azora-${name}`));
  return [
    ...namespaces.map((ns) => `namespace ${ns}`),
    ...names.filter((name) => readEnvState(name)).map((name) => `record ${name}`),
    ...names.filter((name) => existsSync(kubeconfigFile(name))).map((name) => `kubeconfig ${name}`),
  ];
}
