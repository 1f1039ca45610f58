import { describe, expect, it } from "vitest";
import { computeReachability } from "../../src/netpol/engine.ts";
import { syntheticCluster } from "../../src/netpol/synthetic.ts";

// The size a benchmark will time (200 workloads × 500 policies). Only completeness is checked here:
// no timing assertion in unit tests.
describe("engine at scale", () => {
  it("computes the full matrix of 200 workloads under 500 policies", () => {
    const { namespaces, pods, policies } = syntheticCluster(200, 500);
    const matrix = computeReachability({ namespaces, pods, policies });
    expect(matrix.pods).toHaveLength(200);
    expect(matrix.size).toBe(200 * 200 * 3);
    let count = 0;
    let allowed = 0;
    for (const entry of matrix.entries()) {
      count++;
      if (entry.allowed) allowed++;
    }
    expect(count).toBe(200 * 200 * 3);
    // Neither everything nor nothing: the policies do select and do allow.
    expect(allowed).toBeGreaterThan(0);
    expect(allowed).toBeLessThan(count);
  });
});
