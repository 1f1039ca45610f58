import type { RunResult } from "../../src/chaos/run.ts";

/** Two runs as `test:chaos` records them (one held, one broken), for the report's tests. */
export const sampleRuns: RunResult[] = [
  {
    experiment: "postgres-primary-killed",
    run: 1,
    targets: ["the current primary"],
    faultAt: 5_000,
    removedAt: 20_000,
    recoveredAt: 14_200,
    recoveryMs: 9_200,
    verdict: { acknowledged: 120, lost: [], duplicates: [], byStatus: { "201": 120, "503": 30 } },
    violations: [],
    errors: { "503 service": 20, "503 gateway": 10 },
    timeline: [
      { at: 4_800, ok: 2, failed: 0 },
      { at: 5_100, ok: 0, failed: 2 },
      { at: 5_200, ok: 1, failed: 1 },
    ],
  },
  {
    experiment: "redis-master-killed",
    run: 2,
    targets: ["azora/redis-0"],
    faultAt: 4_000,
    removedAt: 4_000,
    verdict: { acknowledged: 80, lost: ["u1"], duplicates: [], byStatus: { "201": 80 } },
    violations: ["1 of 3 sessions <script> no longer validate"],
    errors: {},
    timeline: [{ at: 3_900, ok: 1, failed: 0 }],
  },
];
