// pnpm env:extend NAME --ttl DURATION
// The environment now expires DURATION from now (e.g. 4h): env:gc leaves it until then.
import { parseFlags } from "../src/cli/flags.ts";
import { runMain } from "../src/cli/main.ts";
import { durationFlag } from "../src/config/env-file.ts";
import { extendEnvironment } from "../src/env/lifetime.ts";
import { checkEnvName } from "../src/env/names.ts";
import { UserError } from "../src/errors.ts";

await runMain(async () => {
  const { values, positionals } = parseFlags(
    "env:extend",
    process.argv.slice(2),
    { ttl: { type: "string" } },
    { positionals: true },
  );
  if (positionals.length !== 1)
    throw new UserError("env:extend: expected one environment name, e.g. env:extend pr-42 --ttl 4h");
  const name = checkEnvName(positionals[0] as string);
  const ttl = durationFlag("ttl", values.ttl);
  const { before, after } = extendEnvironment(name, ttl);
  console.log(`environment '${name}' now expires ${after} (was ${before})`);
});
