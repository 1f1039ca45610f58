// pnpm dev:up [--env dev] [--name NAME] [--runtime docker|kind|cluster] [--with monitoring] [--dry-run]
//             [--context CTX --registry HOST[:PORT]]   (the cluster runtime's cluster and registry)
//             [--kind-workers N]                       (Kind: worker nodes, instead of the env file's)
// Brings an environment up from envs/ENV.yaml (the kind/ manifests of its overlay, and the
// components its `with:` or --with switch on) on a runtime, and prints how to reach it; --dry-run
// prints every action it would take and starts nothing.
import { parseFlags, wholeNumber } from "../src/cli/flags.ts";
import { runMain } from "../src/cli/main.ts";
import {
  envLabel,
  loadEnvFile,
  MAX_WORKERS,
  withCluster,
  withComponents,
  withKindWorkers,
} from "../src/config/env-file.ts";
import { bringUp } from "../src/env/bring-up.ts";
import { checkEnvName } from "../src/env/names.ts";
import { UserError } from "../src/errors.ts";
import { chooseRuntime, RUNTIME_FLAG } from "../src/runtimes/index.ts";

await runMain(async () => {
  const { values } = parseFlags("dev:up", process.argv.slice(2), {
    env: { type: "string", default: "dev" },
    name: { type: "string" },
    ...RUNTIME_FLAG,
    with: { type: "string" },
    context: { type: "string" },
    registry: { type: "string" },
    "kind-workers": { type: "string" },
    "dry-run": { type: "boolean", default: false },
  });
  const workers = values["kind-workers"];
  const envFile = withKindWorkers(
    withCluster(withComponents(loadEnvFile(values.env ?? "dev"), values.with), values),
    workers === undefined ? undefined : wholeNumber("kind-workers", workers, 1, MAX_WORKERS),
  );
  const name = checkEnvName(values.name ?? envFile.name);
  const runtime = chooseRuntime(values.runtime, { envFile });
  if (workers !== undefined && runtime.name !== "kind")
    throw new UserError(`--kind-workers: only the Kind runtime has worker nodes (this is ${runtime.name})`);

  if (values["dry-run"]) {
    const began = performance.now();
    const plan = await runtime.dryRun({ name, envFile });
    console.log(
      `dev:up --dry-run: environment '${name}' (${envLabel(envFile)}) on ${runtime.name}; nothing is started`,
    );
    plan.forEach(({ action, does }, i) => {
      console.log(`${String(i + 1).padStart(2)}. ${action}`);
      for (const line of does) console.log(`      ${line}`);
    });
    console.log(`planned in ${((performance.now() - began) / 1000).toFixed(2)}s`);
    return;
  }

  await bringUp(name, envFile, runtime);
});
