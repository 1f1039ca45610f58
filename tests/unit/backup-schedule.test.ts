import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, describe, expect, it } from "vitest";
import type { K8sObject } from "../../src/manifests/render.ts";
import {
  ALREADY_BACKED_UP,
  BACKUP,
  BackupScheduler,
  backupSchedules,
  FIRST_BACKUP,
  IMMEDIATE_RETRY_MS,
  LOCKED,
  NOT_PRIMARY,
  nextBackup,
} from "../../src/runtimes/docker/backup-schedule.ts";

const object = (kind: string, name: string, spec: object): K8sObject =>
  ({ apiVersion: "postgresql.cnpg.io/v1", kind, metadata: { name }, spec }) as K8sObject;
const cluster = (name: string, backup?: object) =>
  object("Cluster", name, { instances: 1, ...(backup ? { backup } : {}) });
const scheduled = (name: string, spec: object) =>
  object("ScheduledBackup", name, { cluster: { name: "db" }, schedule: "0 0 3 * * *", ...spec });

describe("ScheduledBackup on Docker", () => {
  it("reads CloudNativePG's six-field cron (seconds first) in UTC", () => {
    expect(nextBackup("0 0 3 * * *", new Date("2026-12-02T08:00:00Z"))?.toISOString()).toBe(
      "2026-12-03T03:00:00.000Z",
    );
    expect(nextBackup("*/10 * * * * *", new Date("2026-12-02T08:00:01Z"))?.toISOString()).toBe(
      "2026-12-02T08:00:10.000Z",
    );
  });

  it("gives each Cluster its schedules, skips suspended ones, and names what cannot run", () => {
    const problems: string[] = [];
    const objects = [
      cluster("db", { barmanObjectStore: {} }),
      cluster("plain"),
      scheduled("nightly", { immediate: true }),
      scheduled("hourly", { schedule: "0 0 * * * *" }),
      scheduled("paused", { suspend: true }),
      scheduled("five-fields", { schedule: "0 3 * * *" }),
      scheduled("garbage", { schedule: "every night" }),
      scheduled("snapshot", { method: "volumeSnapshot" }),
      scheduled("no-backup", { cluster: { name: "plain" } }),
      scheduled("no-cluster", { cluster: { name: "gone" } }),
    ];
    expect(Object.fromEntries(backupSchedules(objects, problems))).toEqual({
      db: [
        { name: "nightly", schedule: "0 0 3 * * *", immediate: true },
        { name: "hourly", schedule: "0 0 * * * *", immediate: false },
      ],
    });
    expect(problems).toEqual([
      `ScheduledBackup/five-fields spec.schedule: '0 3 * * *' is not valid; expected six cron fields, seconds first (e.g. "0 0 3 * * *")`,
      `ScheduledBackup/garbage spec.schedule: 'every night' is not valid; expected six cron fields, seconds first (e.g. "0 0 3 * * *")`,
      "ScheduledBackup/snapshot spec.method: 'volumeSnapshot' does not run on Docker (barmanObjectStore does, as pgBackRest)",
      "ScheduledBackup/no-backup: Cluster/plain has no spec.backup to take backups with",
      "ScheduledBackup/no-cluster spec.cluster.name: no Cluster named 'gone' in the manifests",
    ]);
  });
});

describe("the supervisor's backup scheduler", () => {
  /** An exec whose runs finish when the test says, with the exit code it says. */
  function fakeExec() {
    const calls: { id: string; script: string; finish: (exitCode: number) => void }[] = [];
    const exec = (id: string, command: string[]) =>
      new Promise<{ exitCode: number; output: string }>((resolve) => {
        calls.push({
          id,
          script: command.at(-1) ?? "",
          finish: (exitCode) => resolve({ exitCode, output: "" }),
        });
      });
    return { calls, exec };
  }
  const settle = () => new Promise((r) => setTimeout(r, 0));
  const instance = (schedules: { name: string; schedule: string; immediate: boolean }[], running = true) => [
    { Id: "c1", name: "azora-x-db-1", running, schedules },
  ];
  const T0 = Date.parse("2026-12-02T08:00:01Z");

  it("takes the immediate backup once the repository has none, retrying a failed one after a pause", async () => {
    const { calls, exec } = fakeExec();
    const scheduler = new BackupScheduler(exec, () => {});
    const pods = instance([{ name: "nightly", schedule: "0 0 3 * * *", immediate: true }]);
    expect(scheduler.tick(pods, T0)).toEqual(["azora-x-db-1/nightly"]);
    expect(calls[0]?.script).toBe(FIRST_BACKUP);
    expect(scheduler.tick(pods, T0 + 1_000)).toEqual([]); // one at a time
    calls[0]?.finish(1); // the instance was not ready yet
    await settle();
    expect(scheduler.tick(pods, T0 + IMMEDIATE_RETRY_MS - 1)).toEqual([]);
    expect(scheduler.tick(pods, T0 + IMMEDIATE_RETRY_MS)).toEqual(["azora-x-db-1/nightly"]);
    calls[1]?.finish(0);
    await settle();
    expect(scheduler.tick(pods, T0 + 3 * IMMEDIATE_RETRY_MS)).toEqual([]);
    expect(calls).toHaveLength(2);
  });

  it("tries a standby's immediate backup again (it may be promoted), and stops once the repository has one", async () => {
    const { calls, exec } = fakeExec();
    const logged: string[] = [];
    const scheduler = new BackupScheduler(exec, (_level, msg) => logged.push(msg));
    const pods = instance([{ name: "nightly", schedule: "0 0 3 * * *", immediate: true }]);
    expect(scheduler.tick(pods, T0)).toEqual(["azora-x-db-1/nightly"]);
    calls[0]?.finish(NOT_PRIMARY);
    await settle();
    expect(scheduler.tick(pods, T0 + IMMEDIATE_RETRY_MS)).toEqual(["azora-x-db-1/nightly"]);
    calls[1]?.finish(ALREADY_BACKED_UP); // the primary took it meanwhile
    await settle();
    expect(scheduler.tick(pods, T0 + 5 * IMMEDIATE_RETRY_MS)).toEqual([]);
    expect(logged).toEqual([
      "backup skipped: a standby",
      "immediate backup not needed: the repository has one",
    ]);
  });

  it("takes a backup each time the schedule fires between two looks, never for a stopped instance", async () => {
    const { calls, exec } = fakeExec();
    const scheduler = new BackupScheduler(exec, () => {});
    const pods = instance([{ name: "often", schedule: "*/10 * * * * *", immediate: false }]);
    expect(scheduler.tick(pods, T0)).toEqual([]); // the first look: from now on
    expect(scheduler.tick(pods, T0 + 5_000)).toEqual([]);
    expect(scheduler.tick(pods, T0 + 9_000)).toEqual(["azora-x-db-1/often"]); // 08:00:10 passed
    expect(calls[0]?.script).toBe(BACKUP);
    calls[0]?.finish(0);
    await settle();
    expect(scheduler.tick(pods, T0 + 12_000)).toEqual([]);
    expect(scheduler.tick(instance(pods[0]?.schedules ?? [], false), T0 + 30_000)).toEqual([]);
  });
});

