// pnpm dev:down [--name NAME] [--keep-data] [--runtime docker]
import { parseFlags } from "../src/cli/flags.ts";
import { runMain } from "../src/cli/main.ts";
import { checkEnvName } from "../src/env/names.ts";
import { chooseRuntime, RUNTIME_FLAG } from "../src/runtimes/index.ts";

await runMain(async () => {
  const { values } = parseFlags("dev:down", process.argv.slice(2), {
    name: { type: "string", default: "dev" },
    "keep-data": { type: "boolean", default: false },
    ...RUNTIME_FLAG,
  });
  const name = checkEnvName(values.name ?? "dev");
  const runtime = chooseRuntime(values.runtime, { name });
  const began = performance.now();
  const removed = await runtime.down(name, { keepData: values["keep-data"] });
  const seconds = ((performance.now() - began) / 1000).toFixed(1);
  console.log(
    removed === 0
      ? `environment '${name}' had nothing running`
      : `environment '${name}' removed (${removed} resource(s)${values["keep-data"] ? ", data volume kept" : ""}) in ${seconds}s`,
  );
  if (await runtime.backups.kept(name))
    console.log(
      `its backups are kept (pnpm db:backups lists them; \`pnpm db:restore --name ${name}\` brings it back, \`pnpm db:backups --delete ${name}\` removes them)`,
    );
});
