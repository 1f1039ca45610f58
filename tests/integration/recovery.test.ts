import { readFileSync } from "node:fs";
import { join } from "node:path";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { docker, dockerMaybe } from "../../src/docker/cli.ts";
import { runScript } from "../support/cli.ts";
import { testEnvironment } from "../support/environment.ts";

// Backups live: an environment with the backups component archives its WAL with pgBackRest, its
// supervisor takes the ScheduledBackup's backups, and the recovery drill restores a backup to a
// point in time into a new environment and finds exactly the writes acknowledged before it. The
// backups outlive the environment until deleted.

const { name, env, stateDir } = testEnvironment("rec");
const repository = (of: string) => dockerMaybe(["volume", "inspect", `azora-backups-${of}`]);
/** The database URL a command printed (`postgres  postgresql://...`). */
const postgresUrlIn = (stdout: string) => /postgres\s+(postgresql:\/\/\S+)/.exec(stdout)?.[1] ?? "";
async function sql(url: string, text: string): Promise<unknown[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(text)).rows;
  } finally {
    await client.end();
  }
}
let postgresUrl = "";

afterAll(async () => {
  // Whatever a failed test left: the environment, then the backups it leaves behind.
  await runScript("dev-down", ["--name", name], { env });
  await runScript("db-backup", ["backups", "--delete", name], { env });
});

describe("backups and the recovery drill", () => {
  it("takes the ScheduledBackup's immediate backup: the supervisor runs it once the database is up", async () => {
    const up = await runScript("dev-up", ["--env", "pr", "--with", "backups", "--name", name], { env });
    expect(up.exitCode, up.all).toBe(0);
    postgresUrl = postgresUrlIn(up.stdout);
    const listed = async () => (await runScript("db-backup", ["backups"], { env })).stdout;
    await expect
      .poll(listed, { timeout: 90_000, interval: 3_000 })
      .toMatch(new RegExp(`^${name}\\s+\\d{8}-\\d{6}F\\s+full\\s`, "m"));
    const log = await runScript("dev-logs", ["supervisor", "--name", name], { env });
    expect(log.stdout).toMatch(/"msg":"backup taken".*"schedule":"azora-db-nightly","reason":"immediate"/);
  });

  it("restores to a point in time: every write acknowledged before it, none sent after it", async () => {
    const report = join(stateDir, "recovery-report");
    const drill = await runScript(
      "test-recovery",
      ["--name", name, "--rate", "20", "--before", "1500", "--after", "1500", "--report", report],
      { env },
    );
    expect(drill.exitCode, drill.all).toBe(0);
    expect(drill.stdout).toContain("recovery drill passed");
    const summary = JSON.parse(readFileSync(join(report, "summary.json"), "utf8"));
    expect(summary).toMatchObject({ kind: "recovery", lost: [], leaked: [], passed: true });
    // 1.5 s at 20/s on each side of the target (a busy machine may send fewer).
    expect(summary.acknowledgedBefore).toBeGreaterThan(15);
    expect(summary.sentAfter).toBeGreaterThan(15);
    expect(summary.rtoSeconds).toBeGreaterThan(summary.recoverySeconds);
    // The drill's environment and its own backups are gone; the drilled one's backup is listed.
    expect(await repository(`${name}-drill`)).toBeUndefined();
    const list = await runScript("db-backup", ["backups"], { env });
    expect(list.exitCode, list.all).toBe(0);
    expect(list.stdout).toMatch(new RegExp(`^${name}\\s+\\d{8}-\\d{6}F\\s+full\\s`, "m"));
  });

  it("never restores over an environment unasked; asked, over its own source, loses no acknowledged write", async () => {
    const over = await runScript("db-backup", ["restore", "--name", name, "--into", name], { env });
    expect(over.exitCode).toBe(1);
    expect(over.stderr).toContain(`environment '${name}' exists; a restore never replaces one unasked`);
    // Backups of another database under the name restored into: refused, before anything is made.
    const other = `${name}-other`;
    await docker(["volume", "create", `azora-backups-${other}`]);
    try {
      const beside = await runScript("db-backup", ["restore", "--name", name, "--into", other], { env });
      expect(beside.exitCode).toBe(1);
      expect(beside.stderr).toContain(
        `environment '${other}' has backups of an earlier database; the restored one could not archive beside them`,
      );
      expect(
        await dockerMaybe(["volume", "ls", "-q", "--filter", `label=dev.azora.devstack.env=${other}`]),
      ).toBe("");
    } finally {
      await docker(["volume", "rm", `azora-backups-${other}`]);
    }

    // A write still in the WAL segment being filled: archived before the environment is replaced.
    await sql(postgresUrl, "CREATE TABLE marker (v text); INSERT INTO marker VALUES ('written last')");
    const forced = await runScript("db-backup", ["restore", "--name", name, "--into", name, "--force"], {
      env,
    });
    expect(forced.exitCode, forced.all).toBe(0);
    expect(forced.stdout).toMatch(
      new RegExp(`${name}: current WAL archived[\\s\\S]*${name}: removed \\(--force\\)`),
    );
    expect(await sql(postgresUrlIn(forced.stdout), "SELECT v FROM marker")).toEqual([{ v: "written last" }]);
  });

  it("keeps backups until they are deleted", async () => {
    const inUse = await runScript("db-backup", ["backups", "--delete", name], { env });
    expect(inUse.exitCode).toBe(1);
    expect(inUse.stderr).toContain(`the backups of environment '${name}' are in use`);

    // With its data kept the database is the one they belong to: it comes back beside them.
    const paused = await runScript("dev-down", ["--name", name, "--keep-data"], { env });
    expect(paused.exitCode, paused.all).toBe(0);
    const back = await runScript("dev-up", ["--env", "pr", "--with", "backups", "--name", name], { env });
    expect(back.exitCode, back.all).toBe(0);

    const down = await runScript("dev-down", ["--name", name], { env });
    expect(down.exitCode, down.all).toBe(0);
    expect(down.stdout).toContain(`its backups are kept`);
    expect(await repository(name)).toBeDefined();
    // A new database of the same name cannot archive beside them: refused before anything starts.
    const again = await runScript("dev-up", ["--env", "pr", "--with", "backups", "--name", name], { env });
    expect(again.exitCode).toBe(1);
    expect(again.stderr).toContain(
      `environment '${name}' would start a new database, but the backups of an earlier '${name}' are kept (volume azora-backups-${name})`,
    );
    expect(again.stderr).toContain(`pnpm db:restore --name ${name} --into ${name}`);
    expect(await dockerMaybe(["ps", "-aq", "--filter", `label=dev.azora.devstack.env=${name}`])).toBe("");
    const deleted = await runScript("db-backup", ["backups", "--delete", name], { env });
    expect(deleted.exitCode, deleted.all).toBe(0);
    expect(await repository(name)).toBeUndefined();
  });
});