describe("the backup scripts, run by a shell against stand-ins for psql and pgBackRest", () => {
  const bin = mkdtempSync(join(tmpdir(), "backup-scripts-"));
  afterAll(() => rmSync(bin, { recursive: true, force: true }));
  const tool = (name: string, body: string) => {
    writeFileSync(join(bin, name), `#!/bin/sh\necho "${name} $*" >> "${bin}/calls"\n${body}\n`);
    chmodSync(join(bin, name), 0o755);
  };
  /**
   * Runs `script` as the supervisor does; `recovery` is what psql answers (`fail`: it cannot
   * connect); `lockedFor` how many tries of `backup` find another backup's lock (error 50).
   */
  async function run(
    script: string,
    instance: { recovery: "t" | "f" | "fail"; backups: boolean; lockedFor?: number },
  ) {
    rmSync(join(bin, "calls"), { force: true });
    tool("psql", instance.recovery === "fail" ? "exit 2" : `echo ${instance.recovery}`);
    tool(
      "pgbackrest",
      [
        `case "$1" in info) echo '[{"backup":[${instance.backups ? '{"label":"20261204-100000F"}' : ""}]}]';;`,
        `backup) [ "$(grep -c '^pgbackrest backup' "${bin}/calls")" -gt ${instance.lockedFor ?? 0} ] || exit 50;; esac`,
      ].join("\n"),
    );
    const result = await execa("sh", ["-c", script], {
      reject: false,
      env: {
        PATH: `${bin}:/usr/bin:/bin`,
        PGBACKREST_PG1_SOCKET_PATH: "/run/pg",
        PGBACKREST_PG1_USER: "postgres",
      },
    });
    const calls = existsSync(join(bin, "calls"))
      ? readFileSync(join(bin, "calls"), "utf8").trim().split("\n")
      : [];
    const backups = calls.filter((c) => c === "pgbackrest backup --type=full").length;
    return { exitCode: result.exitCode, backedUp: backups > 0, backups, calls };
  }

  it("backs up the primary only, asking its own PostgreSQL over the socket as the superuser", async () => {
    const primary = await run(BACKUP, { recovery: "f", backups: true });
    expect(primary).toMatchObject({ exitCode: 0, backedUp: true });
    expect(primary.calls[0]).toBe(
      "psql -XAt -h /run/pg -U postgres -d postgres -c SELECT pg_is_in_recovery()",
    );
    expect(await run(BACKUP, { recovery: "t", backups: true })).toMatchObject({
      exitCode: NOT_PRIMARY,
      backedUp: false,
    });
    // Not answering is a failure, never taken for a standby's skip.
    expect(await run(BACKUP, { recovery: "fail", backups: false })).toMatchObject({
      exitCode: 1,
      backedUp: false,
    });
  });

  it("waits while another backup holds the lock (db:backup at the same time), and fails on any other error", async () => {
    expect(await run(BACKUP, { recovery: "f", backups: false, lockedFor: 1 })).toMatchObject({
      exitCode: 0,
      backups: 2,
    });
    const failing = await run(`${LOCKED} locked sh -c 'exit 3'; echo not reached`, {
      recovery: "f",
      backups: false,
    });
    expect(failing.exitCode).toBe(3);
  });

  it("takes the immediate backup only while the repository has none, and only on the primary", async () => {
    expect(await run(FIRST_BACKUP, { recovery: "f", backups: false })).toMatchObject({
      exitCode: 0,
      backedUp: true,
    });
    expect(await run(FIRST_BACKUP, { recovery: "f", backups: true })).toMatchObject({
      exitCode: ALREADY_BACKED_UP,
      backedUp: false,
    });
    expect(await run(FIRST_BACKUP, { recovery: "t", backups: false })).toMatchObject({
      exitCode: NOT_PRIMARY,
      backedUp: false,
    });
  });
});
