// pnpm env:gc [--dry-run]
// Removes what crashed or expired runs left behind, on every runtime: environments past their TTL
// or whose `up` was interrupted, and resources of test runs that are gone.
import { parseFlags } from "../src/cli/flags.ts";
import { runMain } from "../src/cli/main.ts";
import { allRuntimes } from "../src/runtimes/index.ts";

await runMain(async () => {
  const { values } = parseFlags("env:gc", process.argv.slice(2), {
    "dry-run": { type: "boolean", default: false },
  });
  const verb = values["dry-run"] ? "would remove" : "removed";
  let collected = 0;
  for (const runtime of allRuntimes()) {
    for (const { what, reason, removed } of await runtime.gc({ dryRun: values["dry-run"] })) {
      console.log(
        `${verb} ${what}: ${reason}\n    ${runtime.name}: ${removed.join(", ") || "(its state record only)"}`,
      );
      collected++;
    }
  }
  console.log(collected === 0 ? "nothing to collect" : `${verb} ${collected} group(s)`);
});
