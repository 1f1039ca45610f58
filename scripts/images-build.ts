// pnpm images:build [--source auto|recipe|upstream] [IMAGE...]
// Resolves every image of images/images.yaml (or the ones named), building what is missing offline.
import { oneOf, parseFlags } from "../src/cli/flags.ts";
import { runMain } from "../src/cli/main.ts";
import { loadImageMap } from "../src/images/image-map.ts";
import { IMAGE_SOURCES, resolveImages } from "../src/images/resolve.ts";

await runMain(async () => {
  const { values, positionals } = parseFlags(
    "images:build",
    process.argv.slice(2),
    { source: { type: "string", default: "auto" }, help: { type: "boolean", short: "h" } },
    { positionals: true },
  );
  if (values.help) {
    const names = Object.keys(loadImageMap().images).join(", ");
    console.log(
      `usage: pnpm images:build [--source ${IMAGE_SOURCES.join("|")}] [IMAGE...]\nimages: ${names}`,
    );
    return;
  }
  const source = oneOf("source", values.source ?? "auto", IMAGE_SOURCES);
  const started = performance.now();
  const images = await resolveImages({ names: positionals, source });
  const built = [...images.values()].filter((i) => i.how === "built from recipe").length;
  console.log(
    `${images.size} image(s) ready, ${built} built, in ${((performance.now() - started) / 1000).toFixed(1)}s`,
  );
});
