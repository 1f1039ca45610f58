import { escapeHtml, htmlTable, type ReportSection } from "../html.ts";
import { writeJson } from "../reports.ts";
import { median } from "../stats.ts";
import type { GatewayCheck } from "./gateway-checks.ts";
import type { Call, ContractReport, Route } from "./suite.ts";

/** What `test:contract` writes as its report's summary.json. */
export interface ContractSummary {
  environment: string;
  startedAt: string;
  route: Route;
  calls: Call[];
  /** Documented operations no call exercised, `METHOD /template` by service. */
  uncovered: { service: string; operation: string }[];
  /** The gateway's own answers, when the suite went through it. */
  gateway?: { checks: GatewayCheck[]; skipped: string[] };
}

export const contractSummary = (
  run: { environment: string; startedAt: Date; route: Route },
  report: ContractReport,
  gateway?: ContractSummary["gateway"],
): ContractSummary => ({
  environment: run.environment,
  startedAt: run.startedAt.toISOString(),
  route: run.route,
  calls: report.calls,
  uncovered: report.uncovered.map(({ service, operation }) => ({
    service,
    operation: `${operation.method} ${operation.template}`,
  })),
  ...(gateway ? { gateway } : {}),
});

export const writeContractReport = (dir: string, summary: ContractSummary) =>
  writeJson(dir, "summary.json", summary);

/**
 * Documented operations no call reached. (The suite's `uncovered` also holds those a call reached
 * but that answered wrongly: their failed calls already say so.)
 */
export const neverCalled = (summary: ContractSummary) => {
  const called = new Set(summary.calls.map((c) => `${c.service} ${c.operation}`));
  return summary.uncovered.filter((u) => !called.has(`${u.service} ${u.operation}`));
};

/** Calls and checks that went wrong: a response off its document, an unexpected status, no answer. */
export const contractFailures = (summary: ContractSummary) =>
  summary.calls.filter((c) => c.problems.length > 0).length +
  (summary.gateway?.checks.filter((c) => c.problems.length > 0).length ?? 0);

/**
 * One row per documented operation the suite called (service, operation, calls, statuses seen,
 * median ms, verdict), then one per operation it never exercised.
 */
export function operationRows(summary: ContractSummary): string[][] {
  const byOperation = new Map<string, Call[]>();
  for (const call of summary.calls) {
    const key = `${call.service}\u0000${call.operation ?? `${call.method} ${call.url} (undocumented)`}`;
    byOperation.set(key, [...(byOperation.get(key) ?? []), call]);
  }
  const rows = [...byOperation.entries()].map(([key, calls]) => {
    const [service = "", operation = ""] = key.split("\u0000");
    const problems = calls.flatMap((c) => c.problems);
    return [
      service,
      operation,
      String(calls.length),
      [...new Set(calls.map((c) => c.status || "no answer"))].join(", "),
      median(calls.map((c) => c.ms)).toFixed(0),
      problems.length === 0 ? "conforms" : `failed: ${problems.join("; ")}`,
    ];
  });
  return [
    ...rows,
    ...neverCalled(summary).map((u) => [u.service, u.operation, "0", "-", "-", "failed: not exercised"]),
  ];
}

/** The contract suite as a report section: per operation, then the gateway's own answers. */
export function contractSection(summary: ContractSummary): ReportSection {
  const rows = operationRows(summary);
  const checks = summary.gateway?.checks ?? [];
  const failures = contractFailures(summary) + neverCalled(summary).length;
  const html = `<p id="contract-verdict">${summary.calls.length} calls ${summary.route === "gateway" ? "through the gateway" : "direct to each service"}: ${failures === 0 ? "every operation exercised, every response as documented" : `${failures} failure(s)`}.</p>
${htmlTable("contract-operations", ["service", "operation", "calls", "statuses", "median ms", "verdict"], rows, (i) => (rows[i]?.[5] === "conforms" ? "held" : "failed"))}
${
  checks.length > 0
    ? `<h3>The gateway's own answers</h3>
${htmlTable(
  "gateway-checks",
  ["check", "request", "expected", "status", "ms", "verdict"],
  checks.map((c) => [
    c.check,
    `${c.method} ${c.path}`,
    c.expected.join(" or "),
    String(c.status || "no answer"),
    c.ms.toFixed(0),
    c.problems.length === 0 ? `ok${c.note ? ` (${c.note})` : ""}` : `failed: ${c.problems.join("; ")}`,
  ]),
  (i) => (checks[i]?.problems.length === 0 ? "held" : "failed"),
)}`
    : ""
}${(summary.gateway?.skipped ?? []).map((s) => `<p>Skipped: ${escapeHtml(s)}</p>`).join("\n")}`;
  return { html, script: "" };
}
