import { describe, expect, it } from "vitest";
import {
  afterExit,
  exitReason,
  newRecord,
  restarted,
  waitingReason,
} from "../../src/runtimes/docker/restarts.ts";

const at = (s: number) => new Date(Date.UTC(2026, 11, 1, 12, 0, 0) + s * 1000).toISOString();
const exit = (ranSeconds: number, extra: Partial<Parameters<typeof afterExit>[1]> = {}) => ({
  oomKilled: false,
  exitCode: 1,
  startedAt: at(0),
  finishedAt: at(ranSeconds),
  ...extra,
});

describe("the kubelet's restart back-off, as the supervisor applies it", () => {
  it("restarts at once the first time, then after 10 s, 20 s, 40 s ... capped at 5 minutes", () => {
    let record = newRecord();
    const delays: number[] = [];
    for (let crash = 0; crash < 8; crash++) {
      record = afterExit(record, exit(2), 1_000_000);
      delays.push(((record.restartAt ?? 0) - 1_000_000) / 1000);
      record = restarted(record);
    }
    expect(delays).toEqual([0, 10, 20, 40, 80, 160, 300, 300]);
    expect(record.restarts).toBe(8);
  });

  it("resets the back-off after a run of 10 minutes", () => {
    let record = newRecord();
    for (let crash = 0; crash < 4; crash++) record = restarted(afterExit(record, exit(2), 0));
    expect(record.backoffMs).toBe(80_000);
    record = afterExit(record, exit(599), 0);
    expect(record.restartAt).toBe(80_000);
    record = afterExit(restarted(record), exit(600), 0);
    expect(record.restartAt).toBe(0);
    expect(record.backoffMs).toBe(10_000);
  });

  it("names the last state as Kubernetes does, and CrashLoopBackOff while waiting", () => {
    expect(exitReason(exit(1, { oomKilled: true, exitCode: 137 }))).toBe("OOMKilled");
    expect(exitReason(exit(1, { exitCode: 137, liveness: true }))).toBe("Liveness probe failed (exit 137)");
    expect(exitReason(exit(1, { exitCode: 0 }))).toBe("Completed");
    expect(exitReason(exit(1, { exitCode: 2 }))).toBe("Error (exit 2)");
    const waiting = afterExit(restarted(afterExit(newRecord(), exit(1), 0)), exit(1), 1_000);
    expect(waitingReason(waiting, 5_000)).toBe("CrashLoopBackOff");
    expect(waitingReason(waiting, 11_000)).toBe("Error (exit 1)");
    expect(waitingReason(undefined, 0)).toBeUndefined();
  });
});
