import { describe, expect, it } from "vitest";
import type { K8sObject } from "../../src/manifests/render.ts";
import {
  BackupScheduler,
  backupSchedules,
  IMMEDIATE_RETRY_MS,
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
    // Only when pgBackRest lists no backup yet, so a restarted supervisor takes no second one.
    expect(calls[0]?.script).toMatch(
      /if pgbackrest info --output=json \| grep -q '"label"'; then exit 0; fi; exec pgbackrest backup --type=full$/,
    );
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

  it("takes a backup each time the schedule fires between two looks, never for a stopped instance", async () => {
    const { calls, exec } = fakeExec();
    const scheduler = new BackupScheduler(exec, () => {});
    const pods = instance([{ name: "often", schedule: "*/10 * * * * *", immediate: false }]);
    expect(scheduler.tick(pods, T0)).toEqual([]); // the first look: from now on
    expect(scheduler.tick(pods, T0 + 5_000)).toEqual([]);
    expect(scheduler.tick(pods, T0 + 9_000)).toEqual(["azora-x-db-1/often"]); // 08:00:10 passed
    expect(calls[0]?.script).toMatch(/; exec pgbackrest backup --type=full$/);
    expect(calls[0]?.script).not.toContain("info");
    calls[0]?.finish(0);
    await settle();
    expect(scheduler.tick(pods, T0 + 12_000)).toEqual([]);
    expect(scheduler.tick(instance(pods[0]?.schedules ?? [], false), T0 + 30_000)).toEqual([]);
  });
});
