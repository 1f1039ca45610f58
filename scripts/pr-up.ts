// pnpm pr:up --pr N [--sha SHA] [--runtime docker|kind]
// The environment of pull request N (`pr-N`, env file envs/pr.yaml: its TTL, the small seed), up
// and seeded; run again on a new push it reuses the environment when nothing changed and recreates
// what did (images, configuration). Prints the URLs, the gateway first.
import { parseFlags } from "../src/cli/flags.ts";
import { runMain } from "../src/cli/main.ts";
import { loadEnvFile } from "../src/config/env-file.ts";
import { bringUp } from "../src/env/bring-up.ts";
import { commitSha, prEnvironment } from "../src/pipeline/pr.ts";
import { chooseRuntime, RUNTIME_FLAG } from "../src/runtimes/index.ts";

await runMain(async () => {
  const { values } = parseFlags("pr:up", process.argv.slice(2), {
    pr: { type: "string" },
    sha: { type: "string" },
    ...RUNTIME_FLAG,
  });
  const name = prEnvironment(values.pr);
  const sha = commitSha(values.sha);
  const envFile = loadEnvFile("pr");
  if (sha) console.log(`pull request ${values.pr} at ${sha}`);
  await bringUp(name, envFile, chooseRuntime(values.runtime, { envFile, name }));
});
