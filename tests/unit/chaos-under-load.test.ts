import { describe, expect, it } from "vitest";
import { attribute, describeLoad } from "../../src/chaos/under-load.ts";
import type { RequestRecord } from "../../src/load/summarize.ts";

const r = (at: number, status: number, ms = 10, flow = "browse"): RequestRecord => ({
  at,
  flow,
  step: "list-courses",
  status,
  ms,
  failed: status !== 200,
});

describe("a load scenario under a chaos run", () => {
  it("splits its requests at the fault and at recovery, on the ledger's clock, leaving the setup out", () => {
    // The load started 1 s before the ledger: its 1 000 ms is the ledger's 0.
    const outcome = {
      origin: 5_000,
      records: [
        r(100, 201, 500, "setup"),
        r(1_500, 200),
        r(4_100, 503),
        r(4_900, 0, 10_000),
        r(6_200, 503),
        r(9_000, 200, 30),
      ],
    };
    const load = attribute("browse", outcome, 6_000, {
      faultAt: 3_000,
      removedAt: 5_000,
      recoveredAt: 5_500,
    });
    expect(load).toEqual({
      scenario: "browse",
      before: { requests: 1, failed: 0, p95: 10, failures: {} },
      fault: { requests: 3, failed: 3, p95: 9_001, failures: { "0": 1, "503": 2 } },
      after: { requests: 1, failed: 0, p95: 30, failures: {} },
    });
    expect(describeLoad(load)).toBe(
      "under load (browse): before the fault 1 sent, 0 failed, p95 10 ms; fault to recovery 3 sent, 3 failed (1 x 0, 2 x 503), p95 9001 ms; after 1 sent, 0 failed, p95 30 ms",
    );
    // No recovery: the window ends with the fault's removal.
    expect(attribute("browse", outcome, 6_000, { faultAt: 3_000, removedAt: 4_000 }).fault.requests).toBe(2);
  });
});
