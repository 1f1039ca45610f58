// pnpm test:chaos [--name NAME | --start [--env nightly]] [--experiment NAME]... [--runs N] [--rate R] [--report DIR]
// Runs chaos experiments against an environment under a workload that writes through the gateway
// and keeps a ledger of every acknowledged write: steady state, the fault, its removal, recovery,
// the invariants (no acknowledged write lost or doubled, no 500 from a service, recovered, every
// workload ready again). Faults are always removed, and ones a crashed run left are undone first.
// Writes reports/chaos-<time>/ (or --report DIR) summary.json and index.html; exits 1 when an invariant broke.

import { chaosCommand } from "../src/chaos/command.ts";
import { runMain } from "../src/cli/main.ts";

await runMain(() =>
  chaosCommand("test:chaos", process.argv.slice(2), {
    defaultRuns: 1,
    prefix: "chaos",
    verdict: (results) => {
      const broken = results.filter((r) => r.violations.length > 0).length;
      return {
        text: `${results.length} run(s), ${broken === 0 ? "every invariant held" : `${broken} with broken invariants`}`,
        ok: broken === 0,
      };
    },
  }),
);
