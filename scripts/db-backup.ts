// pnpm db:backup [--name ENV] | db:backups [--delete ENV] | db:restore [--name ENV] [--to TIME] [--into NAME] [--force]
// Production's backups on one machine (a Cluster's spec.backup, switched on by the backups
// component): a base backup now, the backups of every environment (they outlive it), and a
// point-in-time restore into a new environment.
import { parseFlags } from "../src/cli/flags.ts";
import { runMain } from "../src/cli/main.ts";
import { humanBytes, printTable } from "../src/cli/table.ts";
import { checkEnvName } from "../src/env/names.ts";
import { UserError } from "../src/errors.ts";
import { chooseRuntime, RUNTIME_FLAG } from "../src/runtimes/index.ts";

const [operation = "", ...argv] = process.argv.slice(2);
const OPERATIONS = ["backup", "backups", "restore"];

/** --to: any time Date reads with a zone (ISO 8601 or RFC 2822); one without is taken as UTC. */
function parseTime(value: string): Date {
  const withZone = /(Z|[+-]\d\d(:?\d\d)?)$/i.test(value.trim()) ? value : `${value}Z`;
  const at = new Date(withZone.replace(" ", "T"));
  if (Number.isNaN(at.getTime()))
    throw new UserError(
      `--to: '${value}' is not a time`,
      "expected e.g. 2026-12-02T08:30:00Z or '2026-12-02 08:30:00' (UTC)",
    );
  return at;
}

await runMain(async () => {
  const command = `db:${operation}`;
  if (!OPERATIONS.includes(operation))
    throw new UserError(`db: unknown operation '${operation}'`, `expected ${OPERATIONS.join(", ")}`);
  const { values } = parseFlags(command, argv, {
    ...(operation === "backups"
      ? { delete: { type: "string" } }
      : { name: { type: "string", default: "dev" } }),
    ...(operation === "restore"
      ? { to: { type: "string" }, into: { type: "string" }, force: { type: "boolean" } }
      : {}),
    ...RUNTIME_FLAG,
  });
  const flags = values as { name?: string; delete?: string; to?: string; into?: string; force?: boolean };
  const name = checkEnvName(flags.name ?? "dev");
  const { backups } = chooseRuntime(values.runtime, { name });
  const began = performance.now();
  const seconds = () => `${((performance.now() - began) / 1000).toFixed(1)} s`;

  if (operation === "backup") {
    const backup = await backups.take(name);
    console.log(
      `backed up environment '${name}': ${backup.label} (${backup.type}), ${humanBytes(backup.bytes)} in the repository for a ${humanBytes(backup.databaseBytes)} database, in ${seconds()}`,
    );
  } else if (operation === "backups") {
    if (flags.delete !== undefined) {
      const env = checkEnvName(flags.delete);
      await backups.remove(env);
      console.log(`deleted the backups of environment '${env}'`);
      return;
    }
    const repositories = await backups.list();
    if (repositories.length === 0) {
      console.log("no environment has backups; bring one up with `--with backups` and run `pnpm db:backup`");
      return;
    }
    printTable(
      ["ENVIRONMENT", "BACKUP", "TYPE", "STARTED", "TOOK", "SIZE", "DATABASE", "WAL ARCHIVED"],
      repositories.flatMap((r) => {
        const wal = r.wal ? `${r.wal.first}..${r.wal.last}` : "none";
        if (r.backups.length === 0) return [[r.env, "(none yet)", "", "", "", "", "", wal]];
        return r.backups.map((b) => [
          r.env,
          b.label,
          b.type,
          b.startedAt,
          `${(Date.parse(b.stoppedAt) - Date.parse(b.startedAt)) / 1000} s`,
          humanBytes(b.bytes),
          humanBytes(b.databaseBytes),
          wal,
        ]);
      }),
    );
  } else {
    const into = checkEnvName(flags.into ?? `${name}-restored`);
    const to = flags.to === undefined ? undefined : parseTime(flags.to);
    console.log(
      `restoring environment '${name}' ${to ? `to ${to.toISOString()}` : "to its latest archived write"} into '${into}'`,
    );
    const result = await backups.restore({
      from: name,
      into,
      to,
      force: flags.force ?? false,
      progress: (line) => console.log(`  ${line}`),
    });
    console.log(
      `restored into environment '${into}' in ${seconds()} (recovery ${result.recoverySeconds.toFixed(1)} s, up ${result.upSeconds.toFixed(1)} s)`,
    );
    console.log(`  postgres  ${result.state.endpoints.postgres ?? "-"}`);
    console.log(`  stop with pnpm dev:down --name ${into}`);
  }
});
