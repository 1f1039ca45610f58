// pnpm dev:down [--name NAME] [--keep-data]
import { parseFlags } from "../src/cli/flags.ts";
import { runMain } from "../src/cli/main.ts";
import { checkEnvName, downEnv } from "../src/env/environment.ts";

await runMain(async () => {
  const { values } = parseFlags("dev:down", process.argv.slice(2), {
    name: { type: "string", default: "dev" },
    "keep-data": { type: "boolean", default: false },
  });
  const name = checkEnvName(values.name ?? "dev");
  const began = performance.now();
  const removed = await downEnv(name, { keepData: values["keep-data"] });
  const seconds = ((performance.now() - began) / 1000).toFixed(1);
  console.log(
    removed === 0
      ? `environment '${name}' had nothing running`
      : `environment '${name}' removed (${removed} resource(s)${values["keep-data"] ? ", data volume kept" : ""}) in ${seconds}s`,
  );
});
