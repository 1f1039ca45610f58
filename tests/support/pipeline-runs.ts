import { mkdirSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { writeChaosReport } from "../../src/chaos/report.ts";
import { type ContractSummary, writeContractReport } from "../../src/contract/report.ts";
import { writeLoadReport } from "../../src/load/report.ts";
import { type PolicySummary, writePolicyReport } from "../../src/netpol/probe-report.ts";
import type { SuiteResult } from "../../src/pipeline/suites.ts";
import { sampleRuns } from "./chaos-runs.ts";
import { sampleSummary, sampleTimeline } from "./load-runs.ts";

/** What a contract run writes: POST /users answered as documented twice, a GET off its document, an operation never reached. */
export const sampleContract: ContractSummary = {
  environment: "nightly",
  startedAt: "2026-12-01T20:00:00.000Z",
  route: "gateway",
  calls: [
    {
      service: "user-service",
      method: "POST",
      url: "/users",
      expected: 201,
      status: 201,
      ms: 12,
      problems: [],
      operation: "POST /users",
    },
    {
      service: "user-service",
      method: "POST",
      url: "/users",
      expected: 409,
      status: 409,
      ms: 8,
      problems: [],
      operation: "POST /users",
    },
    {
      service: "user-service",
      method: "GET",
      url: "/users/42",
      expected: 200,
      status: 200,
      ms: 30,
      problems: ["GET /users/42: body.email is missing"],
      operation: "GET /users/{id}",
    },
  ],
  // As the suite records it: an operation whose only call answered wrongly is not exercised either.
  uncovered: [
    { service: "user-service", operation: "GET /users/{id}" },
    { service: "course-service", operation: "DELETE /courses/{id}" },
  ],
  gateway: {
    checks: [
      {
        check: "no token is refused",
        method: "GET",
        path: "/api/users",
        expected: [401],
        status: 401,
        ms: 3,
        problems: [],
      },
    ],
    skipped: [],
  },
};

/** What a policy run writes: three pods, one pair reachable that the policies deny. */
export const samplePolicy: PolicySummary = {
  environment: "nightly",
  startedAt: "2026-12-01T20:01:00.000Z",
  seconds: 4.2,
  pods: 3,
  observations: [
    {
      from: "azora/user-service-1",
      to: "azora/azora-db-1",
      protocol: "TCP",
      port: 5432,
      expected: true,
      outcome: "open",
      reached: true,
    },
    {
      from: "azora/user-service-1",
      to: "azora/redis-0",
      protocol: "TCP",
      port: 6379,
      expected: true,
      outcome: "open",
      reached: true,
    },
    {
      from: "azora/azora-db-1",
      to: "azora/user-service-1",
      protocol: "TCP",
      port: 8080,
      expected: false,
      outcome: "timeout",
      reached: false,
    },
    {
      from: "azora/redis-0",
      to: "azora/azora-db-1",
      protocol: "TCP",
      port: 5432,
      expected: false,
      outcome: "open",
      reached: true,
    },
  ],
  problems: [],
};

/**
 * A pipeline run's folder as the four suites leave it (each through its own writer), and the
 * results the pipeline kept of them: contract, policy and chaos failed, load passed.
 */
export function sampleRunFolder(): { dir: string; results: SuiteResult[] } {
  const dir = mkdtempSync(join(tmpdir(), "devstack-run-"));
  const folder = (suite: string) => {
    const path = join(dir, suite);
    mkdirSync(path);
    return path;
  };
  writeContractReport(folder("contract"), sampleContract);
  writePolicyReport(folder("policy"), samplePolicy);
  writeChaosReport(folder("chaos"), "nightly", sampleRuns, new Date("2026-12-01T20:02:00.000Z"));
  writeLoadReport(folder("load"), sampleSummary, sampleTimeline);
  const result = (suite: SuiteResult["suite"], ok: boolean, seconds: number): SuiteResult => ({
    suite,
    command: `pnpm test:${suite} --name nightly --report ${join(dir, suite)}`,
    ok,
    exitCode: ok ? 0 : 1,
    seconds,
    report: join(dir, suite),
    tail: ok ? ["done"] : [`${suite} failed`],
  });
  return {
    dir,
    results: [
      result("contract", false, 31.46),
      result("policy", false, 9.5),
      result("chaos", false, 120),
      result("load", true, 60.04),
    ],
  };
}
