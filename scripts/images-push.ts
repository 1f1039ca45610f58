// pnpm images:push --registry HOST[:PORT] [--source auto|recipe|upstream] [IMAGE...]
// Resolves the images (all, or the ones named) and pushes them to a registry under content tags,
// skipping what it already holds: what a cluster's nodes pull from.
import { oneOf, parseFlags } from "../src/cli/flags.ts";
import { runMain } from "../src/cli/main.ts";
import { UserError } from "../src/errors.ts";
import { parseRegistry, pushImages } from "../src/images/registry.ts";
import { IMAGE_SOURCES, resolveImages } from "../src/images/resolve.ts";

const USAGE = `usage: pnpm images:push --registry HOST[:PORT] [--source ${IMAGE_SOURCES.join("|")}] [IMAGE...]`;

await runMain(async () => {
  const { values, positionals } = parseFlags(
    "images:push",
    process.argv.slice(2),
    {
      registry: { type: "string" },
      source: { type: "string", default: "auto" },
      help: { type: "boolean", short: "h" },
    },
    { positionals: true },
  );
  if (values.help) return void console.log(USAGE);
  if (!values.registry)
    throw new UserError(
      "images:push: --registry HOST[:PORT] is required: the registry the cluster's nodes pull from",
      USAGE,
    );
  const registry = parseRegistry(values.registry);
  const source = oneOf("source", values.source ?? "auto", IMAGE_SOURCES);
  const started = performance.now();
  const names: string[] = positionals;
  const images = await resolveImages({ names, source });
  // Named images only, not the bases resolved for them.
  const wanted = [...images.values()].filter((i) => names.length === 0 || names.includes(i.name));
  const pushed = await pushImages(wanted, registry);
  const sent = pushed.filter((p) => p.pushed).length;
  console.log(
    `${pushed.length} image(s) in ${registry}: ${sent} pushed, ${pushed.length - sent} already there, in ${((performance.now() - started) / 1000).toFixed(1)}s`,
  );
});
