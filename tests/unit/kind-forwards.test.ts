import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { kubeconfigFile } from "../../src/runtimes/kind/names.ts";
import { keeperRunning, startKeeper, stopKeeper } from "../../src/runtimes/kind/port-forwards.ts";

// The Kind runtime's port-forward keeper, as a real detached process. No cluster can run here, so
// `kubectl` is a stand-in script that records how it was called and ends at once, as a forward does
// when its pod goes: the keeper must start each forward again, and stop when told or when the
// cluster's kubeconfig is gone.

const dir = mkdtempSync(join(tmpdir(), "devstack-forwards-"));
process.env.DEVSTACK_STATE_DIR = dir;
const calls = join(dir, "calls.log");
const kubectl = join(dir, "kubectl");
writeFileSync(kubectl, `#!/bin/sh\necho "$*" >> ${calls}\nsleep 0.2\nexit 1\n`);
chmodSync(kubectl, 0o755);
const forwards = [
  { service: "user-service", port: 8080, hostPort: 41001 },
  { service: "azora-db-rw", port: 5432, hostPort: 41002 },
];
const callsOf = () => (existsSync(calls) ? readFileSync(calls, "utf8").trim().split("\n") : []);
const until = async (what: () => boolean, ms: number) => {
  const deadline = Date.now() + ms;
  while (!what() && Date.now() < deadline) await sleep(100);
  return what();
};

afterEach(() => {
  stopKeeper("fw");
  rmSync(calls, { force: true });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("the port-forward keeper", () => {
  it("holds each forward, starting it again after it ends, until stopped", async () => {
    mkdirSync(dirname(kubeconfigFile("fw")), { recursive: true });
    writeFileSync(kubeconfigFile("fw"), "");
    startKeeper("fw", kubectl, "azora", forwards);
    expect(keeperRunning("fw")).toBe(true);
    // Each forward ended after 0.2 s and was started again a second later: at least twice each.
    expect(await until(() => callsOf().filter((c) => c.includes("user-service")).length >= 2, 15_000)).toBe(
      true,
    );
    expect(new Set(callsOf())).toEqual(
      new Set([
        `--kubeconfig ${kubeconfigFile("fw")} -n azora port-forward --address 127.0.0.1 service/user-service 41001:8080`,
        `--kubeconfig ${kubeconfigFile("fw")} -n azora port-forward --address 127.0.0.1 service/azora-db-rw 41002:5432`,
      ]),
    );
    expect(stopKeeper("fw")).toBe(true);
    expect(await until(() => !keeperRunning("fw"), 5_000)).toBe(true);
    expect(stopKeeper("fw")).toBe(false);
  }, 30_000);

  it("ends by itself once the cluster's kubeconfig is gone", async () => {
    mkdirSync(dirname(kubeconfigFile("fw")), { recursive: true });
    writeFileSync(kubeconfigFile("fw"), "");
    const pid = startKeeper("fw", kubectl, "azora", forwards);
    expect(await until(() => callsOf().length >= 1, 10_000)).toBe(true);
    rmSync(kubeconfigFile("fw"));
    const gone = () => {
      try {
        process.kill(pid, 0);
        return false;
      } catch {
        return true;
      }
    };
    expect(await until(gone, 10_000)).toBe(true);
  }, 30_000);
});
