// pnpm bench:images-push [--runs 3] [IMAGE...]
// images:push into a registry on this machine (the offline `registry` image, on 127.0.0.1 only):
// cold, into a fresh registry each run, then warm, the same images into the same registry again;
// medians of the runs, timed as a user meets them (the whole command). Default images: those the dev
// overlay runs. Warm target: nothing pushed, <= 2 s. Exits 1 when a warm push sent anything.

import { execa } from "execa";
import { entryPointCommand } from "../src/cli/entry-point.ts";
import { parseFlags, wholeNumber } from "../src/cli/flags.ts";
import { runMain } from "../src/cli/main.ts";
import { loadEnvFile } from "../src/config/env-file.ts";
import { ensureEngine } from "../src/docker/cli.ts";
import { loadImageMap } from "../src/images/image-map.ts";
import { startLocalRegistry } from "../src/images/local-registry.ts";
import { resolveImages } from "../src/images/resolve.ts";
import { devstackLabels } from "../src/labels.ts";
import { prepareEnvironment } from "../src/manifests/prepare.ts";
import { imagesToLoad, KIND_SUPPORT } from "../src/runtimes/kind/objects.ts";
import { median } from "../src/stats.ts";

await runMain(async () => {
  const { values, positionals } = parseFlags(
    "bench:images-push",
    process.argv.slice(2),
    { runs: { type: "string", default: "3" } },
    { positionals: true },
  );
  const runs = wholeNumber("runs", values.runs, 1);
  await ensureEngine();
  const given: string[] = positionals;
  const names =
    given.length > 0
      ? given
      : [
          ...new Set(
            imagesToLoad(await prepareEnvironment(loadEnvFile("dev"), KIND_SUPPORT), loadImageMap()).map(
              (i) => i.logical,
            ),
          ),
        ];
  const registryImage = (await resolveImages({ names: ["registry"], silent: true })).get("registry");
  if (!registryImage) throw new Error("the registry image did not resolve");
  // Resolved once here, so the timed pushes measure pushing (their own resolution is a no-op).
  await resolveImages({ names, silent: true });
  console.log(`${names.length} images: ${names.join(", ")}`);

  const push = async (address: string) => {
    const began = performance.now();
    const result = await execa(...entryPointCommand("images-push", ["--registry", address, ...names]), {
      reject: false,
      all: true,
    });
    if (result.exitCode !== 0) throw new Error(`images:push failed:\n${result.all}`);
    const pushed = Number(/: (\d+) pushed/.exec(result.stdout)?.[1] ?? Number.NaN);
    return { seconds: (performance.now() - began) / 1000, pushed };
  };
  const cold: number[] = [];
  const warm: number[] = [];
  let warmPushed = 0;
  for (let run = 1; run <= runs; run++) {
    const registry = await startLocalRegistry(
      registryImage.ref,
      devstackLabels({ purpose: "test", ttlMs: 3600_000 }),
    );
    try {
      const first = await push(registry.address);
      const second = await push(registry.address);
      cold.push(first.seconds);
      warm.push(second.seconds);
      warmPushed += second.pushed;
      console.log(
        `run ${run}: cold ${first.seconds.toFixed(2)} s (${first.pushed} pushed), warm ${second.seconds.toFixed(2)} s (${second.pushed} pushed)`,
      );
    } finally {
      await registry.remove();
    }
  }
  const fmt = (xs: number[]) =>
    `median ${median(xs).toFixed(2)} s (${xs.map((s) => s.toFixed(2)).join(", ")})`;
  console.log(`images:push cold: ${fmt(cold)}`);
  console.log(`images:push warm: ${fmt(warm)}; ${warmPushed} pushed (target 0, <= 2 s)`);
  if (warmPushed > 0) process.exitCode = 1;
});
