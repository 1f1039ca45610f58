// pnpm dev:export compose [--env dev] [--name NAME] [-o FILE]
// pnpm dev:export kubernetes --registry HOST[:PORT] [--namespace NS] [--env dev] [--name NAME] [-o FILE]
// Writes the environment as a docker compose file, or as the objects to `kubectl apply` on a
// cluster whose nodes pull from the registry (its images pushed there first), stdout unless -o.
// An environment that is up keeps its generated secrets; otherwise new ones are generated.
import { writeFileSync } from "node:fs";
import { parseFlags } from "../src/cli/flags.ts";
import { runMain } from "../src/cli/main.ts";
import { loadEnvFile } from "../src/config/env-file.ts";
import { checkEnvName } from "../src/env/names.ts";
import { UserError } from "../src/errors.ts";
import { parseRegistry } from "../src/images/registry.ts";
import { dockerRuntime } from "../src/runtimes/docker/runtime.ts";
import { checkNamespace, exportForCluster } from "../src/runtimes/kind/export.ts";

const FORMATS = ["compose", "kubernetes"];

await runMain(async () => {
  const { values, positionals } = parseFlags(
    "dev:export",
    process.argv.slice(2),
    {
      env: { type: "string", default: "dev" },
      name: { type: "string" },
      output: { type: "string", short: "o" },
      registry: { type: "string" },
      namespace: { type: "string" },
    },
    { positionals: true },
  );
  const format = positionals[0] ?? "";
  if (!FORMATS.includes(format) || positionals.length > 1)
    throw new UserError(
      `dev:export: expected the format 'compose' or 'kubernetes', got '${positionals.join(" ")}'`,
    );
  const envFile = loadEnvFile(values.env ?? "dev");
  const name = checkEnvName(values.name ?? envFile.name);
  let text: string;
  if (format === "compose") {
    if (values.registry || values.namespace)
      throw new UserError("dev:export compose: --registry and --namespace are for the kubernetes format");
    // Compose is the Docker runtime's own export: the containers it would start, as a file.
    text = await dockerRuntime.exportCompose(name, envFile);
  } else {
    if (!values.registry)
      throw new UserError(
        "dev:export kubernetes: --registry HOST[:PORT] is required: the registry the cluster's nodes pull from (the images are pushed there)",
      );
    const registry = parseRegistry(values.registry);
    const namespace = values.namespace === undefined ? undefined : checkNamespace(values.namespace);
    const exported = await exportForCluster({ envFile, name, registry, namespace });
    const sent = exported.pushed.filter((p) => p.pushed).length;
    console.error(
      `${exported.pushed.length} image(s) in ${registry} (${sent} pushed); namespace ${exported.namespace}. The cluster needs the CloudNativePG operator and a NetworkPolicy engine.`,
    );
    text = exported.text;
  }
  if (!values.output) {
    process.stdout.write(text);
    return;
  }
  writeFileSync(values.output, text, { mode: 0o600 });
  console.error(`wrote ${values.output} (mode 0600: it holds this environment's secrets)`);
});
