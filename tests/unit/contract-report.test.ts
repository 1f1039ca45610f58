import { describe, expect, it } from "vitest";
import {
  type ContractSummary,
  contractFailures,
  contractSection,
  contractSummary,
  neverCalled,
} from "../../src/contract/report.ts";

// The contract suite's report, pinned as written: a page reader trusts its verdicts.

const call = (operation: string | undefined, status: number, ms: number, problems: string[] = []) => ({
  service: "user-service" as const,
  method: "GET",
  url: "http://u.test/users/1",
  expected: 200,
  status,
  ms,
  problems,
  ...(operation ? { operation } : {}),
});

const summary: ContractSummary = {
  environment: "pr",
  startedAt: "2026-12-04T00:00:00.000Z",
  route: "gateway",
  calls: [
    call("GET /users/{id}", 200, 4),
    call("GET /users/{id}", 404, 8),
    call("GET /users", 0, 30, ["no answer", "retried: no answer"]),
    call(undefined, 500, 2, ["undocumented <answer>"]),
  ],
  uncovered: [
    { service: "user-service", operation: "GET /users" },
    { service: "user-service", operation: "DELETE /users/{id}" },
  ],
  gateway: {
    checks: [
      {
        check: "no token",
        method: "GET",
        path: "/api/users",
        expected: [400, 401],
        status: 401,
        ms: 3.4,
        problems: [],
      },
      {
        check: "the per-user rate limit",
        method: "GET",
        path: "/api/courses",
        expected: [429],
        status: 429,
        ms: 1,
        problems: [],
        note: "after 250 requests",
      },
      {
        check: "a backend that does not answer",
        method: "GET",
        path: "/api/enrollments",
        expected: [503],
        status: 0,
        ms: 7000,
        problems: ["answered late", "no answer"],
      },
    ],
    skipped: ["an expired token: no signing secret given", "the rate limit: told to skip it"],
  },
};

describe("the contract report", () => {
  it("counts failed calls and checks, and operations never called apart from those called wrongly", () => {
    expect(neverCalled(summary)).toEqual([{ service: "user-service", operation: "DELETE /users/{id}" }]);
    expect(contractFailures(summary)).toBe(3);
    expect(contractFailures({ ...summary, gateway: undefined })).toBe(2);
  });

  it("writes the section as pinned here", () => {
    expect(
      contractSection(summary).html,
    ).toBe(`<p id="contract-verdict">4 calls through the gateway: 4 failure(s).</p>
<table id="contract-operations"><thead><tr><th>service</th><th>operation</th><th>calls</th><th>statuses</th><th>median ms</th><th>verdict</th></tr></thead>
<tbody>
<tr class="held"><td>user-service</td><td>GET /users/{id}</td><td>2</td><td>200, 404</td><td>6</td><td>conforms</td></tr>
<tr class="failed"><td>user-service</td><td>GET /users</td><td>1</td><td>no answer</td><td>30</td><td>failed: no answer; retried: no answer</td></tr>
<tr class="failed"><td>user-service</td><td>GET http://u.test/users/1 (undocumented)</td><td>1</td><td>500</td><td>2</td><td>failed: undocumented &lt;answer&gt;</td></tr>
<tr class="failed"><td>user-service</td><td>DELETE /users/{id}</td><td>0</td><td>-</td><td>-</td><td>failed: not exercised</td></tr>
</tbody></table>
<h3>The gateway's own answers</h3>
<table id="gateway-checks"><thead><tr><th>check</th><th>request</th><th>expected</th><th>status</th><th>ms</th><th>verdict</th></tr></thead>
<tbody>
<tr class="held"><td>no token</td><td>GET /api/users</td><td>400 or 401</td><td>401</td><td>3</td><td>ok</td></tr>
<tr class="held"><td>the per-user rate limit</td><td>GET /api/courses</td><td>429</td><td>429</td><td>1</td><td>ok (after 250 requests)</td></tr>
<tr class="failed"><td>a backend that does not answer</td><td>GET /api/enrollments</td><td>503</td><td>no answer</td><td>7000</td><td>failed: answered late; no answer</td></tr>
</tbody></table><p>Skipped: an expired token: no signing secret given</p>
<p>Skipped: the rate limit: told to skip it</p>`);
    // A section with nothing to run in the page.
    expect(contractSection(summary).script).toBe("");
  });

  it("says when everything held, direct, and writes no gateway part without checks", () => {
    const clean: ContractSummary = {
      ...summary,
      route: "direct",
      calls: [summary.calls[0] as never],
      uncovered: [],
    };
    delete clean.gateway;
    expect(
      contractSection(clean).html,
    ).toBe(`<p id="contract-verdict">1 calls direct to each service: every operation exercised, every response as documented.</p>
<table id="contract-operations"><thead><tr><th>service</th><th>operation</th><th>calls</th><th>statuses</th><th>median ms</th><th>verdict</th></tr></thead>
<tbody>
<tr class="held"><td>user-service</td><td>GET /users/{id}</td><td>1</td><td>200</td><td>4</td><td>conforms</td></tr>
</tbody></table>
`);
  });

  it("summarises a run: the time as ISO, operations as METHOD /template, the gateway only when given", () => {
    const report = {
      calls: [],
      uncovered: [
        { service: "user-service" as const, operation: { method: "GET", template: "/users" } as never },
      ],
    };
    const run = { environment: "dev", startedAt: new Date(Date.UTC(2026, 11, 4)), route: "direct" as const };
    expect(contractSummary(run, report)).toEqual({
      environment: "dev",
      startedAt: "2026-12-04T00:00:00.000Z",
      route: "direct",
      calls: [],
      uncovered: [{ service: "user-service", operation: "GET /users" }],
    });
    expect(contractSummary(run, report, { checks: [], skipped: ["x"] }).gateway).toEqual({
      checks: [],
      skipped: ["x"],
    });
  });
});
