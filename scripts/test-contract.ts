// pnpm test:contract [--name NAME] [--start [--env dev]] [--direct] [--runtime R] [--report DIR]
// Exercises every OpenAPI operation of the four services against a running environment (or, with
// --start, one it brings up and removes afterwards), through the gateway (its LoadBalancer) unless
// --direct, and validates every response against the committed documents; through the gateway it
// also checks the gateway's own answers (tokens, routes, limits, a backend that stops answering).
// Writes reports/contract-<time>/summary.json (or into --report DIR); exits 1 on any violation or
// on an operation no call reached.
import { join } from "node:path";
import { parseFlags } from "../src/cli/flags.ts";
import { runMain } from "../src/cli/main.ts";
import { runGatewayChecks } from "../src/contract/gateway-checks.ts";
import { type ContractSummary, contractSummary, writeContractReport } from "../src/contract/report.ts";
import { NOT_ROUTED, runContractSuite, SERVICES, type Service } from "../src/contract/suite.ts";
import { LOAD_BALANCER_PREFIX } from "../src/env/endpoints.ts";
import { readEnvState } from "../src/env/state.ts";
import { withSuiteEnvironment } from "../src/env/suite-target.ts";
import { UserError } from "../src/errors.ts";
import { checkApiDefinitions, gatewayWaits } from "../src/gateway/api-definition.ts";
import { kindDir } from "../src/paths.ts";
import { REPORT_FLAG, suiteReportDir } from "../src/reports.ts";
import { RUNTIME_FLAG } from "../src/runtimes/index.ts";

const mark = (ok: boolean) => (ok ? "✔" : "✘");

await runMain(async () => {
  const { values } = parseFlags("test:contract", process.argv.slice(2), {
    name: { type: "string" },
    start: { type: "boolean", default: false },
    env: { type: "string", default: "dev" },
    direct: { type: "boolean", default: false },
    ...RUNTIME_FLAG,
    ...REPORT_FLAG,
  });
  await withSuiteEnvironment(values, { prefix: "contract", defaultEnv: "dev" }, async ({ name, env }) => {
    const gateway = Object.entries(env.endpoints).find(([key]) => key.startsWith(LOAD_BALANCER_PREFIX))?.[1];
    if (!values.direct && !gateway)
      throw new UserError(
        `environment '${name}' has no gateway (no LoadBalancer Service)`,
        "Pass --direct to call each service on its own port.",
      );
    const targets = {} as Record<Service, string>;
    for (const service of SERVICES) {
      const url = values.direct ? env.endpoints[service] : `${gateway}/api`;
      if (!url) throw new UserError(`environment '${name}' records no URL for ${service}`);
      targets[service] = url;
    }
    const route = values.direct ? "direct" : "gateway";
    const startedAt = new Date();
    console.log(
      `contract suite against environment '${name}' ${values.direct ? "direct to each service" : `through the gateway ${gateway} (not routed there, so not called: ${[...NOT_ROUTED].join(", ")})`}`,
    );
    const report = await runContractSuite(
      targets,
      (c) =>
        console.log(
          `${mark(c.problems.length === 0)} ${c.service.padEnd(18)} ${c.method.padEnd(6)} ${c.url} -> ${c.status || "no answer"} (${c.ms.toFixed(0)} ms)${c.problems.map((p) => `\n    ${p}`).join("")}`,
        ),
      route,
    );
    for (const { service, operation } of report.uncovered)
      console.log(`✘ ${service}: ${operation.method} ${operation.template} was not exercised`);
    const failed = report.calls.filter((c) => c.problems.length > 0).length;
    console.log(
      `${report.calls.length} calls over ${SERVICES.length} services: ${failed === 0 && report.uncovered.length === 0 ? "every operation exercised, every response conforms" : `${failed} violation(s), ${report.uncovered.length} operation(s) not exercised`}`,
    );
    let gatewayFailed = 0;
    let gatewayResults: ContractSummary["gateway"];
    if (gateway && !values.direct) {
      console.log(`the gateway's own answers (${gateway})`);
      const pods = await env.pods();
      // Environments run the gateway configuration of kind/base/gateway (prepareEnvironment).
      const waits = gatewayWaits(checkApiDefinitions(join(kindDir(), "base", "gateway")), "/api/users");
      const { checks, skipped } = await runGatewayChecks(
        {
          gateway,
          upstreamTimeoutMs: waits.upstreamMs,
          sessionCheckTimeoutMs: waits.sessionCheckMs,
          signingSecret: readEnvState(name)?.secrets["session-service-jwt"]?.JWT_SECRET,
          // Every replica: with one left, the Service routes to it and the workload still answers.
          outage: async (workload) => {
            const paused = pods.filter((p) => p.workload === workload).map((p) => p.pod);
            if (paused.length === 0) return undefined;
            return {
              stop: async () => {
                for (const pod of paused) await env.faults.pause(pod);
              },
              start: async () => {
                for (const pod of paused) await env.faults.resume(pod);
              },
            };
          },
        },
        (c) =>
          console.log(
            `${mark(c.problems.length === 0)} ${c.check.padEnd(46)} ${c.method.padEnd(6)} ${c.path} -> ${c.status || "no answer"} (${c.ms.toFixed(0)} ms${c.note ? `; ${c.note}` : ""})${c.problems.map((p) => `\n    ${p}`).join("")}`,
          ),
      );
      for (const reason of skipped) console.log(`- skipped: ${reason}`);
      gatewayResults = { checks, skipped };
      gatewayFailed = checks.filter((c) => c.problems.length > 0).length;
      console.log(
        `${checks.length} gateway checks: ${gatewayFailed === 0 ? "all as expected" : `${gatewayFailed} failed`}`,
      );
    }
    const dir = suiteReportDir(values.report, "contract", startedAt);
    writeContractReport(
      dir,
      contractSummary({ environment: name, startedAt, route }, report, gatewayResults),
    );
    console.log(`report: ${dir}`);
    if (failed > 0 || report.uncovered.length > 0 || gatewayFailed > 0) process.exitCode = 1;
  });
});
