// pnpm bench:foundation [--runs N] [--skip-cold | --cold-image NAME[,NAME...]]
// Prints the foundation's figures: a cold images:build (every DevStack image removed first, and an
// empty Go build cache), the warm no-op rebuild as a user runs it, and PostgreSqlContainer
// start-to-ready on the built image, each as a median of N runs, with `docker run` of the same
// image as a same-run baseline. `--cold-image tyk` makes the cold build one image's alone (its own
// recipe images removed; the others stay), e.g. the Tyk gateway compiled from its Go module;
// several, comma-separated, e.g. the offline Kind images:
//   --cold-image kubernetes,kube-etcd,coredns,pause,local-path-provisioner,kind-node

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PostgreSqlContainer } from "@testcontainers/postgresql";
import { execa } from "execa";
import { entryPointCommand } from "../src/cli/entry-point.ts";
import { parseFlags } from "../src/cli/flags.ts";
import { runMain } from "../src/cli/main.ts";
import { docker, ensureEngine } from "../src/docker/cli.ts";
import { listResources, removeResources } from "../src/docker/resources.ts";
import "../src/docker/testcontainers.ts";
import { UserError } from "../src/errors.ts";
import { type ResolvedImage, resolveImages } from "../src/images/resolve.ts";
import { devstackLabels, LABEL, labelArgs } from "../src/labels.ts";
import { median } from "../src/stats.ts";

const seconds = async (body: () => Promise<unknown>) => {
  const began = performance.now();
  await body();
  return (performance.now() - began) / 1000;
};
const fmt = (xs: number[]) =>
  `median ${median(xs).toFixed(2)} s  (runs: ${xs.map((x) => x.toFixed(2)).join(", ")})`;

/** Runs `body` with an empty Go build cache, as on a fresh machine (downloaded modules stay). */
async function withEmptyGoCache<T>(body: () => Promise<T>): Promise<T> {
  const cache = mkdtempSync(join(tmpdir(), "devstack-bench-gocache-"));
  const saved = process.env.GOCACHE;
  process.env.GOCACHE = cache;
  try {
    return await body();
  } finally {
    if (saved === undefined) delete process.env.GOCACHE;
    else process.env.GOCACHE = saved;
    rmSync(cache, { recursive: true, force: true });
  }
}

/** One line per image of a cold build, with the compile of a Go module on its own. */
const perImage = (images: Map<string, ResolvedImage>) =>
  [...images.values()]
    .map(
      (i) =>
        `  ${i.name}: ${i.seconds.toFixed(1)} s${i.note ? ` (${i.note})` : ""}${
          i.goBuildSeconds !== undefined
            ? `, of which go build (empty Go build cache): ${i.goBuildSeconds.toFixed(1)} s`
            : ""
        }`,
    )
    .join("\n");

await runMain(async () => {
  const { values } = parseFlags("bench:foundation", process.argv.slice(2), {
    runs: { type: "string", default: "5" },
    "skip-cold": { type: "boolean", default: false },
    "cold-image": { type: "string" },
  });
  const runs = Number(values.runs);
  if (!Number.isInteger(runs) || runs < 1)
    throw new UserError(`--runs: '${values.runs}' is not valid; expected a whole number >= 1`);
  await ensureEngine();
  const labels = devstackLabels({ purpose: "test", ttlMs: 3600_000 });

  const coldImages = values["cold-image"]?.split(",").filter(Boolean);
  if (coldImages !== undefined) {
    const named = coldImages.join(", ");
    // Only these images' own recipe builds (and root filesystems) go; docker refuses if one is in use.
    const own = (
      await docker([
        "images",
        "--format",
        "{{.Repository}}:{{.Tag}}",
        ...coldImages.flatMap((name) => [
          "--filter",
          `reference=azora-devstack/${name}`,
          "--filter",
          `reference=azora-devstack/${name}-rootfs`,
        ]),
      ])
    )
      .split("\n")
      .filter(Boolean);
    if (own.length > 0) {
      const removed = await execa("docker", ["rmi", ...own], { reject: false });
      if (removed.exitCode !== 0)
        throw new UserError(
          `cannot remove the images of ${named}: ${removed.stderr}`,
          "Stop the containers that use them first.",
        );
    }
    console.log(`cold build of ${named} (${own.length} of their images removed first) ...`);
    const began = performance.now();
    const images = await withEmptyGoCache(() => resolveImages({ names: coldImages, source: "recipe" }));
    console.log(`cold build of ${named}: ${((performance.now() - began) / 1000).toFixed(1)} s`);
    console.log(perImage(images));
  } else if (!values["skip-cold"]) {
    const inUse = (await listResources(`${LABEL.managed}=true`)).filter((r) => r.kind === "container");
    if (inUse.length > 0)
      throw new UserError(
        `${inUse.length} DevStack container(s) are running; the cold build removes their images`,
        "Stop them first (pnpm dev:down / env:gc), or pass --skip-cold.",
      );
    const ids = (await docker(["images", "--quiet", "--filter", `label=${LABEL.managed}=true`]))
      .split("\n")
      .filter(Boolean);
    if (ids.length > 0) await docker(["rmi", "--force", ...new Set(ids)]);
    console.log(`cold images:build (${new Set(ids).size} images removed first) ...`);
    let images = new Map<string, ResolvedImage>();
    const cold = await seconds(async () => {
      images = await withEmptyGoCache(() => resolveImages({ source: "recipe" }));
    });
    console.log(`cold images:build: ${cold.toFixed(1)} s (target <= 180 s)`);
    console.log(perImage(images));
  }

  const warm: number[] = [];
  for (let i = 0; i < runs; i++) warm.push(await seconds(() => execa(...entryPointCommand("images-build"))));
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
