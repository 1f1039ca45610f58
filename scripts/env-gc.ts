// pnpm env:gc [--dry-run]
// Removes what crashed or expired runs left behind: environments past their TTL or whose `up` was
// interrupted, and containers of test runs that are gone.
import { parseFlags } from "../src/cli/flags.ts";
import { runMain } from "../src/cli/main.ts";
import { ensureEngine } from "../src/docker/cli.ts";
import { collectGarbage } from "../src/env/gc.ts";

await runMain(async () => {
  const { values } = parseFlags("env:gc", process.argv.slice(2), {
    "dry-run": { type: "boolean", default: false },
  });
  await ensureEngine();
  const stale = await collectGarbage({ dryRun: values["dry-run"] });
  const verb = values["dry-run"] ? "would remove" : "removed";
  for (const { group, reason } of stale) {
    const what = group.resources.map((r) => `${r.kind} ${r.name}`).join(", ") || "(its state record only)";
    console.log(`${verb} ${group.key}: ${reason}\n    ${what}`);
  }
  console.log(stale.length === 0 ? "nothing to collect" : `${verb} ${stale.length} group(s)`);
});
