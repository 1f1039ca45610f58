// pnpm bench:foundation [--runs N] [--skip-cold]
// Prints the foundation's figures: a cold images:build (every DevStack image removed first), the
// warm no-op rebuild as a user runs it, and PostgreSqlContainer start-to-ready on the built image,
// each as a median of N runs, with `docker run` of the same image as a same-run baseline.
import { join } from "node:path";
import { PostgreSqlContainer } from "@testcontainers/postgresql";
import { execa } from "execa";
import { parseFlags } from "../src/cli/flags.ts";
import { runMain } from "../src/cli/main.ts";
import { docker, ensureEngine } from "../src/docker/cli.ts";
import { listResources, removeResources } from "../src/docker/resources.ts";
import "../src/docker/testcontainers.ts";
import { UserError } from "../src/errors.ts";
import { resolveImages } from "../src/images/resolve.ts";
import { devstackLabels, LABEL, labelArgs } from "../src/labels.ts";
import { repoRoot } from "../src/paths.ts";
import { median } from "./load.ts";

const seconds = async (body: () => Promise<unknown>) => {
  const began = performance.now();
  await body();
  return (performance.now() - began) / 1000;
};
const fmt = (xs: number[]) =>
  `median ${median(xs).toFixed(2)} s  (runs: ${xs.map((x) => x.toFixed(2)).join(", ")})`;

await runMain(async () => {
  const { values } = parseFlags("bench:foundation", process.argv.slice(2), {
    runs: { type: "string", default: "5" },
    "skip-cold": { type: "boolean", default: false },
  });
  const runs = Number(values.runs);
  if (!Number.isInteger(runs) || runs < 1)
    throw new UserError(`--runs: '${values.runs}' is not valid; expected a whole number >= 1`);
  await ensureEngine();
  const labels = devstackLabels({ purpose: "test", ttlMs: 3600_000 });

  if (!values["skip-cold"]) {
    const inUse = (await listResources(`${LABEL.managed}=true`)).filter((r) => r.kind === "container");
    if (inUse.length > 0)
      throw new UserError(
        `${inUse.length} DevStack container(s) are running; the cold build removes their images`,
        "Stop them first (pnpm dev:down / env:gc), or pass --skip-cold.",
      );
    const images = (await docker(["images", "--quiet", "--filter", `label=${LABEL.managed}=true`]))
      .split("\n")
      .filter(Boolean);
    if (images.length > 0) await docker(["rmi", "--force", ...new Set(images)]);
    console.log(`cold images:build (${new Set(images).size} images removed first) ...`);
    const cold = await seconds(() => resolveImages({ source: "recipe" }));
    console.log(`cold images:build: ${cold.toFixed(1)} s (target <= 180 s)`);
  }

  const tsx = join(repoRoot, "node_modules", ".bin", "tsx");
  const warm: number[] = [];
  for (let i = 0; i < runs; i++)
    warm.push(await seconds(() => execa(tsx, [join(repoRoot, "scripts", "images-build.ts")])));
  console.log(`warm images:build (no-op, whole command): ${fmt(warm)} (target <= 5 s)`);

  const ref = (await resolveImages({ names: ["postgres"], silent: true })).get("postgres")?.ref ?? "";
  const baseline: number[] = [];
  const ready: number[] = [];
  try {
    for (let i = 0; i < runs; i++) {
      baseline.push(
        await seconds(() => docker(["run", "--rm", ...labelArgs(labels), "--entrypoint", "true", ref])),
      );
      let stop = async () => {};
      ready.push(
        await seconds(async () => {
          const started = await new PostgreSqlContainer(ref).withLabels(labels).start();
          stop = async () => void (await started.stop());
        }),
      );
      await stop();
    }
  } finally {
    await removeResources(await listResources(`${LABEL.run}=${labels[LABEL.run]}`));
  }
  console.log(`docker run --rm (baseline, same image): ${fmt(baseline)}`);
  console.log(`PostgreSqlContainer start-to-ready: ${fmt(ready)} (target <= 3 s)`);
  console.log(`ratio start-to-ready / bare container run: ${(median(ready) / median(baseline)).toFixed(1)}x`);
});
