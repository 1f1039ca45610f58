import type { TestProject } from "vitest/node";
import { ensureEngine } from "../../src/docker/cli.ts";
import { listResources, removeResources } from "../../src/docker/resources.ts";
import { resolveImages } from "../../src/images/resolve.ts";
import { currentRun, LABEL } from "../../src/labels.ts";
import { allRuntimes } from "../../src/runtimes/index.ts";

declare module "vitest" {
  export interface ProvidedContext {
    images: Record<string, string>;
    testRun: string;
  }
}

/**
 * Before the integration tests: the engine answers, leftovers of killed test runs are collected,
 * and every image is resolved (built offline if missing). After: everything this run labelled is
 * removed, whatever the tests did.
 */
export default async function setup(project: TestProject) {
  await ensureEngine();
  // On every runtime: a killed run's environments (a Kind cluster, a Docker stack) would hold the
  // CPU, memory and address ranges the tests need.
  const collected = (await Promise.all(allRuntimes().map((r) => r.gc({ testRunsOnly: true })))).flat();
  if (collected.length > 0)
    console.log(
      `collected ${collected.length} leftover test group(s) of killed runs: ${collected.map((c) => c.what).join(", ")}`,
    );
  const images = await resolveImages();
  const run = currentRun();
  project.provide("images", Object.fromEntries([...images].map(([name, image]) => [name, image.ref])));
  project.provide("testRun", run);

  return async () => {
    const leftovers = await listResources(`${LABEL.run}=${run}`);
    if (leftovers.length > 0) {
      console.log(`removing ${leftovers.length} resource(s) the tests left behind`);
      await removeResources(leftovers);
    }
  };
}
