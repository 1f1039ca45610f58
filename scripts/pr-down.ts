// pnpm pr:down --pr N
// Removes pull request N's environment, data included (the PR is closed). Nothing to remove is fine.
import { parseFlags } from "../src/cli/flags.ts";
import { runMain } from "../src/cli/main.ts";
import { prEnvironment } from "../src/pipeline/pr.ts";
import { chooseRuntime, RUNTIME_FLAG } from "../src/runtimes/index.ts";

await runMain(async () => {
  const { values } = parseFlags("pr:down", process.argv.slice(2), {
    pr: { type: "string" },
    ...RUNTIME_FLAG,
  });
  const name = prEnvironment(values.pr);
  const removed = await chooseRuntime(values.runtime, { name }).down(name);
  console.log(removed === 0 ? `environment '${name}' had nothing running` : `environment '${name}' removed`);
});
