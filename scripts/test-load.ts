// pnpm test:load [--name NAME | --start [--env ENV]] [--scenario NAME] [--rate N] [--duration D]
//                [--target gateway|direct] [--report DIR]
// Runs a load scenario (load/scenarios.ts) against an environment: with k6 when it is on PATH,
// otherwise with DevStack's open-model runner; the same thresholds either way. Writes
// reports/load-<time>/summary.json (or into --report DIR); exits 1 when a threshold failed.
import { runMain } from "../src/cli/main.ts";
import { loadCommand } from "../src/load/command.ts";

await runMain(async () => {
  await loadCommand(process.argv.slice(2));
});
