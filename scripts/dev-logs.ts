// pnpm dev:logs [WORKLOAD] [--name NAME] [-f] [--tail N] [--runtime docker]
// Logs of a workload's replicas (every replica, lines prefixed), or of all workloads.
import { parseFlags } from "../src/cli/flags.ts";
import { runMain } from "../src/cli/main.ts";
import { checkEnvName } from "../src/env/names.ts";
import { UserError } from "../src/errors.ts";
import { chooseRuntime, RUNTIME_FLAG } from "../src/runtimes/index.ts";

await runMain(async () => {
  const { values, positionals } = parseFlags(
    "dev:logs",
    process.argv.slice(2),
    {
      name: { type: "string", default: "dev" },
      follow: { type: "boolean", short: "f", default: false },
      tail: { type: "string", default: "100" },
      ...RUNTIME_FLAG,
    },
    { positionals: true },
  );
  const name = checkEnvName(values.name ?? "dev");
  const tail = Number(values.tail);
  if (!Number.isInteger(tail) || tail < 0)
    throw new UserError(`--tail: '${values.tail}' is not a number of lines (0 or more)`);
  let width = 0;
  await chooseRuntime(values.runtime, { name }).logs(name, {
    workload: positionals[0],
    follow: values.follow ?? false,
    tail,
    line: (source, text) => {
      width = Math.max(width, source.length);
      console.log(`${source.padEnd(width)} | ${text}`);
    },
  });
});
