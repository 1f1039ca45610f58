// pnpm bench:chaos [--name NAME | --start [--env nightly]] [--runs 5] [--experiment NAME]... [--rate 20]
// Every chaos experiment --runs times against the nightly environment (brought up with --start and
// removed afterwards), under the ledger workload, then per experiment: median and max time to
// recovery, acknowledged writes lost, error answers by status, each next to its target (Postgres
// primary and Redis master failover <= 10 s, 0 acknowledged writes lost, 0 answers 500). Writes
// the same report as test:chaos; exits 1 when a target or an invariant was missed.

import { chaosCommand } from "../src/chaos/command.ts";
import { figures, figuresTable } from "../src/chaos/figures.ts";
import { runMain } from "../src/cli/main.ts";

await runMain(() =>
  chaosCommand("bench:chaos", process.argv.slice(2), {
    defaultRuns: 5,
    prefix: "chaos-bench",
    verdict: (results, chosen) => {
      const all = chosen.map((e) =>
        figures(
          e.name,
          results.filter((r) => r.experiment === e.name),
        ),
      );
      return {
        text: `\n${figuresTable(all)}\n`,
        ok: all.every((f) => f.missed.length === 0 && f.brokenRuns === 0),
      };
    },
  }),
);
