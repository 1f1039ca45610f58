// pnpm db:status | db:switchover [--to MEMBER] | db:failover --to MEMBER   [--name NAME] [--runtime R]
// The environment's PostgreSQL cluster as `kubectl cnpg status` shows it (members, role, timeline,
// lag, sync state), a planned switchover, and a failover (CNPG's `promote`), each verified by
// reading the new state back.
import { parseFlags } from "../src/cli/flags.ts";
import { runMain } from "../src/cli/main.ts";
import { printTable } from "../src/cli/table.ts";
import { checkEnvName } from "../src/env/names.ts";
import { UserError } from "../src/errors.ts";
import { chooseRuntime, RUNTIME_FLAG } from "../src/runtimes/index.ts";

const [operation = "", ...argv] = process.argv.slice(2);
await runMain(async () => {
  const command = `db:${operation}`;
  if (!["status", "switchover", "failover"].includes(operation))
    throw new UserError(`db: unknown operation '${operation}'`, "expected status, switchover or failover");
  const { values } = parseFlags(command, argv, {
    name: { type: "string", default: "dev" },
    ...(operation === "status" ? {} : { to: { type: "string" } }),
    ...RUNTIME_FLAG,
  });
  const name = checkEnvName(values.name ?? "dev");
  const { database } = await chooseRuntime(values.runtime, { name }).open(name);
  const to = (values as { to?: string }).to;
  if (operation === "switchover") {
    const began = performance.now();
    const primary = await database.switchover(to);
    console.log(
      `switched over: ${primary} is the primary (${((performance.now() - began) / 1000).toFixed(1)}s)`,
    );
  } else if (operation === "failover") {
    if (!to) throw new UserError("db:failover: --to MEMBER is required (the replica to promote)");
    const began = performance.now();
    const primary = await database.failover(to);
    console.log(
      `failed over: ${primary} is the primary (${((performance.now() - began) / 1000).toFixed(1)}s)`,
    );
  }
  const members = await database.members();
  printTable(
    ["MEMBER", "ROLE", "STATE", "TIMELINE", "LAG (MB)", "SYNC"],
    members.map((m) => [
      m.name,
      m.role,
      m.state,
      String(m.timeline),
      m.lagMb === undefined ? "?" : String(m.lagMb),
      m.role === "primary" ? "-" : (m.sync ?? "?"),
    ]),
  );
  const primaries = members.filter((m) => m.role === "primary");
  if (primaries.length !== 1) {
    console.log(`${primaries.length} primaries: expected exactly one`);
    process.exitCode = 1;
  }
});
