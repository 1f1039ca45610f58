// pnpm dev:export compose [--env dev] [--name NAME] [-o FILE]
// Writes the environment as a docker compose file (stdout unless -o), for people who want one.
// An environment that is up keeps its generated secrets; otherwise new ones are generated.
import { writeFileSync } from "node:fs";
import { parseFlags } from "../src/cli/flags.ts";
import { runMain } from "../src/cli/main.ts";
import { loadEnvFile } from "../src/config/env-file.ts";
import { checkEnvName } from "../src/env/names.ts";
import { UserError } from "../src/errors.ts";
import { dockerRuntime } from "../src/runtimes/docker/runtime.ts";

await runMain(async () => {
  const { values, positionals } = parseFlags(
    "dev:export",
    process.argv.slice(2),
    {
      env: { type: "string", default: "dev" },
      name: { type: "string" },
      output: { type: "string", short: "o" },
    },
    { positionals: true },
  );
  if (positionals[0] !== "compose" || positionals.length > 1)
    throw new UserError(`dev:export: expected the format 'compose', got '${positionals.join(" ")}'`);
  const envFile = loadEnvFile(values.env ?? "dev");
  const name = checkEnvName(values.name ?? envFile.name);
  // Compose is the Docker runtime's own export: the containers it would start, as a file.
  const text = await dockerRuntime.exportCompose(name, envFile);
  if (!values.output) {
    process.stdout.write(text);
    return;
  }
  writeFileSync(values.output, text, { mode: 0o600 });
  console.error(`wrote ${values.output} (mode 0600: it holds this environment's secrets)`);
});
