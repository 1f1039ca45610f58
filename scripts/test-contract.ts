// pnpm test:contract [--name NAME] [--start] [--env dev]
// Exercises every OpenAPI operation of the four services against a running environment (or, with
// --start, one it brings up and removes afterwards) and validates every response against the
// committed documents. Exits 1 on any violation or on an operation no call reached.
// There is no gateway yet (see images/tyk/README.md): calls go to each service's published port.
import { parseFlags } from "../src/cli/flags.ts";
import { runMain } from "../src/cli/main.ts";
import { loadEnvFile } from "../src/config/env-file.ts";
import { runContractSuite, SERVICES, type Service } from "../src/contract/suite.ts";
import { checkEnvName } from "../src/env/names.ts";
import { readEnvState } from "../src/env/state.ts";
import { UserError } from "../src/errors.ts";
import { chooseRuntime, RUNTIME_FLAG } from "../src/runtimes/index.ts";

await runMain(async () => {
  const { values } = parseFlags("test:contract", process.argv.slice(2), {
    name: { type: "string" },
    start: { type: "boolean", default: false },
    env: { type: "string", default: "dev" },
    ...RUNTIME_FLAG,
  });
  const name = checkEnvName(values.name ?? (values.start ? `contract-${process.pid}` : "dev"));
  const envFile = values.start ? loadEnvFile(values.env ?? "dev") : undefined;
  const runtime = chooseRuntime(values.runtime, { envFile, name });
  let started = false;
  try {
    if (envFile && readEnvState(name)?.status !== "ready") {
      console.log(`starting environment '${name}' (env ${envFile.name}) on ${runtime.name}`);
      await runtime.up({ name, envFile, progress: (line) => console.log(`  ${line}`) });
      started = true;
    }
    const { endpoints } = await runtime.open(name);
    const targets = {} as Record<Service, string>;
    for (const service of SERVICES) {
      const url = endpoints[service];
      if (!url) throw new UserError(`environment '${name}' records no URL for ${service}`);
      targets[service] = url;
    }
    console.log(`contract suite against environment '${name}' (direct to each service: no gateway yet)`);
    const report = await runContractSuite(targets, (c) =>
      console.log(
        `${c.problems.length === 0 ? "✔" : "✘"} ${c.service.padEnd(18)} ${c.method.padEnd(6)} ${c.url} -> ${c.status || "no answer"} (${c.ms.toFixed(0)} ms)${c.problems.map((p) => `\n    ${p}`).join("")}`,
      ),
    );
    for (const { service, operation } of report.uncovered)
      console.log(`✘ ${service}: ${operation.method} ${operation.template} was not exercised`);
    const failed = report.calls.filter((c) => c.problems.length > 0).length;
    const operations = SERVICES.length;
    console.log(
      `${report.calls.length} calls over ${operations} services: ${failed === 0 && report.uncovered.length === 0 ? "every operation exercised, every response conforms" : `${failed} violation(s), ${report.uncovered.length} operation(s) not exercised`}`,
    );
    if (failed > 0 || report.uncovered.length > 0) process.exitCode = 1;
  } finally {
    if (started) await runtime.down(name);
  }
});
