import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { dockerDatabase } from "../../src/runtimes/docker/database.ts";
import { runScript } from "../support/cli.ts";
import { NIGHTLY_DATABASE_PATCHES, overlayEnvironment } from "../support/environment.ts";

// Backups of production's data tier, live: a Cluster of 3 instances under Patroni with the backups
// component and, as nightly, a synchronous standby required. Every instance mounts the one repository and archives while it is the primary; the
// ScheduledBackup's immediate backup is taken by the primary alone; after a switchover the new
// primary archives on its new timeline; and the recovery drill restores into a new environment of
// 3 instances, whose instance 1 starts from the restored data and whose others clone it.
const { name, env, up } = overlayEnvironment("bkha", {
  files: ["namespace", "config", "secrets", "postgres", "network-policies"],
  patches: `components: [../../components/backups]\n${NIGHTLY_DATABASE_PATCHES}`,
});
const drill = `${name}-drill`;
afterAll(async () => {
  // Whatever a failed test left; the backups go once their environments are down.
  for (const of of [drill, name]) await runScript("dev-down", ["--name", of], { env });
  for (const of of [drill, name]) await runScript("db-backup", ["backups", "--delete", of], { env });
});
const streamingReplicas = async (of: string) =>
  (await dockerDatabase(of).members()).filter((m) => m.role === "replica" && m.state === "streaming").length;

describe("backups of a Cluster of 3 instances (Patroni)", () => {
  it("comes up archiving, and the primary alone takes the immediate backup", async () => {
    const started = await up();
    expect(started.exitCode, started.all).toBe(0);
    // At once, while the supervisor may still be taking the immediate one: it waits for its lock.
    const asked = await runScript("db-backup", ["backup", "--name", name], { env });
    expect(asked.exitCode, asked.all).toBe(0);
    await expect
      .poll(async () => (await runScript("db-backup", ["backups"], { env })).stdout, {
        timeout: 120_000,
        interval: 3_000,
      })
      .toMatch(new RegExp(`^${name}\\s+\\d{8}-\\d{6}F\\s+full\\s`, "m"));
    const log = (await runScript("dev-logs", ["supervisor", "--name", name], { env })).stdout;
    const taken = log.split("\n").filter((l) => l.includes('"msg":"backup taken"'));
    expect(taken, log).toHaveLength(1);
    const primary = (await dockerDatabase(name).members()).find((m) => m.role === "primary");
    expect(taken[0]).toContain(`"container":"azora-${name}-${primary?.name}"`);
    expect(log).not.toContain('"msg":"backup failed"');
  });

  it("restores to a point in time after a switchover: the promoted instance archived every acknowledged write", async () => {
    const to = (await dockerDatabase(name).members()).find((m) => m.role === "replica")?.name ?? "";
    const switched = await runScript("db", ["switchover", "--to", to, "--name", name], { env });
    expect(switched.exitCode, switched.all).toBe(0);

    const report = join(env.DEVSTACK_STATE_DIR, "recovery-report");
    const run = await runScript(
      "test-recovery",
      ["--name", name, "--rate", "20", "--before", "1500", "--after", "1500", "--keep", "--report", report],
      { env },
    );
    expect(run.exitCode, run.all).toBe(0);
    const summary = JSON.parse(readFileSync(join(report, "summary.json"), "utf8"));
    expect(summary).toMatchObject({ lost: [], leaked: [], passed: true });
    expect(summary.acknowledgedBefore).toBeGreaterThan(15);

    // The restored environment is production's shape again: one primary, two replicas following it.
    const members = await dockerDatabase(drill).members();
    expect(members.map((m) => m.name).sort()).toEqual(["azora-db-1", "azora-db-2", "azora-db-3"]);
    expect(members.find((m) => m.role === "primary")?.name).toBe("azora-db-1");
    await expect.poll(() => streamingReplicas(drill), { timeout: 90_000, interval: 2_000 }).toBe(2);
    const down = await runScript("dev-down", ["--name", drill], { env });
    expect(down.exitCode, down.all).toBe(0);
    const deleted = await runScript("db-backup", ["backups", "--delete", drill], { env });
    expect(deleted.exitCode, deleted.all).toBe(0);
  });
});
