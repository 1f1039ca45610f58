// pnpm env:snapshot NAME [--force] [--delete] | env:restore NAME | env:snapshots   [--name ENV] [--runtime R]
// Fast dev snapshots of an environment's application database (src/db/snapshots.ts): save it,
// bring it back, list what is saved.
import { parseFlags } from "../src/cli/flags.ts";
import { runMain } from "../src/cli/main.ts";
import { humanBytes, printTable } from "../src/cli/table.ts";
import { primaryPsql } from "../src/db/psql.ts";
import { checkSnapshotName, dbSnapshots, snapshotTargetOf } from "../src/db/snapshots.ts";
import { checkEnvName } from "../src/env/names.ts";
import { UserError } from "../src/errors.ts";
import { chooseRuntime, RUNTIME_FLAG } from "../src/runtimes/index.ts";

const [operation = "", ...argv] = process.argv.slice(2);
const seconds = (began: number) => `${((performance.now() - began) / 1000).toFixed(1)} s`;

await runMain(async () => {
  const command = `env:${operation}`;
  if (!["snapshot", "restore", "snapshots"].includes(operation))
    throw new UserError(`env: unknown operation '${operation}'`, "expected snapshot, restore or snapshots");
  const { values, positionals } = parseFlags(
    command,
    argv,
    {
      name: { type: "string", default: "dev" },
      ...(operation === "snapshot" ? { force: { type: "boolean" }, delete: { type: "boolean" } } : {}),
      ...RUNTIME_FLAG,
    },
    { positionals: operation !== "snapshots" },
  );
  if (positionals.length > 1)
    throw new UserError(`${command}: one snapshot NAME expected, got ${positionals.join(" ")}`);
  const env = checkEnvName(values.name ?? "dev");
  const handle = await chooseRuntime(values.runtime, { name: env }).open(env);
  if (!handle.endpoints.postgres) throw new UserError(`environment '${env}' has no database`);
  const snapshots = dbSnapshots(primaryPsql(handle), snapshotTargetOf(handle.endpoints.postgres));

  if (operation === "snapshots") {
    const all = await snapshots.list();
    if (all.length === 0) {
      console.log(
        `environment '${env}' has no snapshots; take one with \`pnpm env:snapshot NAME --name ${env}\``,
      );
      return;
    }
    printTable(
      ["SNAPSHOT", "DATABASE", "TAKEN", "SIZE"],
      all.map((s) => [s.name, s.of, s.takenAt, humanBytes(s.bytes)]),
    );
    return;
  }

  const name = checkSnapshotName(positionals[0], `${command} NAME`);
  const flags = values as { force?: boolean; delete?: boolean };
  const began = performance.now();
  if (flags.delete) {
    await snapshots.remove(name);
    console.log(`deleted snapshot '${name}' of environment '${env}'`);
  } else if (operation === "snapshot") {
    const snapshot = await snapshots.take(name, { replace: flags.force });
    console.log(
      `took snapshot '${name}' of database '${snapshot.of}' in environment '${env}' (${humanBytes(snapshot.bytes)}) in ${seconds(began)}`,
    );
  } else {
    await snapshots.restore(name);
    console.log(`restored environment '${env}' to snapshot '${name}' in ${seconds(began)}`);
  }
});
